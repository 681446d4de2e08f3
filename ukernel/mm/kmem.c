/*
 * Size-class allocator for kernel objects (see mm/kmem.h), as a
 * clustered object (docs/clustered-objects.md). Each CPU's representative
 * keeps a short free list per class, so most allocations and frees touch
 * only the calling CPU's rep and take no lock; the root is the global
 * depot, one free list per class threaded through the free objects, which
 * refills and drains the reps in batches. Frames are taken from the root
 * PM as the depot runs dry and are not returned (objects are recycled
 * within their class). The caller passes the size back to kmem_free, as
 * kernel objects know their own size.
 *
 * Locking: a rep is touched by its own CPU only (the kernel runs with
 * interrupts off); one lock per depot class, taken with nothing else held.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <kern/cobj.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

#define MIN_SHIFT 5
#define MAX_SHIFT 11
#define CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define REP_MAX 32	/* objects a rep keeps per class at most */
#define BATCH 16	/* objects moved between a rep and the depot at once */

struct free_obj {
	struct free_obj *next;
};

/* The root: the depot. */
static struct {
	struct spinlock lock;
	struct free_obj *free;
} classes[CLASSES];
static struct cobj_root kmem_root;
static cobj_ref kmem_ref;	/* 0 until kmem_cache_init: every CPU uses the depot */

struct kmem_rep {
	struct cobj_rep rep;	/* first */
	struct free_obj *free[CLASSES];
	unsigned n[CLASSES];
	int64_t live;		/* allocated here minus freed here */
} __attribute__((aligned(128)));

static struct kmem_rep reps[SMP_MAX_CPUS];
static uint64_t frames_in_use;
static uint64_t class_frames;	/* frames kept by the size classes (never returned) */
static int64_t depot_live;	/* objects allocated and freed without a rep */

static unsigned order_of_frames(size_t size)
{
	unsigned o = 0;

	while ((PM_PAGE_SIZE << o) < size)
		o++;
	return o;
}

static int class_of(size_t size)
{
	int c = 0;

	while (((size_t)1 << (c + MIN_SHIFT)) < size)
		c++;
	return c;
}

static struct cobj_rep *kmem_rep_create(struct cobj_root *root, uint32_t cpu)
{
	(void)root;
	return cpu < SMP_MAX_CPUS ? &reps[cpu].rep : NULL;
}

static const struct cobj_root_ops kmem_ops = { kmem_rep_create, NULL, NULL };

int kmem_cache_init(void)
{
	return kcobj_create(&kmem_root, &kmem_ops, &kmem_ref);
}

/* Up to `want` objects of class c from the depot (carving a frame if it is
 * empty), as a list; how many in *got. */
static struct free_obj *depot_take(int c, unsigned want, unsigned *got)
{
	struct free_obj *head = NULL, *o;
	unsigned n = 0;
	uint64_t pa;

	spin_lock(&classes[c].lock);
	if (!classes[c].free) {
		size_t obj = (size_t)1 << (c + MIN_SHIFT);
		char *page;

		if (pm_alloc(pm_root(), 0, &pa) < 0) {
			spin_unlock(&classes[c].lock);
			*got = 0;
			return NULL;
		}
		__atomic_add_fetch(&frames_in_use, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&class_frames, 1, __ATOMIC_RELAXED);
		page = phys_to_virt(pa);
		for (size_t off = 0; off + obj <= PM_PAGE_SIZE; off += obj) {
			o = (struct free_obj *)(page + off);
			o->next = classes[c].free;
			classes[c].free = o;
		}
	}
	while (n < want && classes[c].free) {
		o = classes[c].free;
		classes[c].free = o->next;
		o->next = head;
		head = o;
		n++;
	}
	spin_unlock(&classes[c].lock);
	*got = n;
	return head;
}

static void depot_give(int c, struct free_obj *head, struct free_obj *tail)
{
	spin_lock(&classes[c].lock);
	tail->next = classes[c].free;
	classes[c].free = head;
	spin_unlock(&classes[c].lock);
}

void *kmem_alloc(size_t size)
{
	struct kmem_rep *r;
	struct free_obj *o;
	uint64_t pa;
	int c;

	if (size == 0)
		size = 1;
	if (size > ((size_t)1 << MAX_SHIFT)) {
		unsigned order = order_of_frames(size);

		if (pm_alloc(pm_root(), order, &pa) < 0)
			return NULL;
		__atomic_add_fetch(&frames_in_use, 1ull << order, __ATOMIC_RELAXED);
		__atomic_add_fetch(&depot_live, 1, __ATOMIC_RELAXED);
		memset(phys_to_virt(pa), 0, PM_PAGE_SIZE << order);
		return phys_to_virt(pa);
	}
	c = class_of(size);
	r = (struct kmem_rep *)kcobj(kmem_ref);
	if (!r) {
		unsigned got;

		o = depot_take(c, 1, &got);
		if (!o)
			return NULL;
		__atomic_add_fetch(&depot_live, 1, __ATOMIC_RELAXED);
	} else {
		if (!r->free[c]) {
			r->free[c] = depot_take(c, BATCH, &r->n[c]);
			if (!r->free[c])
				return NULL;
		}
		o = r->free[c];
		r->free[c] = o->next;
		r->n[c]--;
		__atomic_store_n(&r->live, r->live + 1, __ATOMIC_RELAXED);
	}
	memset(o, 0, (size_t)1 << (c + MIN_SHIFT));
	return o;
}

void kmem_free(void *p, size_t size)
{
	struct free_obj *o = p;
	struct kmem_rep *r;
	int c;

	if (!p)
		return;
	if (size > ((size_t)1 << MAX_SHIFT)) {
		unsigned order = order_of_frames(size);

		if (pm_free(pm_root(), virt_to_phys(p), order) == 0)
			__atomic_sub_fetch(&frames_in_use, 1ull << order, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&depot_live, 1, __ATOMIC_RELAXED);
		return;
	}
	c = class_of(size);
	r = (struct kmem_rep *)kcobj(kmem_ref);
	if (!r) {
		depot_give(c, o, o);
		__atomic_sub_fetch(&depot_live, 1, __ATOMIC_RELAXED);
		return;
	}
	o->next = r->free[c];
	r->free[c] = o;
	__atomic_store_n(&r->live, r->live - 1, __ATOMIC_RELAXED);
	if (++r->n[c] > REP_MAX) {
		/* Give the oldest BATCH back: keep the recently freed, cache-warm ones. */
		struct free_obj *keep = r->free[c], *head, *tail;

		for (unsigned i = 1; i < r->n[c] - BATCH; i++)
			keep = keep->next;
		head = keep->next;
		keep->next = NULL;
		for (tail = head; tail->next; tail = tail->next)
			;
		depot_give(c, head, tail);
		r->n[c] -= BATCH;
	}
}

uint64_t kmem_class_frames(void)
{
	return __atomic_load_n(&class_frames, __ATOMIC_RELAXED);
}

uint64_t kmem_objects_live(void)
{
	int64_t live = __atomic_load_n(&depot_live, __ATOMIC_RELAXED);

	for (int i = 0; i < SMP_MAX_CPUS; i++)
		live += __atomic_load_n(&reps[i].live, __ATOMIC_RELAXED);
	return (uint64_t)live;
}

uint64_t kmem_frames_in_use(void)
{
	return __atomic_load_n(&frames_in_use, __ATOMIC_RELAXED);
}
