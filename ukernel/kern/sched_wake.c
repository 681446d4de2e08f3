/*
 * Wake-ups of a dispatcher on any CPU without the kernel lock (docs/smp.md,
 * "Without the kernel lock"): softintr_raise and disp_kick raise
 * soft-interrupt bits on a dispatcher, and wake it if it blocks or idles,
 * under the local lock of the CPU it lives on (d->cpu) alone. Tried from
 * sched_fast (kern/sched_fast.c) before anything else is locked.
 *
 * Why that lock is enough: the kernel lock's holder takes every CPU's
 * local lock, so while we hold one nothing under the kernel lock runs:
 * process states and parent links stay as we check them, and so does
 * where a dispatcher lives (d->cpu moves under the kernel lock, or under
 * the local locks of its old CPU and its new one, kern/ppc_move.c: hence
 * the check of d->cpu once its lock is held). What else changes a
 * dispatcher's state is the fast paths of the CPU it lives on (block,
 * yield, PPC: under that CPU's local lock, which we hold) and replies
 * across CPUs (kern/ppc_cross.c, the same lock). So a wake-up cannot slip
 * between a block's check for pending bits and the blocking, and the run
 * queue it is put on is that CPU's, kicked if it idles or runs something
 * less urgent (sched_enqueue). The caller goes on in user mode with no
 * lock; a call on itself (whose bits it may have to take as an upcall),
 * one that would fail (the locked path reports it) or a caller with
 * events to deliver takes the locked path with nothing changed.
 *
 * Lock order: one CPU's local lock (level 2 of docs/smp.md), taken with
 * klock_local_lock and nothing held; nothing is allocated or freed, and
 * no quiescent point is passed (the target stays allocated meanwhile).
 */
#include <arch/context.h>
#include <k42/dispatcher.h>
#include <k42/layout.h>
#include <k42/syscall_nums.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/race_window.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>

/* The dispatcher a softintr_raise or disp_kick from cur names, or NULL
 * (the locked path decides what to report). */
static struct dispatcher *target(struct dispatcher *cur, uint64_t n, uint64_t a0, uint64_t bits)
{
	struct process *p;

	if (!bits || (bits & (K42_SOFTINTR_USER0 - 1)))
		return NULL;
	if (n == K42_SC_DISP_KICK) {
		if (a0 >= K42_VPS_MAX)
			return NULL;
		return a0 ? __atomic_load_n(&cur->proc->vps[a0], __ATOMIC_ACQUIRE) : &cur->proc->disp;
	}
	p = process_lookup(a0);
	return p ? &p->disp : NULL;
}

/* With d's CPU's local lock held: may cur raise bits on d? */
static int allowed(struct dispatcher *cur, struct dispatcher *d, uint64_t n, uint64_t bits)
{
	if (d->state == DS_DEAD)
		return 0;
	if (n == K42_SC_DISP_KICK)
		return d->proc == cur->proc;
	/* As sys_softintr_raise: a running process, itself or a
	 * descendant, or the K42_SOFTINTR_IO doorbell alone. */
	return d->proc->state == K42_PROC_RUNNING &&
	       (bits == K42_SOFTINTR_IO || process_may_manage(cur->proc, d->proc));
}

int sched_wake_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu(), *tpc;
	struct dispatcher *cur = pc->current, *d;
	uint64_t n = ctx_call_number(tf), bits = ctx_arg(tf, 1);
	uint32_t cpu;
	int done = 0;

	if (!disp_plain_caller(cur) || cur->npgflt_backlog ||
	    (cur->shared->pending && !cur->shared->disabled))
		return 0;
	d = target(cur, n, ctx_arg(tf, 0), bits);
	if (!d || d == cur)
		return 0;
	cpu = __atomic_load_n(&d->cpu, __ATOMIC_RELAXED);
	if (cpu >= (uint32_t)smp_ncpus)
		return 0;
	tpc = percpu_of(cpu);
	race_window(4);
	klock_local_lock(&tpc->local_lock);
	if (d->cpu == cpu && allowed(cur, d, n, bits)) {
		__atomic_or_fetch(&d->shared->pending, bits, __ATOMIC_RELEASE);
		if (d->state == DS_BLOCKED || d->state == DS_IDLE) {
			d->state = DS_READY;
			sched_enqueue(d);	/* on cpu's queue; kicks it if needed */
		} else if (d->state == DS_RUNNING) {
			smp_kick(cpu);	/* delivered on its way back to user mode */
		}
		done = 1;
	}
	spin_unlock(&tpc->local_lock);
	if (done) {
		ctx_set_result(tf, 0, 0);
		pc->wakes_unlocked++;	/* (written by this CPU alone) */
	}
	return done;
}
