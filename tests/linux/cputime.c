/*
 * CPU time on the Linux personality (a static musl program): the kernel's
 * count per process (proc_times, sampled by the 100 Hz tick) through
 * clock_gettime(CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID),
 * times, getrusage, wait4's rusage, a child's clock_getcpuclockid clock
 * and /proc/PID/stat. A spin of 300 ms of wall clock must show at least
 * 100 ms of CPU time, and never more than the wall clock; a sleep must
 * add little; a child's time reaches the parent only once it is reaped.
 * One verdict line: "cputime: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("cputime: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

static double secs(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return -1;
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

/* Burn the CPU for `s` seconds of wall clock. */
static void spin(double s)
{
	double end = secs(CLOCK_MONOTONIC) + s;

	while (secs(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * 7;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + t.tv_usec / 1e6;
}

/* utime + stime of /proc/PID/stat, in seconds (-1: unreadable). */
static double proc_stat_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')))
		return -1;
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (ut + st) / 100.0;
}

int main(void)
{
	double w0, w1, c0, c1, t0, t1;
	struct rusage ru;
	struct tms tm;
	clockid_t cc;
	int status;
	pid_t pid;

	/* A spin: CPU time grows about as much as the wall clock. */
	w0 = secs(CLOCK_MONOTONIC);
	c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
	t0 = secs(CLOCK_THREAD_CPUTIME_ID);
	spin(0.3);
	w1 = secs(CLOCK_MONOTONIC);
	c1 = secs(CLOCK_PROCESS_CPUTIME_ID);
	t1 = secs(CLOCK_THREAD_CPUTIME_ID);
	CHECK(c0 >= 0 && c1 - c0 >= 0.1, "a 300 ms spin took %.3f s of process CPU time", c1 - c0);
	CHECK(c1 - c0 <= (w1 - w0) + 0.021, "CPU time %.3f s over wall clock %.3f s", c1 - c0, w1 - w0);
	CHECK(t1 - t0 >= 0.1, "a 300 ms spin took %.3f s of thread CPU time", t1 - t0);

	/* A sleep adds little. */
	c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
	usleep(300000);
	c1 = secs(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(c1 - c0 < 0.15, "a 300 ms sleep took %.3f s of CPU time", c1 - c0);

	CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && tv(ru.ru_utime) + tv(ru.ru_stime) >= 0.1,
	      "getrusage(SELF) %.3f s", tv(ru.ru_utime) + tv(ru.ru_stime));
	CHECK(times(&tm) != (clock_t)-1 && tm.tms_utime + tm.tms_stime >= 10,
	      "times: %ld + %ld ticks", (long)tm.tms_utime, (long)tm.tms_stime);
	CHECK(tm.tms_cutime == 0 && tm.tms_cstime == 0, "children's time before any child");
	CHECK(proc_stat_cpu(getpid()) >= 0.1, "/proc/self/stat: %.2f s", proc_stat_cpu(getpid()));

	/* A child spins 300 ms; nothing reaches us until we reap it. */
	pid = fork();
	if (pid == 0) {
		spin(0.3);
		_exit(0);
	}
	CHECK(pid > 0, "fork");
	usleep(200000);
	CHECK(clock_getcpuclockid(pid, &cc) == 0, "clock_getcpuclockid");
	CHECK(secs(cc) >= 0.05, "the running child's clock: %.3f s", secs(cc));
	CHECK(proc_stat_cpu(pid) >= 0.05, "/proc/child/stat: %.2f s", proc_stat_cpu(pid));
	CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0 && tv(ru.ru_utime) + tv(ru.ru_stime) == 0,
	      "children's time before the reap: %.3f s", tv(ru.ru_utime) + tv(ru.ru_stime));
	CHECK(wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status), "wait4");
	CHECK(tv(ru.ru_utime) + tv(ru.ru_stime) >= 0.1, "wait4's rusage: %.3f s",
	      tv(ru.ru_utime) + tv(ru.ru_stime));
	CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0 && tv(ru.ru_utime) + tv(ru.ru_stime) >= 0.1,
	      "getrusage(CHILDREN) after the reap: %.3f s", tv(ru.ru_utime) + tv(ru.ru_stime));
	CHECK(times(&tm) != (clock_t)-1 && tm.tms_cutime + tm.tms_cstime >= 10,
	      "times' children: %ld + %ld ticks", (long)tm.tms_cutime, (long)tm.tms_cstime);

	/* A grandchild's time reaches us through the child that reaped it. */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();

		if (g == 0) {
			spin(0.3);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	{
		struct rusage before;

		getrusage(RUSAGE_CHILDREN, &before);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0 &&
		      tv(ru.ru_utime) + tv(ru.ru_stime) - tv(before.ru_utime) - tv(before.ru_stime) >= 0.1,
		      "a grandchild's time through its parent: %.3f s",
		      tv(ru.ru_utime) + tv(ru.ru_stime) - tv(before.ru_utime) - tv(before.ru_stime));
	}
	errno = 0;
	CHECK(getrusage(7, &ru) == -1 && errno == EINVAL, "getrusage(7): EINVAL");

	if (bad)
		return 1;
	printf("cputime: ok: clocks, times, getrusage, wait4 rusage, a child's clock, /proc stat\n");
	return 0;
}
