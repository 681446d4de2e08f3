/*
 * PM, lowest layer: the physical frame allocator. A binary buddy allocator
 * over one span of real memory, with one state byte per 4 KiB frame (so a
 * double free, a free of the middle of a block or of a frame never handed
 * out is detected, not silently absorbed) and free lists threaded through
 * the free frames themselves.
 *
 * Locking: each struct pm has its own lock, taken by every entry point; no
 * entry point calls out while holding it. The cache hooks (below) are
 * called without it.
 *
 * Per-CPU caches (mm/pm_cache.c in the kernel) hold order-0 frames that
 * are free but off the lists, in state CACHED: taken from and given back
 * to the lists in batches (one lock round trip each), and moved between
 * CACHED and USED one frame at a time with a compare-and-swap of the
 * frame's state byte, so a double free is still caught. Cached frames
 * count as free in pm_free_frames.
 */
#ifndef MM_PM_H
#define MM_PM_H

#include <stdint.h>
#include <stddef.h>
#include <kern/spinlock.h>

#define PM_PAGE_SHIFT 12
#define PM_PAGE_SIZE  ((uint64_t)1 << PM_PAGE_SHIFT)
#define PM_ORDERS     11	/* blocks of 2^0 .. 2^10 frames (4 KiB .. 4 MiB) */

struct pm {
	struct spinlock lock;
	uint64_t base_pa;	/* real address of frame 0, aligned to the largest block */
	uint64_t nframes;	/* frames covered by state[] */
	uint8_t *state;
	uint8_t *virt_base;	/* where frame 0 is addressable */
	uint64_t free_head[PM_ORDERS];
	uint64_t free_frames;		/* on the free lists */
	uint64_t managed_frames;	/* frames ever added with pm_add_free */
	uint64_t cached_frames;		/* free in per-CPU caches (atomic) */
	const struct pm_cache_hooks *cache;	/* NULL: no caches */
};

/*
 * How pm_alloc/pm_free reach the per-CPU caches: order-0 requests go to
 * alloc/free (which use the batch calls below, never pm_alloc/pm_free);
 * when the lists cannot satisfy a request, rebalance gives cached frames
 * back (returns how many) and the request is tried once more. refused
 * (may be NULL) hears of every request pm_alloc refuses in the end.
 */
struct pm_cache_hooks {
	int (*alloc)(struct pm *pm, uint64_t *pa);
	int (*free)(struct pm *pm, uint64_t pa);
	uint64_t (*rebalance)(struct pm *pm);
	void (*refused)(struct pm *pm);
};

/* Bytes of state memory pm_init needs to cover [base_pa, base_pa + span). */
size_t pm_state_bytes(uint64_t base_pa, uint64_t span);

/*
 * Cover [base_pa, base_pa + span) with every frame unavailable. `state` must
 * hold pm_state_bytes(); `virt_base` is where real address base_pa (rounded
 * down to the largest block) can be read and written.
 */
void pm_init(struct pm *pm, uint64_t base_pa, uint64_t span, uint8_t *state, void *virt_base);

/* Hand the whole frames inside [pa, pa + size) to the allocator. */
int pm_add_free(struct pm *pm, uint64_t pa, uint64_t size) __attribute__((warn_unused_result));

/* Allocate 2^order contiguous frames, aligned to their size. */
int pm_alloc(struct pm *pm, unsigned order, uint64_t *pa) __attribute__((warn_unused_result));

/* Return a block from pm_alloc; -K42_EINVAL on a bad or double free. */
int pm_free(struct pm *pm, uint64_t pa, unsigned order) __attribute__((warn_unused_result));

/* Free frames: on the lists plus in the caches. */
uint64_t pm_free_frames(struct pm *pm);

/* Install the cache hooks (once, before other CPUs allocate). */
void pm_set_cache(struct pm *pm, const struct pm_cache_hooks *hooks);

/* Take up to n order-0 frames off the lists into state CACHED; how many. */
unsigned pm_take_batch(struct pm *pm, uint64_t *pa, unsigned n);
/* Put n CACHED frames back on the lists. */
void pm_give_batch(struct pm *pm, const uint64_t *pa, unsigned n);
/* One frame from a cache to its user: CACHED -> USED (order 0). */
int pm_cached_to_used(struct pm *pm, uint64_t pa) __attribute__((warn_unused_result));
/* A user frees an order-0 frame into a cache: USED -> CACHED; -K42_EINVAL
 * if it is not a frame in use (bad or double free). */
int pm_used_to_cached(struct pm *pm, uint64_t pa) __attribute__((warn_unused_result));

/* The lists alone, bypassing any cache. */
int pm_alloc_lists(struct pm *pm, unsigned order, uint64_t *pa) __attribute__((warn_unused_result));

/* Walk every list and state byte; 0 if consistent, else -K42_EINVAL. */
int pm_check(struct pm *pm);

#endif
