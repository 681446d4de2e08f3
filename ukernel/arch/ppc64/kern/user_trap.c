/*
 * Exceptions from user mode: decode the POWER9 vector and hand the event
 * to generic code (kernel calls, page faults, ticks), or deal with what is
 * machine-specific here (the lazy FP/VMX/VSX switch). Anything a process
 * did wrong ends that process with a one-line report, or is reflected to
 * its trap entry point if it registered one and is enabled; the kernel
 * never goes down for it.
 */
#include <arch/context.h>
#include <arch/spr.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <arch/vsx.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <k42/syscall_fast.h>
#include <kern/irq.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/trace.h>
#include <kern/user_fault.h>
#include <lib/fmt.h>
#include <mm/fr.h>
#include <mm/kmem.h>

#define DSISR_STORE (1ull << (63 - 38))

/* Make d the owner of pc's FP/VMX/VSX registers: its state loaded, the
 * previous owner's saved. Every owner has its save area: it was made at
 * the owner's first vector trap (vector_units), so a switch of owner
 * never allocates and never loses registers. */
static void vector_units_load(struct percpu *pc, struct dispatcher *d)
{
	if (pc->vsx_owner) {
		vsx_save(pc->vsx_owner->vsx_state);
		pc->vsx_owner->vsx_on = 0;
	}
	vsx_restore(d->vsx_state);	/* zeroed when new */
	pc->vsx_owner = d;
	d->vsx_on = pc->cpu_id + 1;
}

/* How many traps that had to load a dispatcher's vector state make a
 * switch to it load the state at once, and for how many switches. */
#define VSX_EAGER_AFTER 3
#define VSX_EAGER_SWITCHES 64

static void vector_units(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *d = pc->current;

	if (!d->vsx_state && !(d->vsx_state = kmem_alloc(VSX_STATE_SIZE))) {
		user_kill(tf, "no kernel memory for its vector registers");
		return;
	}
	if (pc->vsx_owner != d) {
		vector_units_load(pc, d);
		if (d->vsx_hot < VSX_EAGER_AFTER && ++d->vsx_hot == VSX_EAGER_AFTER)
			d->vsx_eager = VSX_EAGER_SWITCHES;
	}
	tf->msr |= MSR_VECTOR_UNITS;
	process_vector_used(d->proc);
}

/*
 * A program that uses the vector units after every switch (libk42 keeps
 * f14-f31 and v20-v31 in each thread switch) would otherwise trap once per
 * switch: the trap costs more than the load. When the eager switches run
 * out, the next switches are lazy again, so a program that stopped using
 * the units stops paying for them.
 */
int arch_vector_units_eager(struct percpu *pc, struct dispatcher *d)
{
	if (pc->vsx_owner == d)
		return 1;
	if (d->vsx_hot < VSX_EAGER_AFTER)
		return 0;
	if (--d->vsx_eager == 0)
		d->vsx_hot = 0;
	vector_units_load(pc, d);
	return 1;
}

void arch_vector_units_leave(struct percpu *pc)
{
	struct dispatcher *o = pc->vsx_owner;

	if (!o)
		return;
	vsx_save(o->vsx_state);
	pc->vsx_owner = NULL;
	o->vsx_on = 0;
}

static void bad_instruction(struct trap_frame *tf, const char *what)
{
	struct dispatcher *d = this_cpu()->current;
	uint64_t vector = tf->trap, pc = tf->nip;
	char why[128];

	if (!d->shared->disabled && d->entries[K42_ENTRY_TRAP]) {
		disp_upcall(d, tf, K42_ENTRY_TRAP, 1);
		ctx_set_result(tf, 0, vector);
		ctx_set_result(tf, 1, pc);
		return;
	}
	k_snprintf(why, sizeof(why), "%s at pc 0x%lx (vector 0x%lx)", what, tf->nip, tf->trap);
	user_kill(tf, why);
}

void arch_user_trap(struct trap_frame *tf);

/* Page faults first try the path that needs no kernel lock (docs/smp.md,
 * "Lock order"); 1 if that resolved it. Out of line, so that the common
 * entry keeps its small frame. */
static __attribute__((noinline)) int fault_unlocked(struct trap_frame *tf)
{
	if (tf->trap == 0x300 || tf->trap == 0x380)
		return user_fault_unlocked(tf, tf->dar,
					   (tf->dsisr & DSISR_STORE) ? K42_PROT_WRITE : K42_PROT_READ);
	return user_fault_unlocked(tf, tf->nip, K42_PROT_EXEC);
}

/* A reflected call the dispatcher's table answers (kern/syscall.c); with
 * answers off (every native process) two loads and a branch, and the
 * personality's own calls (disabled) two more. */
static inline int answer(struct trap_frame *tf)
{
	struct dispatcher *d = this_cpu()->current;

	return __builtin_expect(d->answers_on, 0) && !d->shared->disabled && syscall_answer(tf, d);
}

/* A kernel call completed before the kernel lock: a reflected call the
 * dispatcher's table answers, else the one fast path its number has
 * (abi/syscalls.tbl's `fast` lines; the switch is generated), which
 * completes it or declines with nothing changed. A call with no fast path
 * (the null call among them) costs one switch here. */
static inline int call_fast(struct trap_frame *tf)
{
	return answer(tf) || syscall_fast(tf, ctx_call_number(tf));
}

void arch_user_trap(struct trap_frame *tf)
{
	/* 0x300, 0x380, 0x400 and 0x480 are the faults: one compare for the rest. */
	int fault = tf->trap - 0x300 < 0x200;
	struct dispatcher *cur = this_cpu()->current;
	/* A wake-up folded into this entry is rung first, under the lock. */
	int deferred = cur->shared->defer_io != 0;

	ctx_set_owner(tf, cur);	/* what user mode left in tf is its own */
	if (!deferred &&
	    (fault ? fault_unlocked(tf)
	     : tf->trap == 0xc00 ? call_fast(tf)
				 : tf->trap == 0x900 &&
				   (trace_tick(), disp_tick_wanted(cur), sched_tick_fast(tf))))
		user_return_unlocked(tf);
	klock_acquire();	/* released in user_return (docs/smp.md) */
	if (deferred)
		disp_flush_deferred(cur);
	if (this_cpu()->current->state == DS_DEAD) {
		/* Ended by another CPU while it ran here: whatever it trapped
		 * for is moot. */
		sched_switch(tf);
		goto out;
	}
	/* Kernel calls first: the commonest way here (one compare). */
	if (tf->trap == 0xc00) {
		syscall_entry(tf);
		goto out;
	}
	switch (tf->trap) {
	case 0x900:
		decrementer_interrupt(tf);
		sched_tick(tf);
		break;
	case 0x500:
		irq_external(tf);
		sched_resched(tf);	/* an IPI may have queued work for us */
		break;
	case 0x300:
	case 0x380:
		user_fault(tf, tf->dar, (tf->dsisr & DSISR_STORE) ? K42_PROT_WRITE : K42_PROT_READ,
			   fault);
		break;
	case 0x400:
	case 0x480:
		user_fault(tf, tf->nip, K42_PROT_EXEC, fault);
		break;
	case 0x800:
	case 0xf20:
	case 0xf40:
		vector_units(tf);
		break;
	case 0x600:
		bad_instruction(tf, "unaligned access");
		break;
	case 0x700:
		bad_instruction(tf, (tf->msr & SRR1_PROGRAM_PRIV) ? "privileged instruction" :
				    (tf->msr & SRR1_PROGRAM_TRAP) ? "trap instruction" :
				    (tf->msr & SRR1_PROGRAM_FPE) ? "floating-point exception" :
				    "illegal instruction");
		break;
	case 0xe40:
		bad_instruction(tf, "illegal instruction");
		break;
	case 0xf60:
		bad_instruction(tf, "unavailable facility");
		break;
	default:
		bad_instruction(tf, trap_vector_name(tf->trap));
		break;
	}
out:
	/* Whatever ran, the dispatcher about to resume gets its pending events
	 * (e.g. its own timer expired while it ran). */
	cur = this_cpu()->current;
	if (cur && disp_has_work(cur))
		disp_deliver_pending(tf, cur);
	kquiesce_point();
	user_return(tf);
}
