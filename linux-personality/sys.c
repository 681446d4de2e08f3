/*
 * Linux calls about the process and the system that need no server:
 * identity (one user, root), uname, limits, time from the timebase,
 * random bytes, and the thread-library hooks glibc and musl call at
 * start-up (set_tid_address, set_robust_list, prctl).
 */
#include "lx.h"
#include <k42/fs.h>

long lx_sys_getpid(struct lx_args *a)
{
	(void)a;
	return (long)lx.pid;
}

long lx_sys_getppid(struct lx_args *a)
{
	(void)a;
	return (long)lx.ppid;
}

/* One user: everything runs as root (uid 0, gid 0). */
long lx_sys_getuid(struct lx_args *a) { (void)a; return 0; }
long lx_sys_geteuid(struct lx_args *a) { (void)a; return 0; }
long lx_sys_getgid(struct lx_args *a) { (void)a; return 0; }
long lx_sys_getegid(struct lx_args *a) { (void)a; return 0; }

static long set_id(uint64_t id)
{
	return id == 0 || id == (uint64_t)-1 || id == 0xffffffffu ? 0 : -LX_EPERM;
}

long lx_sys_setuid(struct lx_args *a) { return set_id(a->a[0]); }
long lx_sys_setgid(struct lx_args *a) { return set_id(a->a[0]); }

long lx_sys_getresuid(struct lx_args *a)
{
	uint32_t z = 0;

	for (int i = 0; i < 3; i++)
		if (lx_copy_out(a->a[i], &z, sizeof(z)) < 0)
			return -LX_EFAULT;
	return 0;
}

long lx_sys_getresgid(struct lx_args *a)
{
	return lx_sys_getresuid(a);
}

long lx_sys_getgroups(struct lx_args *a)
{
	(void)a;
	return 0;
}

/* Root's groups may be none or root's own; any other is a change of
 * user, which k42's one user cannot make (EPERM, as setuid). */
long lx_sys_setgroups(struct lx_args *a)
{
	uint32_t g;

	if (a->a[0] > 65536)
		return -LX_EINVAL;
	for (uint64_t i = 0; i < a->a[0]; i++) {
		if (lx_copy_in(&g, a->a[1] + 4 * i, sizeof(g)) < 0)
			return -LX_EFAULT;
		if (g != 0)
			return -LX_EPERM;
	}
	return 0;
}

long lx_sys_getpgid(struct lx_args *a)
{
	return a->a[0] == 0 || a->a[0] == lx.pid ? (long)lx.pgid : (long)a->a[0];
}

long lx_sys_getpgrp(struct lx_args *a)
{
	(void)a;
	return (long)lx.pgid;
}

long lx_sys_setpgid(struct lx_args *a)
{
	if (a->a[0] == 0 || a->a[0] == lx.pid)
		lx.pgid = a->a[1] ? a->a[1] : lx.pid;
	lx_ptab_publish();
	return 0;
}

long lx_sys_getsid(struct lx_args *a)
{
	(void)a;
	return (long)lx.sid;
}

long lx_sys_setsid(struct lx_args *a)
{
	(void)a;
	lx.sid = lx.pgid = lx.pid;
	lx_ptab_publish();
	return (long)lx.pid;
}

long lx_sys_set_robust_list(struct lx_args *a)
{
	if (a->a[1] != 24)
		return -LX_EINVAL;
	lx.robust_list = a->a[0];
	return 0;
}

#define LX_PR_GET_DUMPABLE 3
#define LX_PR_SET_DUMPABLE 4
#define LX_PR_GET_KEEPCAPS 7
#define LX_PR_SET_NAME 15
#define LX_PR_GET_NAME 16
#define LX_PR_GET_NO_NEW_PRIVS 39
#define LX_PR_SET_NO_NEW_PRIVS 38

/* Flags prctl keeps for the process (fork and execve keep them, as
 * Linux's no_new_privs; nothing here gains privileges at execve anyway). */
static int no_new_privs, dumpable = 1;

long lx_sys_prctl(struct lx_args *a)
{
	switch (a->a[0]) {
	case LX_PR_SET_NAME: {
		/* The thread's name; the main thread's is the process's, which
		 * /proc's comm, stat and status and ps show (busybox names a
		 * forked applet it runs without execve this way). */
		char name[16] = { 0 };

		if (lx_copy_in(name, a->a[1], 15) < 0)
			return -LX_EFAULT;
		memcpy(lx.comm, name, sizeof(name));
		if (lx_gettid() == lx.pid)
			k42_sc_proc_rename(lx.pid, (uint64_t)name, strlen(name) ? strlen(name) : 1);
		return 0;
	}
	case LX_PR_GET_NAME:
		return lx_copy_out(a->a[1], lx.comm, 16);
	case LX_PR_SET_NO_NEW_PRIVS:	/* once set, for good */
		if (a->a[1] != 1 || a->a[2] || a->a[3] || a->a[4])
			return -LX_EINVAL;
		no_new_privs = 1;
		return 0;
	case LX_PR_GET_NO_NEW_PRIVS:
		return a->a[1] || a->a[2] || a->a[3] || a->a[4] ? -LX_EINVAL : no_new_privs;
	case LX_PR_SET_DUMPABLE:	/* (no core files are written) */
		if (a->a[1] > 1)
			return -LX_EINVAL;
		dumpable = (int)a->a[1];
		return 0;
	case LX_PR_GET_DUMPABLE:
		return dumpable;
	case LX_PR_GET_KEEPCAPS:
		return 0;
	default: {
		long rc = lx_caps_prctl(a);	/* the capability sets (caps.c) */

		return rc == -LX_ENOSYS ? -LX_EINVAL : rc;
	}
	}
}

/* uname's fields, also /proc/sys/kernel's (procsys.c). */
const struct lx_utsname lx_uts = {
	"Linux", "k42", "6.1.0-k42", "#1 k42 Linux personality", "ppc64le", "(none)",
};

/* uname's fields now: the tree's names once a process set them. */
void lx_uts_now(struct lx_utsname *u)
{
	*u = lx_uts;
	lx_ptab_uts_get(0, u->nodename);
	lx_ptab_uts_get(1, u->domainname);
}

/* sethostname / setdomainname: as Linux's, EPERM without CAP_SYS_ADMIN
 * in the effective set comes before any check of the arguments. */
static long set_uts(int which, struct lx_args *a)
{
	char name[64];
	uint64_t len = a->a[1];

	if (!lx_capable(LX_CAP_SYS_ADMIN))
		return -LX_EPERM;
	if (len > sizeof(name))
		return -LX_EINVAL;
	if (lx_copy_in(name, a->a[0], len) < 0)
		return -LX_EFAULT;
	return lx_ptab_uts_set(which, name, len) < 0 ? -LX_EPERM : 0;
}

long lx_sys_sethostname(struct lx_args *a)
{
	return set_uts(0, a);
}

long lx_sys_setdomainname(struct lx_args *a)
{
	return set_uts(1, a);
}

long lx_sys_uname(struct lx_args *a)
{
	struct lx_utsname u;

	lx_uts_now(&u);
	if (lx_persona_linux32())	/* linux32: the 32-bit machine, as Linux's */
		memcpy(u.machine, "ppcle", 6);
	return lx_copy_out(a->a[0], &u, sizeof(u));
}

struct lx_rlimit {
	uint64_t cur, max;
};

#define LX_RLIMIT_CPU 0
#define LX_RLIMIT_FSIZE 1
#define LX_RLIMIT_CORE 4
#define LX_RLIMIT_STACK 3
#define LX_RLIMIT_NOFILE 7
#define LX_RLIMIT_MEMLOCK 8
#define LX_RLIMIT_SIGPENDING 11
#define LX_RLIMIT_MSGQUEUE 12
#define LX_RLIMIT_NICE 13
#define LX_RLIMIT_RTPRIO 14
#define LX_NLIMITS 16
#define LX_RLIM_INFINITY (~0ull)

/* The process's limits: Linux's defaults for a root process, kept and
 * reported (fork and execve keep them, as Linux does); what k42 itself
 * bounds is RLIMIT_NOFILE, whose ceiling is libk42's table of
 * K42_FD_MAX and whose soft limit the table obeys (k42_fd_set_limit: new
 * descriptors stay below it), and RLIMIT_FSIZE, which writes to regular
 * files obey (fs.c), and RLIMIT_CPU, watched by cputime.c. */
static struct lx_rlimit rlim[LX_NLIMITS];
static int rlim_set;
uint64_t lx_fsize_limit = LX_RLIM_INFINITY;

static void rlim_init(void)
{
	if (rlim_set)
		return;
	for (int i = 0; i < LX_NLIMITS; i++)
		rlim[i].cur = rlim[i].max = LX_RLIM_INFINITY;
	rlim[LX_RLIMIT_STACK].cur = LX_STACK_SIZE;
	rlim[LX_RLIMIT_CORE].cur = 0;
	rlim[LX_RLIMIT_NOFILE].cur = rlim[LX_RLIMIT_NOFILE].max = K42_FD_MAX;
	rlim[LX_RLIMIT_MEMLOCK].cur = rlim[LX_RLIMIT_MEMLOCK].max = 8ull << 20;
	rlim[LX_RLIMIT_SIGPENDING].cur = rlim[LX_RLIMIT_SIGPENDING].max = 1024;
	rlim[LX_RLIMIT_MSGQUEUE].cur = rlim[LX_RLIMIT_MSGQUEUE].max = 819200;
	rlim[LX_RLIMIT_NICE].cur = rlim[LX_RLIMIT_NICE].max = 0;
	rlim[LX_RLIMIT_RTPRIO].cur = rlim[LX_RLIMIT_RTPRIO].max = 0;
	rlim_set = 1;
}

int lx_rlimit_get(int res, uint64_t *cur, uint64_t *max)
{
	rlim_init();
	if (res < 0 || res >= LX_NLIMITS)
		return -LX_EINVAL;
	*cur = rlim[res].cur;
	*max = rlim[res].max;
	return 0;
}

long lx_sys_prlimit64(struct lx_args *a)
{
	struct lx_rlimit old, new;
	uint64_t res = a->a[1];

	if (a->a[0] != 0 && a->a[0] != lx.pid)
		return -LX_ESRCH;
	if (res >= LX_NLIMITS)
		return -LX_EINVAL;
	rlim_init();
	old = rlim[res];
	if (a->a[2]) {
		if (lx_copy_in(&new, a->a[2], sizeof(new)) < 0)
			return -LX_EFAULT;
		if (new.cur > new.max)
			return -LX_EINVAL;
		if (res == LX_RLIMIT_NOFILE && new.max > K42_FD_MAX)
			return -LX_EPERM;	/* above the system's ceiling, as Linux's nr_open */
	}
	if (a->a[3] && lx_copy_out(a->a[3], &old, sizeof(old)) < 0)
		return -LX_EFAULT;
	if (a->a[2]) {
		rlim[res] = new;
		if (res == LX_RLIMIT_FSIZE)
			lx_fsize_limit = new.cur;
		if (res == LX_RLIMIT_CPU)	/* watched (cputime.c) */
			lx_cpu_limit(new.cur, new.max);
		if (res == LX_RLIMIT_NOFILE)	/* libk42's table obeys it */
			k42_fd_set_limit(new.cur < K42_FD_MAX ? (int)new.cur : K42_FD_MAX);
	}
	return 0;
}

long lx_sys_getrlimit(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = 0;
	b.a[1] = a->a[0];
	b.a[2] = 0;
	b.a[3] = a->a[1];
	return lx_sys_prlimit64(&b);
}

long lx_sys_setrlimit(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = 0;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	b.a[3] = 0;
	return lx_sys_prlimit64(&b);
}

/* ---- time ---- */

struct lx_timespec {
	int64_t sec, nsec;
};

/* CLOCK_REALTIME is LX_BOOT_EPOCH (lx.h) plus the time since boot. */

static void now(int realtime, struct lx_timespec *ts)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), tb = k42_timebase();

	ts->sec = (int64_t)(tb / hz);
	ts->nsec = (int64_t)((tb % hz) * 1000000000ull / hz);
	if (realtime)
		ts->sec += LX_BOOT_EPOCH;
}

long lx_sys_clock_gettime(struct lx_args *a)
{
	struct lx_timespec ts;

	uint64_t tb;
	int cpu = lx_cpu_clock((int64_t)a->a[0], &tb);

	if (cpu < 0)
		return cpu;
	if (cpu) {
		uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

		ts.sec = (int64_t)(tb / hz);
		ts.nsec = (int64_t)((tb % hz) * 1000000000ull / hz);
	} else {
		if (a->a[0] > 11)
			return -LX_EINVAL;
		now(a->a[0] == 0 || a->a[0] == 5 || a->a[0] == 8 || a->a[0] == 11, &ts);
	}
	return lx_copy_out(a->a[1], &ts, sizeof(ts));
}

long lx_sys_clock_getres(struct lx_args *a)
{
	struct lx_timespec ts = { 0, 2 };
	uint64_t tb;
	int cpu = lx_cpu_clock((int64_t)a->a[0], &tb);

	if (cpu < 0)
		return cpu;
	if (cpu)
		ts.nsec = 1;	/* Linux's figure for its CPU-time clocks */
	else if (a->a[0] > 11)
		return -LX_EINVAL;
	return a->a[1] ? lx_copy_out(a->a[1], &ts, sizeof(ts)) : 0;
}

long lx_sys_gettimeofday(struct lx_args *a)
{
	struct lx_timespec ts;

	now(1, &ts);
	ts.nsec /= 1000;
	return a->a[0] ? lx_copy_out(a->a[0], &ts, sizeof(ts)) : 0;
}

long lx_sys_time(struct lx_args *a)
{
	struct lx_timespec ts;

	now(1, &ts);
	if (a->a[0] && lx_copy_out(a->a[0], &ts.sec, sizeof(ts.sec)) < 0)
		return -LX_EFAULT;
	return ts.sec;
}

/* Sleep in the kernel (disabled: the whole process waits, as a
 * single-threaded Linux process would). */
static long sleep_until(uint64_t deadline)
{
	uint64_t now_tb;

	while ((now_tb = k42_timebase()) < deadline)
		if (lx_wait_event(deadline - now_tb))
			return -LX_EINTR;
	return 0;
}

long lx_sys_nanosleep(struct lx_args *a)
{
	struct lx_timespec ts;
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	if (lx_copy_in(&ts, a->a[0], sizeof(ts)) < 0)
		return -LX_EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -LX_EINVAL;
	return sleep_until(k42_timebase() + (uint64_t)ts.sec * hz + (uint64_t)ts.nsec * hz / 1000000000ull);
}

long lx_sys_clock_nanosleep(struct lx_args *a)
{
	struct lx_timespec ts, cur;
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);
	int64_t ns;

	if (lx_copy_in(&ts, a->a[2], sizeof(ts)) < 0)
		return -LX_EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -LX_EINVAL;
	if (a->a[1] & 1) {	/* TIMER_ABSTIME */
		now(a->a[0] == 0, &cur);
		ns = (ts.sec - cur.sec) * 1000000000ll + (ts.nsec - cur.nsec);
		if (ns <= 0)
			return 0;
	} else {
		ns = ts.sec * 1000000000ll + ts.nsec;
	}
	return sleep_until(k42_timebase() + (uint64_t)ns / 1000 * hz / 1000000ull);
}

struct lx_sysinfo {
	int64_t uptime;
	uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char f[0];
};

long lx_sys_sysinfo(struct lx_args *a)
{
	struct lx_sysinfo si;

	memset(&si, 0, sizeof(si));
	si.uptime = (int64_t)(k42_timebase() / k42_info(K42_INFO_TIMEBASE_HZ));
	si.totalram = k42_info(K42_INFO_TOTAL_FRAMES);
	si.freeram = k42_info(K42_INFO_FREE_FRAMES);
	si.procs = (uint16_t)k42_info(K42_INFO_PROCESSES);
	si.mem_unit = 4096;
	return lx_copy_out(a->a[0], &si, sizeof(si));
}

/* ---- random ---- */

/* Not cryptographic: a 64-bit mixer over the timebase. Enough for hash
 * seeds and AT_RANDOM canaries in a research system; the table says so. */
static uint64_t rng_state, rng_pid;

uint64_t lx_random64(void)
{
	uint64_t z;

	/* A fork's child starts with a copy of the parent's state: it mixes
	 * in its own pid and the time first, or two children would draw the
	 * same bytes (getrandom, /proc/sys/kernel/random/uuid). */
	if (!rng_state || rng_pid != lx.pid) {
		rng_state ^= k42_timebase() ^ (lx.pid << 32) ^ 0x9e3779b97f4a7c15ull;
		rng_pid = lx.pid;
	}
	z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

long lx_sys_getrandom(struct lx_args *a)
{
	uint8_t buf[256];
	uint64_t len = a->a[1] < sizeof(buf) ? a->a[1] : sizeof(buf);

	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t r = lx_random64();

		memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
	}
	return lx_copy_out(a->a[0], buf, len) < 0 ? -LX_EFAULT : (long)len;
}

/* ---- scheduling ---- */

long lx_sys_sched_getaffinity(struct lx_args *a)
{
	uint64_t mask = 1;

	if (a->a[1] < sizeof(mask))
		return -LX_EINVAL;
	return lx_copy_out(a->a[2], &mask, sizeof(mask)) < 0 ? -LX_EFAULT : (long)sizeof(mask);
}

long lx_sys_getcpu(struct lx_args *a)
{
	uint32_t z = 0;

	if (a->a[0] && lx_copy_out(a->a[0], &z, sizeof(z)) < 0)
		return -LX_EFAULT;
	if (a->a[1] && lx_copy_out(a->a[1], &z, sizeof(z)) < 0)
		return -LX_EFAULT;
	return 0;
}

long lx_sys_ugetrlimit(struct lx_args *a)
{
	return lx_sys_getrlimit(a);
}

/* rseq: Linux built without it answers ENOSYS, and glibc and musl then
 * manage without; answered here on purpose, so not logged. */
long lx_sys_rseq(struct lx_args *a)
{
	(void)a;
	return -LX_ENOSYS;
}

/* Setting the clock: the machine's clock is k42's (read once at boot,
 * K42_INFO_EPOCH), not a Linux program's to set: EPERM, as Linux gives a
 * process without CAP_SYS_TIME (date -s says so instead of logging an
 * unimplemented call). */
long lx_sys_settimeofday(struct lx_args *a)
{
	(void)a;
	return -LX_EPERM;
}

long lx_sys_stime(struct lx_args *a)
{
	(void)a;
	return -LX_EPERM;
}

long lx_sys_clock_settime(struct lx_args *a)
{
	/* Only CLOCK_REALTIME (0) can be set on Linux; the others are EINVAL. */
	return a->a[0] == 0 ? -LX_EPERM : -LX_EINVAL;
}

/* adjtimex and clock_adjtime of CLOCK_REALTIME: the clock's state as
 * Linux reports a clock no NTP daemon disciplines (offset and frequency
 * 0, STA_UNSYNC, the error bounds at their limit, TIME_ERROR returned),
 * with the time now. A change (any mode but the read-only
 * ADJ_OFFSET_SS_READ) is EPERM, as for settimeofday above. */
struct lx_timex {
	uint32_t modes;
	int32_t pad0;
	int64_t offset, freq, maxerror, esterror;
	int32_t status, pad1;
	int64_t constant, precision, tolerance;
	int64_t tv_sec, tv_usec;
	int64_t tick, ppsfreq, jitter;
	int32_t shift, pad2;
	int64_t stabil, jitcnt, calcnt, errcnt, stbcnt;
	int32_t tai, pad3[11];
};
_Static_assert(sizeof(struct lx_timex) == 208, "Linux's struct __kernel_timex");

#define LX_ADJ_OFFSET_SS_READ 0xa001u
#define LX_STA_UNSYNC 0x40
#define LX_TIME_ERROR 5
#define LX_NTP_PHASE_LIMIT 16000000	/* usec: Linux's bound for an unsynchronised clock */

static long adjtimex_at(uint64_t uva)
{
	struct lx_timex t;
	struct lx_timespec ts;
	uint32_t modes;

	if (lx_copy_in(&t, uva, sizeof(t)) < 0)
		return -LX_EFAULT;
	if (t.modes != 0 && t.modes != LX_ADJ_OFFSET_SS_READ)
		return -LX_EPERM;
	modes = t.modes;
	memset(&t, 0, sizeof(t));
	t.modes = modes;
	t.maxerror = t.esterror = LX_NTP_PHASE_LIMIT;
	t.status = LX_STA_UNSYNC;
	t.constant = 2;
	t.precision = 1;
	t.tolerance = 500ll << 16;	/* 500 ppm, scaled */
	t.tick = 1000000 / 100;		/* usec a USER_HZ tick */
	now(1, &ts);
	t.tv_sec = ts.sec;
	t.tv_usec = ts.nsec / 1000;
	return lx_copy_out(uva, &t, sizeof(t)) < 0 ? -LX_EFAULT : LX_TIME_ERROR;
}

long lx_sys_adjtimex(struct lx_args *a)
{
	return adjtimex_at(a->a[0]);
}

long lx_sys_clock_adjtime(struct lx_args *a)
{
	if (a->a[0] == 0)
		return adjtimex_at(a->a[1]);
	/* the other clocks Linux knows cannot be adjusted */
	return a->a[0] <= 11 ? -LX_EOPNOTSUPP : -LX_EINVAL;
}
