/*
 * Deferred deletion (RCU-like): an object is freed only after every CPU
 * has passed a quiescent point (a return to user mode or the idle loop,
 * where the kernel holds no object pointers) since it was retired. This is
 * what lets an object drop its lock before calling another object, and
 * what later hot swapping builds on.
 *
 * Each CPU counts its quiescent points; a retired object records the
 * counts at retirement and is freed once every CPU's count has moved.
 */
#ifndef KERN_QUIESCE_H
#define KERN_QUIESCE_H

#include <stdint.h>

#define QUIESCE_MAX_CPUS 64

struct deferred {
	struct deferred *next;
	void (*free)(struct deferred *d);
	uint64_t seen[QUIESCE_MAX_CPUS];	/* each CPU's count at retirement */
};

struct quiesce {
	int ncpus;
	uint64_t count[QUIESCE_MAX_CPUS];
	struct deferred *head;
	uint64_t waiting;
};

void quiesce_init(struct quiesce *q, int ncpus);
/* Retire d: d->free(d) runs once every CPU has passed a quiescent point. */
void quiesce_defer(struct quiesce *q, struct deferred *d, void (*fn)(struct deferred *));
/* CPU `cpu` is at a quiescent point: run what has become safe to free. */
void quiesce_point(struct quiesce *q, int cpu);
uint64_t quiesce_waiting(const struct quiesce *q);

/* The kernel's instance. */
struct quiesce *quiesce_kernel(void);

#endif
