/*
 * Helper of fsys_test and pipe_test: `worker N` creates, writes, renames
 * and deletes files in /tmp; `sink` reads fd 0 to the end and writes the
 * byte count and checksum to fd 1; `echo` copies fd 0 to fd 1 until end
 * of file; `poller` polls fd 0 forever and reports what it saw on fd 1;
 * `block` waits forever (for the shell's ^C test, and as a pipe end's
 * holder that gets killed); `flood` writes fd 1 until an error and exits
 * 0 if that error is EPIPE.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <lib/fmt.h>
#include <stdlib.h>

static uint64_t sum_bytes(uint64_t s, const uint8_t *b, long n)
{
	for (long i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static int worker(int id)
{
	char dir[64], a[96], b[96], buf[64];
	int fd;

	k_snprintf(dir, sizeof(dir), "/tmp/w%d", id);
	int rc = k42_mkdir(dir, 0755);

	if (rc < 0) {
		k42_printf("worker %d: mkdir %s: %s\n", id, dir, k42_strerror(rc));
		return 10;
	}
	for (int round = 0; round < 5; round++) {
		int n;

		k_snprintf(a, sizeof(a), "%s/tmp%d", dir, round);
		k_snprintf(b, sizeof(b), "%s/file%d", dir, round);
		if ((fd = k42_open(a, K42_O_CREAT | K42_O_EXCL | K42_O_WRONLY, 0644)) < 0)
			return 11;
		n = k_snprintf(buf, sizeof(buf), "worker %d round %d", id, round);
		if (k42_write(fd, buf, (size_t)n) != n || k42_close(fd) < 0)
			return 12;
		if ((rc = k42_rename(a, b)) < 0) {
			k42_printf("worker %d: rename %s %s: %s\n", id, a, b, k42_strerror(rc));
			return 13;
		}
		if (round % 2 && k42_unlink(b) < 0)
			return 14;
	}
	return 0;
}

static int sink(void)
{
	static uint8_t buf[16384];
	uint64_t total = 0, s = 0;
	char out[64];
	long n;

	while ((n = k42_read(0, buf, sizeof(buf))) > 0) {
		s = sum_bytes(s, buf, n);
		total += (uint64_t)n;
	}
	if (n < 0)
		return 20;
	n = k_snprintf(out, sizeof(out), "%lu %lu", total, s);
	return k42_write(1, out, (size_t)n) == n ? 0 : 21;
}

static int echo(void)
{
	static uint8_t buf[4096];
	long n;

	while ((n = k42_read(0, buf, sizeof(buf))) > 0)
		if (k42_write(1, buf, (size_t)n) != n)
			return 31;
	return n < 0 ? 30 : 0;
}

static int poller(void)
{
	struct k42_pollfd p = { 0, K42_POLLIN, 0 };
	int n = k42_poll(&p, 1, -1);
	char out[32];

	/* 'y' and how often the poll's thread woke: once, for the data. */
	n = k_snprintf(out, sizeof(out), "%c %lu", n == 1 && (p.revents & K42_POLLIN) ? 'y' : 'n',
		       k42_io_wakeups);
	return k42_write(1, out, (size_t)n) == n ? 0 : 40;
}

/* Block forever in poll on a pipe nobody writes: the ^C test's job. */
static int block(void)
{
	struct k42_pollfd p;
	int fds[2];

	if (k42_pipe(fds) < 0)
		return 50;
	p = (struct k42_pollfd){ fds[0], K42_POLLIN, 0 };
	if (k42_argc > 2 && strcmp(k42_argv[2], "say") == 0)
		k42_printf("fsys_child %lu: blocked\n", (uint64_t)k42_sc_sys_info(K42_INFO_PID));
	return k42_poll(&p, 1, -1) == 0 ? 51 : 52;
}

static int flood(void)
{
	static uint8_t buf[4096];
	long n;

	while ((n = k42_write(1, buf, sizeof(buf))) > 0)
		;
	return n == -K42_EPIPE ? 0 : 60;
}

int main(uint64_t arg)
{
	(void)arg;
	if (k42_argc > 2 && strcmp(k42_argv[1], "worker") == 0)
		return worker((int)strtoul(k42_argv[2], NULL, 10));
	if (k42_argc > 1 && strcmp(k42_argv[1], "sink") == 0)
		return sink();
	if (k42_argc > 1 && strcmp(k42_argv[1], "echo") == 0)
		return echo();
	if (k42_argc > 1 && strcmp(k42_argv[1], "poller") == 0)
		return poller();
	if (k42_argc > 1 && strcmp(k42_argv[1], "block") == 0)
		return block();
	if (k42_argc > 1 && strcmp(k42_argv[1], "flood") == 0)
		return flood();
	return 99;
}
