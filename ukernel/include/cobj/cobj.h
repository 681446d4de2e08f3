/*
 * Clustered objects (see docs/clustered-objects.md): one object seen
 * through a representative per CPU, found through an object translation
 * table. Generic: the kernel (kern/cobj.c) and libk42 (src/cobj_env.c)
 * build the same code over their own space; "CPU" is a processor in the
 * kernel and a dispatcher in libk42.
 *
 * - A clustered object is named by a cobj_ref: its slot in the table and
 *   the slot's generation (a stale ref to a reused slot finds nothing).
 * - The space holds one global table (slot -> root) and one local table
 *   per CPU (slot -> this CPU's rep). A lookup is one load from the local
 *   table plus a generation check; a NULL entry is a miss.
 * - A miss goes to the root: under the root's lock, root->ops->rep_create
 *   makes (or picks) the rep for this CPU, the root links it in its list,
 *   and the local entry is filled. The root owns every rep.
 * - Deletion unlinks the root from the global table, clears every local
 *   entry, and frees the reps and the root through quiescence
 *   (cobj/quiesce.h): a CPU that looked a rep up before may use it until
 *   its next quiescent point.
 * - Hot swap: cobj_root_replace installs another root (a mediator, or the
 *   new implementation) in the same slot under the same ref and clears
 *   the local entries, so every CPU's next call misses into it.
 *
 * Locking: the space lock (slot allocation) and each root's lock (its
 * rep list and misses); a root lock is never held while taking the space
 * lock. rep_create runs under the root lock and must not call a lookup of
 * the same object. Lookups take no lock.
 */
#ifndef COBJ_COBJ_H
#define COBJ_COBJ_H

#include <stddef.h>
#include <stdint.h>
#include <cobj/lock.h>
#include <cobj/quiesce.h>

#define COBJ_MAX_CPUS QUIESCE_MAX_CPUS

/* slot | generation << 32; 0 is never a valid ref (slot 0 stays unused). */
typedef uint64_t cobj_ref;

static inline uint32_t cobj_ref_slot(cobj_ref r)
{
	return (uint32_t)r;
}

static inline uint32_t cobj_ref_gen(cobj_ref r)
{
	return (uint32_t)(r >> 32);
}

struct cobj_root;

/* Every representative starts with this. */
struct cobj_rep {
	struct cobj_root *root;		/* owner; NULL until linked by the miss */
	struct cobj_rep *next;		/* in the root's list (root lock) */
	uint32_t gen;			/* the ref's generation: checked on each hit */
	uint32_t cpu;			/* the CPU it was made for */
};

struct cobj_root_ops {
	/* A miss on `cpu`: return a fresh rep (root == NULL: it is linked
	 * into the root's list), or an existing one of this root (shared
	 * reps), or NULL (no memory: the lookup fails). Root lock held. */
	struct cobj_rep *(*rep_create)(struct cobj_root *root, uint32_t cpu);
	/* After deletion and quiescence: free one rep of the list. */
	void (*rep_destroy)(struct cobj_root *root, struct cobj_rep *rep);
	/* After every rep: free the root itself (may be NULL). */
	void (*root_destroy)(struct cobj_root *root);
};

struct cobj_space;

struct cobj_root {
	const struct cobj_root_ops *ops;
	struct cobj_space *space;
	cobj_ref ref;
	struct cobj_lock lock;
	uint32_t dying;			/* deleted: misses fail */
	uint32_t nreps;
	struct cobj_rep *reps;		/* every rep made for this root */
	struct deferred dfr;		/* deletion through quiescence */
};

struct cobj_space {
	uint32_t nslots, ncpus;
	struct cobj_root **roots;	/* nslots: the global table */
	struct cobj_rep **local[COBJ_MAX_CPUS];	/* nslots each, per CPU */
	struct quiesce *q;		/* where deletions wait */
	struct cobj_lock lock;		/* slot free list and generations */
	uint32_t *slot_gen;		/* nslots: generation of each slot */
	uint32_t *free_next;		/* nslots: free list of slots */
	uint32_t free_head;		/* 0: none free */
	uint32_t live;			/* slots in use (including dying) */
	uint64_t misses, creates, destroys;	/* statistics */
};

/*
 * Set a space up over memory the caller provides: `roots` and each of the
 * `ncpus` local tables hold nslots pointers, `words` 2 * nslots uint32_t;
 * all zeroed. Slot 0 is never used, so nslots - 1 objects fit.
 */
void cobj_space_init(struct cobj_space *s, uint32_t nslots, uint32_t ncpus,
		     struct cobj_root **roots, uint32_t *words, struct quiesce *q);
/* Give CPU `cpu` its local table (zeroed, nslots entries); before its first lookup. */
void cobj_space_add_cpu(struct cobj_space *s, uint32_t cpu, struct cobj_rep **local);

/* Enter `root` (with its ops) in a free slot; 0 and *ref, or -K42_ENOSPC. */
int cobj_create(struct cobj_space *s, struct cobj_root *root, const struct cobj_root_ops *ops,
		cobj_ref *ref) __attribute__((warn_unused_result));

/* The slow path of cobj_lookup. */
struct cobj_rep *cobj_miss(struct cobj_space *s, uint32_t cpu, cobj_ref ref);

/* The rep of `ref` for `cpu` (the caller's CPU), made on first use; NULL
 * if there is no such object (never made, deleted, stale ref) or no memory. */
static inline struct cobj_rep *cobj_lookup(struct cobj_space *s, uint32_t cpu, cobj_ref ref)
{
	uint32_t slot = cobj_ref_slot(ref);

	if (__builtin_expect(slot < s->nslots, 1)) {
		/* Relaxed, not acquire: the rep's fields are read through the
		 * pointer just loaded, and that address dependency orders them
		 * after the miss's release store on every CPU we build for
		 * (as an RCU dereference), without acquire's isync on POWER. */
		struct cobj_rep *r = __atomic_load_n(&s->local[cpu][slot], __ATOMIC_RELAXED);

		if (__builtin_expect(r != NULL, 1) && r->gen == cobj_ref_gen(ref))
			return r;
	}
	return cobj_miss(s, cpu, ref);
}

/* The root of `ref`, or NULL (no lock: valid until the caller's next quiescent point). */
struct cobj_root *cobj_root_of(struct cobj_space *s, cobj_ref ref);

/* Delete: no lookup from now on finds it; reps and root are freed after
 * quiescence (retired on `cpu`, the caller's). -K42_ENOENT if not live. */
int cobj_destroy(struct cobj_space *s, uint32_t cpu, cobj_ref ref);

/*
 * Hot swap's primitive: put `next` (not in any slot yet; ops given) in
 * `ref`'s slot under the same ref, and clear every CPU's local entry, so
 * each CPU's next lookup misses into `next`. The previous root and its
 * reps stay untouched and owned by the caller (returned in *prev): CPUs
 * that looked them up may use them until their next quiescent point, so
 * the caller frees or reuses them after quiescence (quiesce_defer).
 * -K42_ENOENT if `ref` is not live.
 */
int cobj_root_replace(struct cobj_space *s, cobj_ref ref, struct cobj_root *next,
		      const struct cobj_root_ops *ops, struct cobj_root **prev)
	__attribute__((warn_unused_result));

/* Forget every CPU's rep of `ref` (each next lookup misses into the root). */
void cobj_flush_local(struct cobj_space *s, cobj_ref ref);

/* Visit every rep of `root` (under its lock): for rebalancing and statistics. */
void cobj_for_each_rep(struct cobj_root *root, void (*fn)(struct cobj_rep *rep, void *arg),
		       void *arg);

#endif
