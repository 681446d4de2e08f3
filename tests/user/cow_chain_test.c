/*
 * Copy-on-write layers must not pile up (run as init). Every mem_cow puts
 * a fresh private layer over the source region's FCM, and a fault walks
 * the layers one kernel stack frame each: a process that clones one of
 * its regions again and again (or a spawner sharing its boot archive with
 * every child, as the soak found) grew the chain without bound, leaked
 * the layers until it ended, and a fault at the end of a few hundred
 * layers overran the kernel stack. Checked here:
 *  - a clone that fails (destination taken) leaves no layer behind;
 *  - a clone of a region with nothing private yet adds no layer;
 *  - when a clone goes away, the layer it shared is folded into the one
 *    left (kernel objects and frames come back);
 *  - with clones kept alive (a shell's background jobs keep their fork's
 *    layers), the chain is flattened each time it reaches its bound
 *    (mm/fcm_cow.c fcm_cow_flatten): no clone is refused, every page of
 *    every clone and of the source still reads right, and writes to a
 *    clone stay its own.
 */
#include "check.h"

#define SRC_VA 0x30000000ul
#define DST_VA 0x40000000ul
#define PAGES 4
#define LEN (PAGES * K42_PAGE_SIZE)
#define ROUNDS 2000
#define KEPT 300	/* clones kept alive at once: several flattenings */

static volatile uint64_t *word(uint64_t va, int pg)
{
	return (volatile uint64_t *)(va + (uint64_t)pg * K42_PAGE_SIZE);
}

static int src_ok(uint64_t want)
{
	for (int pg = 0; pg < PAGES; pg++)
		if (*word(SRC_VA, pg) != want + (uint64_t)pg)
			return 0;
	return 1;
}

static void src_set(uint64_t v)
{
	for (int pg = 0; pg < PAGES; pg++)
		*word(SRC_VA, pg) = v + (uint64_t)pg;
}

/* Free frames, counting those kernel-object caches keep for reuse. */
static long avail(void)
{
	return (long)(k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED));
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	long objs0, free0, rc = 0;
	int refused = 0, kept = 0, bad = 0;

	(void)arg;
	EXPECT(k42_sc_mem_map_anon(self, SRC_VA, LEN, K42_PROT_READ | K42_PROT_WRITE) == 0, "map");
	src_set(1000);
	objs0 = (long)k42_info(K42_INFO_KMEM_OBJECTS);
	free0 = avail();

	/* 1. Clones onto the source itself: refused, no layer each time. */
	for (int i = 0; i < ROUNDS; i++) {
		src_set((uint64_t)i * 10);
		rc = k42_sc_mem_cow(self, SRC_VA, SRC_VA, LEN);
		if (rc != -K42_EEXIST)
			break;
	}
	EXPECT(rc == -K42_EEXIST, "clone onto itself: %ld", rc);
	EXPECT(src_ok((ROUNDS - 1) * 10ul), "source after failed clones");
	EXPECT((long)k42_info(K42_INFO_KMEM_OBJECTS) == objs0, "failed clones left %ld kernel objects",
	       (long)k42_info(K42_INFO_KMEM_OBJECTS) - objs0);

	/* 2. Clone, write, drop the clone, again: the chain stays short. */
	for (int i = 0; i < ROUNDS && !bad; i++) {
		src_set(5000 + (uint64_t)i);
		rc = k42_sc_mem_cow(self, DST_VA, SRC_VA, LEN);
		if (rc != 0 || *word(DST_VA, PAGES - 1) != 5000 + (uint64_t)i + PAGES - 1)
			bad = 1;
		src_set(9000 + (uint64_t)i);
		if (*word(DST_VA, 0) != 5000 + (uint64_t)i || !src_ok(9000 + (uint64_t)i))
			bad = 2;
		if (k42_sc_mem_unmap(self, DST_VA, LEN) != 0)
			bad = 3;
	}
	EXPECT(!bad, "clone/write/drop: %d (rc %ld)", bad, rc);
	/* With more than one CPU a dropped clone's frames (and the nodes
	 * that carry them) come back after quiescence (mm/fcm.c
	 * fcm_release_page). */
	settle_deferred(30);
	/* Left: the source's own layer over the first FCM, at most. */
	EXPECT((long)k42_info(K42_INFO_KMEM_OBJECTS) - objs0 <= 2 + PAGES,
	       "dropped clones left %ld kernel objects", (long)k42_info(K42_INFO_KMEM_OBJECTS) - objs0);
	/* Kept: the source's private copies, and page-table pages of the
	 * clone's addresses; 2000 clones' worth would be thousands. */
	EXPECT(free0 - avail() <= PAGES + 4, "dropped clones kept %ld frames", free0 - avail());

	/* 3. Clones kept: flattened at the bound, never refused or a crash
	 * (before, the 32nd was refused: a shell's 32nd background job). */
	for (int i = 0; i < KEPT; i++) {
		src_set(20000 + (uint64_t)i * 16);
		rc = k42_sc_mem_cow(self, DST_VA + (uint64_t)i * LEN, SRC_VA, LEN);
		if (rc < 0) {
			refused = 1;
			break;
		}
		kept++;
	}
	EXPECT(!refused && kept == KEPT, "a chain of %d kept clones, then %ld", kept, rc);
	for (int i = 0; i < kept; i++)
		for (int pg = 0; pg < PAGES; pg++)
			if (*word(DST_VA + (uint64_t)i * LEN, pg) != 20000 + (uint64_t)i * 16 + (uint64_t)pg)
				bad = 4;
	EXPECT(!bad && src_ok(20000 + (uint64_t)(kept - 1) * 16), "kept clones read wrong");
	/* Writes to the clones (each its own copy now) reach neither the
	 * source nor another clone. */
	for (int i = 0; i < kept; i += 7)
		*word(DST_VA + (uint64_t)i * LEN, 1) = 7;
	for (int i = 0; i < kept; i++)
		if (*word(DST_VA + (uint64_t)i * LEN, 1) != (i % 7 ? 20000 + (uint64_t)i * 16 + 1 : 7))
			bad = 5;
	EXPECT(!bad && src_ok(20000 + (uint64_t)(kept - 1) * 16), "clone writes leaked: %d", bad);
	k42_printf("cow_chain_test: %d clones kept, none refused\n", kept);
	return verdict("cow_chain_test");
}
