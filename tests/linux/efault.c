/*
 * A static musl program for the Linux personality: system calls given bad
 * pointers (unmapped, kernel, and the personality's own addresses) must
 * fail with EFAULT; the program is not killed and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
	/* Still working afterwards. */
	if (read(fd, buf, 7) != 7 || buf[0] != 'W') {
		printf("efault: read after the bad calls failed\n");
		return 1;
	}
	printf("efault: %d calls with bad pointers gave EFAULT\n", fails);
	return fails == total ? 0 : 1;
}
