/*
 * Dispatcher scheduling (see kern/sched.h) and the dispatcher operations
 * of kern/dispatcher.h. Everything here runs with interrupts off and the
 * kernel lock held (kern/klock.h, docs/smp.md), or, on the PPC fast path,
 * this CPU's local lock for this CPU's queue and dispatchers only: a
 * dispatcher is queued on the run queue of its CPU (d->cpu), which
 * another CPU may write (under the kernel lock, so that CPU's local lock
 * too, or under that CPU's local lock alone: kern/ppc_cross.c,
 * kern/sched_wake.c) when it wakes d, and then kicks that CPU with an IPI.
 *
 * The user context of the running dispatcher lives in the trap frame at
 * the top of the kernel stack (`tf`). Switching copies it into the old
 * dispatcher's `ctx` and loads the new one's.
 */
#include <arch/context.h>
#include <arch/irq.h>
#include <arch/spr.h>
#include <arch/timer.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/ktest.h>
#include <kern/quiesce.h>
#include <kern/klock.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/timer.h>
#include <kern/trace.h>
#include <mm/fr.h>
#include <mm/hat.h>

struct dispatcher *disp_current(void)
{
	return this_cpu()->current;
}

void sched_enqueue(struct dispatcher *d)
{
	struct percpu *pc = percpu_of(d->cpu);

	d->rq_next = NULL;
	if (pc->rq_tail[d->prio])
		pc->rq_tail[d->prio]->rq_next = d;
	else
		pc->rq_head[d->prio] = d;
	pc->rq_tail[d->prio] = d;
	/* Another CPU's queue: wake it if it idles, or preempt it if d is
	 * more urgent than what it runs; otherwise its tick will do. */
	if (pc != this_cpu() &&
	    (pc->idle || !pc->current || d->prio < pc->current->prio))
		smp_kick(pc->cpu_id);
}

void sched_remove(struct dispatcher *d)
{
	struct percpu *pc = percpu_of(d->cpu);
	struct dispatcher **pp = &pc->rq_head[d->prio], *prev = NULL;

	while (*pp && *pp != d) {
		prev = *pp;
		pp = &(*pp)->rq_next;
	}
	if (!*pp)
		return;
	*pp = d->rq_next;
	if (pc->rq_tail[d->prio] == d)
		pc->rq_tail[d->prio] = prev;
	d->rq_next = NULL;
}

static struct dispatcher *pick_next(void)
{
	struct percpu *pc = this_cpu();

	for (int c = 0; c < K42_PRIO_CLASSES; c++) {
		struct dispatcher *d = pc->rq_head[c];

		if (d) {
			pc->rq_head[c] = d->rq_next;
			if (!pc->rq_head[c])
				pc->rq_tail[c] = NULL;
			d->rq_next = NULL;
			return d;
		}
	}
	return NULL;
}

static int higher_ready(int prio, int or_equal)
{
	struct percpu *pc = this_cpu();

	for (int c = 0; c < prio + (or_equal ? 1 : 0) && c < K42_PRIO_CLASSES; c++)
		if (pc->rq_head[c])
			return 1;
	return 0;
}

void disp_wake(struct dispatcher *d)
{
	if (d->state == DS_BLOCKED || d->state == DS_IDLE || d->state == DS_PAGE_WAIT) {
		d->state = DS_READY;
		sched_enqueue(d);
	}
}

void disp_raise(struct dispatcher *d, uint64_t bits)
{
	__atomic_or_fetch(&d->shared->pending, bits, __ATOMIC_RELEASE);
	if (d->state == DS_BLOCKED || d->state == DS_IDLE)
		disp_wake(d);
	else if (d->state == DS_RUNNING && d->cpu != this_cpu()->cpu_id)
		smp_kick(d->cpu);	/* delivered on its way back to user mode */
}

int sched_can_run_here(const struct dispatcher *d)
{
	uint32_t on = d->vsx_on;

	/* Its FP/VMX/VSX registers may be live only on the CPU it last ran
	 * on (lazy switching); that CPU alone can save them. */
	return on == 0 || on == this_cpu()->cpu_id + 1;
}

void sched_forget(struct dispatcher *d)
{
	for (int c = 0; c < smp_ncpus; c++) {
		struct percpu *pc = percpu_of((uint32_t)c);

		if (pc->vsx_owner == d) {
			pc->vsx_owner = NULL;
			d->vsx_on = 0;
		}
		if (pc->spr_owner == d)
			pc->spr_owner = NULL;
	}
	/* Running on another CPU: it must leave it (kern/sched.h). */
	if (d->cpu != this_cpu()->cpu_id && percpu_of(d->cpu)->current == d)
		smp_kick(d->cpu);
}

int disp_upcall(struct dispatcher *d, struct trap_frame *tf, int entry, int preserve)
{
	struct k42_disp_shared *sh = d->shared;

	if (!d->entries[entry])
		return -1;
	if (preserve && ctx_owned_by(tf, d)) {	/* only d's own registers go to d */
		ctx_to_user_regs(tf, &sh->saved);
		sh->saved_valid = 1;
	}
	sh->disabled = 1;
	sh->now_tb = mftb();
	sh->upcalls++;
	if (entry == K42_ENTRY_SYSCALL && ctx_owned_by(tf, d))
		/* A reflected `sc`: the frame holds d's own registers (just
		 * saved), so it need not be scrubbed, only pointed at the
		 * entry (the handler reads its call from `saved`). */
		ctx_reenter(tf, d->entries[entry], d->upcall_stack);
	else
		ctx_set_entry(tf, d, d->entries[entry], d->upcall_stack);
	return 0;
}

/* Move fault completions that did not fit the shared ring into it. */
static void flush_pgflt_backlog(struct dispatcher *d)
{
	struct k42_disp_shared *sh = d->shared;
	int moved = 0;

	while (d->npgflt_backlog && sh->pgflt_head - sh->pgflt_tail < K42_DISP_PGFLT_DONE) {
		sh->pgflt_done[sh->pgflt_head % K42_DISP_PGFLT_DONE] = d->pgflt_backlog[0];
		__atomic_store_n(&sh->pgflt_head, sh->pgflt_head + 1, __ATOMIC_RELEASE);
		d->npgflt_backlog--;
		for (int i = 0; i < d->npgflt_backlog; i++)
			d->pgflt_backlog[i] = d->pgflt_backlog[i + 1];
		moved = 1;
	}
	if (moved) {
		disp_fast_sync(d, FAST_OFF_BACKLOG);
		__atomic_or_fetch(&sh->pending, K42_SOFTINTR_PGFLT, __ATOMIC_RELEASE);
	}
}

void disp_deliver_pending(struct trap_frame *tf, struct dispatcher *d)
{
	struct k42_disp_shared *sh = d->shared;

	if (d->npgflt_backlog)
		flush_pgflt_backlog(d);
	if (d->fr_unsent)
		fr_flush(d);
	if (!sh->disabled && sh->pending) {
		disp_upcall(d, tf, K42_ENTRY_SOFTINTR, 1);
	}
}

int sched_make_current(struct dispatcher *d)
{
	struct percpu *pc = this_cpu();

	if (pc->last_pid != d->proc->pid) {
		trace_disp_switch(pc->last_pid, 0, d->proc->pid, 0);
		pc->last_pid = d->proc->pid;
	}
	arch_user_sprs_leave(pc, d);
	pc->current = d;
	d->cpu = pc->cpu_id;
	if (d->shared->cpu != pc->cpu_id)	/* moved: its trace ring too */
		trace_disp_bind(d->shared, pc->cpu_id);
	d->shared->cpu = pc->cpu_id;	/* for user code (which trace ring) */
	d->state = DS_RUNNING;
	hat_activate(d->proc->hat);
	return pc->vsx_owner == d;
}

/* tf holds d's context (or an entry state); make d the running dispatcher. */
static void make_current(struct trap_frame *tf, struct dispatcher *d)
{
	/* Pending soft interrupts are delivered once, on the way back to user
	 * mode (arch_user_trap, sched_start), not on every switch. */
	if (sched_make_current(d) || arch_vector_units_eager(this_cpu(), d))
		tf->msr |= MSR_VECTOR_UNITS;
	else
		tf->msr &= ~MSR_VECTOR_UNITS;
}

/* Load d (not running) into tf. */
static void load(struct trap_frame *tf, struct dispatcher *d)
{
	if (d->has_ctx) {
		disp_load_ctx(d, tf);
	} else {
		int e = d->shared->pending && d->entries[K42_ENTRY_SOFTINTR] ? K42_ENTRY_SOFTINTR
									     : K42_ENTRY_RUN;

		if (disp_upcall(d, tf, e, 0) < 0) {
			/* Nothing to resume and nowhere to enter: it cannot run. */
			process_end(d->proc, K42_PROC_KILLED, -1,
				    "scheduled with no context and no entry points");
			return;
		}
	}
	make_current(tf, d);
}

struct trap_frame *disp_save_ctx(struct dispatcher *d, const struct trap_frame *tf)
{
	ctx_copy(&d->ctx, tf);
	d->has_ctx = 1;
	return &d->ctx;
}

void disp_load_ctx(struct dispatcher *d, struct trap_frame *tf)
{
	ctx_copy(tf, &d->ctx);
	d->has_ctx = 0;
}

void sched_save_current(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;

	if (cur && cur->state != DS_DEAD && cur->state != DS_IDLE && cur->state != DS_RUNNING)
		disp_save_ctx(cur, tf);
}

/* Work for an idle CPU? Whoever queues a dispatcher or test work here
 * holds the kernel lock, hence this CPU's local lock, which is enough to
 * look (and waits while another CPU holds the kernel lock). Objects it
 * retired that are now safe to free are work too (kquiesce_idle_enter
 * frees them). */
int sched_idle_has_work(struct percpu *pc)
{
	int any = ktest_cpu_work_pending(pc) || kquiesce_ripe_here();

	klock_local_lock(&pc->local_lock);
	for (int c = 0; c < K42_PRIO_CLASSES; c++)
		if (pc->rq_head[c])
			any = 1;
	spin_unlock(&pc->local_lock);
	return any;
}

/*
 * Nothing to run: wait with the kernel lock released. Interrupts taken
 * here (tick, IPI, device) take the lock themselves (trap.c), except a
 * tick with nothing to expire, and the CPU goes back to waiting without
 * the kernel lock until it has work: the kernel lock's holder takes every
 * CPU's local lock, and an idle CPU that took it at every tick held up
 * the busy ones (docs/smp.md, "Wall clock"). A CPU
 * leaves no user state live in its registers while it idles, so any
 * other CPU may run what ran here last.
 */
static void idle_until_ready(void)
{
	struct percpu *pc = this_cpu();
	uint64_t start = mftb();

	pc->current = NULL;
	hat_activate(NULL);
	arch_user_sprs_leave(pc, NULL);
	if (smp_ncpus > 1)
		arch_vector_units_leave(pc);
	for (;;) {
		for (int c = 0; c < K42_PRIO_CLASSES; c++)
			if (pc->rq_head[c])
				goto out;
		if (ktest_cpu_work_pending(pc)) {
			ktest_cpu_work(pc);	/* an in-kernel test's share (kern/ktest.h) */
			continue;
		}
		kquiesce_idle_enter();
		pc->idle = 1;
		klock_release();
		do
			arch_idle_wait();	/* returns with interrupts off, after one was taken */
		while (!sched_idle_has_work(pc));
		klock_acquire();
		kquiesce_idle_exit();
		pc->idle = 0;
	}
out:
	pc->idle_tb += mftb() - start;
}

void sched_switch(struct trap_frame *tf)
{
	struct dispatcher *next;

	sched_save_current(tf);
	this_cpu()->current = NULL;
	for (;;) {
		next = pick_next();
		if (!next) {
			idle_until_ready();
			continue;
		}
		load(tf, next);
		if (next->state == DS_RUNNING) {
			/* A dispatcher taken from the run queue starts a time
			 * slice; handoffs (PPC calls and replies, either path)
			 * run on in the slice they were made in, as a callee
			 * runs on its caller's time, so a pair calling each
			 * other cannot keep the CPU from the others. */
			this_cpu()->slice_end = mftb() + this_cpu()->slice_tb;
			return;
		}
	}
}

void sched_handoff(struct trap_frame *tf, struct dispatcher *next)
{
	if (next->state == DS_READY)
		sched_remove(next);
	make_current(tf, next);
}

void sched_resched(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;

	if (!cur)
		return;
	if (cur->state == DS_DEAD) {
		sched_switch(tf);	/* ended by another CPU */
		return;
	}
	if (higher_ready(cur->prio, 0)) {
		cur->state = DS_READY;
		cur->shared->preemptions++;
		sched_enqueue(cur);
		sched_switch(tf);
	}
}

void sched_tick(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;

	if (!cur)
		return;
	if (higher_ready(cur->prio, 0) ||
	    ((int64_t)(mftb() - this_cpu()->slice_end) >= 0 && higher_ready(cur->prio, 1))) {
		cur->state = DS_READY;
		cur->shared->preemptions++;
		sched_enqueue(cur);
		sched_switch(tf);
	}
}

void sched_timer_set(struct dispatcher *d, uint64_t deadline)
{
	struct percpu *pc = percpu_of(d->timer_cpu);
	struct dispatcher **pp;

	for (pp = &pc->timers; *pp; pp = &(*pp)->timer_next) {
		if (*pp == d) {
			*pp = d->timer_next;
			break;
		}
	}
	d->timer_deadline = deadline;
	if (!deadline)
		return;
	pc = this_cpu();
	d->timer_cpu = pc->cpu_id;
	for (pp = &pc->timers; *pp && (*pp)->timer_deadline <= deadline; pp = &(*pp)->timer_next)
		;
	d->timer_next = *pp;
	*pp = d;
	timer_reprogram();
}

void sched_timers_expire(uint64_t now)
{
	struct percpu *pc = this_cpu();

	while (pc->timers && (int64_t)(now - pc->timers->timer_deadline) >= 0) {
		struct dispatcher *d = pc->timers;

		pc->timers = d->timer_next;
		d->timer_deadline = 0;
		disp_raise(d, K42_SOFTINTR_TIMER);
	}
}

uint64_t sched_next_deadline(void)
{
	struct dispatcher *t = this_cpu()->timers;

	return t ? t->timer_deadline : UINT64_MAX;
}

void sched_start(void)
{
	struct trap_frame *tf = this_cpu()->user_tf;

	sched_switch(tf);
	disp_deliver_pending(tf, this_cpu()->current);
	user_return(tf);
}
