/*
 * The one lock of the clustered-object core: a test-and-set spin lock on
 * GCC atomics, for the slow paths only (misses, creation, deletion). The
 * environment makes the holder unpreemptible for the lock's duration
 * (cobj_env_hold/cobj_env_release: nothing in the kernel, which runs with
 * interrupts off; upcalls disabled in libk42), so a waiter never spins on
 * a holder that its own CPU has set aside.
 */
#ifndef COBJ_LOCK_H
#define COBJ_LOCK_H

#include <stdint.h>

struct cobj_lock {
	uint32_t word;		/* 0 free, 1 held */
	unsigned long saved;	/* the holder's cobj_env_hold() value */
};

/* Supplied by each environment. */
unsigned long cobj_env_hold(void);
void cobj_env_release(unsigned long saved);
void cobj_env_relax(void);

static inline void cobj_lock_init(struct cobj_lock *l)
{
	l->word = 0;
	l->saved = 0;
}

static inline void cobj_lock(struct cobj_lock *l)
{
	unsigned long saved = cobj_env_hold();

	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->word, __ATOMIC_RELAXED))
			cobj_env_relax();
	l->saved = saved;
}

static inline void cobj_unlock(struct cobj_lock *l)
{
	unsigned long saved = l->saved;

	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
	cobj_env_release(saved);
}

#endif
