/*
 * User-space timers: any number of timeouts per process, kept in a binary
 * heap ordered by deadline (timebase ticks). The dispatcher's one kernel
 * timer (timer_set) is armed only for the earliest deadline, and only when
 * that deadline moves earlier; cancelling never enters the kernel.
 * Callbacks run with upcalls disabled, in whatever context noticed the
 * expiry: they must be short and must not block (waking threads is fine).
 */
#ifndef K42_TIMER_H
#define K42_TIMER_H

#include <stdint.h>

struct k42_timer {
	uint64_t deadline;		/* timebase ticks */
	void (*fn)(struct k42_timer *);
	void *arg;
	uint32_t slot;			/* heap index + 1; 0 when not armed */
};

/* The heap itself (pure code, host-tested). */
struct k42_timerheap {
	struct k42_timer **a;
	uint32_t n, cap;
};
int k42_theap_push(struct k42_timerheap *h, struct k42_timer *t);	/* 0 or -K42_ENOMEM */
void k42_theap_remove(struct k42_timerheap *h, struct k42_timer *t);
struct k42_timer *k42_theap_min(const struct k42_timerheap *h);
struct k42_timer *k42_theap_pop(struct k42_timerheap *h);

/* The process's timers. */
int k42_timer_add(struct k42_timer *t);		/* arm at t->deadline */
int k42_timer_cancel(struct k42_timer *t);	/* 1 if it was armed */
static inline int k42_timer_armed(const struct k42_timer *t) { return t->slot != 0; }
/* Run expired timers and re-arm the kernel timer; called by the runtime. */
void k42_timers_run(uint64_t now, int kernel_fired);
uint64_t k42_timer_next(void);	/* earliest deadline, or UINT64_MAX */
void k42_timers_forked(void);	/* in a forked child: re-arm its own kernel timer */
/* How many times libk42 called k42_sc_timer_set. */
extern uint64_t k42_timer_kernel_calls;

#endif
