/*
 * Deferred deletion in the kernel: a process that ends is unlinked at once
 * but its memory (page tables, shared page, the process object) comes back
 * only after every CPU passed a quiescent point; and the quiescence rule
 * itself on a two-CPU instance.
 */
#include <k42/layout.h>
#include <kern/ktest.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <mm/meminit.h>
#include <mm/pm.h>

static int freed;

static void mark_freed(struct deferred *d)
{
	(void)d;
	freed++;
}

KTEST(quiesce_rule)
{
	struct quiesce q;
	struct deferred d;

	quiesce_init(&q, 2);
	freed = 0;
	quiesce_defer(&q, 0, &d, mark_freed);
	for (int i = 0; i < 10; i++)
		quiesce_point(&q, 0);
	KTEST_CHECK(t, freed == 0, "freed before CPU 1 passed a quiescent point");
	for (int i = 0; i < 4 * QUIESCE_GENS && !freed; i++) {
		quiesce_point(&q, 1);
		quiesce_point(&q, 0);
	}
	KTEST_CHECK(t, freed == 1, "not freed after both CPUs passed");
}

KTEST(quiesce_process_memory)
{
	struct quiesce *q = quiesce_kernel();
	uint64_t before, created, ended, after, waiting;
	struct process *p;

	for (int i = 0; i < 4 * QUIESCE_GENS; i++)
		kquiesce_point();	/* start from a clean slate */
	waiting = quiesce_waiting(q);
	before = pm_free_frames(pm_root());
	p = process_create("doomed", 0, K42_PRIO_GENERAL);
	KTEST_CHECK(t, p != NULL, "process_create failed");
	if (!p)
		return;
	created = pm_free_frames(pm_root());
	KTEST_CHECK(t, created < before, "creating a process took no memory");
	process_end(p, K42_PROC_KILLED, -1, NULL);
	ended = pm_free_frames(pm_root());
	KTEST_CHECK(t, quiesce_waiting(q) == waiting + 1, "not deferred: %lu waiting",
		    quiesce_waiting(q));
	KTEST_CHECK(t, ended == created, "memory came back before quiescence (%lu -> %lu)", created,
		    ended);
	/* The other CPUs idle (or wait for the kernel lock, not yet
	 * touching anything): this CPU's points alone advance generations. */
	for (int i = 0; i < 4 * QUIESCE_GENS && quiesce_waiting(q) > waiting; i++)
		kquiesce_point();
	after = pm_free_frames(pm_root());
	KTEST_CHECK(t, quiesce_waiting(q) == waiting, "still waiting after %d generations",
		    4 * QUIESCE_GENS);
	KTEST_CHECK(t, after > ended, "nothing freed after quiescence");
	/* kmem's slabs keep their frames (one each for the process's objects,
	 * its regions and its quota account), so compare within that slack. */
	KTEST_CHECK(t, before - after <= 3, "leaked %lu frames", before - after);
}
