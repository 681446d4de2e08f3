/*
 * CPU time (docs/linux.md, "CPU time"): times, getrusage, the CPU-time
 * clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, and the
 * clocks of clock_getcpuclockid) and wait4's rusage, from the kernel's
 * count per process (proc_times: user and system timebase ticks, sampled
 * by the tick; "system" is time in the personality, which stands for
 * Linux's kernel).
 *
 * Children's time is Linux's: a child's own time and what it had from its
 * own reaped children are added to ours when we reap it (wait4), not
 * before, and not for children nobody waits for. A child keeps its
 * children's sum in its entry of the tree's process table (ptab.c), where
 * its parent reads it after it ended; a fork's child starts from zero,
 * execve keeps it.
 *
 * RLIMIT_CPU (ulimit -t) is watched here too (lx_cpu_limit).
 */
#include "lx.h"
#include <k42/procinfo.h>
#include <k42/timer.h>

static uint64_t child_utime, child_stime;	/* timebase ticks of reaped children */

/* Our own CPU time, timebase ticks. */
void lx_cpu_self(uint64_t *u, uint64_t *s)
{
	struct k42_proctimes t = { 0, 0 };

	k42_sc_proc_times(lx.pid, (uint64_t)&t);
	*u = t.utime_tb;
	*s = t.stime_tb;
}

void lx_cpu_children(uint64_t *u, uint64_t *s)
{
	*u = child_utime;
	*s = child_stime;
}

/* fork: the child has reaped nobody yet. */
void lx_cpu_forked(void)
{
	child_utime = child_stime = 0;
}

/* A child `pid` ended and is being reaped: its time and its children's
 * (into *u, *s) become our children's. */
void lx_cpu_reaped(uint64_t pid, uint64_t *u, uint64_t *s)
{
	struct k42_proctimes t = { 0, 0 };
	struct lx_pentry e;

	k42_sc_proc_times(pid, (uint64_t)&t);
	*u = t.utime_tb;
	*s = t.stime_tb;
	if (lx_ptab_get(pid, &e)) {
		*u += e.cutime_tb;
		*s += e.cstime_tb;
	}
	child_utime += *u;
	child_stime += *s;
	lx_ptab_cputimes(child_utime, child_stime);
}

static uint64_t tb_hz(void)
{
	static uint64_t hz;

	if (!hz)
		hz = k42_info(K42_INFO_TIMEBASE_HZ);
	return hz ? hz : 1;
}

/*
 * RLIMIT_CPU, in seconds (prlimit, sys.c): a libk42 timer goes off when
 * our CPU time could first have reached a limit (it grows no faster than
 * the clock, on one thread) and looks at it: past the hard limit, the end
 * by SIGKILL; past the soft one, SIGXCPU, and again each second, as
 * Linux's (`ulimit -t 1` sets both: a spinning `sh -c` is Killed, 137).
 * Until then nothing stopped a program computing on past its limit. A
 * fork's child starts its own count (lx_cpu_limit_forked); execve keeps
 * both the count and the timer.
 */
#define LX_SIGKILL 9
#define LX_SIGXCPU 24

static struct k42_timer cpu_tm;
static uint64_t cpu_soft = ~0ull, cpu_hard = ~0ull;

/* Ticks of CPU time a limit of secs seconds is; ~0 for none. */
static uint64_t limit_ticks(uint64_t secs)
{
	return secs >= ~0ull / tb_hz() ? ~0ull : secs * tb_hz();
}

static void cpu_check(struct k42_timer *t);

static void cpu_arm(uint64_t used)
{
	uint64_t soft = limit_ticks(cpu_soft), hard = limit_ticks(cpu_hard), next = ~0ull;

	k42_timer_cancel(&cpu_tm);
	if (soft != ~0ull)
		next = used >= soft ? tb_hz() : soft - used;
	if (hard != ~0ull && (hard > used ? hard - used : 1) < next)
		next = hard > used ? hard - used : 1;
	if (next == ~0ull)
		return;
	cpu_tm.fn = cpu_check;
	cpu_tm.deadline = k42_timebase() + next;
	k42_timer_add(&cpu_tm);
}

static void cpu_check(struct k42_timer *t)
{
	uint64_t u, s;

	(void)t;
	lx_cpu_self(&u, &s);
	if (u + s >= limit_ticks(cpu_hard))
		k42_sc_exit(0x100u | LX_SIGKILL);
	if (u + s >= limit_ticks(cpu_soft))
		lx_sig_raise_async(LX_SIGXCPU);
	cpu_arm(u + s);
}

void lx_cpu_limit(uint64_t soft, uint64_t hard)
{
	uint64_t u, s;

	cpu_soft = soft;
	cpu_hard = hard;
	lx_cpu_self(&u, &s);
	cpu_arm(u + s);
}

void lx_cpu_limit_forked(void)
{
	k42_timer_cancel(&cpu_tm);
	cpu_arm(0);
}

/* Timebase ticks as Linux's clock ticks (USER_HZ, 100 a second). */
uint64_t lx_cpu_clock_ticks(uint64_t tb)
{
	uint64_t per = tb_hz() / 100;

	return per ? tb / per : 0;
}

struct lx_timeval {
	int64_t sec, usec;
};

static struct lx_timeval tv_of(uint64_t tb)
{
	uint64_t hz = tb_hz();

	return (struct lx_timeval){ (int64_t)(tb / hz), (int64_t)((tb % hz) * 1000000ull / hz) };
}

/* struct rusage (ppc64): two timevals, then 14 longs, all zero here. */
struct lx_rusage {
	struct lx_timeval utime, stime;
	int64_t rest[14];
};

long lx_rusage_out(uint64_t uva, uint64_t u, uint64_t s)
{
	struct lx_rusage ru;

	memset(&ru, 0, sizeof(ru));
	ru.utime = tv_of(u);
	ru.stime = tv_of(s);
	return lx_copy_out(uva, &ru, sizeof(ru)) < 0 ? -LX_EFAULT : 0;
}

#define LX_RUSAGE_SELF 0
#define LX_RUSAGE_CHILDREN (-1)
#define LX_RUSAGE_THREAD 1

/* getrusage(who, usage): RUSAGE_THREAD is the process's (the kernel
 * counts dispatchers, and a process's threads share one). */
long lx_sys_getrusage(struct lx_args *a)
{
	int64_t who = (int64_t)a->a[0];
	uint64_t u, s;

	if (who == LX_RUSAGE_CHILDREN)
		lx_cpu_children(&u, &s);
	else if (who == LX_RUSAGE_SELF || who == LX_RUSAGE_THREAD)
		lx_cpu_self(&u, &s);
	else
		return -LX_EINVAL;
	return lx_rusage_out(a->a[1], u, s);
}

struct lx_tms {
	int64_t utime, stime, cutime, cstime;
};

/* times(buf): clock ticks; returns the ticks since boot. */
long lx_sys_times(struct lx_args *a)
{
	uint64_t u, s, cu, cs;
	int64_t now = (int64_t)lx_cpu_clock_ticks(k42_timebase());
	struct lx_tms t;

	lx_cpu_self(&u, &s);
	lx_cpu_children(&cu, &cs);
	t.utime = (int64_t)lx_cpu_clock_ticks(u);
	t.stime = (int64_t)lx_cpu_clock_ticks(s);
	t.cutime = (int64_t)lx_cpu_clock_ticks(cu);
	t.cstime = (int64_t)lx_cpu_clock_ticks(cs);
	if (a->a[0] && lx_copy_out(a->a[0], &t, sizeof(t)) < 0)
		return -LX_EFAULT;
	return now;
}

/* A CPU-time clock's value (clock_gettime): CLOCK_PROCESS_CPUTIME_ID (2),
 * CLOCK_THREAD_CPUTIME_ID (3), or a negative clock of
 * clock_getcpuclockid / pthread_getcpuclockid: ~pid << 3 | type, bit 2
 * for a thread's (its process's here), type 0 (user + system), 1 (user)
 * or 2 (user + system, "sched"). 1 if clk is one, with *tb set; 0 if it
 * is not a CPU clock; -LX_EINVAL for a bad one or a pid with none. */
int lx_cpu_clock(int64_t clk, uint64_t *tb)
{
	uint64_t u, s, pid;
	int type;

	if (clk == 2 || clk == 3) {
		lx_cpu_self(&u, &s);
		*tb = u + s;
		return 1;
	}
	if (clk >= 0)
		return 0;
	type = (int)(clk & 3);
	pid = (uint64_t)~(clk >> 3);
	if (type == 3)
		return -LX_EINVAL;
	if (pid == 0 || (clk & 4))	/* 0: the caller; a thread: its process */
		pid = lx.pid;
	{
		struct k42_proctimes t;

		if (pid > UINT32_MAX || k42_sc_proc_times(pid, (uint64_t)&t) < 0)
			return -LX_EINVAL;
		u = t.utime_tb;
		s = t.stime_tb;
	}
	*tb = type == 1 ? u : u + s;
	return 1;
}
