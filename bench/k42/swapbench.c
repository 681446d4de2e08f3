/*
 * Hot swap's costs for ./k42 bench (docs/hot-swap.md): a call on a
 * swappable object that is not being swapped (k42_obj through the
 * process's translation table, then the rep's function table), next to
 * the same call made through a rep pointer the caller already holds; and
 * a whole swap (mediator in, drain, transfer, switch), which is how long
 * the object's callers are held.
 */
#include <stddef.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/hotswap.h>
#include "swapbench.h"

struct ctr_rep;
struct ctr_ops {
	uint64_t (*inc)(struct ctr_rep *r);
};
struct ctr_rep {
	struct cobj_rep rep;	/* first */
	const struct ctr_ops *ops;
	uint64_t n;
};
struct ctr {
	struct cobj_root root;	/* first */
	struct ctr_rep rep;
};

static uint64_t ctr_inc(struct ctr_rep *r)
{
	return ++r->n;
}

static const struct ctr_ops ctr_ops = { ctr_inc };

static struct cobj_rep *ctr_rep_create(struct cobj_root *root, uint32_t cpu)
{
	(void)cpu;
	return &((struct ctr *)root)->rep.rep;
}

static void ctr_rep_destroy(struct cobj_root *root, struct cobj_rep *rep)
{
	(void)root;
	(void)rep;
}

static const struct cobj_root_ops ctr_root_ops = { ctr_rep_create, ctr_rep_destroy, NULL };

static struct cobj_root *ctr_create(void)
{
	struct ctr *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->rep.ops = &ctr_ops;
	return &c->root;
}

static long ctr_transfer(struct cobj_root *from, struct cobj_root *to)
{
	((struct ctr *)to)->rep.n = ((struct ctr *)from)->rep.n;
	return 0;
}

static void ctr_destroy(struct cobj_root *root)
{
	free(root);
}

static const struct k42_swap_impl ctr_impls[] = {
	{ "plain", ctr_create, &ctr_root_ops, ctr_transfer, ctr_destroy },
};

static struct k42_swappable counter = {
	.name = "bench.counter",
	.impls = ctr_impls,
	.nimpls = 1,
};

static struct ctr_rep *held_rep;	/* the direct call's rep, read each time */

int swapbench_init(void)
{
	struct ctr *c = (struct ctr *)ctr_create();

	if (!c || k42_obj_publish(&counter, "plain") < 0)
		return -1;
	held_rep = &c->rep;
	return 0;
}

uint64_t swapbench_calls(uint32_t swappable, uint32_t iters, uint64_t *errors)
{
	uint64_t t0 = k42_timebase();

	for (uint32_t i = 0; i < iters; i++) {
		struct ctr_rep *r = swappable ? (struct ctr_rep *)k42_obj(counter.ref)
					      : __atomic_load_n(&held_rep, __ATOMIC_RELAXED);
		uint64_t before = r ? r->n : 0;

		if (!r || r->ops->inc(r) != before + 1)
			(*errors)++;
	}
	return k42_timebase() - t0;
}

uint64_t swapbench_swaps(uint32_t iters, uint64_t *errors)
{
	uint64_t t0 = k42_timebase(), n;
	struct ctr_rep *r = (struct ctr_rep *)k42_obj(counter.ref);

	n = r ? r->n : 0;
	for (uint32_t i = 0; i < iters; i++)
		if (k42_obj_swap(&counter, "plain") < 0)
			(*errors)++;
	/* The count moved with every swap, and a new root serves. */
	r = (struct ctr_rep *)k42_obj(counter.ref);
	if (!r || r->n != n || counter.swaps < iters)
		(*errors)++;
	return k42_timebase() - t0;
}
