/*
 * Quiescence by generation counts, per CPU (RCU-like deferred deletion):
 * an object unlinked from every shared structure is retired, and freed
 * only once every CPU has passed a quiescent point (a moment where it
 * holds no pointer into shared objects: the kernel's return to user mode
 * and its idle loop) since the retirement. Generic: the kernel and libk42
 * build the same code; "CPU" is whatever the environment runs on (a
 * processor in the kernel, a dispatcher in libk42).
 *
 * How: a token circulates over the CPUs. The CPU holding it passes it on
 * at its next quiescent point; a CPU in an extended quiescent state
 * (idle, marked with quiesce_idle_enter) is skipped, and its token may
 * be taken over by any CPU. Each time the token wraps past the last CPU
 * the global generation advances. An object retired in generation G is
 * safe in generation G + 2: the whole round G + 1 -> G + 2 began after
 * the retirement, so every CPU passed a point after it.
 *
 * Retired objects wait on the retiring CPU's own list (no shared list, no
 * lock) and are freed by that CPU at its own quiescent points. A point on
 * a CPU that holds no token and has nothing ripe costs a few loads.
 *
 * Ordering: retirement and quiescent points of one CPU are never
 * concurrent with each other (the kernel runs them with interrupts off;
 * libk42 with upcalls disabled); different CPUs run them in parallel.
 */
#ifndef COBJ_QUIESCE_H
#define COBJ_QUIESCE_H

#include <stdint.h>

#define QUIESCE_MAX_CPUS 64
/* Generations between retirement and freeing (see above). */
#define QUIESCE_GENS 2

struct deferred {
	struct deferred *next;
	void (*free)(struct deferred *d);
	uint64_t gen;			/* global generation at retirement */
};

struct quiesce_cpu {
	struct deferred *head, *tail;	/* own retirements, oldest first */
	uint64_t waiting;		/* on this list; written by its CPU only */
	uint64_t freed;			/* freed from this list, ever */
	uint64_t points;		/* quiescent points passed */
	/* The newest retirement's generation plus one, 0 if the list is
	 * empty (so a zeroed struct is right): written by its CPU only,
	 * read by others to decide whether waking it, idle, frees all it
	 * holds (quiesce_all_ripe_at). */
	uint64_t tail_gen1;
} __attribute__((aligned(128)));	/* a cache line each: no false sharing */

struct quiesce {
	/* generation << 8 | the CPU holding the token; one word so that a
	 * pass (or a take-over from an idle CPU) is one compare-and-swap. */
	uint64_t state;
	uint32_t ncpus;
	/* Read by every CPU at every point, written only on idle entry and
	 * exit: kept apart from the per-CPU lines written at each point. */
	struct {
		uint32_t flag;		/* in an extended quiescent state */
	} idle[QUIESCE_MAX_CPUS] __attribute__((aligned(128)));
	struct quiesce_cpu cpu[QUIESCE_MAX_CPUS];
};

void quiesce_init(struct quiesce *q, uint32_t ncpus);
/* More CPUs came online (never fewer). */
void quiesce_set_ncpus(struct quiesce *q, uint32_t ncpus);

/* On `cpu`: retire d; d->free(d) runs on `cpu` at one of its quiescent
 * points, QUIESCE_GENS generations later. The caller has already made d
 * unreachable for anyone who starts looking after this call. */
void quiesce_defer(struct quiesce *q, uint32_t cpu, struct deferred *d,
		   void (*fn)(struct deferred *d));

/* `cpu` holds no pointers into shared objects: pass the token if it is
 * ours (or held by an idle CPU), then free what has become safe here. */
void quiesce_point(struct quiesce *q, uint32_t cpu);
/* The same point, passing the token only: nothing is freed here (for a
 * CPU at a quiescent point where freeing is not allowed, e.g. outside
 * the kernel lock). */
void quiesce_pass(struct quiesce *q, uint32_t cpu);

/* `cpu` stops (starts again) touching shared objects for a while: it is
 * skipped by the token while idle. Enter is also a quiescent point. */
void quiesce_idle_enter(struct quiesce *q, uint32_t cpu);
void quiesce_idle_exit(struct quiesce *q, uint32_t cpu);
/* quiesce_idle_enter, passing the token only: nothing is freed (for a CPU
 * that goes idle where freeing is not allowed, e.g. outside the kernel
 * lock; what is ripe on it waits until a point that may free). */
void quiesce_idle_mark(struct quiesce *q, uint32_t cpu);

uint64_t quiesce_generation(const struct quiesce *q);
/* Objects retired and not yet freed, on every CPU. */
uint64_t quiesce_waiting(const struct quiesce *q);
/* Objects freed, ever, on every CPU. */
uint64_t quiesce_freed(const struct quiesce *q);
/* Has `cpu` retired objects that its next quiescent point would free?
 * (Read on `cpu` itself.) */
int quiesce_ripe(const struct quiesce *q, uint32_t cpu);
/* From any CPU: does `cpu` hold retired objects, and would its next
 * point free every one of them at generation gen? One load of a word
 * `cpu` publishes; it never follows the list. */
int quiesce_all_ripe_at(const struct quiesce *q, uint32_t cpu, uint64_t gen);
/* quiesce_defer of an object whose fn takes no lock beyond leaf ones
 * (an allocator's): quiesce_reclaim_leaf may free it outside any other
 * lock, on cpu, at any time once it is ripe. */
void quiesce_defer_leaf(struct quiesce *q, uint32_t cpu, struct deferred *d,
			void (*fn)(struct deferred *d));
/* Free the ripe leaf objects at the head of cpu's list (oldest first,
 * stopping at one that is not ripe or not leaf); how many. */
uint64_t quiesce_reclaim_leaf(struct quiesce *q, uint32_t cpu);

#endif
