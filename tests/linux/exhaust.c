/*
 * A hostile Linux program that takes every resource it can, one kind per
 * child, until the system refuses: threads, descriptors, pipes, AF_UNIX
 * socket pairs, anonymous memory (touched), brk, and the space of /tmp.
 * Each refusal must be an error Linux gives for it (EAGAIN, EMFILE,
 * ENFILE, ENOMEM, ENOSPC, EDQUOT); only a child taking memory may
 * instead be ended by the system (SIGKILL, as Linux's out-of-memory
 * killer would); nothing else may crash.
 * After each child is reaped, and at the end, the parent checks that the
 * system serves again: a file written and read back on /tmp, a pipe from
 * a child, a thread. Prints one line per resource and "exhaust: ok".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LXTEST "exhaust"
#include "lxcheck.h"

#define CAP 100000	/* stop counting here: the system did not refuse */


/* What a child reports through its pipe: how many it got, the error. */
struct took {
	long n;
	int err;
};

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

static int allowed(int err, const int *ok)
{
	for (; *ok; ok++)
		if (*ok == err)
			return 1;
	return 0;
}

static struct took take(int kind)
{
	struct took t = { 0, 0 };
	static pthread_attr_t attr;
	int p[2], fd;
	char *m;

	switch (kind) {
	case 0:		/* threads */
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 16384);
		for (; t.n < CAP; t.n++) {
			pthread_t th;
			int rc = pthread_create(&th, &attr, sleeper, NULL);

			if (rc) {
				t.err = rc;
				break;
			}
		}
		break;
	case 1:		/* descriptors */
		for (; t.n < CAP; t.n++)
			if (open("/etc/passwd", O_RDONLY) < 0) {
				t.err = errno;
				break;
			}
		break;
	case 2:		/* pipes */
		for (; t.n < CAP; t.n++)
			if (pipe(p) != 0) {
				t.err = errno;
				break;
			}
		break;
	case 3:		/* socket pairs */
		for (; t.n < CAP; t.n++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0) {
				t.err = errno;
				break;
			}
		break;
	case 4:		/* anonymous memory, 1 MiB at a time, touched */
		for (; t.n < CAP; t.n++) {
			m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED) {
				t.err = errno;
				break;
			}
			for (long i = 0; i < (1 << 20); i += 4096)
				m[i] = 1;
		}
		break;
	case 5:		/* brk, 1 MiB at a time, touched (musl's sbrk will not
			 * grow: the call itself, which answers a refusal
			 * with the old break) */
		m = (char *)syscall(SYS_brk, 0);
		for (; t.n < CAP; t.n++) {
			char *want = m + (1 << 20);

			if ((char *)syscall(SYS_brk, want) != want) {
				t.err = ENOMEM;
				break;
			}
			for (long i = 0; i < (1 << 20); i += 4096)
				m[i] = 1;
			m = want;
		}
		break;
	case 6:		/* /tmp's space, 64 KiB at a time */
		fd = open("/tmp/exhaust.fill", O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd < 0) {
			t.err = errno;
			break;
		}
		{
			static char buf[65536];

			memset(buf, 'x', sizeof(buf));
			for (; t.n < CAP; t.n++) {
				ssize_t w = write(fd, buf, sizeof(buf));

				if (w < (ssize_t)sizeof(buf)) {
					t.err = w < 0 ? errno : ENOSPC;
					break;
				}
			}
		}
		break;
	}
	return t;
}

static void still_serves(const char *after)
{
	static char out[20000], in[20000];
	int fd, p[2], st;
	pid_t c;
	pthread_t th;
	void *ret = NULL;

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13 + 1);
	fd = open("/tmp/exhaust.check", O_CREAT | O_TRUNC | O_RDWR, 0644);
	CHECK(fd >= 0, "after %s: open: %s", after, strerror(errno));
	if (fd >= 0) {
		CHECK(write(fd, out, sizeof(out)) == sizeof(out), "after %s: write", after);
		CHECK(pread(fd, in, sizeof(in), 0) == sizeof(in) && !memcmp(in, out, sizeof(in)),
		      "after %s: read back", after);
		close(fd);
		unlink("/tmp/exhaust.check");
	}
	CHECK(pipe(p) == 0, "after %s: pipe", after);
	c = fork();
	if (c == 0) {
		(void)!write(p[1], "ok", 2);
		_exit(3);
	}
	CHECK(c > 0, "after %s: fork: %s", after, strerror(errno));
	CHECK(read(p[0], in, 2) == 2 && !memcmp(in, "ok", 2), "after %s: a pipe from a child", after);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	      "after %s: the child's status", after);
	close(p[0]);
	close(p[1]);
	CHECK(pthread_create(&th, NULL, nothing, (void *)7) == 0 && pthread_join(th, &ret) == 0 &&
	      ret == (void *)7, "after %s: a thread", after);
}

int main(void)
{
	static const char *names[] = { "threads", "descriptors", "pipes", "socket pairs",
				       "MiB of mmap", "MiB of brk", "64 KiB blocks of /tmp" };
	static const int ok[][6] = {
		{ EAGAIN, ENOMEM, 0 },
		{ EMFILE, ENFILE, 0 },
		{ EMFILE, ENFILE, 0 },
		{ EMFILE, ENFILE, ENOBUFS, ENOMEM, 0 },
		{ ENOMEM, 0 },
		{ ENOMEM, 0 },
		{ ENOSPC, EDQUOT, EFBIG, 0 },
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	for (int kind = 0; kind < 7; kind++) {
		int p[2], st = 0;
		struct took t = { -1, 0 };
		pid_t c;

		CHECK(pipe(p) == 0, "pipe");
		c = fork();
		if (c == 0) {
			close(p[0]);
			t = take(kind);
			(void)!write(p[1], &t, sizeof(t));
			_exit(0);	/* everything it took goes with it */
		}
		close(p[1]);
		CHECK(c > 0, "fork: %s", strerror(errno));
		if (read(p[0], &t, sizeof(t)) != sizeof(t))
			t.n = -1;
		close(p[0]);
		CHECK(waitpid(c, &st, 0) == c, "waitpid: %s", strerror(errno));
		if (t.n < 0) {
			/* Ended before it could report: only out of memory, and
			 * only by the system (Linux's OOM kill). */
			CHECK((kind == 4 || kind == 5) && WIFSIGNALED(st) &&
			      (WTERMSIG(st) == SIGKILL || WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS),
			      "%s: the child ended with status 0x%x", names[kind], st);
			printf("exhaust: %s: ended by signal %d\n", names[kind],
			       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		} else {
			CHECK(t.n < CAP, "%s: %ld and no refusal", names[kind], t.n);
			CHECK(allowed(t.err, ok[kind]), "%s: refused with %s (%d)", names[kind],
			      strerror(t.err), t.err);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the child's status 0x%x",
			      names[kind], st);
			printf("exhaust: %ld %s, then %s\n", t.n, names[kind], strerror(t.err));
		}
		unlink("/tmp/exhaust.fill");
		still_serves(names[kind]);
	}
	if (failures)
		return 1;
	printf("exhaust: ok\n");
	return 0;
}
