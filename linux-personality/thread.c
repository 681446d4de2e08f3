/*
 * Linux threads and futexes. A thread (clone with CLONE_VM|CLONE_THREAD)
 * is a libk42 thread of the same process whose saved state is the Linux
 * register set (k42_thread_new_full): libk42's scheduler runs it, a
 * preempted one keeps its registers, and no kernel memory is spent on it.
 * Each has a struct lx_thread (its tid, clear_child_tid, futex wait) in
 * the k42 thread's tls pointer, its signal mask and its own pending
 * signals (tgkill, tkill, SIGPIPE: taken by that thread alone; signal.c
 * takes them with the process's). lx_sigmask (signal.c)
 * holds the mask of the thread whose call runs (lx_sigmask_load switches
 * it at each call's entry and after each wait), so a process's signal is
 * taken by the first thread that does not block it on its way back from
 * a call, or that waits in a call it may end (EINTR).
 *
 * futex (private, and shared ones outside MAP_SHARED mappings, within
 * this process; a shared one in a MAP_SHARED mapping is futex_shared.c's,
 * between processes): a waiter parks
 * its thread (k42_thread_park_full) on a wait list keyed by the address,
 * with its result still to be written; FUTEX_WAKE or the timeout (a
 * libk42 timer) writes the result into the parked registers and makes
 * the thread ready. A signal the waiter may take (one for the process it
 * does not block, or one for it) wakes it with its registers back at its
 * `sc`: the call is made again, finds the signal due and ends with EINTR
 * (or restarts after the handler, SA_RESTART and no timeout: Linux's
 * ERESTARTSYS), so the signal is delivered on that call's way back.
 */
#include "lx.h"

#define LX_CLONE_VM 0x100
#define LX_CLONE_SIGHAND 0x800
#define LX_CLONE_THREAD 0x10000
#define LX_CLONE_SETTLS 0x80000
#define LX_CLONE_PARENT_SETTID 0x100000
#define LX_CLONE_CHILD_CLEARTID 0x200000
#define LX_CLONE_CHILD_SETTID 0x1000000

#define CR0_SO 0x10000000ull
#define LX_ETIMEDOUT 110

struct lx_thread {
	uint32_t tid;
	uint64_t clear_tid;		/* CLONE_CHILD_CLEARTID, set_tid_address */
	struct k42_thread *kt;
	/* futex wait */
	struct lx_thread *fnext;
	uint64_t fkey;
	uint32_t fbits;
	int fwaiting;
	struct k42_timer ftimer;
	struct lx_tcall *tc;		/* blocking calls run on the thread (entry.c) */
	uint64_t sigmask;		/* while another thread's is in lx_sigmask */
	uint64_t tpending;		/* signals sent to this thread alone */
	struct lx_thread *anext;	/* every thread of the process */
};

static struct lx_thread main_lt;
static struct lx_thread *all_threads;
static uint32_t next_seq = 1;
int lx_nthreads = 1;
int lx_tpending_any;	/* threads with signals of their own pending */
static int nfwaiting;	/* threads parked in a private futex wait */

#define FUTEX_BUCKETS 64
static struct lx_thread *waiters[FUTEX_BUCKETS];

static struct lx_thread *self(void)
{
	struct k42_thread *t = k42_current;

	if (t && t->tls)
		return t->tls;
	if (!main_lt.kt) {
		main_lt.kt = t;
		main_lt.tid = (uint32_t)lx.pid;
		main_lt.anext = all_threads;
		all_threads = &main_lt;
	}
	return &main_lt;
}

/* The thread whose mask lx_sigmask holds (NULL: none yet, or it ended). */
static struct lx_thread *mask_owner;
static int mask_started;
int lx_sigmask_unowned;	/* its owner ended: the next call must load */

void lx_sigmask_load(void)
{
	struct lx_thread *me = self();

	lx_sigmask_unowned = 0;
	if (me == mask_owner)
		return;
	if (!mask_started) {	/* the first: the process's mask is main's */
		mask_started = 1;
		mask_owner = me;
		return;
	}
	if (mask_owner)
		mask_owner->sigmask = lx_sigmask;
	lx_sigmask = me->sigmask;
	mask_owner = me;
}

struct lx_tcall *lx_thread_tcall(void)
{
	struct lx_thread *me;

	if (!k42_current)
		return NULL;
	me = self();
	if (!me->tc)
		me->tc = malloc(sizeof(*me->tc));
	if (me->tc)
		me->tc->active = 0;
	return me->tc;
}

struct lx_tcall *lx_tcall_active(void)
{
	struct lx_thread *me;

	if (k42_in_handler || !k42_current)
		return NULL;
	me = self();
	return me->tc && me->tc->active ? me->tc : NULL;
}

uint32_t lx_gettid(void)
{
	return self()->tid;
}

static struct lx_thread *find_tid(uint64_t tid)
{
	(void)self();	/* main's entry exists */
	for (struct lx_thread *t = all_threads; t; t = t->anext)
		if (t->tid == tid)
			return t;
	return NULL;
}

/* Is tid one of this process's threads (still there)? */
int lx_own_tid(uint64_t tid)
{
	return find_tid(tid) != NULL;
}

static uint64_t mask_of(struct lx_thread *t)
{
	return t == mask_owner ? lx_sigmask : t->sigmask;
}

/* A futex waiter leaves its wait to take a signal: its registers go back
 * to its `sc`, and the call made again ends with EINTR (lx_sys_futex). */
static void unlink_waiter(struct lx_thread *w);

static void interrupt_wait(struct lx_thread *w)
{
	unlink_waiter(w);
	k42_timer_cancel(&w->ftimer);
	w->kt->regs.nip -= 4;
	k42_thread_wake(w->kt);
}

/* A signal for the process (bit) that it does not ignore: every futex
 * waiter that does not block it leaves its wait (the first to come back
 * takes it; the others find nothing due and wait again). */
void lx_threads_signal(uint64_t bit)
{
	if (!nfwaiting)
		return;
	for (struct lx_thread *t = all_threads; t; t = t->anext)
		if (t->fwaiting && !(mask_of(t) & bit))
			interrupt_wait(t);
}

/* tgkill/tkill/SIGPIPE: sig pending for thread tid alone (0: the calling
 * thread); `wanted`: not ignored. -LX_ESRCH if there is no such thread. */
long lx_thread_raise(uint64_t tid, int sig, int wanted)
{
	struct lx_thread *t = tid ? find_tid(tid) : self();
	uint64_t bit = 1ull << (sig - 1);

	if (!t)
		return -LX_ESRCH;
	if (!wanted)
		return 0;
	if (!t->tpending)
		lx_tpending_any++;
	t->tpending |= bit;
	if (t->fwaiting && !(mask_of(t) & bit))
		interrupt_wait(t);
	return 0;
}

/* The calling thread's own pending signals. */
uint64_t lx_thread_pending(void)
{
	return lx_tpending_any ? self()->tpending : 0;
}

/* Take bits off the calling thread's own pending set (all threads' with
 * `every`: a signal set to be ignored). */
void lx_thread_unpend(uint64_t bits, int every)
{
	for (struct lx_thread *t = every ? all_threads : self(); t; t = every ? t->anext : NULL) {
		if (t->tpending && !(t->tpending &= ~bits))
			lx_tpending_any--;
	}
}

/* After fork: the child is this process's only thread, with the pid as
 * tid. The other threads came with the copy of memory; as on Linux they
 * are not in the child: they never run there (k42_threads_drop_others). */
void lx_threads_forked(void)
{
	struct lx_thread *me = self();

	if (lx_nthreads > 1) {
		for (struct lx_thread *t = all_threads; t; t = t->anext)
			if (t != me)
				k42_timer_cancel(&t->ftimer);
		k42_threads_drop_others();
	}

	me->tid = (uint32_t)lx.pid;
	me->tpending = 0;	/* Linux: a child starts with none pending */
	me->anext = NULL;
	all_threads = me;
	lx_tpending_any = 0;
	nfwaiting = 0;
	lx_nthreads = 1;
	mask_started = 1;	/* the forking thread's mask, now the only one */
	mask_owner = me;
	memset(waiters, 0, sizeof(waiters));
}

/* execve: the calling thread goes on alone in the new image, as the
 * process's leader (its tid the pid); the others never run again, as
 * after fork (Linux's de_thread; libk42 keeps their memory, which wait
 * lists of the old image may still name). Its own pending signals stay;
 * its clear-tid address belonged to the old image. */
void lx_threads_exec(void)
{
	struct lx_thread *me = self();
	uint64_t pending = me->tpending;

	lx_threads_forked();
	me->clear_tid = 0;
	me->fwaiting = 0;
	me->tpending = pending;
	lx_tpending_any = pending != 0;
	lx_ptab_publish();
}

static void set_result(struct k42_thread *t, long rc)
{
	if (rc < 0) {
		t->regs.gpr[3] = (uint64_t)-rc;
		t->regs.cr |= CR0_SO;
	} else {
		t->regs.gpr[3] = (uint64_t)rc;
		t->regs.cr &= ~CR0_SO;
	}
}

/* ---- clone ---- */

long lx_thread_clone(struct lx_args *a)
{
	uint64_t flags = a->a[0], newsp = a->a[1];
	struct k42_user_regs r;
	struct lx_thread *lt;
	struct k42_thread *kt;
	uint32_t tid;

	if (!(flags & LX_CLONE_THREAD) || !(flags & LX_CLONE_VM) || !(flags & LX_CLONE_SIGHAND))
		return -LX_EINVAL;	/* Linux: THREAD needs SIGHAND needs VM */
	if (!newsp)
		return -LX_EINVAL;
	lt = calloc(1, sizeof(*lt));
	if (!lt)
		return -LX_EAGAIN;
	(void)self();
	for (int tries = 0;; tries++) {
		tid = (next_seq++ & 0x3fff) << 16 | (uint32_t)(lx.pid & 0xffff);
		if (next_seq > 0x3fff)
			next_seq = 1;
		if (tid >> 16)
			break;
		if (tries > 2) {
			free(lt);
			return -LX_EAGAIN;
		}
	}
	lt->tid = tid;
	lx_sigmask_load();
	lt->sigmask = lx_sigmask;	/* the creator's, as Linux */
	memcpy(&r, a->regs, sizeof(r));
	r.gpr[1] = newsp;
	r.gpr[3] = 0;
	r.cr &= ~CR0_SO;
	if (flags & LX_CLONE_SETTLS)
		r.gpr[13] = a->a[3];
	if ((flags & LX_CLONE_PARENT_SETTID) && lx_copy_out(a->a[2], &tid, sizeof(tid)) < 0) {
		free(lt);
		return -LX_EFAULT;
	}
	if ((flags & LX_CLONE_CHILD_SETTID) && lx_copy_out(a->a[4], &tid, sizeof(tid)) < 0) {
		free(lt);
		return -LX_EFAULT;
	}
	if (flags & LX_CLONE_CHILD_CLEARTID)
		lt->clear_tid = a->a[4];
	kt = k42_thread_new_full(&r);
	if (!kt) {
		free(lt);
		return -LX_EAGAIN;
	}
	kt->tls = lt;
	lt->kt = kt;
	lt->anext = all_threads;
	all_threads = lt;
	lx_nthreads++;
	lx_answers_threads();
	lx_ptab_publish();
	return tid;
}

/* ---- futex ---- */

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256

static struct lx_thread **bucket(uint64_t key)
{
	return &waiters[(key >> 2) % FUTEX_BUCKETS];
}

static void unlink_waiter(struct lx_thread *w)
{
	struct lx_thread **pp = bucket(w->fkey);

	for (; *pp; pp = &(*pp)->fnext) {
		if (*pp == w) {
			*pp = w->fnext;
			break;
		}
	}
	w->fnext = NULL;
	if (w->fwaiting)
		nfwaiting--;
	w->fwaiting = 0;
}

static void finish(struct lx_thread *w, long rc)
{
	unlink_waiter(w);
	k42_timer_cancel(&w->ftimer);
	set_result(w->kt, rc);
	k42_thread_wake(w->kt);
}

static void timed_out(struct k42_timer *tm)
{
	struct lx_thread *w = tm->arg;

	if (w->fwaiting)
		finish(w, -LX_ETIMEDOUT);
}

/* Wake up to n waiters on key whose bits meet `bits`. */
static long wake(uint64_t key, uint32_t bits, uint64_t n)
{
	struct lx_thread *w = *bucket(key), *next;
	long woken = 0;

	for (; w && (uint64_t)woken < n; w = next) {
		next = w->fnext;
		if (w->fkey == key && (w->fbits & bits)) {
			finish(w, 0);
			woken++;
		}
	}
	return woken;
}

long lx_futex_wake(uint64_t uaddr, uint64_t n)
{
	return wake(uaddr, ~0u, n);
}

/* Move up to n waiters from key to key2. */
static long requeue(uint64_t key, uint64_t key2, uint64_t n)
{
	struct lx_thread *w = *bucket(key), *next;
	long moved = 0;

	for (; w && (uint64_t)moved < n; w = next) {
		next = w->fnext;
		if (w->fkey == key) {
			unlink_waiter(w);
			w->fkey = key2;
			w->fwaiting = 1;
			nfwaiting++;
			w->fnext = *bucket(key2);
			*bucket(key2) = w;
			moved++;
		}
	}
	return moved;
}

static long timeout_deadline(uint64_t uts, int absolute, int realtime, uint64_t *deadline)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), now = k42_timebase();
	int64_t ts[2];
	uint64_t ns;

	*deadline = 0;
	if (!uts)
		return 0;
	if (lx_copy_in(ts, uts, sizeof(ts)) < 0)
		return -LX_EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -LX_EINVAL;
	if (absolute) {
		int64_t base = realtime ? LX_BOOT_EPOCH : 0;
		int64_t s = ts[0] - base;
		uint64_t target;

		if (s < 0)
			s = 0;
		target = (uint64_t)s * hz + (uint64_t)ts[1] * (hz / 1000000) / 1000;
		*deadline = target > now ? target : now;
	} else {
		ns = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
		if (ts[0] > 1000000)
			ns = 1000000ull * 1000000000ull;
		*deadline = now + ns / 1000 * (hz / 1000000);
	}
	if (!*deadline)
		*deadline = 1;
	return 0;
}

/* A futex word in a MAP_SHARED mapping, without FUTEX_PRIVATE: other
 * processes may wait on it and wake it (futex_shared.c). A requeue wakes
 * instead of moving (its waiters look at the word again: allowed). */
static long futex_shared(struct lx_args *a, int cmd, int op, uint64_t uaddr, uint64_t val,
			 uint64_t sid, uint64_t off)
{
	uint32_t bits = ~0u, cur;
	uint64_t deadline;
	long rc;

	switch (cmd) {
	case FUTEX_WAIT_BITSET:
		bits = (uint32_t)a->a[5];
		if (!bits)
			return -LX_EINVAL;
		/* fall through */
	case FUTEX_WAIT:
		rc = timeout_deadline(a->a[3], cmd == FUTEX_WAIT_BITSET,
				      (op & FUTEX_CLOCK_REALTIME) != 0, &deadline);
		if (rc < 0)
			return rc;
		if (deadline && deadline <= k42_timebase())
			return -LX_ETIMEDOUT;
		return lx_futex_shared_wait(sid, off, uaddr, (uint32_t)val, bits, deadline);
	case FUTEX_WAKE_BITSET:
		bits = (uint32_t)a->a[5];
		if (!bits)
			return -LX_EINVAL;
		/* fall through */
	case FUTEX_WAKE:
		return lx_futex_shared_wake(sid, off, bits, val);
	case FUTEX_CMP_REQUEUE:
		if (lx_copy_in(&cur, uaddr, sizeof(cur)) < 0)
			return -LX_EFAULT;
		if (cur != (uint32_t)a->a[5])
			return -LX_EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		if (a->a[4] & 3)
			return -LX_EINVAL;
		return lx_futex_shared_wake(sid, off, ~0u, val + (a->a[3] & 0x7fffffff));
	default:
		lx_log_enosys(LX_NR_futex);
		return -LX_ENOSYS;
	}
}

long lx_sys_futex(struct lx_args *a)
{
	uint64_t uaddr = a->a[0], val = a->a[2] & 0xffffffffu, deadline;
	int op = (int)a->a[1], cmd = op & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
	uint32_t cur, bits = ~0u;
	struct lx_thread *me;
	uint64_t sid, off;
	long rc, moved;

	if (uaddr & 3)
		return -LX_EINVAL;
	if (!(op & FUTEX_PRIVATE) && lx_vma_shared_key(uaddr, &sid, &off))
		return futex_shared(a, cmd, op, uaddr, val, sid, off);
	switch (cmd) {
	case FUTEX_WAIT_BITSET:
		bits = (uint32_t)a->a[5];
		if (!bits)
			return -LX_EINVAL;
		/* fall through */
	case FUTEX_WAIT:
		rc = timeout_deadline(a->a[3], cmd == FUTEX_WAIT_BITSET,
				      (op & FUTEX_CLOCK_REALTIME) != 0, &deadline);
		if (rc < 0)
			return rc;
		if (lx_copy_in(&cur, uaddr, sizeof(cur)) < 0)
			return -LX_EFAULT;
		if (cur != (uint32_t)val)
			return -LX_EAGAIN;
		if (deadline && deadline <= k42_timebase())
			return -LX_ETIMEDOUT;
		/* A signal due: end now (a waiter a signal woke comes back
		 * here, entry.c restarts it after the handler if it may). */
		if (lx_sig_deliverable())
			return -LX_EINTR;
		me = self();
		me->kt = k42_current;
		me->fkey = uaddr;
		me->fbits = bits;
		me->fwaiting = 1;
		nfwaiting++;
		me->fnext = *bucket(uaddr);
		*bucket(uaddr) = me;
		if (deadline) {
			me->ftimer.deadline = deadline;
			me->ftimer.fn = timed_out;
			me->ftimer.arg = me;
			k42_timer_add(&me->ftimer);
		}
		/* The result is written by whoever wakes us. (Called on its
		 * thread, entry.c, the call ends here: it resumes as parked.) */
		if (lx_tcall_active())
			lx_tcall_active()->active = 0;
		k42_thread_park_full(a->regs, K42_WAIT_SYNC);
	case FUTEX_WAKE_BITSET:
		bits = (uint32_t)a->a[5];
		if (!bits)
			return -LX_EINVAL;
		/* fall through */
	case FUTEX_WAKE:
		return wake(uaddr, bits, val);
	case FUTEX_CMP_REQUEUE:
		if (lx_copy_in(&cur, uaddr, sizeof(cur)) < 0)
			return -LX_EFAULT;
		if (cur != (uint32_t)a->a[5])
			return -LX_EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		if (a->a[4] & 3)
			return -LX_EINVAL;
		rc = wake(uaddr, ~0u, val);
		moved = requeue(uaddr, a->a[4], a->a[3]);
		return cmd == FUTEX_CMP_REQUEUE ? rc + moved : rc;
	default:
		lx_log_enosys(LX_NR_futex);
		return -LX_ENOSYS;
	}
}

/* ---- ids, yield, exit ---- */

long lx_sys_gettid(struct lx_args *a)
{
	(void)a;
	return (long)lx_gettid();
}

long lx_sys_set_tid_address(struct lx_args *a)
{
	self()->clear_tid = a->a[0];
	return (long)lx_gettid();
}

void lx_set_clear_tid(uint64_t uaddr)
{
	self()->clear_tid = uaddr;
}

long lx_sys_sched_yield(struct lx_args *a)
{
	struct k42_user_regs r;

	if (lx_nthreads < 2) {
		k42_sc_yield();	/* let other processes run */
		return 0;
	}
	if (lx_sig_deliverable())
		return 0;	/* the way back delivers it (parking would skip that) */
	memcpy(&r, a->regs, sizeof(r));
	r.gpr[3] = 0;
	r.cr &= ~CR0_SO;
	k42_thread_park_full(&r, 0);
}

/* exit: this thread ends (the process, with its last thread). */
long lx_sys_exit(struct lx_args *a)
{
	struct lx_thread *me = self();
	uint32_t zero = 0;

	if (lx_nthreads <= 1)
		return lx_sys_exit_group(a);
	if (me->clear_tid && lx_copy_out(me->clear_tid, &zero, sizeof(zero)) == 0)
		lx_futex_wake(me->clear_tid, 1);
	if (me->fwaiting)
		unlink_waiter(me);
	lx_thread_unpend(~0ull, 0);	/* its own pending signals go with it */
	for (struct lx_thread **pp = &all_threads; *pp; pp = &(*pp)->anext) {
		if (*pp == me) {
			*pp = me->anext;
			break;
		}
	}
	lx_nthreads--;
	lx_ptab_publish();
	if (mask_owner == me) {
		mask_owner = NULL;	/* the next call loads its own */
		lx_sigmask_unowned = 1;
	}
	free(me->tc);	/* exit runs as handler code, not on it */
	me->tc = NULL;
	if (me != &main_lt)
		free(me);
	if (k42_current)
		k42_current->tls = NULL;
	k42_thread_end_current();
}
