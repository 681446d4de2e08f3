/*
 * Synchronization between the threads of a process: mutexes, condition
 * variables and counting semaphores. Uncontended operations never enter
 * the kernel (mutexes take an atomic fast path; semaphores and
 * conditions disable upcalls with one store). Waiters block in the
 * user-level scheduler. Initialise with zeroes (or the *_init calls).
 */
#ifndef K42_SYNC_H
#define K42_SYNC_H

#include <stdint.h>
#include <k42/thread.h>

struct k42_waitq {
	struct k42_thread *head, *tail;
};

struct k42_mutex {
	uint32_t state;			/* 0 free, 1 held, 2 held, maybe with waiters */
	struct k42_waitq q;
};

struct k42_cond {
	struct k42_waitq q;
};

struct k42_sem {
	int64_t count;
	struct k42_waitq q;
};

void k42_mutex_init(struct k42_mutex *m);
void k42_mutex_lock_slow(struct k42_mutex *m);
void k42_mutex_unlock_slow(struct k42_mutex *m);
static inline void k42_mutex_lock(struct k42_mutex *m)
{
	uint32_t z = 0;

	if (!__atomic_compare_exchange_n(&m->state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		k42_mutex_lock_slow(m);
}
static inline int k42_mutex_trylock(struct k42_mutex *m)
{
	uint32_t z = 0;

	return __atomic_compare_exchange_n(&m->state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
static inline void k42_mutex_unlock(struct k42_mutex *m)
{
	uint32_t one = 1;

	/* Held with waiters (2): the slow path hands it to the first. */
	if (!__atomic_compare_exchange_n(&m->state, &one, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		k42_mutex_unlock_slow(m);
}

void k42_cond_init(struct k42_cond *c);
void k42_cond_wait(struct k42_cond *c, struct k42_mutex *m);
/* Returns 0, or -K42_ETIMEDOUT once the timebase passed deadline. */
int k42_cond_timedwait(struct k42_cond *c, struct k42_mutex *m, uint64_t deadline_tb);
void k42_cond_signal(struct k42_cond *c);
void k42_cond_broadcast(struct k42_cond *c);

void k42_sem_init(struct k42_sem *s, int64_t count);
void k42_sem_wait(struct k42_sem *s);
int k42_sem_timedwait(struct k42_sem *s, uint64_t deadline_tb);	/* 0 or -K42_ETIMEDOUT */
int k42_sem_trywait(struct k42_sem *s);				/* 1 if taken */
void k42_sem_post(struct k42_sem *s);

#endif
