/*
 * libk42's clustered-object space (the generic core is ukernel/lib/cobj,
 * built into libk42 unchanged; docs/clustered-objects.md): "CPUs" are the
 * process's dispatchers, found through SPR 259 (SPRG3), which the kernel
 * sets to the running dispatcher's shared page (docs/smp.md). The core's
 * lock is held with upcalls disabled, so no thread of the same dispatcher
 * can be switched in while it is held. Deletion would wait on `uq`; libk42
 * has no quiescent points yet, so its objects live as long as the process.
 */
#include <k42/alloc.h>
#include <k42/cobj.h>
#include <k42/k42.h>
#include <k42/layout.h>
#include <cobj/cobj.h>

#define SLOTS 32

static struct quiesce uq;
static struct cobj_space space;
static struct cobj_root *roots[SLOTS];
static uint32_t words[2 * SLOTS];
static struct cobj_rep *local[K42_VPS_MAX][SLOTS];
static uint32_t state;	/* 0 not set up, 1 being set up, 2 ready */

unsigned long cobj_env_hold(void)
{
	return (unsigned long)k42_disable_save();
}

void cobj_env_release(unsigned long saved)
{
	k42_restore((int)saved);
}

void cobj_env_relax(void)
{
	__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
}

/* The calling dispatcher's number: its shared page's offset from dispatcher 0's. */
uint32_t k42_cobj_vp(void)
{
	uint64_t va;

	__asm__ volatile("mfspr %0, 259" : "=r"(va));
	va = (va - K42_DISP_VA) / K42_PAGE_SIZE;
	return va < K42_VPS_MAX ? (uint32_t)va : 0;
}

struct cobj_space *k42_cobj_space(void)
{
	uint32_t s = __atomic_load_n(&state, __ATOMIC_ACQUIRE), zero = 0;

	if (s == 2)
		return &space;
	if (__atomic_compare_exchange_n(&state, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		quiesce_init(&uq, K42_VPS_MAX);
		cobj_space_init(&space, SLOTS, K42_VPS_MAX, roots, words, &uq);
		for (uint32_t vp = 0; vp < K42_VPS_MAX; vp++)
			cobj_space_add_cpu(&space, vp, local[vp]);
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		cobj_env_relax();
	return &space;
}

/* The allocator's backend (alloc_k42.c holds the rest). */
struct cobj_space *k42_alloc_backend_space(void)
{
	return k42_cobj_space();
}

uint32_t k42_alloc_backend_vp(void)
{
	return k42_cobj_vp();
}
