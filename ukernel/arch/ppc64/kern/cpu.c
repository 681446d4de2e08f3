/*
 * Early CPU set-up on pseries: interrupts must be taken little-endian
 * (H_SET_MODE LE, which sets LPCR[ILE]) before anything can interrupt us,
 * and the per-CPU area is made current.
 */
#include <stddef.h>
#include <string.h>
#include <arch/memlayout.h>
#include <arch/trapframe.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <arch/hcall.h>
#include <arch/spr.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kern/sched.h>
#include <kern/percpu.h>

#define KSTACK_ORDER 4	/* 64 KiB */

int arch_cpu_early_init(void)
{
	long rc;

	rc = hcall(H_SET_MODE, H_SET_MODE_ENDIAN_LITTLE, H_SET_MODE_RESOURCE_LE, 0, 0, 0, 0, NULL);
	return rc == H_SUCCESS ? 0 : -1;
}

void percpu_init_boot(struct percpu *pc, uint32_t hw_id)
{
	pc->cpu_id = 0;
	pc->hw_id = hw_id;
}

int percpu_init_memory(struct percpu *pc)
{
	uint64_t stack_pa, top;
	int rc;

	/* The kernel stack that user-mode exceptions land on. */
	if ((rc = pm_alloc(pm_root(), KSTACK_ORDER, &stack_pa)) < 0)
		return rc;
	top = (uint64_t)(uintptr_t)phys_to_virt(stack_pa) + (PM_PAGE_SIZE << KSTACK_ORDER);
	pc->arch.kstack_top = top;
	/* exc_common puts a user frame here (see vectors.S). */
	pc->user_tf = (struct trap_frame *)(((top - STACK_RED_ZONE) & ~15ull) -
					    (STACK_FRAME_MIN + sizeof(struct trap_frame)) +
					    STACK_FRAME_MIN);
	return 0;
}

/*
 * H_CEDE gives the processor to the hypervisor until an interrupt is
 * pending; it sets MSR[EE] itself, so the interrupt is taken right after
 * the call returns (trap.c takes the kernel lock for it). Under MTTCG an
 * idle CPU thus costs the host nothing.
 */
void arch_idle_wait(void)
{
	hcall(H_CEDE, 0, 0, 0, 0, 0, 0, NULL);
	arch_irq_enable();	/* in case the hypervisor returned with EE still off */
	arch_irq_disable();
}
