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
 * that ended on another CPU: user/fr_free_test at --smp 4). So a CPU that
 * goes idle holding retired objects sets its bit in `idle_holders`, and
 * when a point here moves the generation on to where everything such a
 * CPU holds is ripe (quiesce_all_ripe_at: it retires nothing while idle),
 * the bit is taken and the CPU kicked: it frees all of it in its idle
 * loop (kquiesce_idle_enter) and sleeps again, setting its bit only if
 * something is left. One kick per idle period, none while its objects
 * are too young, and a point with no idle holder reads one word.
 *
 * Kicking every idle CPU with anything retired at every new generation
 * (as before) cost each process create, exit and wait about 18,000
 * instructions at 8 CPUs under -icount: some 26 generations a process
 * life, each a scan of every CPU, and about 100 kicks whose CPUs woke,
 * took the kernel lock and mostly found nothing ripe (docs/scalability.md).
 */
static uint64_t idle_holders;	/* bit c: CPU c idle with retired objects */

static void kick_idle_holders(uint64_t gen)
{
	uint64_t m = __atomic_load_n(&idle_holders, __ATOMIC_ACQUIRE) & ~(1ull << this_cpu()->cpu_id);

	while (m) {
		uint32_t c = (uint32_t)__builtin_ctzll(m);
		uint64_t bit = 1ull << c;

		m &= ~bit;
		if (__atomic_load_n(&kquiesce_q.idle[c].flag, __ATOMIC_ACQUIRE) &&
		    quiesce_all_ripe_at(&kquiesce_q, c, gen) &&
		    (__atomic_fetch_and(&idle_holders, ~bit, __ATOMIC_ACQ_REL) & bit))
			smp_kick(c);
	}
}

/* This CPU goes idle (after its point or pass): holding retired objects,
 * it asks to be kicked when they are ripe. */
static void idle_holder_mark(uint32_t cpu)
{
	if (cpu < 64 && __atomic_load_n(&kquiesce_q.cpu[cpu].waiting, __ATOMIC_RELAXED))
		__atomic_fetch_or(&idle_holders, 1ull << cpu, __ATOMIC_ACQ_REL);
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
		kick_idle_holders(quiesce_generation(&kquiesce_q));
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
	uint32_t cpu = this_cpu()->cpu_id;

	quiesce_idle_enter(&kquiesce_q, cpu);
	idle_holder_mark(cpu);
}

/* Going idle without the kernel lock (kern/sched_idle.c): the token is
 * passed and the CPU marked idle, nothing freed; idle holders are kicked
 * as a point would kick them. */
void kquiesce_idle_mark(void)
{
	uint64_t gen = quiesce_generation(&kquiesce_q);

	quiesce_idle_mark(&kquiesce_q, this_cpu()->cpu_id);
	idle_holder_mark(this_cpu()->cpu_id);
	if (smp_ncpus > 1 && quiesce_generation(&kquiesce_q) != gen)
		kick_idle_holders(quiesce_generation(&kquiesce_q));
}

void kquiesce_idle_exit(void)
{
	uint32_t cpu = this_cpu()->cpu_id;

	if (cpu < 64 && (__atomic_load_n(&idle_holders, __ATOMIC_RELAXED) & (1ull << cpu)))
		__atomic_fetch_and(&idle_holders, ~(1ull << cpu), __ATOMIC_RELAXED);
	quiesce_idle_exit(&kquiesce_q, cpu);
}
