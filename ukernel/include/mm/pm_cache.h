/*
 * The PM as a clustered object (docs/clustered-objects.md): each CPU's
 * representative caches free order-0 frames, so most allocations and
 * frees touch only the calling CPU's rep; the root is the buddy
 * allocator of mm/pm.h, which refills and drains the reps in batches and
 * rebalances (takes every rep's frames back) when it runs short.
 * Installed under pm_alloc/pm_free of the root PM: callers see no change.
 */
#ifndef MM_PM_CACHE_H
#define MM_PM_CACHE_H

#include <stdint.h>

#define PMC_MAX 64	/* frames a CPU's rep holds at most */
#define PMC_BATCH 16	/* frames moved between a rep and the lists at once */

struct pm_cache_stats {
	uint64_t hits;		/* order-0 allocations and frees served by a rep alone */
	uint64_t refills;	/* batches taken from the lists */
	uint64_t drains;	/* batches given back by a full rep */
	uint64_t rebalances;	/* times the root took every rep's frames back */
	uint64_t reps;		/* reps made (CPUs that used the PM) */
};

/* Make the root PM's order-0 path go through per-CPU reps (needs kcobj). */
int pm_cache_init(void) __attribute__((warn_unused_result));
void pm_cache_stats(struct pm_cache_stats *out);

#endif
