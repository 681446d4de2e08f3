/*
 * The real-time interval timer of a Linux process (alarm, setitimer and
 * getitimer with ITIMER_REAL): one libk42 timer whose expiry raises
 * SIGALRM, delivered like any signal (a blocking call ends with EINTR).
 * A forked child starts without it; execve keeps it, as on Linux.
 */
#include "lx.h"
#include <k42/timer.h>

#define LX_SIGALRM 14
#define LX_ITIMER_REAL 0

static struct k42_timer itimer;
static uint64_t interval;	/* ticks; 0: one shot */

static uint64_t hz(void)
{
	return k42_info(K42_INFO_TIMEBASE_HZ);
}

static void fired(struct k42_timer *t)
{
	lx_sig_raise_async(LX_SIGALRM);
	if (interval) {
		t->deadline += interval;
		k42_timer_add(t);
	}
}

/* Ticks left before it goes off; 0 if it is not armed. */
static uint64_t left(void)
{
	uint64_t now = k42_timebase();

	if (!k42_timer_armed(&itimer))
		return 0;
	return itimer.deadline > now ? itimer.deadline - now : 1;
}

static void arm(uint64_t value, uint64_t every)
{
	k42_timer_cancel(&itimer);
	interval = value ? every : 0;
	if (value) {
		itimer.fn = fired;
		itimer.deadline = k42_timebase() + value;
		k42_timer_add(&itimer);
	}
}

void lx_itimer_forked(void)
{
	k42_timer_cancel(&itimer);
	interval = 0;
}

/* alarm(seconds): the seconds that were left (rounded, at least 1). */
long lx_sys_alarm(struct lx_args *a)
{
	uint64_t h = hz(), l = left();
	long was = (long)((l + h / 2) / h);

	if (l && !was)
		was = 1;
	arm((uint64_t)(uint32_t)a->a[0] * h, 0);
	return was;
}

struct lx_itimerval {
	int64_t int_sec, int_usec, val_sec, val_usec;
};

static int from_tv(int64_t sec, int64_t usec, uint64_t *ticks)
{
	if (sec < 0 || usec < 0 || usec >= 1000000 || sec > (int64_t)(1ull << 32))
		return -LX_EINVAL;
	*ticks = (uint64_t)sec * hz() + (uint64_t)usec * hz() / 1000000ull;
	if (!*ticks && usec)
		*ticks = 1;
	return 0;
}

static void to_tv(uint64_t ticks, int64_t *sec, int64_t *usec)
{
	uint64_t h = hz();

	*sec = (int64_t)(ticks / h);
	*usec = (int64_t)((ticks % h) * 1000000ull / h);
}

static long put_old(uint64_t uva)
{
	struct lx_itimerval v;

	if (!uva)
		return 0;
	to_tv(interval, &v.int_sec, &v.int_usec);
	to_tv(left(), &v.val_sec, &v.val_usec);
	return lx_copy_out(uva, &v, sizeof(v)) < 0 ? -LX_EFAULT : 0;
}

/* getitimer(which, value): ITIMER_REAL only (the others count CPU time,
 * which k42 does not split by process mode): EINVAL. */
long lx_sys_getitimer(struct lx_args *a)
{
	if (a->a[0] != LX_ITIMER_REAL)
		return -LX_EINVAL;
	if (!a->a[1])
		return -LX_EFAULT;
	return put_old(a->a[1]);
}

/* setitimer(which, new or NULL (disarm), old or NULL) */
long lx_sys_setitimer(struct lx_args *a)
{
	struct lx_itimerval v = { 0, 0, 0, 0 };
	uint64_t value, every;
	long rc;

	if (a->a[0] != LX_ITIMER_REAL)
		return -LX_EINVAL;
	if (a->a[1] && lx_copy_in(&v, a->a[1], sizeof(v)) < 0)
		return -LX_EFAULT;
	if ((rc = from_tv(v.val_sec, v.val_usec, &value)) < 0 ||
	    (rc = from_tv(v.int_sec, v.int_usec, &every)) < 0)
		return rc;
	if ((rc = put_old(a->a[2])) < 0)
		return rc;
	arm(value, every);
	return 0;
}
