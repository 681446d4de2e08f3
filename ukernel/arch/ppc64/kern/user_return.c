/*
 * The one way back to user mode (docs/security.md, "Returning to user
 * mode"). Every path that enters user mode ends here: a trap or kernel-call
 * return, an upcall into a dispatcher with or without a saved context, the
 * PPC hand-off to the callee and back to the caller, disp_resume, and a
 * process's first start. Like seL4's restore_user_context it trusts nothing
 * the frame says about privilege:
 *  1. the frame must hold the current dispatcher's own values (its owner
 *     tag, set when it was saved from that dispatcher or built for it by
 *     ctx_init_user/ctx_set_entry, which scrub every other register);
 *  2. the MSR is forced to the user MSR (PR, EE, IR, DR, SF, LE, ME, RI);
 *     FP/VMX/VSX stay enabled only while the loaded vector registers are
 *     this dispatcher's (the lazy switch in user_trap.c loads its own or
 *     zeros on first use);
 *  3. the pc must be a user address;
 *  4. user-writable SPRs that are not in the frame (VRSAVE) are switched to
 *     this dispatcher's own values, and SPRG3 (user-readable as SPR 259)
 *     names the dispatcher: the user address of its shared page, which
 *     is how libk42 finds the dispatcher it runs on (docs/smp.md);
 *  5. the kernel lock (kern/klock.h) is released last, after which this
 *     CPU touches no shared state until its next entry (an entry that
 *     never took it returns through user_return_unlocked, below).
 * A frame that fails 1 or 3 ends its process (never the kernel), and
 * another dispatcher is chosen and checked the same way.
 */
#include <string.h>
#include <arch/context.h>
#include <arch/spr.h>
#include <arch/user_sprs.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/sched.h>

void arch_user_sprs_enter(struct percpu *pc, struct dispatcher *d)
{
	arch_user_sprs_switch(pc, d);
}

/* Called whenever another dispatcher becomes current on pc (or pc idles):
 * the old one's SPRs go back to it, so it may run on any CPU next. */
void arch_user_sprs_leave(struct percpu *pc, struct dispatcher *next)
{
	if (!pc->spr_owner || pc->spr_owner == next)
		return;
	pc->spr_owner->user_spr[0] = mfspr(SPR_VRSAVE);
	pc->spr_owner = NULL;
}

static __attribute__((noinline, cold)) const char *not_owned(struct trap_frame *tf,
							      struct dispatcher *d)
{
	kprintf("k42: BUG: user frame of %lx about to enter dispatcher of pid %u\n", tf->owner,
		d->proc->pid);
	memset(tf, 0, sizeof(*tf));
	return "kernel error: entered with another dispatcher's registers";
}

/* Why tf may not enter d (checks 1 and 3 above; 2 is applied here), or
 * NULL if it may. */
static inline __attribute__((always_inline)) const char *
frame_refused(struct trap_frame *tf, struct percpu *pc, struct dispatcher *d)
{
	if (__builtin_expect(!ctx_owned_by(tf, d), 0))
		return not_owned(tf, d);
	if (!ctx_force_user(tf, pc->vsx_owner == d))
		return "resumed at a kernel address";
	return NULL;
}

/* A refused frame ends its process; another dispatcher is chosen, until
 * one passes. Out of line: the common return never comes here. */
static __attribute__((noinline, cold)) struct dispatcher *
refuse(struct trap_frame *tf, struct percpu *pc, const char *why)
{
	struct dispatcher *d;

	do {
		process_end(pc->current->proc, K42_PROC_KILLED, -1, why);
		sched_switch(tf);
		disp_deliver_pending(tf, pc->current);
		d = pc->current;
	} while ((why = frame_refused(tf, pc, d)) != NULL);
	return d;
}

void user_return(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *d = pc->current;
	const char *why = frame_refused(tf, pc, d);

	if (__builtin_expect(why != NULL, 0))
		d = refuse(tf, pc, why);
	arch_user_sprs_switch(pc, d);	/* arch_user_sprs_enter, inline */
	klock_release();
	arch_return_to_user(tf);
}

/* The same way back for an entry that never took the kernel lock (a
 * fault resolved by user_fault_unlocked): the frame is the current
 * dispatcher's own, saved at that entry, so the checks above pass unless
 * something is badly wrong, and then the locked way deals with it. The
 * per-CPU SPR owner may be cleared meanwhile by a CPU ending the
 * dispatcher (sched_forget): then its SPRs are simply loaded again. */
void user_return_unlocked(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *d = pc->current;

	if (ctx_owned_by(tf, d) && ctx_force_user(tf, pc->vsx_owner == d)) {
		arch_user_sprs_enter(pc, d);
		arch_return_to_user(tf);
	}
	klock_acquire();
	user_return(tf);
}
