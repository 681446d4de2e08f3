/*
 * ldisk: the Linux side of ./k42 bench's disk rows, the same work as k42's
 * bench/k42/diskbench.c on the same ext2 image (tools/bench.py makes it),
 * run by the initramfs /init after it loaded the virtio and ext4 modules
 * and mounted /dev/vda at /mnt (Linux's ext4 driver serves ext2):
 *
 *   disk_write_4k   a FILE_MIB MiB file written in 4 KiB writes, then fsync
 *   disk_read_4k    read back in 4 KiB reads, after the page cache was
 *                   dropped (echo 3 > /proc/sys/vm/drop_caches), so the
 *                   reads reach the disk as k42's do
 *   disk_create     NFILES files: open(O_CREAT|O_EXCL), 1 KiB write,
 *                   close; then sync() (k42's ext2 writes through)
 *   disk_unlink     the same files unlinked; then sync()
 *
 * Every write and read is checked (the same pattern as diskbench). Output:
 *   LDISK <name>_ticks_per_op T     (timebase ticks, 512 MHz)
 *   LDISK done                      or LDISK error <what>: <errno text>
 * then the machine powers off. Sizes come from the kernel command line
 * (init's environment): ldisk_mib=, ldisk_files=.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t buf[4096];

static inline uint64_t tb(void)
{
	uint64_t t;

	__asm__ __volatile__("mftb %0" : "=r"(t) : : "memory");
	return t;
}

static void die(const char *what)
{
	printf("LDISK error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	reboot(RB_POWER_OFF);
	exit(1);
}

static void fill(uint32_t i)
{
	for (uint32_t k = 0; k < sizeof(buf); k += 8)
		memcpy(buf + k, &(uint64_t){ (uint64_t)i << 32 | k }, 8);
}

static long env(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : dflt;
}

static void report(const char *name, uint64_t ticks, long ops)
{
	printf("LDISK %s_ticks_per_op %lu.%03lu\n", name, (unsigned long)(ticks / ops),
	       (unsigned long)(ticks % ops * 1000 / ops));
}

int main(void)
{
	long ops = env("ldisk_mib", 64) * 256, files = env("ldisk_files", 500);
	uint64_t t0, t;
	char name[64];
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = open("/mnt/bench", O_CREAT | O_TRUNC | O_RDWR, 0644)) < 0)
		die("create /mnt/bench");
	t0 = tb();
	for (long i = 0; i < ops; i++) {
		fill((uint32_t)i);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	}
	if (fsync(fd) < 0)
		die("fsync");
	t = tb() - t0;
	report("disk_write_4k", t, ops);
	close(fd);
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		die("drop_caches");
	close(fd);
	if ((fd = open("/mnt/bench", O_RDONLY)) < 0)
		die("open /mnt/bench");
	t0 = tb();
	for (long i = 0; i < ops; i++) {
		uint64_t v;

		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("read");
		memcpy(&v, buf + 4088, 8);
		if (v != ((uint64_t)i << 32 | 4088)) {
			errno = EIO;
			die("read: wrong data");
		}
	}
	t = tb() - t0;
	report("disk_read_4k", t, ops);
	close(fd);
	if (unlink("/mnt/bench") < 0 || mkdir("/mnt/small", 0755) < 0)
		die("unlink /mnt/bench or mkdir /mnt/small");
	sync();
	memset(buf, 'k', 1024);
	t0 = tb();
	for (long i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "/mnt/small/f%ld", i);
		if ((fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0)
			die("create small file");
		if (write(fd, buf, 1024) != 1024)
			die("write small file");
		close(fd);
	}
	sync();
	t = tb() - t0;
	report("disk_create", t, files);
	t0 = tb();
	for (long i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "/mnt/small/f%ld", i);
		if (unlink(name) < 0)
			die("unlink small file");
	}
	sync();
	t = tb() - t0;
	report("disk_unlink", t, files);
	printf("LDISK done\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
