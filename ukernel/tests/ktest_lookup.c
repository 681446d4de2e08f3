/*
 * In-kernel test of lock-free process lookups (kern/process.c) on every
 * online CPU at once: CPU 0 creates and ends processes in a loop while
 * the others look pids up, without any lock, and check that whatever they
 * find is the process asked for and still readable; ended processes are
 * freed through quiescence meanwhile. Afterwards every process is gone,
 * nothing waits for quiescence, and the memory is back (free frames plus
 * the frames kmem keeps for reuse, and the live kmem objects).
 */
#include <string.h>
#include <k42/layout.h>
#include <k42/procinfo.h>
#include <kern/klock.h>
#include <kern/ktest.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/smp.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

#define LIVE 8
#define CYCLES 600

static struct {
	uint64_t pid[LIVE];		/* the pids in play; old ones stay to be looked up */
	uint64_t stale[LIVE];		/* pids of ended processes */
	uint64_t found, gone, bad, stale_found;
	uint32_t done, started;
} lk;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void worker(uint32_t cpu, void *arg)
{
	uint64_t seed = 0x51ed2701ull * (cpu + 3);

	(void)arg;
	if (cpu == 0) {
		/* The others need the kernel lock to take the IPI that starts them. */
		while (__atomic_load_n(&lk.started, __ATOMIC_ACQUIRE) < (uint32_t)smp_ncpus - 1)
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
		for (int i = 0; i < CYCLES; i++) {
			int k = (int)(rnd(&seed) % LIVE);
			struct process *p, *old;

			klock_acquire();
			p = process_create("lookup", 0, K42_PRIO_GENERAL);
			if (!p) {
				lk.bad++;
			} else {
				old = process_lookup(lk.pid[k]);
				__atomic_store_n(&lk.pid[k], p->pid, __ATOMIC_RELEASE);
				if (old) {
					uint64_t opid = old->pid;

					process_end(old, K42_PROC_KILLED, -1, NULL);
					/* Only now is it stale: published after its end. */
					__atomic_store_n(&lk.stale[k], opid, __ATOMIC_RELEASE);
				}
			}
			kquiesce_point();	/* frees run under the kernel lock, as in the kernel */
			klock_release();
		}
		__atomic_store_n(&lk.done, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_add_fetch(&lk.started, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&lk.done, __ATOMIC_ACQUIRE)) {
		int k = (int)(rnd(&seed) % LIVE);
		uint64_t pid = __atomic_load_n(&lk.pid[k], __ATOMIC_ACQUIRE);
		uint64_t stale = __atomic_load_n(&lk.stale[k], __ATOMIC_ACQUIRE);
		struct process *p = process_lookup(pid);

		if (p) {
			/* Found: it must be this pid, and readable (not freed). */
			if (p->pid != pid || strcmp(p->name, "lookup") != 0)
				__atomic_add_fetch(&lk.bad, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&lk.found, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_add_fetch(&lk.gone, 1, __ATOMIC_RELAXED);
		}
		/* A pid whose process ended never finds anything again. */
		if (stale && process_lookup(stale))
			__atomic_add_fetch(&lk.stale_found, 1, __ATOMIC_RELAXED);
		kquiesce_point();
	}
}

KTEST(process_lookup_smp)
{
	uint64_t before = pm_free_frames(pm_root()) + kmem_class_frames();
	uint64_t objs = kmem_objects_live(), procs = process_count();

	ktest_on_cpus(worker, NULL);
	for (int k = 0; k < LIVE; k++) {
		struct process *p = process_lookup(lk.pid[k]);

		if (p)
			process_end(p, K42_PROC_KILLED, -1, NULL);
	}
	/* The other CPUs need the kernel lock to leave their share and go
	 * idle; until then the token may sit with one of them. Let them in
	 * between points (bounded: a stuck token still fails the check). */
	for (int i = 0; i < 100000 && quiesce_waiting(quiesce_kernel()); i++) {
		klock_release();
		for (int spin = 0; spin < 100; spin++)
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
		klock_acquire();
		kquiesce_point();
	}
	kprintf("process_lookup_smp: %d CPUs, %d processes made and ended, %lu lookups found, "
		"%lu missed\n", smp_ncpus, CYCLES, lk.found, lk.gone);
	KTEST_CHECK(t, lk.bad == 0, "%lu wrong or unreadable processes found", lk.bad);
	KTEST_CHECK(t, lk.stale_found == 0, "%lu lookups of ended pids found something",
		    lk.stale_found);
	KTEST_CHECK(t, smp_ncpus == 1 || lk.found > 0, "no lookup found anything");
	KTEST_CHECK(t, process_count() == procs, "%lu processes, %lu before", process_count(), procs);
	KTEST_CHECK(t, quiesce_waiting(quiesce_kernel()) == 0, "%lu still waiting",
		    quiesce_waiting(quiesce_kernel()));
	KTEST_CHECK(t, kmem_objects_live() == objs, "%lu kmem objects live, %lu before",
		    kmem_objects_live(), objs);
	KTEST_CHECK(t, pm_free_frames(pm_root()) + kmem_class_frames() == before,
		    "free + kmem-kept frames %lu, %lu before",
		    pm_free_frames(pm_root()) + kmem_class_frames(), before);
}
