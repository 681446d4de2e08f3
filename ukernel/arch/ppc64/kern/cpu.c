/*
 * Early CPU set-up on pseries: interrupts must be taken little-endian
 * (H_SET_MODE LE, which sets LPCR[ILE]) before anything can interrupt us,
 * and the per-CPU area is made current.
 */
#include <stddef.h>
#include <string.h>
#include <arch/memlayout.h>
#include <arch/trapframe.h>
#include <arch/context.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <arch/hcall.h>
#include <arch/spinlock.h>
#include <arch/spr.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kern/sched.h>
#include <kern/dispatcher.h>
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
	pc->arch.user_msr = USER_MSR;
	pc->arch.rt_idle = disp_rt_word(DS_IDLE, 0, pc->cpu_id);
	pc->arch.rt_in_call = disp_rt_word(DS_IN_CALL, 1, pc->cpu_id);
	pc->arch.rt_running = disp_rt_word(DS_RUNNING, 0, pc->cpu_id);
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

/*
 * H_CONFER to every other virtual CPU (target -1): the paravirtual answer
 * to a lock whose holder is not running. Under round-robin TCG (-icount)
 * only one vCPU runs at a time and the holder runs only after the waiter
 * gives up its turn, which spinning never does; under MTTCG it is a short
 * exit to QEMU; under a real hypervisor it lends the waiter's time.
 */
void arch_spin_yield(void)
{
	hcall(H_CONFER, (uint64_t)-1, 0, 0, 0, 0, 0, NULL);
}

/* The contended half of arch_spin_lock: a few loads in case the holder is
 * running and about to release it (MTTCG), then conferring until it is
 * free (under -icount the holder is never running while we look). */
void arch_spin_lock_wait(struct spinlock *l)
{
	do {
		for (int i = 0; i < 8 && __atomic_load_n(&l->word, __ATOMIC_RELAXED); i++)
			__asm__ volatile("or 1,1,1" ::: "memory");	/* low SMT priority */
		__asm__ volatile("or 2,2,2" ::: "memory");
		while (__atomic_load_n(&l->word, __ATOMIC_RELAXED))
			arch_spin_yield();
	} while (!arch_spin_trylock(l));
}
