/*
 * The user-level scheduler interface: a policy is one ops table in one
 * file (sched_fifo.c, sched_prio.c, sched_lottery.c), listed once in
 * sched_policies (libk42/meson.build), from which the build generates the
 * registry k42_sched_policies[]. The runtime owns
 * thread states and calls the policy with upcalls disabled; the policy
 * owns the queue links (sq_next, sq_prev, sq_key, sq_where) of every
 * thread it holds, ready AND blocked, so a swap can move all of them.
 * docs/writing-a-scheduler.md walks through adding one.
 */
#ifndef K42_SCHED_H
#define K42_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <k42/thread.h>

struct k42_sched_ops {
	const char *name;
	/* Bytes of one instance's state (at most K42_SCHED_STATE_MAX). Every
	 * dispatcher of a process has its own instance (docs/smp.md); every
	 * op gets the instance it works on as `self`, and a policy keeps no
	 * other mutable state. */
	size_t state_size;
	void (*init)(void *self);				/* empty state */
	void (*enqueue)(void *self, struct k42_thread *t);	/* t is READY: queue it */
	struct k42_thread *(*pick_next)(void *self);		/* dequeue the next to run, or NULL */
	void (*block)(void *self, struct k42_thread *t);	/* t (was running) is BLOCKED: hold it */
	void (*wake)(void *self, struct k42_thread *t);		/* held blocked t is READY again */
	/* At an event: should the running thread cur, dispatched `ran`
	 * timebase ticks ago, give way? */
	int (*tick)(void *self, struct k42_thread *cur, uint64_t ran);
	struct k42_thread *(*migrate_out)(void *self);		/* remove any held thread, or NULL */
	void (*migrate_in)(void *self, struct k42_thread *t);	/* hold t in its state (READY/BLOCKED) */
	void (*count)(void *self, uint64_t *ready, uint64_t *blocked);
};

/* The most state one policy instance may have (bytes, 16-aligned). */
#define K42_SCHED_STATE_MAX 1024

extern const struct k42_sched_ops k42_sched_fifo, k42_sched_prio, k42_sched_lottery;

/* The registry: every built-in policy, NULL-terminated (generated). */
extern const struct k42_sched_ops *const k42_sched_policies[];

/* The policy named by the n bytes at name, or NULL. */
const struct k42_sched_ops *k42_sched_find(const char *name, size_t n);

/*
 * The registered names, separated by sep ("fifo, prio, lottery" for
 * sep ", "), into buf (always terminated; cut at n - 1). For usage lines
 * and for errors that list the valid policies. Returns buf.
 */
char *k42_sched_names(char *buf, size_t n, const char *sep);

/* The time slice the policies use in tick (timebase ticks; 10 ms). */
#define K42_SCHED_SLICE_TB (512000000ull / 100)

/*
 * Choose the process's policy by name (one of k42_sched_policies). Legal
 * at any time: on every dispatcher of the process at once, each
 * dispatcher's ready and blocked threads migrate from its instance of the
 * old policy to a fresh instance of the new. Returns the number of
 * threads moved, or -K42_ENOENT.
 * The initial policy is k42_sched_initial (weak, "fifo"): a program may
 * define `const char *const k42_sched_initial = "prio";` to start with
 * another.
 */
long k42_sched_select(const char *name);
const char *k42_sched_current(void);
void k42_sched_census(uint64_t *ready, uint64_t *blocked);	/* all dispatchers */
extern const char *const k42_sched_initial;

#endif
