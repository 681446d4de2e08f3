/*
 * Dispatcher scheduling (see kern/sched.h) and the dispatcher operations
 * of kern/dispatcher.h. Everything here runs on the owning CPU with
 * interrupts off; the per-CPU run queues need no lock.
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
#include <kern/dispatcher.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/sched.h>
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
	struct percpu *pc = this_cpu();

	d->rq_next = NULL;
	if (pc->rq_tail[d->prio])
		pc->rq_tail[d->prio]->rq_next = d;
	else
		pc->rq_head[d->prio] = d;
	pc->rq_tail[d->prio] = d;
}

void sched_remove(struct dispatcher *d)
{
	struct percpu *pc = this_cpu();
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
	if (moved)
		__atomic_or_fetch(&sh->pending, K42_SOFTINTR_PGFLT, __ATOMIC_RELEASE);
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

/* tf holds d's context (or an entry state); make d the running dispatcher. */
static void make_current(struct trap_frame *tf, struct dispatcher *d)
{
	struct percpu *pc = this_cpu();

	if (pc->last_pid != d->proc->pid) {
		trace_disp_switch(pc->last_pid, 0, d->proc->pid, 0);
		pc->last_pid = d->proc->pid;
	}
	pc->current = d;
	d->state = DS_RUNNING;
	d->slice_end = mftb() + pc->slice_tb;
	hat_activate(d->proc->hat);
	/* Pending soft interrupts are delivered once, on the way back to user
	 * mode (arch_user_trap, sched_start), not on every switch. */
	if (pc->vsx_owner == d)
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
	d->ctx = *tf;
	d->has_ctx = 1;
	return &d->ctx;
}

void disp_load_ctx(struct dispatcher *d, struct trap_frame *tf)
{
	*tf = d->ctx;
	d->has_ctx = 0;
}

void sched_save_current(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;

	if (cur && cur->state != DS_DEAD && cur->state != DS_IDLE && cur->state != DS_RUNNING)
		disp_save_ctx(cur, tf);
}

static void idle_until_ready(void)
{
	struct percpu *pc = this_cpu();
	uint64_t start = mftb();

	pc->current = NULL;
	hat_activate(NULL);
	for (;;) {
		for (int c = 0; c < K42_PRIO_CLASSES; c++)
			if (pc->rq_head[c])
				goto out;
		quiesce_point(quiesce_kernel(), (int)pc->cpu_id);
		arch_irq_enable();
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");	/* low, then normal SMT priority */
		arch_irq_disable();
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
		if (next->state == DS_RUNNING)
			return;
	}
}

void sched_handoff(struct trap_frame *tf, struct dispatcher *next)
{
	if (next->state == DS_READY)
		sched_remove(next);
	make_current(tf, next);
}

void sched_tick(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;

	if (!cur)
		return;
	if (higher_ready(cur->prio, 0) ||
	    ((int64_t)(mftb() - cur->slice_end) >= 0 && higher_ready(cur->prio, 1))) {
		cur->state = DS_READY;
		cur->shared->preemptions++;
		sched_enqueue(cur);
		sched_switch(tf);
	}
}

void sched_timer_set(struct dispatcher *d, uint64_t deadline)
{
	struct percpu *pc = this_cpu();
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
