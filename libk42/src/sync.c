/*
 * Mutexes, condition variables and semaphores for threads. The fast paths
 * (a free mutex, a semaphore with count, a signal with no waiter) never
 * enter the kernel; slow paths run with upcalls disabled and under
 * k42_sync_lock, since the threads may run on several dispatchers at once
 * (internal.h has the lock order), and block the waiter in the user-level
 * scheduler: a waiter is BLOCKED in its dispatcher's policy before the
 * lock is released (k42_thread_block_unlock), so no wake is lost.
 */
#include "internal.h"

static void wq_push(struct k42_waitq *q, struct k42_thread *t)
{
	t->wnext = NULL;
	if (q->tail)
		q->tail->wnext = t;
	else
		q->head = t;
	q->tail = t;
}

static struct k42_thread *wq_pop(struct k42_waitq *q)
{
	struct k42_thread *t = q->head;

	if (t) {
		q->head = t->wnext;
		if (!q->head)
			q->tail = NULL;
		t->wnext = NULL;
	}
	return t;
}

static int wq_remove(struct k42_waitq *q, struct k42_thread *t)
{
	struct k42_thread **pp = &q->head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->wnext) {
		if (*pp == t) {
			*pp = t->wnext;
			if (q->tail == t)
				q->tail = prev;
			t->wnext = NULL;
			return 1;
		}
	}
	return 0;
}

void k42_mutex_init(struct k42_mutex *m)
{
	m->state = 0;
	m->q.head = m->q.tail = NULL;
}

/*
 * The slow paths are the hybrid other thread libraries use. An unlock
 * with waiters normally frees the mutex and wakes the first waiter to
 * race for it (state 2 while it may have company, so the winner's unlock
 * comes here too): a mutex contended from every CPU then moves at the
 * pace of its critical sections, not of the wake-ups. But a thread that
 * takes and drops the mutex in a loop on a dispatcher of its own can win
 * that race for good: at one CPU the tick that preempted the loop came,
 * on QEMU, right after its acquire nearly every time, and the waiters of
 * three dispatchers made no progress (smp/vpwake_1, docs/smp.md). So once
 * the first waiter has waited K42_MUTEX_HANDOVER_TB, the unlock hands the
 * mutex to it (its state stays 2) instead. A waiter that loses a race
 * goes back to the head of the queue and keeps its first enqueue time.
 */
#define K42_MUTEX_HANDOVER_TB K42_SCHED_SLICE_TB

static void wq_push_front(struct k42_waitq *q, struct k42_thread *t)
{
	t->wnext = q->head;
	q->head = t;
	if (!q->tail)
		q->tail = t;
}

void k42_mutex_lock_slow(struct k42_mutex *m)
{
	int s = k42_disable_save();
	struct k42_thread *me = k42_current;
	int queued_before = 0;

	k42_spin_lock(&k42_sync_lock);
	while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0) {
		me->mutex_handed = 0;
		me->mutex_queued = 1;
		if (queued_before) {
			wq_push_front(&m->q, me);
		} else {
			me->mutex_since = k42_timebase();
			wq_push(&m->q, me);
			queued_before = 1;
		}
		/* Another wake-up (a migration, say) leaves us queued. */
		do {
			k42_thread_block_unlock(K42_WAIT_SYNC, &k42_sync_lock);
			k42_spin_lock(&k42_sync_lock);
		} while (me->mutex_queued && !me->mutex_handed);
		if (me->mutex_handed) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			break;
		}
	}
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
}

/* Unlock m, held in state 2, with k42_sync_lock held: free it and wake
 * its first waiter to race for it, or hand it to that waiter once it has
 * waited long enough; free with nobody to wake if none is left. */
static void mutex_hand_over(struct k42_mutex *m)
{
	struct k42_thread *t = wq_pop(&m->q);

	if (!t) {
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
		return;
	}
	t->mutex_queued = 0;
	if (k42_timebase() - t->mutex_since >= K42_MUTEX_HANDOVER_TB) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		t->mutex_handed = 1;
	} else {
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
	}
	k42_thread_wake(t);
}

void k42_mutex_unlock_slow(struct k42_mutex *m)
{
	int s = k42_disable_save();

	k42_spin_lock(&k42_sync_lock);
	mutex_hand_over(m);
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
}

/* Release m with k42_sync_lock held (a condition wait). */
static void mutex_release_locked(struct k42_mutex *m)
{
	uint32_t one = 1;

	if (!__atomic_compare_exchange_n(&m->state, &one, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		mutex_hand_over(m);
}

void k42_cond_init(struct k42_cond *c)
{
	c->q.head = c->q.tail = NULL;
}

static void cond_timeout(struct k42_timer *tm)
{
	struct k42_thread *t = tm->arg;

	t->timed_out = 1;
	k42_thread_wake(t);
}

/* Wait on q until woken or deadline (0: none); disabled on entry and
 * exit, k42_sync_lock held on entry and not on exit. */
int k42_waitq_wait(struct k42_waitq *q, uint64_t deadline)
{
	struct k42_thread *me = k42_current;
	int rc = 0;

	me->timed_out = 0;
	wq_push(q, me);
	if (deadline) {
		me->sleep_timer.deadline = deadline;
		me->sleep_timer.fn = cond_timeout;
		me->sleep_timer.arg = me;
		k42_timer_add(&me->sleep_timer);
	}
	k42_thread_block_unlock(K42_WAIT_SYNC, &k42_sync_lock);
	if (deadline)
		k42_timer_cancel(&me->sleep_timer);
	/* Timed out and not handed the object meanwhile by a post/signal. */
	k42_spin_lock(&k42_sync_lock);
	if (me->timed_out && wq_remove(q, me))
		rc = -K42_ETIMEDOUT;
	k42_spin_unlock(&k42_sync_lock);
	return rc;
}

int k42_cond_timedwait(struct k42_cond *c, struct k42_mutex *m, uint64_t deadline)
{
	int s = k42_disable_save(), rc;

	/* Queued on c before m is free: a signal after our release finds us. */
	k42_spin_lock(&k42_sync_lock);
	mutex_release_locked(m);
	rc = k42_waitq_wait(&c->q, deadline);
	k42_restore(s);
	k42_mutex_lock(m);
	return rc;
}

void k42_cond_wait(struct k42_cond *c, struct k42_mutex *m)
{
	k42_cond_timedwait(c, m, 0);
}

void k42_cond_signal(struct k42_cond *c)
{
	int s = k42_disable_save();
	struct k42_thread *t;

	k42_spin_lock(&k42_sync_lock);
	t = wq_pop(&c->q);
	if (t)
		k42_thread_wake(t);
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
}

void k42_cond_broadcast(struct k42_cond *c)
{
	int s = k42_disable_save();

	k42_waitq_wake_all(&c->q);
	k42_restore(s);
}

void k42_sem_init(struct k42_sem *s, int64_t count)
{
	s->count = count;
	s->q.head = s->q.tail = NULL;
}

int k42_sem_trywait(struct k42_sem *sem)
{
	int s = k42_disable_save(), ok;

	k42_spin_lock(&k42_sync_lock);
	ok = sem->count > 0;
	if (ok)
		sem->count--;
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
	return ok;
}

/* A post hands its unit straight to the first waiter (count stays 0). */
int k42_sem_timedwait(struct k42_sem *sem, uint64_t deadline)
{
	int s = k42_disable_save(), rc = 0;

	k42_spin_lock(&k42_sync_lock);
	if (sem->count > 0) {
		sem->count--;
		k42_spin_unlock(&k42_sync_lock);
	} else {
		rc = k42_waitq_wait(&sem->q, deadline);
	}
	k42_restore(s);
	return rc;
}

void k42_sem_wait(struct k42_sem *sem)
{
	k42_sem_timedwait(sem, 0);
}

void k42_sem_post(struct k42_sem *sem)
{
	int s = k42_disable_save();
	struct k42_thread *t;

	k42_spin_lock(&k42_sync_lock);
	t = wq_pop(&sem->q);
	if (t)
		k42_thread_wake(t);
	else
		sem->count++;
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
}

/* Disabled; takes k42_sync_lock. */
void k42_waitq_wake_all(struct k42_waitq *q)
{
	struct k42_thread *t;

	k42_spin_lock(&k42_sync_lock);
	while ((t = wq_pop(q)) != NULL)
		k42_thread_wake(t);
	k42_spin_unlock(&k42_sync_lock);
}
