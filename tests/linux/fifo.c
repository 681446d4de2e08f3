/*
 * Named pipes on the Linux personality (a static musl program): mkfifo in
 * /tmp, POSIX open rules (a non-blocking reader opens at once, a
 * non-blocking writer with no reader gets ENXIO, a blocking open waits
 * for the other side, O_RDWR never waits, a signal ends the wait with
 * EINTR), EAGAIN, POLLIN/POLLHUP, EOF, EPIPE, 200 KiB checked byte by
 * byte between unrelated openers (each side opened the path itself),
 * PIPE_BUF writes from two writers never interleaved, ESPIPE, a fifo
 * unlinked while open, and a writer killed with SIGKILL (it closes
 * nothing): its reader still sees the end of file. One verdict line:
 * "fifo: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("fifo: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

#define F "/tmp/fifo-test"
#define BIG (200 * 1024)
static unsigned char buf[BIG];

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static int wait_ok(pid_t pid, const char *what)
{
	int st = -1;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("fifo: FAILED: %s: child status %#x\n", what, st);
		bad++;
		return 0;
	}
	return 1;
}

static void basics(void)
{
	struct stat st;
	struct pollfd p;
	int r, w;
	char c[8];

	CHECK(mkfifo(F, 0640) == 0, "mkfifo");
	CHECK(stat(F, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
	      "stat: mode %o", st.st_mode);
	CHECK(mkfifo(F, 0640) == -1 && errno == EEXIST, "second mkfifo: EEXIST");
	CHECK(mknod("/tmp/fifo-dev", S_IFCHR | 0600, 0x101) == -1 && errno == EPERM, "mknod S_IFCHR: EPERM");

	errno = 0;
	CHECK(open(F, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO, "non-blocking writer, no reader: ENXIO");
	r = open(F, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0, "non-blocking reader opens at once");
	CHECK(fstat(r, &st) == 0 && S_ISFIFO(st.st_mode), "fstat: S_IFIFO");
	CHECK(lseek(r, 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek: ESPIPE");
	CHECK(read(r, c, sizeof(c)) == 0, "read with no writer ever: end of file");
	p = (struct pollfd){ r, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 0, "poll with no writer ever: nothing (revents %#x)", p.revents);

	w = open(F, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0, "non-blocking writer with a reader opens");
	errno = 0;
	CHECK(read(r, c, sizeof(c)) == -1 && errno == EAGAIN, "empty, writer open: EAGAIN");
	CHECK(write(w, "abc", 3) == 3, "write 3");
	p = (struct pollfd){ r, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll: POLLIN (%#x)", p.revents);
	CHECK(read(r, c, sizeof(c)) == 3 && memcmp(c, "abc", 3) == 0, "read back abc");
	CHECK(write(w, "de", 2) == 2, "write 2");
	close(w);
	CHECK(read(r, c, sizeof(c)) == 2 && memcmp(c, "de", 2) == 0, "data outlives its writer");
	p = (struct pollfd){ r, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "poll after the writer went: POLLHUP (%#x)",
	      p.revents);
	CHECK(read(r, c, sizeof(c)) == 0, "end of file after the writer went");

	/* A non-blocking writer fills it (64 KiB), then EAGAIN. */
	w = open(F, O_WRONLY | O_NONBLOCK);
	{
		long total = 0, n;

		memset(buf, 'x', 4096);
		while ((n = write(w, buf, 4096)) > 0)
			total += n;
		CHECK(n == -1 && errno == EAGAIN && total == 65536, "full after %ld bytes", total);
		p = (struct pollfd){ w, POLLOUT, 0 };
		CHECK(poll(&p, 1, 0) == 0, "full: no POLLOUT (%#x)", p.revents);
		CHECK(read(r, buf, 4096) == 4096, "read 4 KiB of it");
		p = (struct pollfd){ w, POLLOUT, 0 };
		CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLOUT), "room: POLLOUT (%#x)", p.revents);
	}
	close(r);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	CHECK(write(w, "z", 1) == -1 && errno == EPIPE, "no reader: EPIPE");
	p = (struct pollfd){ w, POLLOUT, 0 };
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLERR), "no reader: POLLERR (%#x)", p.revents);
	close(w);

	/* O_RDWR never waits and reads what it wrote. */
	r = open(F, O_RDWR);
	CHECK(r >= 0 && write(r, "rw", 2) == 2 && read(r, c, 2) == 2 && memcmp(c, "rw", 2) == 0, "O_RDWR");
	close(r);
}

/* The reader opens first and waits for the writer, another process that
 * opens the path itself later; 200 KiB, each byte checked. */
static void blocking_reader(void)
{
	pid_t pid = fork();
	size_t got = 0;
	long n;
	int r;

	if (pid == 0) {
		int w;
		size_t put = 0;

		nap(150);
		if ((w = open(F, O_WRONLY)) < 0)
			_exit(2);
		for (size_t i = 0; i < BIG; i++)
			buf[i] = pattern(i);
		while (put < BIG) {
			size_t k = BIG - put < 7000 ? BIG - put : 7000;

			if ((n = write(w, buf + put, k)) <= 0)
				_exit(3);
			put += (size_t)n;
		}
		_exit(0);
	}
	r = open(F, O_RDONLY);
	CHECK(r >= 0, "blocking reader: open");
	memset(buf, 0, BIG);
	while (got < BIG && (n = read(r, buf + got, BIG - got)) > 0)
		got += (size_t)n;
	CHECK(got == BIG, "blocking reader: %zu bytes", got);
	for (size_t i = 0; i < got; i++)
		if (buf[i] != pattern(i)) {
			CHECK(0, "byte %zu is %u, not %u", i, buf[i], pattern(i));
			break;
		}
	CHECK(read(r, buf, 16) == 0, "blocking reader: end of file");
	close(r);
	wait_ok(pid, "blocking reader's writer");
}

/* The writer opens first, waits for the reader, and blocks when the fifo
 * is full until the slow reader takes bytes. */
static void blocking_writer(void)
{
	pid_t pid = fork();
	long n;
	int w;

	if (pid == 0) {
		int r;
		size_t got = 0;

		nap(150);
		if ((r = open(F, O_RDONLY)) < 0)
			_exit(2);
		nap(100);	/* the writer fills the fifo meanwhile */
		while ((n = read(r, buf + got, 5000)) > 0)
			got += (size_t)n;
		if (n < 0 || got != 150000)
			_exit(3);
		for (size_t i = 0; i < got; i++)
			if (buf[i] != pattern(i + 3))
				_exit(4);
		_exit(0);
	}
	w = open(F, O_WRONLY);
	CHECK(w >= 0, "blocking writer: open");
	for (size_t i = 0; i < 150000; i++)
		buf[i] = pattern(i + 3);
	n = write(w, buf, 150000);
	CHECK(n == 150000, "blocking writer: one write of 150000 gave %ld", n);
	close(w);
	wait_ok(pid, "blocking writer's reader");
}

/* Two writers, 4096-byte records: none is split or interleaved. */
static void atomic_records(void)
{
	pid_t pids[2];
	int r, counts[2] = { 0, 0 };
	long n;

	r = open(F, O_RDWR);	/* keep a writer so the children never see EPIPE first */
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			int w = open(F, O_WRONLY);

			memset(buf, 'a' + k, 4096);
			for (int i = 0; i < 40; i++)
				if (write(w, buf, 4096) != 4096)
					_exit(2);
			_exit(0);
		}
	}
	for (int i = 0; i < 80; i++) {
		size_t got = 0;

		while (got < 4096 && (n = read(r, buf + got, 4096 - got)) > 0)
			got += (size_t)n;
		if (got != 4096 || (buf[0] != 'a' && buf[0] != 'b')) {
			CHECK(0, "record %d: %zu bytes starting %c", i, got, buf[0]);
			break;
		}
		for (int j = 1; j < 4096; j++)
			if (buf[j] != buf[0]) {
				CHECK(0, "record %d mixes writers at byte %d", i, j);
				i = 80;
				break;
			}
		counts[buf[0] - 'a']++;
	}
	CHECK(counts[0] == 40 && counts[1] == 40, "records: %d and %d", counts[0], counts[1]);
	close(r);
	wait_ok(pids[0], "writer a");
	wait_ok(pids[1], "writer b");
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void interrupted_open(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	errno = 0;
	CHECK(open(F, O_RDONLY) == -1 && errno == EINTR, "a signal ends a blocked open: EINTR");
	alarm(0);
}

static void unlinked_while_open(void)
{
	int r = open(F, O_RDONLY | O_NONBLOCK), w = open(F, O_WRONLY);
	char c[4];

	CHECK(unlink(F) == 0, "unlink");
	CHECK(access(F, F_OK) == -1 && errno == ENOENT, "gone from /tmp");
	CHECK(write(w, "ok", 2) == 2 && read(r, c, 4) == 2 && memcmp(c, "ok", 2) == 0,
	      "unlinked fifo still carries data");
	close(w);
	close(r);
}

/* A writer killed by SIGKILL closes nothing: tmpfs finds its handle's
 * holder gone and the blocked reader gets the end of file. */
static void killed_writer(void)
{
	int r = open(F, O_RDONLY | O_NONBLOCK), st;
	char c[4];
	pid_t pid;
	long n;

	CHECK(r >= 0, "killed writer: reader");
	pid = fork();
	if (pid == 0) {
		int w = open(F, O_WRONLY);

		if (w < 0 || write(w, "k", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	{
		struct pollfd p = { r, POLLIN, 0 };

		/* No writer yet reads as the end of file: wait for its byte. */
		CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN), "killed writer: POLLIN (%#x)",
		      p.revents);
	}
	fcntl(r, F_SETFL, 0);	/* blocking from here */
	CHECK(read(r, c, 1) == 1 && c[0] == 'k', "killed writer: its byte");
	CHECK(kill(pid, SIGKILL) == 0, "kill -9 the writer");
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "the writer died by SIGKILL (%#x)", st);
	n = read(r, c, sizeof(c));
	CHECK(n == 0, "read after the writer was killed: %ld, not the end of file", n);
	close(r);
}

int main(void)
{
	unlink(F);
	basics();
	blocking_reader();
	blocking_writer();
	atomic_records();
	interrupted_open();
	killed_writer();
	unlinked_while_open();
	if (bad) {
		printf("fifo: FAILED (%d checks)\n", bad);
		return 1;
	}
	printf("fifo: ok: open rules, EAGAIN/EOF/EPIPE, poll, 200 KiB checked, atomic records, EINTR, "
	       "killed writer\n");
	return 0;
}
