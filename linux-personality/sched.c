/*
 * Linux scheduling and resource calls for a process whose threads are
 * libk42 threads on one CPU: every thread is SCHED_OTHER with static
 * priority 0 (the only policy k42 offers Linux programs), the one CPU is
 * CPU 0, and anonymous memory is never paged out, so locking it changes
 * nothing. Nice values and I/O priorities (ionice) are kept per process
 * and reported back; they do not change k42's scheduling
 * (docs/linux-compat.md says so). getrusage is cputime.c's.
 */
#include <k42/sched.h>
#include "lx.h"

#define LX_SCHED_OTHER 0
#define LX_SCHED_FIFO 1
#define LX_SCHED_RR 2
#define LX_SCHED_BATCH 3
#define LX_SCHED_IDLE 5
#define LX_PRIO_PROCESS 0
#define LX_PRIO_PGRP 1
#define LX_PRIO_USER 2

static int nice_value;

/* Our nice value: the tree's table holds it when we have an entry there
 * (another process of the tree may renice us, ptab.c), else our own. */
int lx_nice_local(void)
{
	return nice_value;
}

static int nice_now(void)
{
	int v;

	return lx_ptab_nice(lx.pid, &v) ? v : nice_value;
}

static void nice_set(int v)
{
	nice_value = v;
	(void)lx_ptab_set_nice(lx.pid, v);
}

static int is_self(uint64_t pid)
{
	return pid == 0 || pid == lx.pid || lx_own_tid(pid);
}

/* Another process that is there: raising no bits only checks (EPERM:
 * there, but not ours to signal). */
static int exists(uint64_t pid)
{
	long rc;

	if (is_self(pid))
		return 1;
	if (pid >= (1ull << 31))
		return 0;
	rc = k42_sc_softintr_raise(pid, 0);
	return rc >= 0 || rc == -K42_EPERM;
}

long lx_sys_sched_getscheduler(struct lx_args *a)
{
	if ((int64_t)a->a[0] < 0)
		return -LX_EINVAL;
	return exists(a->a[0]) ? LX_SCHED_OTHER : -LX_ESRCH;
}

long lx_sys_sched_getparam(struct lx_args *a)
{
	int32_t prio = 0;

	if ((int64_t)a->a[0] < 0 || !a->a[1])
		return -LX_EINVAL;
	if (!exists(a->a[0]))
		return -LX_ESRCH;
	return lx_copy_out(a->a[1], &prio, sizeof(prio));
}

/* Only SCHED_OTHER (and BATCH, IDLE: the same here) with priority 0. */
static long set_param(uint64_t pid, int64_t policy, uint64_t uparam)
{
	int32_t prio;

	if ((int64_t)pid < 0 || !uparam)
		return -LX_EINVAL;
	if (lx_copy_in(&prio, uparam, sizeof(prio)) < 0)
		return -LX_EFAULT;
	if (!exists(pid))
		return -LX_ESRCH;
	if (policy == LX_SCHED_FIFO || policy == LX_SCHED_RR)
		return prio < 1 || prio > 99 ? -LX_EINVAL : -LX_EPERM;
	if ((policy != -1 && policy != LX_SCHED_OTHER && policy != LX_SCHED_BATCH &&
	     policy != LX_SCHED_IDLE) || prio != 0)
		return -LX_EINVAL;
	return 0;
}

long lx_sys_sched_setscheduler(struct lx_args *a)
{
	return set_param(a->a[0], (int64_t)(int32_t)a->a[1] & ~0x40000000ll /* RESET_ON_FORK */,
			 a->a[2]);
}

long lx_sys_sched_setparam(struct lx_args *a)
{
	return set_param(a->a[0], -1, a->a[1]);
}

long lx_sys_sched_get_priority_max(struct lx_args *a)
{
	int64_t p = (int32_t)a->a[0];

	if (p == LX_SCHED_FIFO || p == LX_SCHED_RR)
		return 99;
	return p == LX_SCHED_OTHER || p == LX_SCHED_BATCH || p == LX_SCHED_IDLE ? 0 : -LX_EINVAL;
}

long lx_sys_sched_get_priority_min(struct lx_args *a)
{
	int64_t p = (int32_t)a->a[0];

	if (p == LX_SCHED_FIFO || p == LX_SCHED_RR)
		return 1;
	return p == LX_SCHED_OTHER || p == LX_SCHED_BATCH || p == LX_SCHED_IDLE ? 0 : -LX_EINVAL;
}

/* The round-robin quantum: libk42's time slice. */
long lx_sys_sched_rr_get_interval(struct lx_args *a)
{
	int64_t ts[2] = { 0, (int64_t)(K42_SCHED_SLICE_TB * 1000000000ull /
				     k42_info(K42_INFO_TIMEBASE_HZ)) };

	if ((int64_t)a->a[0] < 0)
		return -LX_EINVAL;
	if (!exists(a->a[0]))
		return -LX_ESRCH;
	return lx_copy_out(a->a[1], ts, sizeof(ts));
}

/* One CPU: a mask must include CPU 0. */
long lx_sys_sched_setaffinity(struct lx_args *a)
{
	uint8_t first;

	if (!a->a[1])
		return -LX_EINVAL;
	if (!exists(a->a[0]))
		return -LX_ESRCH;
	if (lx_copy_in(&first, a->a[2], 1) < 0)
		return -LX_EFAULT;
	return (first & 1) ? 0 : -LX_EINVAL;
}

/* ---- nice ---- */

long lx_sys_getpriority(struct lx_args *a)
{
	int v;

	if (a->a[0] > LX_PRIO_USER)
		return -LX_EINVAL;
	if (a->a[0] == LX_PRIO_PROCESS && !exists(a->a[1]))
		return -LX_ESRCH;
	/* Another process's nice value: its entry in the tree's table, or
	 * 0 for one outside the tree. */
	if (a->a[0] == LX_PRIO_PROCESS && !is_self(a->a[1]))
		return 20 - (lx_ptab_nice(a->a[1], &v) ? v : 0);
	return 20 - nice_now();	/* the kernel's encoding: 1..40 */
}

long lx_sys_setpriority(struct lx_args *a)
{
	int64_t v = (int32_t)a->a[2];
	int nv = (int)(v < -20 ? -20 : v > 19 ? 19 : v);

	if (a->a[0] > LX_PRIO_USER)
		return -LX_EINVAL;
	if (a->a[0] == LX_PRIO_PROCESS && !exists(a->a[1]))
		return -LX_ESRCH;
	if (a->a[0] == LX_PRIO_PROCESS && !is_self(a->a[1]))
		/* root may renice any process of its tree (its table entry);
		 * one outside the tree keeps its own */
		return lx_ptab_set_nice(a->a[1], nv) ? 0 : -LX_EPERM;
	nice_set(nv);
	return 0;
}

/* ---- nice ---- */

long lx_sys_nice(struct lx_args *a)
{
	int64_t v = nice_now() + (int64_t)(int32_t)a->a[0];

	nice_set((int)(v < -20 ? -20 : v > 19 ? 19 : v));
	return 0;
}

/* ---- I/O priority (ioprio_get/set: ionice) ---- */

#define LX_IOPRIO_WHO_PROCESS 1
#define LX_IOPRIO_WHO_USER 3
static int ioprio;	/* class << 13 | data; 0: none (Linux's default) */

long lx_sys_ioprio_get(struct lx_args *a)
{
	if (a->a[0] < LX_IOPRIO_WHO_PROCESS || a->a[0] > LX_IOPRIO_WHO_USER)
		return -LX_EINVAL;
	if (a->a[0] == LX_IOPRIO_WHO_PROCESS && !exists(a->a[1]))
		return -LX_ESRCH;
	return a->a[0] == LX_IOPRIO_WHO_PROCESS && is_self(a->a[1]) ? ioprio : 0;
}

long lx_sys_ioprio_set(struct lx_args *a)
{
	uint64_t v = a->a[2], cls = (v >> 13) & 7, data = v & 0x1fff;

	if (a->a[0] < LX_IOPRIO_WHO_PROCESS || a->a[0] > LX_IOPRIO_WHO_USER || cls > 3 ||
	    (cls && cls < 3 && data > 7) || v >> 16)
		return -LX_EINVAL;
	if (a->a[0] == LX_IOPRIO_WHO_PROCESS && !exists(a->a[1]))
		return -LX_ESRCH;
	if (a->a[0] != LX_IOPRIO_WHO_PROCESS || !is_self(a->a[1]))
		return -LX_EPERM;	/* another process keeps its own */
	ioprio = (int)(cls == 3 ? cls << 13 : v);
	return 0;
}

/* syslog (klogctl: dmesg): the kernel's log is not offered to Linux
 * programs; EPERM, as Linux with dmesg_restrict gives an unprivileged
 * reader (so dmesg says so instead of printing nothing). */
long lx_sys_syslog(struct lx_args *a)
{
	return (int64_t)a->a[0] < 0 || a->a[0] > 10 ? -LX_EINVAL : -LX_EPERM;
}

/* ---- memory locking: nothing is ever paged out ---- */

long lx_sys_mlock(struct lx_args *a)
{
	return a->a[0] >= LX_USER_LIMIT ? -LX_ENOMEM : 0;
}

long lx_sys_munlock(struct lx_args *a)
{
	return lx_sys_mlock(a);
}

long lx_sys_mlockall(struct lx_args *a)
{
	return (a->a[0] & ~7ull) || !a->a[0] ? -LX_EINVAL : 0;
}

long lx_sys_munlockall(struct lx_args *a)
{
	(void)a;
	return 0;
}

/* ---- ids: one user, root ---- */

static long only_root(uint64_t id)
{
	uint32_t v = (uint32_t)id;

	return v == 0 || v == 0xffffffffu ? 0 : -LX_EPERM;
}

long lx_sys_setreuid(struct lx_args *a)
{
	long rc = only_root(a->a[0]);

	return rc < 0 ? rc : only_root(a->a[1]);
}

long lx_sys_setregid(struct lx_args *a)
{
	return lx_sys_setreuid(a);
}

long lx_sys_setresuid(struct lx_args *a)
{
	long rc = only_root(a->a[0]);

	if (rc == 0)
		rc = only_root(a->a[1]);
	return rc < 0 ? rc : only_root(a->a[2]);
}

long lx_sys_setresgid(struct lx_args *a)
{
	return lx_sys_setresuid(a);
}

/* personality(persona): kept as given (fork and execve keep it) and the
 * old one returned; 0xffffffff only asks. As Linux on ppc64, PER_LINUX32
 * (linux32) stays over a plain PER_LINUX and is answered as PER_LINUX,
 * and it makes uname's machine "ppcle". No other flag changes anything
 * here (ADDR_NO_RANDOMIZE: nothing is randomized anyway). */
#define LX_PER_MASK 0xffu
#define LX_PER_LINUX32 8u

static uint32_t persona;

long lx_sys_personality(struct lx_args *a)
{
	uint32_t p = (uint32_t)a->a[0], old = persona;

	if (p != 0xffffffffu) {
		if ((persona & LX_PER_MASK) == LX_PER_LINUX32 && (p & LX_PER_MASK) == 0)
			p = (p & ~LX_PER_MASK) | LX_PER_LINUX32;
		persona = p;
	}
	if ((old & LX_PER_MASK) == LX_PER_LINUX32)
		old &= ~LX_PER_MASK;
	return (long)old;
}

int lx_persona_linux32(void)
{
	return (persona & LX_PER_MASK) == LX_PER_LINUX32;
}
