/*
 * yield, block and disp_idle without the kernel lock (docs/smp.md,
 * "Without the kernel lock"). When what they do touches only what is this
 * CPU's, they run under this CPU's local lock alone, as the PPC fast paths
 * do: the caller (running here), this CPU's run queues, and the dispatcher
 * taken from them to run next. Another CPU wakes, ends or raises events
 * for a dispatcher living here only under the kernel lock, whose holder
 * holds this CPU's local lock too, or under this CPU's local lock itself
 * (kern/ppc_cross.c, kern/sched_wake.c), so a wake-up never slips between the
 * check for pending events and the caller's blocking; another CPU's fast
 * paths touch only their own CPU's queue and dispatchers.
 *
 * Every check is made before anything changes, and whatever needs more
 * takes the locked path (kern/sys_disp.c) as before: events to deliver on
 * the way back to user mode (an upcall), page-fault or FR work, a
 * reflected call, calls queued on a dispatcher going idle, a next
 * dispatcher with no saved context or whose vector registers live on
 * another CPU. It passes no quiescent point. With nothing else ready
 * here, block and disp_idle park the caller and go idle without the
 * kernel lock (kern/sched_idle.c) unless what this CPU retired is ripe.
 *
 * The tick (sched_tick_fast) is the same: a decrementer interrupt from
 * user mode with no bounded call due, whose due timers (if any) are of
 * dispatchers living on this CPU or on one other, counts the tick,
 * expires them (the wake-ups go to where each lives, the other CPU's
 * queue under its local lock too, taken in CPU order: kern/timer.c) and
 * reprograms the decrementer under this CPU's local lock,
 * and if it preempts the running dispatcher for one ready on this CPU
 * that can be resumed from its saved context with nothing to deliver,
 * switches to it there too (the same checks as yield's). With the kernel lock, every tick of a CPU took
 * every other CPU's local lock too, and under MTTCG on a loaded host
 * waited milliseconds for a CPU busy with PPC fast paths (or not running
 * at all) to let go of its own: two PPC pairs at 2 CPUs ran at half the
 * throughput of one (docs/smp.md, "Wall clock"). It passes the quiescence
 * token on (kquiesce_pass: nothing is held), as the unlocked fault path
 * does; it frees nothing.
 *
 * A tick that comes a whole period late (its CPU was not running: the
 * host ran other vCPUs) takes the locked path. Under -icount QEMU runs
 * the vCPUs in turn, each until the next timer deadline; a CPU whose
 * decrementer write makes that deadline is sent out at the write, and the
 * next vCPU runs up to it, so the CPU comes back with its tick due again:
 * on the fast path it could go on like that for good, one tick per turn
 * and no user instruction in between (bench/objswapbench at 4 CPUs hung
 * with a worker that never completed a call; user/objswap_icount_4). On
 * the locked path it holds the kernel lock while it is out, and every
 * other CPU that enters the kernel meanwhile (its own tick, a fast path)
 * gives its vCPU away until it is back (arch_spin_yield), so it gets its
 * turn before its next tick is due.
 *
 * Lock order: this CPU's local lock (level 2 in docs/smp.md), and for a
 * tick that wakes a dispatcher living on another CPU that CPU's too, in
 * CPU order (kern/timer.c); the call-record pool is not touched, nothing
 * is allocated or freed.
 */
#include <arch/context.h>
#include <arch/spr.h>
#include <k42/dispatcher.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <kern/quiesce.h>
#include <kern/timer.h>

/* Would d, resumed now, have events delivered or work done on its way
 * back to user mode (disp_deliver_pending)? */
static int has_work(const struct dispatcher *d)
{
	return d->npgflt_backlog || d->fr_unsent || (d->shared->pending && !d->shared->disabled);
}

/* The first ready dispatcher of classes 0 .. below - 1 here, or NULL. */
static struct dispatcher *first_ready(struct percpu *pc, int below)
{
	for (int c = 0; c < below && c < K42_PRIO_CLASSES; c++)
		if (pc->rq_head[c])
			return pc->rq_head[c];
	return NULL;
}

/* Can next be resumed here by the fast path (loaded from its context,
 * nothing to deliver)? */
static int resumable(const struct dispatcher *next)
{
	return next->state == DS_READY && next->has_ctx && !has_work(next) &&
	       sched_can_run_here(next);
}

/* cur has been parked (its context saved, or dropped); run next, taken
 * from this CPU's queue: a new time slice, as sched_switch gives. */
static void run_next(struct trap_frame *tf, struct percpu *pc, struct dispatcher *next)
{
	disp_load_ctx(next, tf);
	sched_handoff(tf, next);	/* off the queue, current, its SPRs and MMU */
	pc->slice_end = mftb() + pc->slice_tb;
}

struct dispatcher *sched_fast_next(struct percpu *pc)
{
	struct dispatcher *next = first_ready(pc, K42_PRIO_CLASSES);

	return next && resumable(next) ? next : NULL;
}

void sched_fast_run(struct trap_frame *tf, struct percpu *pc, struct dispatcher *next)
{
	run_next(tf, pc, next);
}

static int yield_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	struct dispatcher *next = first_ready(pc, cur->prio + 1);

	if (has_work(cur))
		return 0;
	ctx_set_result(tf, 0, 0);
	if (!next) {
		/* Nothing at our class or above: the locked path enqueues us
		 * and takes us straight back (a new slice if anything at all
		 * waits below us, none if nothing does). */
		for (int c = cur->prio + 1; c < K42_PRIO_CLASSES; c++)
			if (pc->rq_head[c]) {
				pc->slice_end = mftb() + pc->slice_tb;
				break;
			}
		return 1;
	}
	if (!resumable(next))
		return 0;
	cur->state = DS_READY;
	disp_save_ctx(cur, tf);
	sched_enqueue(cur);	/* this CPU's queue: cur->cpu is this CPU */
	run_next(tf, pc, next);
	return 1;
}

static int block_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	struct dispatcher *next;

	if (has_work(cur))
		return 0;
	ctx_set_result(tf, 0, 0);
	if (cur->shared->pending)
		return 1;	/* returns at once (disabled: nothing to deliver) */
	next = first_ready(pc, K42_PRIO_CLASSES);
	if (next ? !resumable(next) : !sched_idle_ok(pc))
		return 0;	/* (ctx_set_result again there: harmless) */
	cur->state = DS_BLOCKED;
	disp_save_ctx(cur, tf);
	if (next)
		run_next(tf, pc, next);
	else
		sched_idle_park(pc);	/* sched_fast goes idle (kern/sched_idle.c) */
	return 1;
}

static int idle_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	struct dispatcher *next;

	if (has_work(cur) || cur->calls_queued.head)
		return 0;
	if (cur->shared->pending) {
		ctx_set_result(tf, 0, 0);
		return 1;	/* returns at once (disabled: nothing to deliver) */
	}
	next = first_ready(pc, K42_PRIO_CLASSES);
	if (next ? !resumable(next) : !sched_idle_ok(pc))
		return 0;
	/* As sys_disp_idle: no context kept, enabled, entered afresh next. */
	cur->has_ctx = 0;
	cur->shared->disabled = 0;
	cur->state = DS_IDLE;
	pc->current = NULL;	/* nothing of tf is kept */
	if (next)
		run_next(tf, pc, next);
	else
		sched_idle_park(pc);
	return 1;
}

int sched_tick_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	int done = 0;

	if (pc->tick_period && (int64_t)(mftb() - pc->next_tick_tb) >= (int64_t)pc->tick_period)
		return 0;	/* a whole period late: the locked path (above) */
	klock_local_lock(&pc->local_lock);
	if (cur && cur->state == DS_RUNNING && cur->cpu == pc->cpu_id && !has_work(cur) &&
	    !kquiesce_reclaim_here() && timer_interrupt_expire_local(mftb())) {
		/* The tick is counted and the timers due here are expired
		 * (their dispatchers woken on this CPU's queue). Whatever
		 * is left to do (events for cur, a preemption the fast path
		 * cannot make) the locked path does: its timer_interrupt
		 * finds nothing more due and counts no second tick. */
		struct dispatcher *next = first_ready(pc, cur->prio);

		/* sched_tick's test: something of a higher class ready, or
		 * the slice over and something of the same class ready; the
		 * one found is what sched_switch would take (the head of the
		 * highest class: cur goes behind its own class). */
		if (!next && (int64_t)(mftb() - pc->slice_end) >= 0)
			next = first_ready(pc, cur->prio + 1);
		if (has_work(cur)) {
			done = 0;	/* its own timer: an upcall to make */
		} else if (!next) {
			done = 1;
		} else if (resumable(next)) {
			/* A preemption within this CPU, as sched_tick makes it. */
			cur->state = DS_READY;
			cur->shared->preemptions++;
			disp_save_ctx(cur, tf);
			sched_enqueue(cur);	/* this CPU's queue: cur->cpu is this CPU */
			run_next(tf, pc, next);
			done = 1;
		}
	}
	spin_unlock(&pc->local_lock);
	if (done)
		kquiesce_pass();
	return done;
}

int sched_idle_tick_fast(void)
{
	struct percpu *pc = this_cpu();
	int done;

	klock_local_lock(&pc->local_lock);
	done = !kquiesce_ripe_here() && timer_interrupt_expire_local(mftb());
	spin_unlock(&pc->local_lock);
	return done;
}

int sched_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	uint64_t n = ctx_call_number(tf);
	int done = 0;

	if (n != K42_SC_YIELD && n != K42_SC_BLOCK && n != K42_SC_DISP_IDLE)
		return 0;
	klock_local_lock(&pc->local_lock);
	/* (Ended by another CPU, reflected calls, page-in messages to send:
	 * the locked path, as for ppc_fast.) */
	if (cur->state == DS_RUNNING && cur->cpu == pc->cpu_id && !cur->fr_unsent &&
	    !(cur->reflect_sc && !cur->shared->disabled))
		done = n == K42_SC_YIELD ? yield_fast(tf, pc, cur)
		       : n == K42_SC_BLOCK ? block_fast(tf, pc, cur)
					   : idle_fast(tf, pc, cur);
	spin_unlock(&pc->local_lock);
	if (done && !pc->current)
		sched_idle_fast(tf);	/* parked with nothing else ready: idle here */
	return done;
}
