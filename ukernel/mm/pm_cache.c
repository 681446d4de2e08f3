/*
 * Per-CPU free-frame caches of the root PM, as a clustered object (see
 * mm/pm_cache.h). A rep is a stack of CACHED frames with a lock that its
 * own CPU takes uncontended; the root takes it only to rebalance, so the
 * lock's line stays in its CPU's cache.
 *
 * Lock order: the cobj root lock (cobj_for_each_rep), then a rep's lock,
 * then the PM's list lock.
 */
#include <stddef.h>
#include <k42/errno.h>
#include <kern/cobj.h>
#include <kern/retired_wait.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/pm_cache.h>

struct pmc_rep {
	struct cobj_rep rep;	/* first */
	struct spinlock lock;
	unsigned n;
	uint64_t frame[PMC_MAX];
	uint64_t hits, refills, drains;
} __attribute__((aligned(128)));

/* The root: a cobj root plus the PM it caches for. Reps are per CPU and
 * live as long as the kernel, so they are static and need no freeing. */
static struct {
	struct cobj_root root;
	struct pm *pm;
	uint64_t rebalances;
} pmc;
static struct pmc_rep reps[SMP_MAX_CPUS];
static cobj_ref pmc_ref;

static struct cobj_rep *pmc_rep_create(struct cobj_root *root, uint32_t cpu)
{
	struct pmc_rep *r;

	(void)root;
	if (cpu >= SMP_MAX_CPUS)
		return NULL;
	r = &reps[cpu];
	spin_init(&r->lock);
	r->n = 0;
	return &r->rep;
}

static const struct cobj_root_ops pmc_ops = { pmc_rep_create, NULL, NULL };

static struct pmc_rep *my_rep(void)
{
	return (struct pmc_rep *)kcobj(pmc_ref);
}

static void drain_rep(struct cobj_rep *rep, void *arg)
{
	struct pmc_rep *r = (struct pmc_rep *)rep;
	uint64_t *given = arg;

	spin_lock(&r->lock);
	pm_give_batch(pmc.pm, r->frame, r->n);
	*given += r->n;
	r->n = 0;
	spin_unlock(&r->lock);
}

/* The root's rebalance: every rep's frames back to the lists. */
static uint64_t pmc_rebalance(struct pm *pm)
{
	uint64_t given = 0;

	(void)pm;
	cobj_for_each_rep(&pmc.root, drain_rep, &given);
	__atomic_add_fetch(&pmc.rebalances, 1, __ATOMIC_RELAXED);
	return given;
}

static int pmc_alloc(struct pm *pm, uint64_t *pa)
{
	struct pmc_rep *r = my_rep();
	uint64_t frame;

	if (!r)
		return pm_alloc_lists(pm, 0, pa);
	spin_lock(&r->lock);
	if (r->n == 0) {
		r->n = pm_take_batch(pm, r->frame, PMC_BATCH);
		r->refills++;
	} else {
		r->hits++;
	}
	if (r->n == 0) {
		spin_unlock(&r->lock);
		/* The lists are empty: frames other CPUs hold come back. */
		if (pmc_rebalance(pm) == 0)
			return -K42_ENOMEM;
		return pm_alloc_lists(pm, 0, pa);
	}
	frame = r->frame[--r->n];
	spin_unlock(&r->lock);
	if (pm_cached_to_used(pm, frame) < 0)
		return -K42_EINVAL;	/* a broken invariant: never handed out */
	*pa = frame;
	return 0;
}

static int pmc_free(struct pm *pm, uint64_t pa)
{
	struct pmc_rep *r = my_rep();
	int rc;

	if (!r) {
		uint64_t one = pa;

		if ((rc = pm_used_to_cached(pm, pa)) < 0)
			return rc;
		pm_give_batch(pm, &one, 1);
		return 0;
	}
	/* Checks the frame is one in use, atomically: a double free fails. */
	if ((rc = pm_used_to_cached(pm, pa)) < 0)
		return rc;
	spin_lock(&r->lock);
	if (r->n == PMC_MAX) {
		r->n -= PMC_BATCH;
		pm_give_batch(pm, &r->frame[r->n], PMC_BATCH);
		r->drains++;
	} else {
		r->hits++;
	}
	r->frame[r->n++] = pa;
	spin_unlock(&r->lock);
	return 0;
}

/* The kernel notes a refusal on the CPU that met it: a kernel call that
 * failed for it may wait for the frames quiescence will free
 * (kern/retired_wait.h). */
static void pmc_refused(struct pm *pm)
{
	(void)pm;
	retired_wait_note();
}

static const struct pm_cache_hooks pmc_hooks = { pmc_alloc, pmc_free, pmc_rebalance,
						 pmc_refused };

int pm_cache_init(void)
{
	int rc;

	pmc.pm = pm_root();
	rc = kcobj_create(&pmc.root, &pmc_ops, &pmc_ref);
	if (rc < 0)
		return rc;
	pm_set_cache(pmc.pm, &pmc_hooks);
	return 0;
}

static void add_stats(struct cobj_rep *rep, void *arg)
{
	struct pmc_rep *r = (struct pmc_rep *)rep;
	struct pm_cache_stats *s = arg;

	s->hits += __atomic_load_n(&r->hits, __ATOMIC_RELAXED);
	s->refills += __atomic_load_n(&r->refills, __ATOMIC_RELAXED);
	s->drains += __atomic_load_n(&r->drains, __ATOMIC_RELAXED);
	s->reps++;
}

void pm_cache_stats(struct pm_cache_stats *out)
{
	*out = (struct pm_cache_stats){ 0 };
	out->rebalances = __atomic_load_n(&pmc.rebalances, __ATOMIC_RELAXED);
	cobj_for_each_rep(&pmc.root, add_stats, out);
}
