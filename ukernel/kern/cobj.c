/*
 * The kernel's clustered-object space (see kern/cobj.h): its tables come
 * straight from the root PM's buddy allocator, so the objects built on it
 * (the PM's per-CPU caches, kmem) can be clustered objects themselves.
 * Also the kernel's hooks for the core's lock (cobj/lock.h): the kernel
 * runs with interrupts off, so holding needs nothing.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <kern/cobj.h>
#include <kern/quiesce.h>
#include <mm/meminit.h>
#include <mm/pm.h>

struct cobj_space kcobj_space;

unsigned long cobj_env_hold(void)
{
	return 0;
}

void cobj_env_release(unsigned long saved)
{
	(void)saved;
}

void cobj_env_relax(void)
{
	__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");	/* low, then normal SMT priority */
}

static unsigned order_for(size_t bytes)
{
	unsigned o = 0;

	while ((PM_PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

static void *zeroed_frames(size_t bytes)
{
	uint64_t pa;
	void *p;

	if (pm_alloc(pm_root(), order_for(bytes), &pa) < 0)
		return NULL;
	p = phys_to_virt(pa);
	memset(p, 0, PM_PAGE_SIZE << order_for(bytes));
	return p;
}

int kcobj_init(void)
{
	struct cobj_root **roots = zeroed_frames(KCOBJ_SLOTS * sizeof(*roots));
	uint32_t *words = zeroed_frames(2 * KCOBJ_SLOTS * sizeof(uint32_t));

	if (!roots || !words)
		return -K42_ENOMEM;
	cobj_space_init(&kcobj_space, KCOBJ_SLOTS, 1, roots, words, quiesce_kernel());
	return kcobj_add_cpu(this_cpu());
}

int kcobj_add_cpu(struct percpu *pc)
{
	struct cobj_rep **local = zeroed_frames(KCOBJ_SLOTS * sizeof(*local));

	if (!local)
		return -K42_ENOMEM;
	cobj_space_add_cpu(&kcobj_space, pc->cpu_id, local);
	return 0;
}
