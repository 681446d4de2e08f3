/*
 * The kernel's instance of deferred deletion (see kern/quiesce.h; the
 * logic is lib/cobj/quiesce.c). Every entry point runs on the calling CPU
 * with interrupts off, which orders retirements and points on one CPU.
 */
#include <kern/percpu.h>
#include <kern/quiesce.h>
#include <kern/smp.h>

struct quiesce kquiesce_q = { .ncpus = 1 };

struct quiesce *quiesce_kernel(void)
{
	return &kquiesce_q;
}

void kquiesce_retire(struct deferred *d, void (*fn)(struct deferred *d))
{
	quiesce_defer(&kquiesce_q, this_cpu()->cpu_id, d, fn);
}

/*
 * A CPU frees what it retired itself, at its own points; an idle CPU
 * passes none until something wakes it (its tick, 10 ms away, or later),
 * so the slots and frames it holds came back late (an FR slot of a server
 * that ended on another CPU: user/fr_free_test at --smp 4). When a point
 * here moves the generation on, idle CPUs holding deferred objects are
 * kicked: they reclaim in their idle loop (kquiesce_idle_enter) and
 * sleep again. At most a kick per generation per such CPU.
 */
static void kick_idle_holders(void)
{
	uint32_t self = this_cpu()->cpu_id;

	for (uint32_t c = 0; c < (uint32_t)smp_ncpus && c < QUIESCE_MAX_CPUS; c++)
		if (c != self && __atomic_load_n(&kquiesce_q.cpu[c].waiting, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&kquiesce_q.idle[c].flag, __ATOMIC_RELAXED))
			smp_kick(c);
}

void kquiesce_kick_holders(void)
{
	uint32_t self = this_cpu()->cpu_id;

	for (uint32_t c = 0; c < (uint32_t)smp_ncpus && c < QUIESCE_MAX_CPUS; c++)
		if (c != self && __atomic_load_n(&kquiesce_q.cpu[c].waiting, __ATOMIC_RELAXED))
			smp_kick(c);
}

/* A point with other CPUs online (kquiesce_point, kern/quiesce.h): those
 * idle with something retired are kicked when it moved the generation on. */
void kquiesce_point_smp(void)
{
	uint64_t gen = quiesce_generation(&kquiesce_q);

	quiesce_point(&kquiesce_q, this_cpu()->cpu_id);
	if (quiesce_generation(&kquiesce_q) != gen)
		kick_idle_holders();
}

void kquiesce_retire_leaf(struct deferred *d, void (*fn)(struct deferred *d))
{
	quiesce_defer_leaf(&kquiesce_q, this_cpu()->cpu_id, d, fn);
}

int kquiesce_reclaim_here(void)
{
	struct percpu *pc = this_cpu();

	if (!kquiesce_q.cpu[pc->cpu_id].head)
		return 0;
	pc->frees_unlocked += quiesce_reclaim_leaf(&kquiesce_q, pc->cpu_id);
	return quiesce_ripe(&kquiesce_q, pc->cpu_id);
}

int kquiesce_ripe_here(void)
{
	return quiesce_ripe(&kquiesce_q, this_cpu()->cpu_id);
}

void kquiesce_pass(void)
{
	quiesce_pass(&kquiesce_q, this_cpu()->cpu_id);
}

void kquiesce_idle_enter(void)
{
	quiesce_idle_enter(&kquiesce_q, this_cpu()->cpu_id);
}

/* Going idle without the kernel lock (kern/sched_idle.c): the token is
 * passed and the CPU marked idle, nothing freed; idle holders are kicked
 * as a point would kick them. */
void kquiesce_idle_mark(void)
{
	uint64_t gen = quiesce_generation(&kquiesce_q);

	quiesce_idle_mark(&kquiesce_q, this_cpu()->cpu_id);
	if (smp_ncpus > 1 && quiesce_generation(&kquiesce_q) != gen)
		kick_idle_holders();
}

void kquiesce_idle_exit(void)
{
	quiesce_idle_exit(&kquiesce_q, this_cpu()->cpu_id);
}
