/*
 * busybox timeout's shape on the Linux personality (a static musl
 * program): the process forks a child that forks a grandchild and ends;
 * the grandchild (reparented, in a session of its own: setsid) sleeps
 * 1 s at a time and checks its grandparent with kill(pid, 0), as
 * timeout's watcher does, while the grandparent goes on working. Each of
 * the watcher's sleeps must last its second and the grandparent must
 * make progress through all of them. Like timeout, the watcher counts
 * its seconds in a double held across both forks in a nonvolatile FP
 * register (f31): a fork must keep the caller's FP registers. One
 * verdict line: "watcher: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The watcher: ROUNDS sleeps of 1 s, each checked, then SIGUSR1 to the
 * grandparent (its verdict: every sleep lasted; else SIGUSR2). */
static void watch(pid_t parent, int fd, double left)
{
	int ok = 1, i = 0;

	setsid();
	if (left != ROUNDS) {
		dprintf(fd, "watcher: FAILED: the duration across fork is %g, not %d\n", left, ROUNDS);
		ok = 0;
	}
	for (; left > 0 && i < 10; i++, left -= 1) {
		struct timespec ts = { 1, 0 };
		double t0 = now(), dt;
		int rc = nanosleep(&ts, NULL), e = errno;

		dt = now() - t0;
		if (rc != 0 || dt < 0.95) {
			dprintf(fd, "watcher: FAILED: sleep %d: rc %d errno %d after %.3f s\n", i, rc, e, dt);
			ok = 0;
		}
		if (kill(parent, 0) != 0) {
			dprintf(fd, "watcher: FAILED: kill(%d, 0): errno %d\n", (int)parent, errno);
			ok = 0;
		}
	}
	kill(parent, ok ? SIGUSR1 : SIGUSR2);
	_exit(0);
}

/* Junk in the nonvolatile FP registers while the caller waits (a
 * child's first run may find the registers as its parent left them
 * live; the fork must hand it those of the fork), then waitpid or a
 * 100 ms sleep; the compiler saves and restores f14-f31 around it. */
static __attribute__((noinline)) pid_t junk_wait(pid_t pid, int *st)
{
	double junk = 12345.5;
	pid_t w = 0;

	__asm__ volatile("fmr 14,%0\n\tfmr 15,%0\n\tfmr 16,%0\n\tfmr 17,%0\n\tfmr 18,%0\n\t"
			 "fmr 19,%0\n\tfmr 20,%0\n\tfmr 21,%0\n\tfmr 22,%0\n\tfmr 23,%0\n\t"
			 "fmr 24,%0\n\tfmr 25,%0\n\tfmr 26,%0\n\tfmr 27,%0\n\tfmr 28,%0\n\t"
			 "fmr 29,%0\n\tfmr 30,%0\n\tfmr 31,%0"
			 : : "d"(junk)
			 : "fr14", "fr15", "fr16", "fr17", "fr18", "fr19", "fr20", "fr21", "fr22",
			   "fr23", "fr24", "fr25", "fr26", "fr27", "fr28", "fr29", "fr30", "fr31");
	if (pid > 0) {
		w = waitpid(pid, st, 0);
	} else {
		struct timespec ts = { 0, 100 * 1000000 };

		nanosleep(&ts, NULL);
	}
	return w;
}

static volatile sig_atomic_t verdict;

static void on_sig(int sig)
{
	verdict = sig;
}

/* left lives in f31 across vfork on purpose (the child reads it). */
#pragma GCC diagnostic ignored "-Wclobbered"
static volatile double rounds = ROUNDS;

int main(void)
{
	register double left __asm__("fr31") = rounds;
	pid_t parent = getpid(), pid;
	long steps = 0;
	double t0, last, gap = 0;
	int st;

	signal(SIGUSR1, on_sig);
	signal(SIGUSR2, on_sig);
	setvbuf(stdout, NULL, _IONBF, 0);
	t0 = last = now();
	__asm__ volatile("" : "+d"(left));
	pid = vfork();	/* as busybox: the child only forks and ends */
	if (pid < 0) {
		printf("watcher: FAILED: fork: errno %d\n", errno);
		return 1;
	}
	if (pid == 0) {
		pid_t g;
		int fd = open("/dev/null", O_RDWR);

		g = fork();
		if (g == 0) {
			dup2(fd, 0);
			close(fd);
		}
		__asm__ volatile("" : "+d"(left));
		if (g == 0)
			watch(parent, 1, left);
		junk_wait(0, NULL);
		_exit(g < 0 ? 1 : 0);
	}
	if (junk_wait(pid, &st) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("watcher: FAILED: child status 0x%x\n", st);
		return 1;
	}
	/* Work (short sleeps) until the verdict, at most 10 s; no step may
	 * take more than half a second. */
	while (!verdict && now() - t0 < 10) {
		struct timespec ts = { 0, 50 * 1000000 };
		double t;

		nanosleep(&ts, NULL);
		t = now();
		if (t - last > gap)
			gap = t - last;
		last = t;
		steps++;
	}
	__asm__ volatile("" : "+d"(left));
	if (left != ROUNDS)
		printf("watcher: FAILED: the parent's f31 is %g after fork\n", left);
	else if (verdict == SIGUSR1 && gap < 0.5 && now() - t0 >= ROUNDS - 0.1) {
		printf("watcher: ok: %d sleeps of 1 s, %ld steps meanwhile\n", ROUNDS, steps);
		return 0;
	}
	printf("watcher: FAILED: verdict %d after %.3f s, %ld steps, longest %.3f s\n", (int)verdict,
	       now() - t0, steps, gap);
	return 1;
}
