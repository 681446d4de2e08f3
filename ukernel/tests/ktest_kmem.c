/*
 * In-kernel test of kmem's per-CPU reps (mm/kmem.c) on every online CPU
 * at once: objects of every class (and whole-frame ones) allocated,
 * checked zeroed, written with their owner's pattern and checked again
 * before they are freed, half of them by another CPU than the one that
 * allocated them; afterwards the live-object figure is back at its start
 * and a second storm takes few new frames (the reps and the depot recycle).
 */
#include <stdint.h>
#include <kern/ktest.h>
#include <kern/printk.h>
#include <kern/smp.h>
#include <mm/kmem.h>

#define ROUNDS 4000
#define HELD 64

static struct {
	uint64_t *obj[SMP_MAX_CPUS][HELD];
	size_t size[SMP_MAX_CPUS][HELD];
	uint64_t bad, allocs, frees;
	uint32_t ncpus, ready;
} km;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int check_and_free(uint64_t *o, size_t size, uint64_t tag)
{
	int ok = 1;

	for (size_t w = 0; w < size / 8; w++)
		if (o[w] != (tag ^ w ^ (uintptr_t)o))
			ok = 0;
	kmem_free(o, size);
	return ok;
}

static void worker(uint32_t cpu, void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (cpu + 1) * 0x2545f4914f6cdd1dull;
	uint32_t next = (cpu + 1) % km.ncpus;

	(void)arg;
	for (int round = 0; round < ROUNDS; round++) {
		int i = (int)(rnd(&seed) % HELD);

		if (km.obj[cpu][i]) {
			if (!check_and_free(km.obj[cpu][i], km.size[cpu][i], cpu))
				__atomic_add_fetch(&km.bad, 1, __ATOMIC_RELAXED);
			km.obj[cpu][i] = NULL;
			km.frees++;
		} else {
			size_t size = rnd(&seed) % 64 == 0 ? 5000 : 8 + rnd(&seed) % 2040;
			uint64_t *o = kmem_alloc(size);

			if (!o) {
				__atomic_add_fetch(&km.bad, 1, __ATOMIC_RELAXED);
				continue;
			}
			for (size_t w = 0; w < size / 8; w++) {
				if (o[w])
					__atomic_add_fetch(&km.bad, 1, __ATOMIC_RELAXED);
				o[w] = cpu ^ w ^ (uintptr_t)o;
			}
			km.obj[cpu][i] = o;
			km.size[cpu][i] = size;
			km.allocs++;
		}
	}
	__atomic_add_fetch(&km.ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&km.ready, __ATOMIC_ACQUIRE) < km.ncpus)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	/* Our even half, the neighbour's odd half: frees from another CPU. */
	for (int i = 0; i < HELD; i++) {
		uint32_t owner = (i & 1) ? next : cpu;

		if (km.obj[owner][i] && !check_and_free(km.obj[owner][i], km.size[owner][i], owner))
			__atomic_add_fetch(&km.bad, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&km.ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&km.ready, __ATOMIC_ACQUIRE) < 2 * km.ncpus)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	for (int i = 0; i < HELD; i++)
		km.obj[cpu][i] = NULL;
}

KTEST(kmem_smp)
{
	uint64_t live0 = kmem_objects_live(), frames0 = kmem_class_frames(), frames1, allocs = 0;

	km.ncpus = (uint32_t)smp_ncpus;
	ktest_on_cpus(worker, NULL);
	KTEST_CHECK(t, km.bad == 0, "%lu overlapping, unzeroed or failed allocations", km.bad);
	KTEST_CHECK(t, kmem_objects_live() == live0, "%lu objects live, %lu at the start",
		    kmem_objects_live(), live0);
	allocs = km.allocs;
	/* The same storm again: everything it needs is cached already. */
	frames1 = kmem_class_frames();
	km.ready = 0;
	km.allocs = 0;
	ktest_on_cpus(worker, NULL);
	kprintf("kmem_smp: %d CPUs, %lu allocations, %lu class frames (%lu new in the second run)\n",
		smp_ncpus, allocs + km.allocs, kmem_class_frames(), kmem_class_frames() - frames1);
	KTEST_CHECK(t, km.bad == 0, "%lu bad allocations in the second run", km.bad);
	KTEST_CHECK(t, kmem_objects_live() == live0, "%lu objects live after the second run, %lu before",
		    kmem_objects_live(), live0);
	/* Objects a CPU's rep holds are not another's, so some new frames are
	 * fair; far fewer than the first run needed, or nothing is recycled. */
	KTEST_CHECK(t, 2 * (kmem_class_frames() - frames1) <= frames1 - frames0 + 8 * (uint64_t)smp_ncpus,
		    "the second run took %lu new frames, the first %lu", kmem_class_frames() - frames1,
		    frames1 - frames0);
}
