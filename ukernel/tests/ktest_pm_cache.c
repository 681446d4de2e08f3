/*
 * In-kernel tests of the PM's per-CPU frame caches (mm/pm_cache.c) on
 * every online CPU at once: frames of every order allocated, written with
 * their own pattern and checked (no frame handed out twice), half of them
 * freed by another CPU than the one that allocated them; double frees
 * refused (tried once no CPU allocates: before that, the block may
 * already belong to another CPU again, and its free would be legal);
 * then one CPU allocates until the PM is empty and must get every free
 * frame, including those cached by the other CPUs (the root's
 * rebalance); and the free-frame figure is back at its start.
 */
#include <arch/memlayout.h>
#include <arch/spr.h>
#include <k42/errno.h>
#include <kern/ktest.h>
#include <kern/printk.h>
#include <kern/smp.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/pm_cache.h>

#define ROUNDS 2000
#define HELD 48

static struct {
	uint64_t pa[SMP_MAX_CPUS][HELD];	/* each CPU's blocks; a neighbour frees half */
	unsigned order[SMP_MAX_CPUS][HELD];
	uint64_t bad, allocs, frees, refused;
	uint32_t ncpus, ready;
} pc;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(uint64_t pa, unsigned order, uint64_t tag)
{
	for (uint64_t off = 0; off < (PM_PAGE_SIZE << order); off += 256)
		*(volatile uint64_t *)phys_to_virt(pa + off) = pa ^ off ^ tag;
}

static int intact(uint64_t pa, unsigned order, uint64_t tag)
{
	for (uint64_t off = 0; off < (PM_PAGE_SIZE << order); off += 256)
		if (*(volatile uint64_t *)phys_to_virt(pa + off) != (pa ^ off ^ tag))
			return 0;
	return 1;
}

static void worker(uint32_t cpu, void *arg)
{
	struct pm *pm = pm_root();
	uint64_t seed = 0x2545f4914f6cdd1dull * (cpu + 1);
	uint32_t next = (cpu + 1) % pc.ncpus;

	(void)arg;
	for (int round = 0; round < ROUNDS; round++) {
		int i = (int)(rnd(&seed) % HELD);
		uint64_t *mine = &pc.pa[cpu][i];

		if (*mine) {
			if (!intact(*mine, pc.order[cpu][i], cpu))
				__atomic_add_fetch(&pc.bad, 1, __ATOMIC_RELAXED);
			/* No double free here: another CPU may already have
			 * been handed the block again, and then a second free
			 * is indistinguishable from its owner's (see below). */
			if (pm_free(pm, *mine, pc.order[cpu][i]) < 0)
				__atomic_add_fetch(&pc.bad, 1, __ATOMIC_RELAXED);
			*mine = 0;
			__atomic_add_fetch(&pc.frees, 1, __ATOMIC_RELAXED);
		} else {
			unsigned order = rnd(&seed) % 4 == 0 ? (unsigned)(rnd(&seed) % 4) : 0;

			if (pm_alloc(pm, order, mine) < 0) {
				__atomic_add_fetch(&pc.bad, 1, __ATOMIC_RELAXED);
				*mine = 0;
				continue;
			}
			pc.order[cpu][i] = order;
			fill(*mine, order, cpu);
			__atomic_add_fetch(&pc.allocs, 1, __ATOMIC_RELAXED);
		}
	}
	/* Wait for everyone, then free the neighbour's odd half and our even half. */
	__atomic_add_fetch(&pc.ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&pc.ready, __ATOMIC_ACQUIRE) < pc.ncpus)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	for (int i = 0; i < HELD; i++) {
		uint32_t owner = (i & 1) ? next : cpu;
		uint64_t pa = pc.pa[owner][i];

		if (!pa)
			continue;
		if (!intact(pa, pc.order[owner][i], owner) || pm_free(pm, pa, pc.order[owner][i]) < 0)
			__atomic_add_fetch(&pc.bad, 1, __ATOMIC_RELAXED);
		/* Nobody allocates any more: a second free must be refused. */
		else if (pm_free(pm, pa, pc.order[owner][i]) == 0)
			__atomic_add_fetch(&pc.bad, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&pc.refused, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&pc.frees, 1, __ATOMIC_RELAXED);
	}
}

KTEST(pm_cache_smp)
{
	struct pm *pm = pm_root();
	uint64_t before = pm_free_frames(pm), got = 0, pa, prev = 0;
	struct pm_cache_stats st;

	pc.ncpus = (uint32_t)smp_ncpus;
	ktest_on_cpus(worker, NULL);
	KTEST_CHECK(t, pc.bad == 0, "%lu overlapping, failed or double-accepted operations", pc.bad);
	KTEST_CHECK(t, pc.allocs == pc.frees, "%lu allocations, %lu frees", pc.allocs, pc.frees);
	KTEST_CHECK(t, pc.refused > 0, "no double free was tried");
	KTEST_CHECK(t, pm_free_frames(pm) == before, "free frames %lu, %lu at the start",
		    pm_free_frames(pm), before);
	KTEST_CHECK(t, pm_check(pm) == 0, "PM inconsistent after the storm");

	/* Every free frame can be had from this CPU, cached elsewhere or not. */
	pm_cache_stats(&st);
	while (pm_alloc(pm, 0, &pa) == 0) {
		*(volatile uint64_t *)phys_to_virt(pa) = prev;
		prev = pa;
		got++;
	}
	KTEST_CHECK(t, got == before, "allocated %lu of %lu free frames", got, before);
	while (prev) {
		uint64_t n = *(volatile uint64_t *)phys_to_virt(prev);

		KTEST_CHECK(t, pm_free(pm, prev, 0) == 0, "free of 0x%lx failed", prev);
		prev = n;
	}
	KTEST_CHECK(t, pm_free_frames(pm) == before, "free frames %lu after refill, %lu before",
		    pm_free_frames(pm), before);
	KTEST_CHECK(t, pm_check(pm) == 0, "PM inconsistent after exhaustion");
	pm_cache_stats(&st);
	kprintf("pm_cache_smp: %d CPUs, %lu allocations, %lu reps, %lu hits, %lu refills, "
		"%lu drains, %lu rebalances\n", smp_ncpus, pc.allocs, st.reps, st.hits, st.refills,
		st.drains, st.rebalances);
	KTEST_CHECK(t, st.reps == (uint64_t)smp_ncpus, "%lu reps for %d CPUs", st.reps, smp_ncpus);
	KTEST_CHECK(t, st.rebalances > 0, "the PM ran dry without a rebalance");
	KTEST_CHECK(t, st.hits > st.refills, "caches missed more than they hit (%lu, %lu)",
		    st.hits, st.refills);
}
