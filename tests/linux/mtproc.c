/*
 * Process calls from a program with many threads running, where a Linux
 * personality is most easily wrong (a static musl program):
 * - fork from one of 8 busy threads, 40 times: the child has that one
 *   thread (the others' counters stand still there while it sleeps), can
 *   allocate, and exits with its status; the others go on in the parent;
 * - execve from a thread while the others run: the program is replaced
 *   (busybox's `sh -c 'exit 7'` gives status 7);
 * - exit_group from a thread while the others wait in read, nanosleep
 *   and a futex: the process ends at once with its status;
 * - 300 signals to the process, each sent when the one before was
 *   handled, are each handled once, by whichever thread.
 * Prints "mtproc: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LXTEST "mtproc"
#include "lxcheck.h"

#define THREADS 8

static volatile int stop;
static long counts[THREADS];
static volatile long handled;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *busy(void *arg)
{
	long i = (long)arg;

	while (!stop) {
		counts[i]++;
		if (counts[i] % 64 == 0)
			(void)getpid();
	}
	return NULL;
}

/* Fork from this thread; the child checks itself and exits. */
static void *forker(void *arg)
{
	(void)arg;
	for (int round = 0; round < 40; round++) {
		int st = 0;
		pid_t c = fork();

		if (c == 0) {
			/* Only this thread is here: the others' counts stand. */
			long seen[THREADS];
			char *p = malloc(100000);
			int ok = p != NULL;

			memcpy(seen, counts, sizeof(seen));
			usleep(20000);	/* others, were they here, would run */
			for (int i = 0; i < THREADS; i++)
				ok &= counts[i] == seen[i];

			if (p)
				memset(p, round, 100000);
			free(p);
			_exit(ok ? 10 + round % 50 : 1);
		}
		CHECK(c > 0, "fork %d: %s", round, strerror(errno));
		if (c > 0)
			CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 10 + round % 50,
			      "fork %d: status 0x%x", round, st);
	}
	return NULL;
}

static void fork_from_threads(void)
{
	pthread_t th[THREADS], f;
	long before[THREADS];

	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, busy, (void *)i);
	usleep(100000);
	memcpy(before, counts, sizeof(before));
	CHECK(pthread_create(&f, NULL, forker, NULL) == 0, "forker thread");
	pthread_join(f, NULL);
	for (int i = 0; i < THREADS; i++)
		CHECK(counts[i] > before[i], "thread %d stopped while another forked", i);
	stop = 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	stop = 0;
}

static void *execer(void *arg)
{
	static char sh[] = "sh", c[] = "-c", cmd[] = "exit 7";
	char *argv[] = { sh, c, cmd, NULL };

	(void)arg;
	usleep(50000);
	execv("/bin/busybox", argv);
	_exit(99);
}

static void *blocker(void *arg)
{
	long kind = (long)arg;
	int p[2];
	char c;
	struct timespec ts = { 3600, 0 };
	int word = 0;

	switch (kind % 3) {
	case 0:
		if (pipe(p) == 0)
			(void)!read(p[0], &c, 1);
		break;
	case 1:
		nanosleep(&ts, NULL);
		break;
	default:
		syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
		break;
	}
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	usleep(100000);
	syscall(SYS_exit_group, 5);
	return NULL;
}

/* Run f in a child with busy and blocked threads beside it; its status. */
static int in_child(void *(*f)(void *), long *ms)
{
	int st = -1;
	long t0 = now_ms();
	pid_t c = fork();

	if (c == 0) {
		pthread_t th;

		for (long i = 0; i < 4; i++)
			pthread_create(&th, NULL, busy, (void *)i);
		for (long i = 0; i < 6; i++)
			pthread_create(&th, NULL, blocker, (void *)i);
		pthread_create(&th, NULL, f, NULL);
		for (;;)
			pause();
	}
	while (c > 0 && waitpid(c, &st, WNOHANG) == 0 && now_ms() - t0 < 10000)
		usleep(10000);
	*ms = now_ms() - t0;
	if (c > 0 && *ms >= 10000) {
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
		return -1;
	}
	return st;
}

static void on_sig(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
}

/* Signals to the process while its threads run: each is handled once,
 * by whichever thread, before the next is sent. */
static void process_signals(void)
{
	pthread_t th[THREADS];
	struct sigaction sa;
	int sent = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, busy, (void *)i);
	for (int i = 0; i < 300; i++) {
		long want = handled + 1;

		if (kill(getpid(), SIGUSR1) != 0)
			break;
		sent++;
		for (int k = 0; k < 2000 && handled < want; k++)
			usleep(1000);
		if (handled < want)
			break;
	}
	CHECK(sent == 300 && handled == sent, "%d signals sent, %ld handled", sent, handled);
	stop = 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	stop = 0;
}

int main(void)
{
	int st;
	long ms;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("mtproc: fork from a thread beside %d busy ones\n", THREADS);
	fork_from_threads();
	printf("mtproc: execve from a thread\n");
	st = in_child(execer, &ms);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "execve from a thread: status 0x%x after %ld ms", st, ms);
	printf("mtproc: exit_group from a thread\n");
	st = in_child(exiter, &ms);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5,
	      "exit_group from a thread: status 0x%x after %ld ms", st, ms);
	printf("mtproc: signals to the process\n");
	process_signals();
	if (failures)
		return 1;
	printf("mtproc: ok\n");
	return 0;
}
