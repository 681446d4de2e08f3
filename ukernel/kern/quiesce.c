/*
 * The kernel's instance of deferred deletion (see kern/quiesce.h; the
 * logic is lib/cobj/quiesce.c). Every entry point runs on the calling CPU
 * with interrupts off, which orders retirements and points on one CPU.
 */
#include <kern/percpu.h>
#include <kern/quiesce.h>

static struct quiesce kernel_q = { .ncpus = 1 };

struct quiesce *quiesce_kernel(void)
{
	return &kernel_q;
}

void kquiesce_retire(struct deferred *d, void (*fn)(struct deferred *d))
{
	quiesce_defer(&kernel_q, this_cpu()->cpu_id, d, fn);
}

void kquiesce_point(void)
{
	quiesce_point(&kernel_q, this_cpu()->cpu_id);
}

void kquiesce_pass(void)
{
	quiesce_pass(&kernel_q, this_cpu()->cpu_id);
}

void kquiesce_idle_enter(void)
{
	quiesce_idle_enter(&kernel_q, this_cpu()->cpu_id);
}

void kquiesce_idle_exit(void)
{
	quiesce_idle_exit(&kernel_q, this_cpu()->cpu_id);
}
