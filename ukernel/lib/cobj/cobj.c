/*
 * The clustered-object core (see cobj/cobj.h): slots, misses, deletion
 * through quiescence, and the root replacement hot swap builds on. Pure
 * code: the kernel, libk42 and the host tests build this file.
 *
 * Lock order: a root's lock, then nothing; the space lock, then nothing.
 */
#include <stddef.h>
#include <k42/errno.h>
#include <cobj/cobj.h>

void cobj_space_init(struct cobj_space *s, uint32_t nslots, uint32_t ncpus,
		     struct cobj_root **roots, uint32_t *words, struct quiesce *q)
{
	s->nslots = nslots;
	s->ncpus = ncpus > COBJ_MAX_CPUS ? COBJ_MAX_CPUS : ncpus;
	s->roots = roots;
	for (int i = 0; i < COBJ_MAX_CPUS; i++)
		s->local[i] = NULL;
	s->q = q;
	cobj_lock_init(&s->lock);
	s->slot_gen = words;
	s->free_next = words + nslots;
	/* Free list 1, 2, ..., nslots - 1; slot 0 is never handed out. */
	s->free_head = nslots > 1 ? 1 : 0;
	for (uint32_t i = 1; i < nslots; i++) {
		s->free_next[i] = i + 1 < nslots ? i + 1 : 0;
		s->slot_gen[i] = 1;
		roots[i] = NULL;
	}
	s->live = 0;
	s->misses = s->creates = s->destroys = 0;
}

void cobj_space_add_cpu(struct cobj_space *s, uint32_t cpu, struct cobj_rep **local)
{
	if (cpu >= COBJ_MAX_CPUS)
		return;
	__atomic_store_n(&s->local[cpu], local, __ATOMIC_RELEASE);
	if (cpu >= s->ncpus)
		__atomic_store_n(&s->ncpus, cpu + 1, __ATOMIC_RELEASE);
}

int cobj_create(struct cobj_space *s, struct cobj_root *root, const struct cobj_root_ops *ops,
		cobj_ref *ref)
{
	uint32_t slot;

	root->ops = ops;
	root->space = s;
	cobj_lock_init(&root->lock);
	root->dying = 0;
	root->nreps = 0;
	root->reps = NULL;
	cobj_lock(&s->lock);
	slot = s->free_head;
	if (slot == 0) {
		cobj_unlock(&s->lock);
		return -K42_ENOSPC;
	}
	s->free_head = s->free_next[slot];
	s->live++;
	s->creates++;
	root->ref = (uint64_t)s->slot_gen[slot] << 32 | slot;
	cobj_unlock(&s->lock);
	/* Publish: the root's fields are visible before anyone can find it. */
	__atomic_store_n(&s->roots[slot], root, __ATOMIC_RELEASE);
	*ref = root->ref;
	return 0;
}

struct cobj_root *cobj_root_of(struct cobj_space *s, cobj_ref ref)
{
	uint32_t slot = cobj_ref_slot(ref);
	struct cobj_root *root;

	if (slot == 0 || slot >= s->nslots)
		return NULL;
	root = __atomic_load_n(&s->roots[slot], __ATOMIC_ACQUIRE);
	if (!root || root->ref != ref)
		return NULL;
	return root;
}

struct cobj_rep *cobj_miss(struct cobj_space *s, uint32_t cpu, cobj_ref ref)
{
	uint32_t slot = cobj_ref_slot(ref);
	struct cobj_root *root;
	struct cobj_rep *r;

	if (cpu >= COBJ_MAX_CPUS || !s->local[cpu])
		return NULL;
	__atomic_add_fetch(&s->misses, 1, __ATOMIC_RELAXED);
	for (;;) {
		root = cobj_root_of(s, ref);
		if (!root)
			return NULL;
		cobj_lock(&root->lock);
		if (root->dying) {
			cobj_unlock(&root->lock);
			return NULL;
		}
		/* Replaced (hot swap) since we read the global table: the
		 * local entry must only ever name a rep of the current root. */
		if (__atomic_load_n(&s->roots[slot], __ATOMIC_ACQUIRE) == root)
			break;
		cobj_unlock(&root->lock);
	}
	r = root->ops->rep_create(root, cpu);
	if (!r) {
		cobj_unlock(&root->lock);
		return NULL;
	}
	if (!r->root) {
		r->root = root;
		r->cpu = cpu;
		r->gen = cobj_ref_gen(ref);
		r->next = root->reps;
		root->reps = r;
		root->nreps++;
	}
	/* Under the root lock: a deletion or replacement that clears the
	 * local entries takes it first, so none is filled after them. */
	__atomic_store_n(&s->local[cpu][slot], r, __ATOMIC_RELEASE);
	cobj_unlock(&root->lock);
	return r;
}

static void clear_local(struct cobj_space *s, uint32_t slot)
{
	uint32_t ncpus = __atomic_load_n(&s->ncpus, __ATOMIC_ACQUIRE);

	for (uint32_t c = 0; c < ncpus; c++) {
		struct cobj_rep **local = __atomic_load_n(&s->local[c], __ATOMIC_ACQUIRE);

		if (local)
			__atomic_store_n(&local[slot], NULL, __ATOMIC_RELEASE);
	}
}

void cobj_flush_local(struct cobj_space *s, cobj_ref ref)
{
	struct cobj_root *root = cobj_root_of(s, ref);

	if (!root)
		return;
	cobj_lock(&root->lock);
	clear_local(s, cobj_ref_slot(ref));
	cobj_unlock(&root->lock);
}

/* After quiescence: no CPU holds a rep or the root; free them, then the slot. */
static void reclaim(struct deferred *d)
{
	struct cobj_root *root = (struct cobj_root *)((char *)d - offsetof(struct cobj_root, dfr));
	struct cobj_space *s = root->space;
	uint32_t slot = cobj_ref_slot(root->ref);
	const struct cobj_root_ops *ops = root->ops;

	for (struct cobj_rep *r = root->reps, *next; r; r = next) {
		next = r->next;
		if (ops->rep_destroy)
			ops->rep_destroy(root, r);
	}
	root->reps = NULL;
	cobj_lock(&s->lock);
	/* A new generation: refs to the old object find nothing. Slot
	 * generations start at 1 and skip 0 when they wrap. */
	if (++s->slot_gen[slot] == 0)
		s->slot_gen[slot] = 1;
	s->free_next[slot] = s->free_head;
	s->free_head = slot;
	s->live--;
	s->destroys++;
	cobj_unlock(&s->lock);
	if (ops->root_destroy)
		ops->root_destroy(root);
}

int cobj_destroy(struct cobj_space *s, uint32_t cpu, cobj_ref ref)
{
	struct cobj_root *root = cobj_root_of(s, ref);
	uint32_t slot = cobj_ref_slot(ref);

	if (!root)
		return -K42_ENOENT;
	cobj_lock(&root->lock);
	if (root->dying || __atomic_load_n(&s->roots[slot], __ATOMIC_ACQUIRE) != root) {
		cobj_unlock(&root->lock);
		return -K42_ENOENT;
	}
	root->dying = 1;
	__atomic_store_n(&s->roots[slot], NULL, __ATOMIC_RELEASE);
	clear_local(s, slot);
	cobj_unlock(&root->lock);
	quiesce_defer(s->q, cpu, &root->dfr, reclaim);
	return 0;
}

int cobj_root_replace(struct cobj_space *s, cobj_ref ref, struct cobj_root *next,
		      const struct cobj_root_ops *ops, struct cobj_root **prev)
{
	struct cobj_root *root = cobj_root_of(s, ref);
	uint32_t slot = cobj_ref_slot(ref);

	if (!root)
		return -K42_ENOENT;
	next->ops = ops;
	next->space = s;
	next->ref = ref;
	cobj_lock_init(&next->lock);
	next->dying = 0;
	next->nreps = 0;
	next->reps = NULL;
	cobj_lock(&root->lock);
	if (root->dying || __atomic_load_n(&s->roots[slot], __ATOMIC_ACQUIRE) != root) {
		cobj_unlock(&root->lock);
		return -K42_ENOENT;
	}
	/* From here a miss that read the old root fails its re-check (it
	 * takes this lock after us), and every miss that starts finds next. */
	__atomic_store_n(&s->roots[slot], next, __ATOMIC_RELEASE);
	clear_local(s, slot);
	cobj_unlock(&root->lock);
	*prev = root;
	return 0;
}

void cobj_for_each_rep(struct cobj_root *root, void (*fn)(struct cobj_rep *rep, void *arg),
		       void *arg)
{
	cobj_lock(&root->lock);
	for (struct cobj_rep *r = root->reps; r; r = r->next)
		fn(r, arg);
	cobj_unlock(&root->lock);
}
