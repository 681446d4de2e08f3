/*
 * ./k42 bench's disk figures, run as init with a virtio disk holding an
 * empty ext2 file system (tools/bench.py makes it): starts the name
 * server, the virtio-blk driver, the boot-archive server (for "/") and the
 * ext2 server itself, then writes a
 * file of FILE_MIB MiB sequentially in 4 KiB writes (fsynced at the end)
 * and reads it back from the start in 4 KiB reads. The file is far larger
 * than the ext2 server's 4 MiB block cache, so the reads reach the disk.
 * Then READERS threads read it at once, each a quarter of it through its
 * own open file (`disk_read4_4k`: time per 4 KiB of the whole): ext2
 * serves their calls concurrently, each waiting for the disk with the
 * server's lock free (docs/storage.md, "Concurrency").
 * Then the small-file rate: NFILES files in a new directory, each created
 * (O_CREAT|O_EXCL), given 1 KiB and closed, then each unlinked. Prints
 * `BENCH disk_write_4k_ticks_per_op T`, `..._read_4k_...`,
 * `BENCH disk_create_ticks_per_op T` and `..._unlink_...`; every call is
 * checked, and a failure prints no figure. bench/linux/ldisk.c does the
 * same on Linux.
 */
#include <string.h>
#include <lib/fmt.h>
#include <k42/fs.h>
#include <k42/k42.h>
#include <k42/privilege.h>
#include <k42/thread.h>

#ifndef FILE_MIB
#define FILE_MIB 64
#endif
#ifndef NFILES
#define NFILES 500
#endif
#define OPS	(FILE_MIB * 256)
#define READERS	4

static uint8_t buf[4096];

/* One of READERS threads: 4 KiB reads of its quarter, each checked;
 * NULL when all were right. */
static void *reader(void *arg)
{
	static uint8_t bufs[READERS][4096];
	uint32_t q = (uint32_t)(uintptr_t)arg, per = OPS / READERS;
	uint8_t *b = bufs[q];
	void *ret = NULL;
	int fd = k42_open("/mnt/bench", K42_O_RDONLY, 0);

	if (fd < 0)
		return (void *)1;
	for (uint32_t i = q * per; i < (q + 1) * per && !ret; i++) {
		uint64_t v;

		if (k42_pread(fd, b, 4096, (int64_t)i * 4096) != 4096)
			ret = (void *)1;
		memcpy(&v, b + 4088, 8);
		if (v != ((uint64_t)i << 32 | 4088))
			ret = (void *)1;
	}
	k42_close(fd);
	return ret;
}

static void fill(uint32_t i)
{
	for (uint32_t k = 0; k < sizeof(buf); k += 8)
		memcpy(buf + k, &(uint64_t){ (uint64_t)i << 32 | k }, 8);
}

static int start(void)
{
	const char *name_argv[] = { "name", NULL }, *blk_argv[] = { "blk", NULL };
	const char *ext2_argv[] = { "ext2", "/mnt", NULL }, *files_argv[] = { "files", NULL };
	struct k42_spawn_opts o = { blk_argv, K42_PRIO_SYSTEM, 0, 0, K42_PRIV_DRIVER, 0 };
	struct k42_spawn_grant disk = { { K42_DEV_ID(0x1af4, 0x1001) }, 0, 0, 0 };
	long ns = k42_spawn_argv("servers/name", name_argv, K42_PRIO_SYSTEM, 0);

	if (ns < 0)
		return -1;
	k42_name_server = (uint64_t)ns;
	o.name_server = k42_name_server;
	if (k42_spawn_path_grant("servers/virtio_blk", &o, &disk) < 0)
		return -1;
	/* The boot archive as "/", under which /mnt is found. */
	o.argv = files_argv;
	o.privileges = 0;
	o.flags = K42_SPAWN_SHARE_ARCHIVE;
	if (k42_spawn_path_ex("servers/files", &o) < 0 ||
	    k42_name_wait("mnt", &(uint64_t){ 0 }, NULL, 10000) < 0)
		return -1;
	o.flags = 0;
	o.argv = ext2_argv;
	o.privileges = 0;
	if (k42_spawn_path_ex("servers/ext2", &o) < 0 ||
	    k42_name_wait("mnt/mnt", &(uint64_t){ 0 }, NULL, 10000) < 0)
		return -1;
	k42_fs_remount();
	return 0;
}

int main(uint64_t arg)
{
	uint64_t t0, tw, tr, tr4, tc, tu;
	k42_thread_t *th[READERS];
	char name[64];
	int fd;

	(void)arg;
	if (start() < 0) {
		k42_printf("diskbench: cannot start the disk's servers\n");
		return 5;
	}
	fd = k42_open("/mnt/bench", K42_O_CREAT | K42_O_TRUNC | K42_O_RDWR, 0644);
	if (fd < 0) {
		k42_printf("diskbench: create: %s\n", k42_strerror(fd));
		return 1;
	}
	t0 = k42_timebase();
	for (uint32_t i = 0; i < OPS; i++) {
		long n;

		fill(i);
		if ((n = k42_write(fd, buf, sizeof(buf))) != (long)sizeof(buf)) {
			k42_printf("diskbench: write %u: %ld\n", i, n);
			return 1;
		}
	}
	if (k42_fsync(fd) < 0 || k42_lseek(fd, 0, 0) != 0) {
		k42_printf("diskbench: fsync or seek failed\n");
		return 1;
	}
	tw = k42_timebase() - t0;
	t0 = k42_timebase();
	for (uint32_t i = 0; i < OPS; i++) {
		long n = k42_read(fd, buf, sizeof(buf));
		uint64_t v;

		memcpy(&v, buf + 4088, 8);
		if (n != (long)sizeof(buf) || v != ((uint64_t)i << 32 | 4088)) {
			k42_printf("diskbench: read %u: %ld, wrong data\n", i, n);
			return 1;
		}
	}
	tr = k42_timebase() - t0;
	k42_close(fd);
	t0 = k42_timebase();
	for (uint32_t q = 0; q < READERS; q++)
		if (!(th[q] = k42_thread_create(reader, (void *)(uintptr_t)q))) {
			k42_printf("diskbench: no reader thread\n");
			return 1;
		}
	for (uint32_t q = 0; q < READERS; q++) {
		void *ret = (void *)1;

		if (k42_thread_join(th[q], &ret) != 0 || ret) {
			k42_printf("diskbench: reader %u failed\n", q);
			return 1;
		}
	}
	tr4 = k42_timebase() - t0;
	if (k42_unlink("/mnt/bench") < 0 || k42_mkdir("/mnt/small", 0755) < 0) {
		k42_printf("diskbench: unlink /mnt/bench or mkdir /mnt/small failed\n");
		return 1;
	}
	memset(buf, 'k', 1024);
	t0 = k42_timebase();
	for (uint32_t i = 0; i < NFILES; i++) {
		k_snprintf(name, sizeof(name), "/mnt/small/f%u", i);
		if ((fd = k42_open(name, K42_O_CREAT | K42_O_EXCL | K42_O_WRONLY, 0644)) < 0 ||
		    k42_write(fd, buf, 1024) != 1024 || k42_close(fd) < 0) {
			k42_printf("diskbench: small file %u: %d\n", i, fd);
			return 1;
		}
	}
	tc = k42_timebase() - t0;
	t0 = k42_timebase();
	for (uint32_t i = 0; i < NFILES; i++) {
		int r;

		k_snprintf(name, sizeof(name), "/mnt/small/f%u", i);
		if ((r = k42_unlink(name)) < 0) {
			k42_printf("diskbench: unlink %s: %s\n", name, k42_strerror(r));
			return 1;
		}
	}
	tu = k42_timebase() - t0;
	k42_printf("BENCH disk_mib %d\nBENCH disk_files %d\n", FILE_MIB, NFILES);
	k42_printf("BENCH disk_write_4k_ticks_per_op %lu.%03lu\n", tw / OPS, tw % OPS * 1000 / OPS);
	k42_printf("BENCH disk_read_4k_ticks_per_op %lu.%03lu\n", tr / OPS, tr % OPS * 1000 / OPS);
	k42_printf("BENCH disk_read4_4k_ticks_per_op %lu.%03lu\n", tr4 / OPS, tr4 % OPS * 1000 / OPS);
	k42_printf("BENCH disk_create_ticks_per_op %lu.%03lu\n", tc / NFILES,
		   tc % NFILES * 1000 / NFILES);
	k42_printf("BENCH disk_unlink_ticks_per_op %lu.%03lu\n", tu / NFILES,
		   tu % NFILES * 1000 / NFILES);
	k42_printf("BENCH done\n");
	return 0;
}
