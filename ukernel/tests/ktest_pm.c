/*
 * In-kernel tests of the root page manager on the machine's real memory:
 * allocation of every order, alignment, no overlap (each frame is written
 * with its own pattern and checked), bad and double frees rejected, and
 * the free count restored exactly afterwards.
 */
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <kern/ktest.h>
#include <mm/meminit.h>
#include <mm/pm.h>

#define NBLOCKS 64

KTEST(pm_alloc_free)
{
	struct pm *pm = pm_root();
	uint64_t before = pm_free_frames(pm), pa[NBLOCKS];
	unsigned order[NBLOCKS];

	KTEST_CHECK(t, before > 1024, "only %lu free frames", before);
	for (int i = 0; i < NBLOCKS; i++) {
		order[i] = (unsigned)(i % 5);
		KTEST_CHECK(t, pm_alloc(pm, order[i], &pa[i]) == 0, "alloc %d failed", i);
		KTEST_CHECK(t, (pa[i] & ((PM_PAGE_SIZE << order[i]) - 1)) == 0,
			    "block 0x%lx not aligned to order %u", pa[i], order[i]);
		for (uint64_t off = 0; off < (PM_PAGE_SIZE << order[i]); off += 512)
			*(volatile uint64_t *)phys_to_virt(pa[i] + off) = pa[i] ^ off;
	}
	for (int i = 0; i < NBLOCKS; i++)
		for (uint64_t off = 0; off < (PM_PAGE_SIZE << order[i]); off += 512)
			KTEST_CHECK(t, *(volatile uint64_t *)phys_to_virt(pa[i] + off) == (pa[i] ^ off),
				    "block %d overlaps another at +0x%lx", i, off);
	KTEST_CHECK(t, pm_check(pm) == 0, "inconsistent after allocation");
	for (int i = 0; i < NBLOCKS; i++)
		KTEST_CHECK(t, pm_free(pm, pa[i], order[i]) == 0, "free %d failed", i);
	KTEST_CHECK(t, pm_free(pm, pa[0], order[0]) == -K42_EINVAL, "double free not detected");
	KTEST_CHECK(t, pm_free(pm, 0, 0) == -K42_EINVAL, "free of the kernel image accepted");
	KTEST_CHECK(t, pm_free_frames(pm) == before, "free frames %lu, expected %lu",
		    pm_free_frames(pm), before);
	KTEST_CHECK(t, pm_check(pm) == 0, "inconsistent after freeing");
}

KTEST(pm_exhaustion)
{
	struct pm *pm = pm_root();
	uint64_t before = pm_free_frames(pm), got = 0, pa, first = 0, prev = 0;

	/* Chain every 4 KiB frame through its own first word, then give all back. */
	while (pm_alloc(pm, 0, &pa) == 0) {
		*(volatile uint64_t *)phys_to_virt(pa) = prev;
		prev = pa;
		if (!first)
			first = pa;
		got++;
	}
	KTEST_CHECK(t, got == before, "allocated %lu frames of %lu free", got, before);
	KTEST_CHECK(t, pm_free_frames(pm) == 0, "%lu frames left", pm_free_frames(pm));
	KTEST_CHECK(t, pm_alloc(pm, 0, &pa) == -K42_ENOMEM, "alloc from an empty PM succeeded");
	while (prev) {
		uint64_t next = *(volatile uint64_t *)phys_to_virt(prev);

		KTEST_CHECK(t, pm_free(pm, prev, 0) == 0, "free of 0x%lx failed", prev);
		prev = next;
	}
	KTEST_CHECK(t, pm_free_frames(pm) == before, "free frames %lu after refill, expected %lu",
		    pm_free_frames(pm), before);
	KTEST_CHECK(t, pm_check(pm) == 0, "inconsistent after refill");
	/* Coalescing worked if a maximal block can be had again. */
	KTEST_CHECK(t, pm_alloc(pm, PM_ORDERS - 1, &pa) == 0, "no 4 MiB block after refill");
	KTEST_CHECK(t, pm_free(pm, pa, PM_ORDERS - 1) == 0, "free of the 4 MiB block failed");
}
