/*
 * Size-class allocator for kernel objects (see mm/kmem.h). Each class keeps
 * a free list threaded through its free objects; frames are taken from the
 * root PM as classes run dry and are not returned (objects are recycled
 * within their class). The caller passes the size back to kmem_free, as
 * kernel objects know their own size.
 *
 * Locking: one lock per class.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <kern/spinlock.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

#define MIN_SHIFT 5
#define MAX_SHIFT 11
#define CLASSES (MAX_SHIFT - MIN_SHIFT + 1)

struct free_obj {
	struct free_obj *next;
};

static struct {
	struct spinlock lock;
	struct free_obj *free;
} classes[CLASSES];
static uint64_t frames_in_use;
static uint64_t class_frames;	/* frames kept by the size classes (never returned) */
static uint64_t objects_live;	/* objects allocated and not yet freed */

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

void *kmem_alloc(size_t size)
{
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
		__atomic_add_fetch(&objects_live, 1, __ATOMIC_RELAXED);
		memset(phys_to_virt(pa), 0, PM_PAGE_SIZE << order);
		return phys_to_virt(pa);
	}
	c = class_of(size);
	spin_lock(&classes[c].lock);
	if (!classes[c].free) {
		size_t obj = (size_t)1 << (c + MIN_SHIFT);
		char *page;

		if (pm_alloc(pm_root(), 0, &pa) < 0) {
			spin_unlock(&classes[c].lock);
			return NULL;
		}
		frames_in_use++;
		class_frames++;
		page = phys_to_virt(pa);
		for (size_t off = 0; off + obj <= PM_PAGE_SIZE; off += obj) {
			o = (struct free_obj *)(page + off);
			o->next = classes[c].free;
			classes[c].free = o;
		}
	}
	o = classes[c].free;
	classes[c].free = o->next;
	__atomic_add_fetch(&objects_live, 1, __ATOMIC_RELAXED);
	spin_unlock(&classes[c].lock);
	memset(o, 0, (size_t)1 << (c + MIN_SHIFT));
	return o;
}

void kmem_free(void *p, size_t size)
{
	struct free_obj *o = p;
	int c;

	if (!p)
		return;
	if (size > ((size_t)1 << MAX_SHIFT)) {
		unsigned order = order_of_frames(size);

		if (pm_free(pm_root(), virt_to_phys(p), order) == 0)
			__atomic_sub_fetch(&frames_in_use, 1ull << order, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&objects_live, 1, __ATOMIC_RELAXED);
		return;
	}
	c = class_of(size);
	spin_lock(&classes[c].lock);
	o->next = classes[c].free;
	classes[c].free = o;
	__atomic_sub_fetch(&objects_live, 1, __ATOMIC_RELAXED);
	spin_unlock(&classes[c].lock);
}

uint64_t kmem_class_frames(void)
{
	return class_frames;
}

uint64_t kmem_objects_live(void)
{
	return objects_live;
}

uint64_t kmem_frames_in_use(void)
{
	return frames_in_use;
}
