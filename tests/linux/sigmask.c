/*
 * Per-thread signal masks (docs/linux.md "Signals"): each thread's
 * rt_sigprocmask is its own, and a signal sent to the process is taken by
 * a thread that does not block it. The main thread blocks SIGUSR1 and a
 * second thread does not: kill(getpid(), SIGUSR1) must run the handler on
 * the second thread, and each keeps its own mask. Then the other way
 * round with SIGUSR2. Static musl, run unmodified by the personality.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t handled_by[65];
static volatile int ready, stop, worker_tid;

static pid_t tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void on_sig(int sig)
{
	handled_by[sig] = tid();
}

static int blocked(int sig)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static int fail(const char *why)
{
	printf("sigmask: FAILED: %s\n", why);
	fflush(stdout);
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile int worker_bad;

static void *worker(void *arg)
{
	sigset_t s;

	(void)arg;
	/* Inherited: SIGUSR1 blocked (main's). Take SIGUSR1, block SIGUSR2. */
	if (!blocked(SIGUSR1))
		worker_bad = 1;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	worker_tid = tid();
	ready = 1;
	while (!stop)
		sched_yield();	/* system calls: where signals are taken */
	if (blocked(SIGUSR1) || !blocked(SIGUSR2))
		worker_bad = 1;
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	sigset_t s;
	pthread_t t;
	double t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (pthread_create(&t, NULL, worker, NULL))
		return fail("pthread_create");
	for (t0 = now(); !ready && now() - t0 < 10;)
		sched_yield();
	if (!ready)
		return fail("the worker did not start");
	if (!blocked(SIGUSR1))
		return fail("the worker's unblock changed main's mask");

	kill(getpid(), SIGUSR1);
	for (t0 = now(); !handled_by[SIGUSR1] && now() - t0 < 10;)
		sched_yield();
	if (handled_by[SIGUSR1] != worker_tid)
		return fail(handled_by[SIGUSR1] ? "SIGUSR1 ran on the thread that blocks it"
						: "SIGUSR1 never ran");

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	kill(getpid(), SIGUSR2);
	for (t0 = now(); !handled_by[SIGUSR2] && now() - t0 < 10;)
		sched_yield();
	if (handled_by[SIGUSR2] != tid())
		return fail(handled_by[SIGUSR2] ? "SIGUSR2 ran on the thread that blocks it"
						: "SIGUSR2 never ran");
	stop = 1;
	pthread_join(t, NULL);
	if (worker_bad)
		return fail("the worker's mask was not its own");
	if (blocked(SIGUSR1) || blocked(SIGUSR2))
		return fail("main's mask changed");
	printf("sigmask: ok: each thread's mask is its own; a process signal runs on a thread that takes it\n");
	fflush(stdout);
	return 0;
}
