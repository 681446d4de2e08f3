/*
 * PPC under this CPU's local lock (ppc_fast, from the trap path): the
 * common call and reply without the kernel lock, and the order in which
 * the lock-free ways are tried (same CPU here, then a server moved here,
 * kern/ppc_move.c, then across CPUs, kern/ppc_cross.c); what all decline
 * goes to the locked path (kern/ppc.c).
 *
 * A synchronous call to a server's dispatcher that lives on this CPU
 * (d->cpu: where it last ran) and takes the upcall now, and the reply to
 * a caller waiting on this CPU, run under this CPU's local lock only
 * (kern/klock.c: the kernel lock's holder takes every CPU's local lock,
 * so none of it runs beside the kernel lock). Everything they touch is
 * this CPU's: the caller (running here), the server dispatcher (lives
 * here: another CPU's fast path only enters dispatchers living there, and
 * a dispatcher 0 moves to its caller's CPU only under the kernel lock or
 * the local locks of both CPUs, kern/ppc_move.c, tried next), this
 * CPU's run queue; the call record comes from the pool under its own
 * lock. Anything else (an
 * error to report, a timed call, a grant, a queued call, a caller or
 * server elsewhere, pending events to deliver, FR work) is left untouched
 * for the locked path, which handles it as before: every check is made
 * before anything changes. 1: done, tf holds whom to resume.
 */
#include <arch/context.h>
#include <k42/ipc.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/ppc_cross.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <kern/trace.h>

static int call_fast(struct trap_frame *tf, struct dispatcher *cur)
{
	struct dispatcher *t;
	struct ipc_call *c;
	uint64_t op = ctx_arg(tf, 1);

	if (cur->shared->call_timeout_tb || cur->call_timed || cur->shared->call_grant_len ||
	    k42_ipc_op_len(op) > K42_IPC_PAGE_BYTES)
		return 0;
	if (ppc_target_of(ctx_arg(tf, 0), cur, &t) < 0 || t->cpu != this_cpu()->cpu_id ||
	    !ppc_takes_upcall(t) || t->npgflt_backlog || t->fr_unsent)
		return 0;
	c = ipc_call_try_alloc(t);
	if (!c)
		return 0;
	ppc_call_begin(tf, cur, t, c, op);
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&t->calls_active, c);
	copy_page_data(cur, t, k42_ipc_op_len(op));
	ppc_enter_server(tf, t, c);
	return 1;
}

static int reply_fast(struct trap_frame *tf, struct dispatcher *cur)
{
	uint64_t lenflags = ctx_arg(tf, 2), w[K42_IPC_WORDS];
	uint32_t len = (uint32_t)(lenflags & K42_IPC_REPLY_LEN_MASK);
	struct dispatcher *caller;
	struct ipc_call *c;

	if ((lenflags & ~(K42_IPC_REPLY_LEN_MASK | K42_IPC_REPLY_IDLE)) || len > K42_IPC_PAGE_BYTES)
		return 0;
	c = ipc_call_lookup(ctx_arg(tf, 0), cur);
	if (!c || c->async || !(caller = c->caller))
		return 0;
	/* Resumed here at once, with nothing to deliver on the way (the
	 * locked path would deliver it: arch_user_trap). */
	if (caller->state != DS_IN_CALL || caller->call != c ||
	    caller->cpu != this_cpu()->cpu_id || !sched_can_run_here(caller) ||
	    caller->npgflt_backlog || caller->fr_unsent ||
	    (caller->shared->pending && !caller->shared->disabled))
		return 0;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		w[i] = ctx_arg(tf, 3 + i);
	trace_ppc_return((long)ctx_arg(tf, 1));
	ipc_call_free(c);
	copy_page_data(cur, caller, len);
	set_caller_result(caller, (long)ctx_arg(tf, 1), len, w);
	server_after_reply(tf, cur, lenflags);
	disp_load_ctx(caller, tf);
	sched_handoff(tf, caller);
	return 1;
}

int ppc_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	uint64_t n = ctx_call_number(tf);
	int done = 0;

	if (n != K42_SC_PPC_CALL && n != K42_SC_PPC_REPLY && n != K42_SC_PPC_ACCEPT &&
	    n != K42_SC_PPC_CALL_ASYNC && n != K42_SC_PPC_COLLECT && n != K42_SC_PPC_SEND &&
	    n != K42_SC_PPC_REPLY_IDLE)
		return 0;
	spin_lock(&pc->local_lock);
	/* A native ppc_reply_idle is served as the ppc_reply it stands for
	 * (a reflected one keeps its registers for its personality; a bad
	 * len is the locked path's -K42_EINVAL). */
	if (n == K42_SC_PPC_REPLY_IDLE && disp_plain_caller(cur) && ppc_reply_idle_as_reply(tf) == 0)
		n = K42_SC_PPC_REPLY;
	if (disp_plain_caller(cur) && n != K42_SC_PPC_REPLY_IDLE)
		done = n == K42_SC_PPC_CALL     ? call_fast(tf, cur) || ppc_call_move(tf, pc, cur, 0) ||
							  ppc_call_cross(tf, pc, cur, 0)
		       : n == K42_SC_PPC_REPLY  ? reply_fast(tf, cur) || ppc_reply_cross(tf, pc, cur)
		       : n == K42_SC_PPC_ACCEPT ? ppc_accept_fast(tf, cur)
		       : n == K42_SC_PPC_COLLECT ? ppc_collect_fast(tf, pc, cur)
		       : n == K42_SC_PPC_SEND   ? ppc_send_fast(tf, pc, cur)
						: ppc_call_move(tf, pc, cur, 1) ||
							  ppc_call_cross(tf, pc, cur, 1);
	spin_unlock(&pc->local_lock);
	if (done && !pc->current)
		sched_idle_fast(tf);	/* parked with nothing else ready (kern/sched_idle.c) */
	return done;
}
