/*
 * Mapped unshared files (run as init; docs/files.md, "Mapped files"): a
 * /tmp file this process alone has open is mapped at the call after one
 * a mapping would have served (a full read, a write inside the file), and
 * reads, writes and lseek then use its pages with no call.
 * Checked byte for byte against a model of the file:
 *  - basics: overwrite, growth through the server, truncation seen in
 *    the mapping, the offset going back to the server when the
 *    descriptor is passed to a child;
 *  - ordering: this process writes through its mapping and fsyncs, a
 *    second process (mapfile_child, through the server) reads the whole
 *    file and writes over part of it and fsyncs, and this process reads
 *    it back through its mapping: eight rounds, each seeing the other's
 *    writes in order; while the other keeps the file open, this one goes
 *    back to the server at its next call;
 *  - eviction: 2 MiB written through the mapping (512 dirty pages, twice
 *    what a file FCM keeps resident: the rest are paged out through the
 *    FR) and read back by the other process.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/fs.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"
#include "mapfile.h"

#define TMP_LIMIT (8ul << 20)
#define ORDER_SIZE (64ul << 10)

static uint8_t model[MAPFILE_MAX], got[MAPFILE_MAX], buf[MAPFILE_MAX];
static uint64_t model_size;
static int to_child = -1, from_child = -1;
static long child;

static void apply(uint64_t off, uint64_t len, uint64_t seed)
{
	mapfile_pattern(model + off, off, len, seed);
	if (off + len > model_size)
		model_size = off + len;
}

/* Is [data, len) the model, every byte? */
static int same(const uint8_t *data, uint64_t len, const char *what)
{
	if (len != model_size) {
		EXPECT(0, "%s: %lu bytes, the model has %lu\n", what, len, model_size);
		return 0;
	}
	for (uint64_t i = 0; i < len; i++) {
		if (data[i] != model[i]) {
			EXPECT(0, "%s: byte %lu is %u, want %u\n", what, i, data[i], model[i]);
			return 0;
		}
	}
	return 1;
}

/* The whole file through fd (pread, 4 KiB at a time). */
static uint64_t read_all(int fd)
{
	uint64_t len = 0;
	long n;

	while (len < sizeof(got) && (n = k42_pread(fd, got + len, 4096, (int64_t)len)) > 0)
		len += (uint64_t)n;
	return len;
}

static int get_bytes(void *b, uint64_t len)
{
	uint8_t *p = b;

	while (len) {
		long n = k42_read(from_child, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* One command to the child; its "ok" (0) or "err N" (-N). */
static long ask(const char *cmd)
{
	char line[32];
	size_t n = 0;

	if (k42_write(to_child, cmd, strlen(cmd)) != (long)strlen(cmd))
		return -K42_EPIPE;
	while (n + 1 < sizeof(line) && get_bytes(line + n, 1) == 0 && line[n] != '\n')
		n++;
	line[n] = 0;
	if (strcmp(line, "ok") == 0)
		return 0;
	return strncmp(line, "err ", 4) == 0 ? -(long)strtoul(line + 4, NULL, 0) : -K42_EIO;
}

/* The child reads the whole file it has open: its length, or -1. */
static long child_reads(void)
{
	uint64_t len;

	if (k42_write(to_child, "r\n", 2) != 2 || get_bytes(&len, 8) < 0 || len > sizeof(got) ||
	    get_bytes(got, len) < 0)
		return -1;
	return (long)len;
}

static long spawn_child(int in, int out)
{
	const char *argv[] = { "mapfile_child", NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server, 0, 0, 0 };
	int save0 = k42_dup(0), save1 = k42_dup(1);
	long pid;

	k42_dup2(in, 0);
	k42_dup2(out, 1);
	pid = k42_spawn_path_ex("tests/mapfile_child", &o);
	k42_dup2(save0, 0);
	k42_dup2(save1, 1);
	k42_close(save0);
	k42_close(save1);
	return pid;
}

static void start_child(void)
{
	int to[2], from[2];

	EXPECT(k42_pipe2(to, K42_O_CLOEXEC) == 0 && k42_pipe2(from, K42_O_CLOEXEC) == 0, "pipes\n");
	child = spawn_child(to[0], from[1]);
	EXPECT(child > 0, "spawn mapfile_child: %ld\n", child);
	k42_close(to[0]);
	k42_close(from[1]);
	to_child = to[1];
	from_child = from[0];
}

static void basics(void)
{
	int fd = k42_open("/tmp/m", K42_O_CREAT | K42_O_RDWR | K42_O_TRUNC, 0644), p[2];
	struct k42_stat st;
	long n;

	model_size = 0;
	EXPECT(fd >= 0, "create /tmp/m: %d\n", fd);
	mapfile_pattern(buf, 0, 16384, 1);
	EXPECT(k42_write(fd, buf, 16384) == 16384, "write 16 KiB\n");
	apply(0, 16384, 1);
	EXPECT(k42_pread(fd, got, 10, 16380) == 4 && k42_fs_mapped(fd) == 0,
	       "growing it and reading its end: not worth a mapping\n");
	EXPECT(k42_pread(fd, got, 16384, 0) == 16384, "pread\n");
	EXPECT(k42_fs_mapped(fd) == 0, "a full read: mapped at the next call\n");
	same(got, 16384, "read back");

	/* Overwrite across pages, through the mapping. */
	mapfile_pattern(buf, 5000, 7000, 2);
	EXPECT(k42_pwrite(fd, buf, 7000, 5000) == 7000, "pwrite in the mapping\n");
	EXPECT(k42_fs_mapped(fd) == 1, "mapped\n");
	apply(5000, 7000, 2);
	EXPECT(k42_lseek(fd, 0, K42_SEEK_SET) == 0 && k42_read(fd, got, 16384) == 16384 &&
	       k42_read(fd, got + 16384, 10) == 0, "read to the end\n");
	same(got, 16384, "overwrite");

	/* Growth goes through the server; the mapping sees the new size. */
	EXPECT(k42_lseek(fd, 0, K42_SEEK_END) == 16384, "lseek to the end\n");
	mapfile_pattern(buf, 16384, 100, 3);
	EXPECT(k42_write(fd, buf, 100) == 100, "append 100\n");
	apply(16384, 100, 3);
	EXPECT(k42_fstat(fd, &st) == 0 && st.size == 16484, "fstat size %lu\n", st.size);
	EXPECT(k42_fs_mapped(fd) == 1, "still mapped after growing\n");
	same(got, read_all(fd), "after growth");

	/* Truncation: the bytes past the new end read as zeros after growing again. */
	EXPECT(k42_ftruncate(fd, 6000) == 0, "ftruncate 6000\n");
	EXPECT(k42_pread(fd, got, 100, 5990) == 10, "10 bytes before the new end\n");
	EXPECT(k42_ftruncate(fd, 16384) == 0, "ftruncate 16384\n");
	memset(model + 6000, 0, 16484 - 6000);
	model_size = 16384;
	same(got, read_all(fd), "truncated and grown");
	EXPECT(k42_fs_mapped(fd) == 1, "still mapped after truncating\n");
	EXPECT(k42_fsync(fd) == 0, "fsync\n");

	k42_printf("mapfile_test: basics: mapped I/O checked\n");
	/* Passed to a child: the offset goes back to the server. */
	EXPECT(k42_lseek(fd, 123, K42_SEEK_SET) == 123, "lseek 123\n");
	EXPECT(k42_pipe2(p, K42_O_CLOEXEC) == 0, "pipe\n");
	n = spawn_child(p[0], 1);	/* it sees end of file at once and exits */
	EXPECT(n > 0, "spawn with the file inherited: %ld\n", n);
	k42_close(p[0]);
	k42_close(p[1]);
	if (n > 0)
		k42_wait((uint64_t)n, &(int){ 0 });
	EXPECT(k42_fs_mapped(fd) == 0, "shared with a child: back on the server\n");
	EXPECT(k42_lseek(fd, 0, K42_SEEK_CUR) == 123, "the offset came along\n");
	same(got, read_all(fd), "through the server");
	EXPECT(k42_close(fd) == 0, "close\n");
	EXPECT(k42_unlink("/tmp/m") == 0, "unlink\n");
}

static void ordering(void)
{
	int fd = k42_open("/tmp/order", K42_O_CREAT | K42_O_RDWR | K42_O_TRUNC, 0644);
	char cmd[96];
	long n;

	model_size = 0;
	EXPECT(fd >= 0, "create /tmp/order: %d\n", fd);
	mapfile_pattern(buf, 0, ORDER_SIZE, 9);
	EXPECT(k42_pwrite(fd, buf, ORDER_SIZE, 0) == (long)ORDER_SIZE, "write 64 KiB\n");
	apply(0, ORDER_SIZE, 9);
	EXPECT(k42_pread(fd, got, 1, 0) == 1 && k42_pread(fd, got, 1, 0) == 1 &&
	       k42_fs_mapped(fd) == 1, "mapped\n");
	for (uint64_t r = 0; r < 8; r++) {
		uint64_t off_a = r * 5333 % 60000, len_a = 3000 + r * 700;
		uint64_t off_b = (r * 7919 + 1000) % 60000, len_b = 2500 + r * 900;
		char what[64];

		/* Ours, through the mapping, then fsync. */
		mapfile_pattern(buf, off_a, len_a, 100 + r);
		EXPECT(k42_pwrite(fd, buf, len_a, (int64_t)off_a) == (long)len_a, "round %lu: pwrite\n", r);
		apply(off_a, len_a, 100 + r);
		EXPECT(k42_fs_mapped(fd) == 1, "round %lu: our writes go to our pages\n", r);
		EXPECT(k42_fsync(fd) == 0, "round %lu: fsync\n", r);

		/* The other process sees them, through the server. */
		EXPECT(ask("o /tmp/order\n") == 0, "round %lu: the child opens\n", r);
		n = child_reads();
		k_snprintf(what, sizeof(what), "round %lu: the child reads our writes", r);
		same(got, n < 0 ? 0 : (uint64_t)n, what);

		/* It writes over part of them (in round 3 past the end), fsyncs. */
		if (r == 3) {
			off_b = model_size - 1000;
			len_b = 9000;
		}
		k_snprintf(cmd, sizeof(cmd), "w %lu %lu %lu\n", off_b, len_b, 200 + r);
		EXPECT(ask(cmd) == 0, "round %lu: the child writes\n", r);
		apply(off_b, len_b, 200 + r);
		if (r < 7)
			EXPECT(ask("c\n") == 0, "round %lu: the child closes\n", r);

		/* We see its writes after ours. Until the last round the
		 * child has closed again before our next call: we still
		 * read our own pages, which its writes went into. */
		k_snprintf(what, sizeof(what), "round %lu: we read the child's writes", r);
		EXPECT(k42_lseek(fd, 0, K42_SEEK_END) == (int64_t)model_size, "round %lu: size\n", r);
		same(got, read_all(fd), what);
		if (r < 7)
			EXPECT(k42_fs_mapped(fd) == 1, "round %lu: still mapped\n", r);
		else
			EXPECT(k42_fs_mapped(fd) == 0, "the child has it open: back on the server\n");
		k42_printf("mapfile_test: round %lu done\n", r);
	}
	EXPECT(ask("c\n") == 0, "the child closes\n");
	EXPECT(k42_close(fd) == 0, "close\n");
	EXPECT(k42_unlink("/tmp/order") == 0, "unlink\n");
}

static void eviction(void)
{
	int fd = k42_open("/tmp/big", K42_O_CREAT | K42_O_RDWR | K42_O_TRUNC, 0644);
	long n;

	EXPECT(fd >= 0, "create /tmp/big: %d\n", fd);
	EXPECT(k42_ftruncate(fd, MAPFILE_MAX) == 0, "ftruncate 2 MiB\n");
	memset(model, 0, MAPFILE_MAX);
	model_size = MAPFILE_MAX;
	EXPECT(k42_pread(fd, got, 1, 0) == 1 && k42_pread(fd, got, 1, 4096) == 1 &&
	       k42_fs_mapped(fd) == 1, "mapped\n");
	for (uint64_t off = 0; off < MAPFILE_MAX; off += 65536) {
		mapfile_pattern(buf, off, 65536, 77);
		if (k42_pwrite(fd, buf, 65536, (int64_t)off) != 65536) {
			EXPECT(0, "pwrite at %lu\n", off);
			break;
		}
	}
	apply(0, MAPFILE_MAX, 77);
	EXPECT(k42_fs_mapped(fd) == 1, "2 MiB written through the mapping\n");
	k42_printf("mapfile_test: 2 MiB written\n");
	/* No fsync: what the FCM evicted went back through the FR, the rest
	 * the server takes back before it reads for the child. */
	EXPECT(ask("o /tmp/big\n") == 0, "the child opens /tmp/big\n");
	k42_printf("mapfile_test: the child opened /tmp/big\n");
	n = child_reads();
	same(got, n < 0 ? 0 : (uint64_t)n, "the child reads 2 MiB");
	k42_printf("mapfile_test: the child read 2 MiB\n");
	EXPECT(ask("c\n") == 0, "the child closes\n");
	same(got, read_all(fd), "we read 2 MiB");
	EXPECT(k42_close(fd) == 0, "close\n");
	EXPECT(k42_unlink("/tmp/big") == 0, "unlink\n");
}

int main(uint64_t arg)
{
	char size[32];
	const char *tmp_argv[] = { "tmpfs", "/tmp", size, NULL };
	const char *dev_argv[] = { "tmpfs", "/dev", "dev", NULL };
	struct k42_spawn_opts o = { tmp_argv, K42_PRIO_SYSTEM, 0, 0, 0, 0 };
	int status = -1;
	long rc;

	(void)arg;
	suite_name_server(NULL);
	rc = suite_server("servers/files", "files", K42_SPAWN_SHARE_ARCHIVE);
	EXPECT(rc > 0, "file server: %ld\n", rc);
	k_snprintf(size, sizeof(size), "%lu", TMP_LIMIT);
	o.name_server = k42_name_server;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /tmp\n");
	o.argv = dev_argv;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /dev\n");
	EXPECT(k42_name_wait("mnt/tmp", &(uint64_t){ 0 }, NULL, 2000) == 0 &&
	       k42_name_wait("mnt/dev", &(uint64_t){ 0 }, NULL, 2000) == 0, "mounts registered\n");
	k42_fs_remount();
	/* (Each step says it is done: a hang shows where it stopped.) */
	k42_printf("mapfile_test: servers up\n");
	basics();
	k42_printf("mapfile_test: basics done\n");
	start_child();
	ordering();
	k42_printf("mapfile_test: ordering done\n");
	eviction();
	if (k42_write(to_child, "q\n", 2) == 2 && child > 0)
		k42_wait((uint64_t)child, &status);
	EXPECT(status == 0, "the child's status: %d\n", status);
	k42_printf("mapfile_test: 8 ordered rounds and 2 MiB through a mapping, every byte checked\n");
	return verdict("mapfile_test");
}
