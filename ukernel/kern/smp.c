/*
 * SMP bring-up (see kern/smp.h, docs/smp.md). The boot CPU allocates each
 * secondary's per-CPU area and kernel stack, starts it through the
 * architecture (RTAS start-cpu on pseries) and waits for it to report
 * online. A secondary sets up its interrupt controller presentation and
 * its tick, then enters the scheduler's idle loop under the kernel lock.
 */
#include <stddef.h>
#include <string.h>
#include <arch/irq.h>
#include <arch/spr.h>
#include <kern/cobj.h>
#include <kern/irq.h>
#include <kern/klock.h>
#include <kern/panic.h>
#include <kern/printk.h>
#include <kern/quiesce.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/timer.h>
#include <lib/fmt.h>

/* How long the boot CPU waits for a secondary to come online: 1 s of timebase. */
#define ONLINE_WAIT_US 1000000

struct percpu *smp_cpus[SMP_MAX_CPUS];
int smp_ncpus = 1;

static struct percpu secondary_area[SMP_MAX_CPUS - 1];
static uint32_t place_next;

int smp_start_cpus(const struct bootinfo *bi)
{
	struct percpu *boot = this_cpu();

	smp_cpus[0] = boot;
	for (int i = 0; i < bi->ncpus && smp_ncpus < SMP_MAX_CPUS; i++) {
		struct percpu *pc;
		uint32_t starting = 0;
		uint64_t until;

		if (bi->cpu_hw_ids[i] == boot->hw_id)
			continue;
		pc = &secondary_area[smp_ncpus - 1];
		memset(pc, 0, sizeof(*pc));
		pc->cpu_id = (uint32_t)smp_ncpus;
		pc->hw_id = bi->cpu_hw_ids[i];
		if (percpu_init_memory(pc) < 0 || kcobj_add_cpu(pc) < 0) {
			kprintf("k42: no memory for CPU %d's stack; it stays offline\n", smp_ncpus);
			break;
		}
		smp_cpus[smp_ncpus] = pc;
		if (arch_cpu_start(pc) < 0) {
			kprintf("k42: CPU with server %u refused to start\n", pc->hw_id);
			smp_cpus[smp_ncpus] = NULL;
			continue;	/* never ran: its area may be used again */
		}
		until = mftb() + timer_us_to_tb(ONLINE_WAIT_US);
		while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) && (int64_t)(mftb() - until) < 0)
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
		if (!__atomic_compare_exchange_n(&pc->online, &starting, 2, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			smp_ncpus++;	/* online (starting was 1) */
			/* Deferred deletion waits for it from now on; it
			 * holds no object pointers yet. */
			quiesce_set_ncpus(quiesce_kernel(), (uint32_t)smp_ncpus);
			continue;
		}
		/* Given up on: if it ever gets that far it stops itself
		 * (smp_secondary_main). Its area stays its own, so no
		 * further CPU is started. */
		kprintf("k42: CPU with server %u did not come online\n", pc->hw_id);
		smp_cpus[smp_ncpus] = NULL;
		break;
	}
	return smp_ncpus;
}

void smp_secondary_main(struct percpu *pc)
{
	irq_cpu_init();
	timer_cpu_init();
	uint32_t starting = 0;

	/* The boot CPU waits for this; from here on this CPU is counted,
	 * unless the boot CPU gave up on it first. */
	if (!__atomic_compare_exchange_n(&pc->online, &starting, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		arch_cpu_stop_self();
	/* Waiting for the kernel lock (the boot CPU holds it until init
	 * runs) this CPU holds no object pointers: let quiescence go on. */
	kquiesce_idle_enter();
	klock_acquire();
	kquiesce_idle_exit();
	sched_start();
}

void smp_kick(uint32_t cpu)
{
	struct percpu *pc = percpu_of(cpu);

	if (pc == this_cpu() || !pc)
		return;
	if (irq_send_ipi(pc->hw_id) < 0)
		return;	/* no controller: its tick still comes */
}

uint32_t smp_place(void)
{
	uint32_t cpu = place_next % (uint32_t)smp_ncpus;

	place_next++;
	return cpu;
}

void smp_online_string(char *buf, unsigned size)
{
	if (smp_ncpus == 1)
		k_snprintf(buf, size, "0");
	else
		k_snprintf(buf, size, "0-%d", smp_ncpus - 1);
}
