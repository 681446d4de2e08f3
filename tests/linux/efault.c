/*
 * A static musl program for the Linux personality: system calls given bad
 * pointers (unmapped, kernel, and the personality's own addresses) must
 * fail with EFAULT; the program is not killed and exits 0. So must ranges
 * of the program's own mappings without the rights the call needs (a
 * read into its text or a read-only page), or in one unmapped since (the
 * personality copies directly only inside one mapping with those rights).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fails, total;

static void expect_efault(const char *what, long rc)
{
	total++;
	if (rc == -1 && errno == EFAULT)
		fails++;
	else
		printf("efault: %s gave %ld (errno %d)\n", what, rc, errno);
}

int main(void)
{
	static const long bad[] = { 0x10, (long)0xc000000000000000ul, 0xe0000000000l };
	char buf[64];
	int fd = open("/etc/motd", O_RDONLY);

	if (fd < 0) {
		printf("efault: open /etc/motd failed\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = (void *)bad[i];

		expect_efault("write", syscall(SYS_write, 1, p, 10));
		expect_efault("read", syscall(SYS_read, fd, p, 10));
		expect_efault("uname", syscall(SYS_uname, p));
		expect_efault("clock_gettime", syscall(SYS_clock_gettime, 0, p));
		expect_efault("newfstatat buf", syscall(SYS_newfstatat, AT_FDCWD, "/etc/motd", p, 0));
		expect_efault("openat path", syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
		expect_efault("getcwd", syscall(SYS_getcwd, p, 64));
		expect_efault("pipe2", syscall(SYS_pipe2, p, 0));
		expect_efault("nanosleep", syscall(SYS_nanosleep, p, 0));
		expect_efault("sysinfo", syscall(SYS_sysinfo, p));
		expect_efault("writev", syscall(SYS_writev, 1, p, 1));
		expect_efault("execve", syscall(SYS_execve, p, 0, 0));
	}
	{
		char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED || ro == MAP_FAILED) {
			printf("efault: mmap failed\n");
			return 1;
		}
		memset(m, 'x', 2 * 4096);
		munmap(m + 4096, 4096);
		expect_efault("read into text", syscall(SYS_read, fd, (void *)main, 4));
		expect_efault("read into a read-only page", syscall(SYS_read, fd, ro, 4));
		expect_efault("uname into an unmapped page", syscall(SYS_uname, m + 4096));
		if (lseek(fd, 0, SEEK_SET) != 0) {
			printf("efault: lseek failed\n");
			return 1;
		}
	}
	/* Still working afterwards. */
	if (read(fd, buf, 7) != 7 || buf[0] != 'W') {
		printf("efault: read after the bad calls failed\n");
		return 1;
	}
	printf("efault: %d calls with bad pointers gave EFAULT\n", fails);
	return fails == total ? 0 : 1;
}
