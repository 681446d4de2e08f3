/*
 * The register-only fast path of PPC IPC (docs/performance.md): the common
 * call and reply handed over without a trap frame, a run-queue pass or a
 * copy of anything but the caller's own registers.
 *
 * The commonest cases never get here: arch/ppc64/kern/ppc_fast.S decodes
 * and hands them over in assembly, and sends here what it does not take
 * (tracing on, the local lock busy, a server with several dispatchers, the
 * per-CPU record cache empty or full, a HAT new to this CPU), and what
 * the vector sends here at once: a call or idle reply with page bytes,
 * which are copied here between the two PPC pages (ppc_fast_copy).
 * The `sc` vector (arch/ppc64/kern/sc_fast.S) sends ppc_call and ppc_reply
 * here with their registers as the arguments, after storing the caller's
 * registers straight into its dispatcher's `ctx` (r14..r31 too for a
 * call; a reply's are still live, and so are its r3..r10, which a
 * declined reply stores itself). These
 * functions first check everything (decode), then change state (invoke):
 *  - ppc_fast_call: the server is idle (no context, enabled, nothing
 *    queued or pending for the kernel to deliver), its IPC-call entry is
 *    set, it may run here, and the call carries at most a page of bytes,
 *    no grant and no time bound; tracing may be on (the same events are
 *    written).
 *  - ppc_fast_reply: a reply with K42_IPC_REPLY_IDLE and at most a page
 *    of bytes (ppc_fast_reply_idle: a ppc_reply_idle, the same reply in
 *    the caller's registers) to
 *    a synchronous call whose caller waits on this CPU, will not be upcalled
 *    for pending events, and the server has nothing left to be entered for.
 * Anything else returns 0 before any state changed, and the vector hands
 * the untouched registers to the general path (kern/ppc.c).
 *
 * On success the new current dispatcher's `ctx` holds what the exit loads:
 * for a call only the entry (pc, msr, r1, r3, r11, r12; r4..r10, op and
 * words, come from the caller's ctx unchanged, and every other register
 * is zeroed on the way out), for a reply the caller's whole saved context
 * with its results. This is the fast path's return to user mode: like
 * user_return it loads a user MSR built here, a pc it checks is a user
 * address, the dispatcher's own SPRs, and nothing of the other process.
 * It runs under this CPU's local lock, not the kernel lock (docs/smp.md,
 * "Without the kernel lock"): the kernel lock's holder takes every CPU's
 * local lock, and everything touched here is this CPU's own: the caller
 * running here, a server dispatcher living here (d->cpu; moving one from
 * another CPU is left to the general path), this CPU's run queue and
 * counters, and a call record from the pool (its own lock). It releases
 * the lock before the exit (sc_fast.S) loads the registers. That is safe
 * because (per CPU: the dispatcher being left is PC_FAST_CUR, the one
 * entered pc->current) the entered dispatcher's ctx is its own while it
 * runs here, and the caller's r4..r10, read for a call's entry, can
 * meanwhile be written only by the kernel on another CPU answering the
 * caller itself (its server killed: -K42_EDEAD), never with another
 * process's values; both dispatchers stay allocated until this CPU's
 * next quiescent point. It passes no quiescent point (the tick does).
 */
#include <string.h>
#include <arch/context.h>
#include <arch/hat_radix.h>
#include <arch/memlayout.h>
#include <arch/user_sprs.h>
#include <k42/dispatcher.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/spinlock.h>
#include <kern/percpu.h>
#include <kern/ppc_fast.h>
#include <kern/process.h>
#include <kern/race_window.h>
#include <kern/sched.h>
#include <kern/trace.h>
#include <mm/hat.h>

/* sched_can_run_here (kern/sched.c), inline. */
static inline int can_run_here(const struct percpu *pc, const struct dispatcher *d)
{
	uint32_t on = d->vsx_on;

	return on == 0 || on == pc->cpu_id + 1;
}

/* sched_make_current (kern/sched.c) and arch_user_sprs_enter in one,
 * inline: the same steps (the switch event, the user SPRs handed over,
 * current and state, the address space); returns whether d's vector
 * registers are the loaded ones. */
static inline __attribute__((always_inline)) int make_current_here(struct percpu *pc,
								    struct dispatcher *d)
{
	uint32_t pid = d->proc->pid;

	if (pc->last_pid != pid) {
		/* (The class tested here too: GCC keeps the writer out of line.) */
		if (__builtin_expect(k42_trace_on(K42_TRACE_MASK_DISP), 0))
			trace_disp_switch(pc->last_pid, 0, pid, 0);
		pc->last_pid = pid;
	}
	arch_user_sprs_switch(pc, d);
	pc->current = d;
	d->cpu = pc->cpu_id;
	d->state = DS_RUNNING;
	hat_activate_here(pc, d->proc->hat);
	return pc->vsx_owner == d;
}

/* The page bytes of a call or reply, from one PPC page into the other.
 * Both dispatchers live on this CPU and this CPU's local lock is held, so
 * neither goes away meanwhile (a process is ended only under the kernel
 * lock, whose holder takes this lock, and its dispatchers and their PPC
 * pages are freed after quiescence, which this CPU does not pass here),
 * and a dispatcher's PPC page is fixed for its life: the copy touches
 * nothing but the two pages, through the linear map. Another dispatcher
 * of either process, on another CPU, may read or write its own process's
 * page meanwhile: that only mixes bytes of those two processes' own.
 * len <= K42_IPC_PAGE_BYTES, checked by the caller. */
static void ppc_fast_copy(const struct dispatcher *from, const struct dispatcher *to,
			  uint32_t len)
{
	memcpy(phys_to_virt(to->ppc_pa), phys_to_virt(from->ppc_pa), len);
}

long ppc_fast_call(uint64_t target, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		   uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	struct trap_frame *ctx = &cur->ctx;
	struct k42_disp_shared *csh = cur->shared, *tsh;
	uint64_t entry;
	struct process *tp;
	struct dispatcher *t;
	struct ipc_call *c;
	uint32_t len = k42_ipc_op_len(op);

	spin_lock(&pc->local_lock);	/* not the kernel lock: see above */
	/* Decode: every condition of the fast path, nothing changed yet. */
	if (!disp_plain_caller(cur) || len > K42_IPC_PAGE_BYTES || csh->call_timeout_tb ||
	    cur->call_timed || csh->call_grant_len)
		goto slow;
	tp = process_lookup(target);
	if (!tp || tp->state != K42_PROC_RUNNING || tp == cur->proc || tp->redirected)
		goto slow;	/* (a redirected server: target_of routes the call) */
	t = ppc_server_disp(tp, pc->cpu_id);
	tsh = t->shared;
	entry = t->entries[K42_ENTRY_IPC_CALL];
	if (t->cpu != pc->cpu_id || t->state != DS_IDLE || t->has_ctx || tsh->disabled ||
	    t->calls_queued.head || !entry ||
	    entry >= K42_USER_TOP || t->npgflt_backlog || t->fr_unsent || !can_run_here(pc, t))
		goto slow;
	c = ipc_call_alloc_here(pc, t);
	if (!c)
		goto slow;	/* the general path refuses it and counts it */

	/* Invoke: nothing below can fail. The words travel in registers (the
	 * exit loads r4..r10 from the caller's ctx), and the record keeps
	 * them too: a server under live update forwards a call it holds
	 * (ppc_forward), and its successor is entered from the record. */
	trace_ppc_call(cur->proc->pid, tp->pid, op);
	c->caller = cur;
	c->caller_pid = cur->proc->pid;
	c->op = op;
	c->w[0] = w0;
	c->w[1] = w1;
	c->w[2] = w2;
	c->w[3] = w3;
	c->w[4] = w4;
	c->w[5] = w5;
	c->state = CALL_ACTIVE;
	c->prev = t->calls_active.tail;		/* ipc_call_list_add, inline */
	if (c->prev)
		c->prev->next = c;
	else
		t->calls_active.head = c;
	t->calls_active.tail = c;
	ctx_set_owner(ctx, cur);
	cur->has_ctx = 1;
	cur->state = DS_IN_CALL;
	cur->call = c;

	tsh->disabled = 1;
	tsh->now_tb = mftb();
	tsh->upcalls++;
	ctx_set_fast_entry(&t->ctx, entry, t->upcall_stack, make_current_here(pc, t));
	ctx_set_result(&t->ctx, 0, c->caller_pid);
	ctx_set_result(&t->ctx, 8, ipc_call_handle(c));
	if (len) {
		ppc_fast_copy(cur, t, len);
		pc->ppc_fast_bytes++;
	}
	pc->ppc_fast_calls++;
	pc->ppc_fast_c_calls++;
	spin_unlock(&pc->local_lock);
	race_window(16);	/* (the exit reads the caller's r4..r10 after this) */
	return 1;
slow:
	spin_unlock(&pc->local_lock);
	return 0;
}

/* Both replies' path: h, status, flags and w0..w5 as ppc_reply's. 1: taken;
 * 0: declined with nothing changed (the caller stores its registers). */
static int fast_reply(uint64_t h, uint64_t status, uint64_t flags, uint64_t w0, uint64_t w1,
		      uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	struct trap_frame *cctx;
	struct k42_disp_shared *sh = cur->shared;
	struct dispatcher *caller;
	struct ipc_call *c;
	uint32_t len = (uint32_t)(flags & K42_IPC_REPLY_LEN_MASK);

	spin_lock(&pc->local_lock);	/* not the kernel lock: see above */
	if (!disp_plain_caller(cur) || (flags & ~K42_IPC_REPLY_LEN_MASK) != K42_IPC_REPLY_IDLE ||
	    len > K42_IPC_PAGE_BYTES || sh->saved_valid || sh->pending || cur->calls_queued.head)
		goto slow;
	c = ipc_call_lookup(h, cur);
	if (!c || c->async || !(caller = c->caller) || caller->state != DS_IN_CALL ||
	    caller->call != c || !caller->has_ctx || caller->cpu != pc->cpu_id ||
	    caller->npgflt_backlog || caller->fr_unsent ||
	    (!caller->shared->disabled && caller->shared->pending) ||
	    ctx_pc(&caller->ctx) >= K42_USER_TOP || !can_run_here(pc, caller))
		goto slow;

	trace_ppc_return((long)status);
	cctx = &caller->ctx;
	ctx_set_result(cctx, 0, status);
	ctx_set_result(cctx, 1, len);			/* page bytes */
	ctx_set_result(cctx, 2, w0);			/* w0..w5 */
	ctx_set_result(cctx, 3, w1);
	ctx_set_result(cctx, 4, w2);
	ctx_set_result(cctx, 5, w3);
	ctx_set_result(cctx, 6, w4);
	ctx_set_result(cctx, 7, w5);
	caller->call = NULL;
	ipc_call_free_active_here(pc, c);
	if (len) {
		ppc_fast_copy(cur, caller, len);
		pc->ppc_fast_bytes++;
	}

	/* The server waits idle, as server_after_reply leaves it. */
	cur->has_ctx = 0;
	sh->disabled = 0;
	cur->state = DS_IDLE;

	caller->has_ctx = 0;
	ctx_set_user_msr(cctx, make_current_here(pc, caller));
	pc->ppc_fast_replies++;
	spin_unlock(&pc->local_lock);
	race_window(16);	/* (the exit loads the caller's ctx after this) */
	return 1;
slow:
	spin_unlock(&pc->local_lock);
	return 0;
}

/* The general path reads a declined reply's registers from the ctx: the
 * vector stored all but r3..r10, which each entry stores as they came. */
static long fast_reply_declined(struct trap_frame *ctx, const uint64_t *r3_r10)
{
	for (int i = 0; i < 8; i++)
		ctx_set_result(ctx, i, r3_r10[i]);
	return 0;
}

long ppc_fast_reply(uint64_t h, uint64_t status, uint64_t flags, uint64_t w0, uint64_t w1,
		    uint64_t w2, uint64_t w3, uint64_t w4)
{
	struct trap_frame *ctx = &this_cpu()->current->ctx;
	uint64_t r[8] = { h, status, flags, w0, w1, w2, w3, w4 };

	/* (w5, r11, was stored by the vector) */
	return fast_reply(h, status, flags, w0, w1, w2, w3, w4, ctx_arg(ctx, 8)) ||
	       fast_reply_declined(ctx, r);
}

long ppc_fast_reply_idle(uint64_t status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			 uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct trap_frame *ctx = &this_cpu()->current->ctx;
	uint64_t r[8] = { status, len, w0, w1, w2, w3, w4, w5 };

	/* (the handle, r11, was stored by the vector; a len that is no page
	 * length goes on to the general path's -K42_EINVAL) */
	return (!(len & ~K42_IPC_REPLY_LEN_MASK) &&
		fast_reply(ctx_arg(ctx, 8), status, len | K42_IPC_REPLY_IDLE, w0, w1, w2, w3, w4, w5)) ||
	       fast_reply_declined(ctx, r);
}
