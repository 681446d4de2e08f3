/*
 * Blocking calls on the Linux personality stop only their own thread, as
 * a static musl program with pthreads: a thread blocked in read() on an
 * empty pipe, one in poll(), one in nanosleep() and one in read() on the
 * tty, each while the main thread goes on making system calls (and, for
 * the pipe and poll, wakes the blocked thread by writing). A watchdog
 * alarm (SIGALRM without SA_RESTART) ends a read that held up the whole
 * process, which the checks then report. One verdict line
 * ("blockio: ok ..."); exit 0 only if all of it held.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;
static atomic_int ready, done;
static long result;
static int result_errno;
static char got[32];
static int pipe_a[2], pipe_b[2];

#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond)) {                            \
			printf("blockio: FAILED: " __VA_ARGS__); \
			printf("\n");                     \
			failures++;                       \
		}                                         \
	} while (0)

static void on_alarm(int sig)
{
	(void)sig;
}

static void start(void *(*fn)(void *), pthread_t *t)
{
	atomic_store(&ready, 0);
	atomic_store(&done, 0);
	result = 0;
	result_errno = 0;
	if (pthread_create(t, NULL, fn, NULL) != 0) {
		printf("blockio: FAILED: pthread_create\n");
		failures++;
		return;
	}
	while (!atomic_load(&ready))
		sched_yield();
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* getppid calls the main thread makes while another waits; returns
 * how many it made before the other finished or `max` were made. */
static long busy(long max)
{
	long n = 0;

	while (n < max && !atomic_load(&done)) {
		getppid();
		n++;
	}
	return n;
}

static void *pipe_reader(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = read(pipe_a[0], got, sizeof(got));
	result_errno = errno;
	atomic_store(&done, 1);
	return NULL;
}

static void *poller(void *arg)
{
	struct pollfd p = { .fd = pipe_b[0], .events = POLLIN };

	(void)arg;
	atomic_store(&ready, 1);
	result = poll(&p, 1, 10000);
	result_errno = p.revents;
	atomic_store(&done, 1);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	msleep(300);
	atomic_store(&done, 1);
	return NULL;
}

static void *tty_reader(void *arg)
{
	char c;

	(void)arg;
	atomic_store(&ready, 1);
	result = read(0, &c, 1);	/* nobody types: never returns */
	atomic_store(&done, 1);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t t;
	long calls;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a held-up read ends */
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(pipe_a) < 0 || pipe(pipe_b) < 0) {
		printf("blockio: FAILED: pipe\n");
		return 1;
	}
	alarm(20);

	/* 1. read() on an empty pipe in one thread; the main thread makes
	 * calls, sleeps, and then writes what the reader gets. */
	start(pipe_reader, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "pipe read returned %ld (errno %d) before anything was written",
	      result, result_errno);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while the reader waited", calls);
	CHECK(write(pipe_a[1], "hello", 5) == 5, "write to the pipe");
	pthread_join(t, NULL);
	CHECK(result == 5 && memcmp(got, "hello", 5) == 0, "reader got %ld bytes (errno %d)", result,
	      result_errno);

	/* 2. poll() with a 10 s timeout in one thread; the main thread's
	 * write ends it. */
	start(poller, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "poll returned %ld before anything was written", result);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while the poller waited", calls);
	CHECK(write(pipe_b[1], "x", 1) == 1, "write to the second pipe");
	pthread_join(t, NULL);
	CHECK(result == 1 && (result_errno & POLLIN), "poll gave %ld, revents 0x%x", result,
	      result_errno);

	/* 3. nanosleep() of 300 ms in one thread; the main thread keeps
	 * making calls all along. */
	start(sleeper, &t);
	calls = busy(1000000000L);
	pthread_join(t, NULL);
	CHECK(calls >= 100, "main thread made only %ld calls while another slept 300 ms", calls);

	/* 4. read() on the tty, which nobody answers; the main thread goes
	 * on and ends the process with the reader still waiting. */
	start(tty_reader, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "tty read returned %ld", result);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while the tty reader waited", calls);
	alarm(0);

	if (failures) {
		printf("blockio: FAILED: %d checks\n", failures);
		return 1;
	}
	printf("blockio: ok: pipe read, poll, nanosleep and tty read each blocked only their thread\n");
	return 0;	/* exit_group: the tty reader ends with the process */
}
