/*
 * Going idle without the kernel lock (docs/smp.md, "Without the kernel
 * lock"). A fast path that parks the running dispatcher under this CPU's
 * local lock and finds nothing else ready here (block, disp_idle, a
 * synchronous call queued on a server on another CPU, a reply across CPUs
 * with K42_IPC_REPLY_IDLE) used to hand the whole entry to the locked
 * path, whose idle loop waits with the kernel lock released anyway: a
 * CPU that went idle took the kernel lock, and with it every other CPU's
 * local lock, twice (going idle, and again when woken). Here it parks
 * the CPU (sched_idle_park, under the local lock: no current dispatcher,
 * no address space, the user SPRs and vector registers given back to
 * their owners, as idle_until_ready does), lets the lock go and waits
 * (sched_idle_fast); when something is queued here that can be resumed
 * from its saved context with nothing to deliver, it runs it under the
 * local lock again and returns to user mode without the kernel lock ever
 * taken.
 *
 * Quiescence: the locked idle loop frees what this CPU retired and is
 * ripe at its quiescent point (kquiesce_idle_enter), which frees kernel
 * objects and so stays under the kernel lock. Here the CPU only records
 * that it is quiescent and idle (kquiesce_idle_mark: the token passed, the
 * idle flag set, nothing freed). Retired objects that are ripe (at entry:
 * sched_idle_ok declines; or while waiting: sched_idle_has_work says so)
 * send the CPU to the locked path, whose idle loop frees them. Test work
 * posted for this CPU (kern/ktest.h) goes there too.
 *
 * Waking: whoever queues a dispatcher here does it under this CPU's local
 * lock (or the kernel lock, which includes it) and kicks the CPU, since
 * it has no current dispatcher; the kick (an IPI, taken without the kernel
 * lock: arch trap.c) or a tick ends the wait. Interrupts taken during the
 * wait are handled as in the locked idle loop (pc->idle is set).
 *
 * Lock order: this CPU's local lock alone (level 2), taken through
 * klock_local_lock; nothing is allocated or freed here.
 */
#include <arch/context.h>
#include <arch/irq.h>
#include <arch/spr.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/ktest.h>
#include <kern/percpu.h>
#include <kern/quiesce.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <mm/hat.h>

static int any_ready(const struct percpu *pc)
{
	for (int c = 0; c < K42_PRIO_CLASSES; c++)
		if (pc->rq_head[c])
			return 1;
	return 0;
}

int sched_idle_ok(struct percpu *pc)
{
	return !any_ready(pc) && !kquiesce_reclaim_here() && !ktest_cpu_work_pending(pc);
}

void sched_idle_park(struct percpu *pc)
{
	/* As idle_until_ready (kern/sched.c): nothing of a dispatcher stays
	 * live in this CPU's registers, so any CPU may run what ran here. */
	pc->current = NULL;
	hat_activate(NULL);
	arch_user_sprs_leave(pc, NULL);
	if (smp_ncpus > 1)
		arch_vector_units_leave(pc);
	pc->idle = 1;
	pc->idle_unlocked++;
}

void sched_idle_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	uint64_t start = mftb();
	struct dispatcher *next, *cur;

	for (;;) {
		kquiesce_idle_mark();
		while (!sched_idle_has_work(pc))
			arch_idle_wait();	/* returns with interrupts off, after one was taken */
		kquiesce_idle_exit();
		klock_local_lock(&pc->local_lock);
		next = NULL;
		if (!kquiesce_reclaim_here() && !ktest_cpu_work_pending(pc)) {
			next = sched_fast_next(pc);
			if (!next && !any_ready(pc)) {
				/* Taken off the queue meanwhile (an end): wait on. */
				spin_unlock(&pc->local_lock);
				continue;
			}
		}
		if (!next) {
			/* Something to free, test work, or a dispatcher to enter
			 * or deliver to: the locked path. */
			spin_unlock(&pc->local_lock);
			break;
		}
		pc->idle = 0;
		pc->idle_tb += mftb() - start;
		sched_fast_run(tf, pc, next);
		spin_unlock(&pc->local_lock);
		kquiesce_pass();
		user_return_unlocked(tf);
	}
	klock_acquire();	/* released in user_return */
	pc->idle = 0;
	pc->idle_tb += mftb() - start;
	/* As arch_user_trap after a call that switched: nothing is current. */
	sched_switch(tf);
	cur = pc->current;
	if (cur && disp_has_work(cur))
		disp_deliver_pending(tf, cur);
	kquiesce_point();
	user_return(tf);
}
