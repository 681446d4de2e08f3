/*
 * Hot swap inside a process (docs/hot-swap.md): swappable objects are
 * clustered objects (<k42/cobj.h>) in the process's own translation
 * table, k42_cobj_space(); "the CPU" is the dispatcher. Every call finds the
 * object's representative through the table (k42_obj), so replacing the
 * table entry replaces the object for every later call, and an object
 * that is not being swapped pays nothing more than that lookup.
 *
 * The protocol (k42_obj_swap):
 *  1. a mediator root takes over the object's entry (cobj_root_replace),
 *     knowing the root it replaces and the generation before it is
 *     found: lookups miss into it and get no rep, so new calls are held
 *     (k42_obj blocks the calling thread until the switch);
 *  2. calls already in flight drain: activations (served calls) are
 *     counted per generation, the generation flips after step 1, and the
 *     swap waits until the old generation's count is zero (no lock on
 *     the common path: one atomic add and subtract per served call).
 *     A held call that belongs to the old generation goes to the old
 *     object, so it can finish;
 *  3. the implementation's transfer moves the state, old to new;
 *  4. the new root takes the entry, the held calls go on into it;
 *  5. the old root and its reps are freed once another generation has
 *     drained.
 * An interposer is attached the same way with the old root kept as its
 * inner object (no state moves), and detached by swapping the inner root
 * back in.
 *
 * Objects are published by name with their implementations and
 * interposers; libk42 answers idl/swap.idl so a process's manager (the
 * shell, a test) can list, swap and interpose them while clients call.
 */
#ifndef K42_HOTSWAP_H
#define K42_HOTSWAP_H

#include <stdint.h>
#include <k42/cobj.h>

/* Activations: a served call counts from before the program's handler
 * runs until it returns, in the generation current when it began. */
extern uint32_t k42_act_gen;
extern uint64_t k42_act_count[2];

/* Count the calling thread as an activation (a call on objects made
 * outside a served call must be, or a swap may not wait for it); returns
 * its generation for k42_act_exit. Served calls are counted by libk42. */
uint32_t k42_act_enter(uint32_t *prev);
void k42_act_exit(uint32_t gen, uint32_t prev);

/* The rep of root for this dispatcher (an interposer reaching the
 * object under it), made if need be. */
struct cobj_rep *k42_obj_rep_of(struct cobj_root *root);

/* The slow path of k42_obj: held during a swap, or no such object. */
struct cobj_rep *k42_obj_slow(cobj_ref ref);

/* The calling dispatcher's rep of ref. During a swap of ref this waits
 * for the switch (in a thread; outside one it returns NULL: retry). NULL:
 * no such object. */
static inline struct cobj_rep *k42_obj(cobj_ref ref)
{
	struct cobj_rep *r = k42_cobj(ref);

	return __builtin_expect(r != NULL, 1) ? r : k42_obj_slow(ref);
}

struct k42_swap_impl {
	const char *name;
	/* A new root of this implementation, empty (not in any slot), or NULL. */
	struct cobj_root *(*create)(void);
	const struct cobj_root_ops *ops;
	/* Move the state of `from` (no call runs in it) into the empty `to`:
	 * 0, or -K42_E* (the swap is called off and `from` serves on). */
	long (*transfer)(struct cobj_root *from, struct cobj_root *to);
	/* Free a root of this implementation that never served (the swap
	 * was called off) or that has been swapped out (after quiescence,
	 * its reps already destroyed). */
	void (*destroy)(struct cobj_root *root);
};

struct k42_swap_interposer {
	const char *name;
	/* A root that forwards every call to `inner` (which it does not own). */
	struct cobj_root *(*create)(struct cobj_root *inner);
	const struct cobj_root_ops *ops;
	/* What it has seen (e.g. calls counted); reported by the listing. */
	uint64_t (*count)(struct cobj_root *self);
	void (*destroy)(struct cobj_root *self);
};

struct k42_swappable {
	const char *name;			/* "kv.table": [a-z0-9._-], < 32 bytes */
	const struct k42_swap_impl *impls;	/* one registry per object type */
	unsigned nimpls;
	const struct k42_swap_interposer *interposers;
	unsigned ninterposers;
	/* Filled by libk42. */
	cobj_ref ref;
	const struct k42_swap_impl *impl;	/* the implementation serving */
	const struct k42_swap_interposer *interposer;	/* attached, or NULL */
	struct cobj_root *inner;		/* the implementation's root under it */
	uint64_t swaps, held, drained;		/* swaps done; calls held; calls waited for */
	void *mediator;				/* its mediator (hotswap.c), kept for good */
	struct k42_swappable *next;
};

/* Create o with implementation `impl` in the table and publish it: 0 and
 * o->ref, or -K42_E*. */
long k42_obj_publish(struct k42_swappable *o, const char *impl);
/* Swap o to implementation `impl` while it is called (the protocol
 * above): 0, -K42_ENOENT (no such implementation), -K42_EBUSY (an
 * interposer is attached, or another swap runs and the caller cannot wait
 * for it: the dispatcher's handler; a thread waits its turn), or the
 * transfer's error. */
long k42_obj_swap(struct k42_swappable *o, const char *impl);
/* Attach interposer `name`, or detach the attached one (name NULL or ""). */
long k42_obj_interpose(struct k42_swappable *o, const char *name);
/* A published object by name, or NULL. */
struct k42_swappable *k42_obj_find(const char *name);

#endif
