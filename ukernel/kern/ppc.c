/*
 * PPC IPC: the protected procedure call, with per-call state in call
 * records (kern/ipc_call.h).
 *
 * A call allocates a record and parks the caller (DS_IN_CALL). If the
 * server can take an upcall now (enabled, and ready, blocked or idle), the
 * processor is handed straight to it: it is entered at its IPC-call entry
 * point with the caller's pid in r3 (it carries its generation and is
 * never reused, so a server may key what it keeps for a client on it), the op and words untouched in
 * r4..r10 and the call handle in r11, its interrupted context (if any)
 * preserved in its shared page as for any upcall. Otherwise the call is
 * queued on the server and K42_SOFTINTR_CALL raised; the server takes it
 * with ppc_accept once it is enabled. A server holds any number of calls
 * and replies to each by handle, in any order; a reply to a caller that
 * waits hands the processor straight back to it.
 *
 * Page data: each dispatcher has a private PPC page, at K42_PPC_PAGE_VA +
 * its index pages. The kernel copies the request bytes from the caller's
 * page into the server's when the server takes the call, and the reply
 * bytes back when it replies; nobody else ever sees them.
 *
 * Which of the server's dispatchers: the one on the caller's CPU, if the
 * server started one there and it takes calls (registered an IPC-call
 * entry point), so a call stays on its CPU without moving anybody
 * (docs/smp.md); else the server's own dispatcher 0, as always.
 *
 * Asynchronous calls (ppc_call_async, kern/ppc_async.c): the caller is
 * not parked. Its call is handed to the server the same way (the caller goes to the back of its
 * run queue with the call's handle as its result), its page bytes come
 * from the caller's buffer `buf` rather than its PPC page, and the reply's
 * bytes go back there at ppc_reply. The reply is delivered at the caller's
 * K42_ENTRY_IPC_RETURN, handing the processor straight to it if it can take
 * an upcall now; otherwise it waits on the caller's calls_done list, with
 * K42_SOFTINTR_REPLY raised, until the caller takes it with ppc_collect.
 * Async calls are not bounded by call_timeout_tb (a user-level timer can
 * give up on them); at most K42_IPC_ASYNC_PER_CALLER are outstanding.
 *
 * Bulk data by reference: a caller may lend the server one range of its
 * memory for the duration of a call (call_grant_* in its shared page, taken
 * and cleared with the call), read-only or writable. The server copies
 * from or into it with ppc_grant_copy while the call is outstanding; every
 * access goes through the caller's own translation, so a grant never
 * reaches memory the caller could not touch itself, and it dies with the
 * reply, the caller or the server.
 *
 * Bounded calls and ppc_cancel: kern/ppc_timed.c.
 *
 * Locking: the kernel lock, except the fast path (kern/ppc_local.c: a
 * call and reply on one CPU under that CPU's local lock, docs/smp.md)
 * and what it hands to kern/ppc_move.c (a server moved to its caller's
 * CPU) and kern/ppc_cross.c (ppc_accept, a call queued on a server on
 * another CPU, and a reply to a caller on another CPU, under the
 * local locks of the CPUs involved).
 *
 * Refusals: absent target -K42_ESRCH, dead -K42_EDEAD, itself -K42_EINVAL,
 * page length over K42_IPC_PAGE_BYTES -K42_EINVAL, no call record left
 * -K42_EBUSY (counted in K42_INFO_IPC_REFUSED); an async buffer that cannot be
 * read -K42_EFAULT (at once, or as the reply of a call the server takes later).
 */
#include <string.h>
#include <arch/context.h>
#include <arch/memlayout.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/smp.h>
#include <kern/ppc_cross.h>
#include <kern/ppc_general.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/trace.h>
#include <mm/meminit.h>
#include <mm/usercopy.h>

/* Decode the target of a call or send; 0 or a refusal code. */
long ppc_target_of(uint64_t pid, struct dispatcher *cur, struct dispatcher **out)
{
	struct process *tp = process_lookup(process_route(pid));	/* (its successor, if any) */

	if (!tp)
		return -K42_ESRCH;
	if (tp->state != K42_PROC_RUNNING)
		return -K42_EDEAD;
	if (tp == cur->proc)
		return -K42_EINVAL;	/* any of its own dispatchers */
	*out = ppc_server_disp(tp, this_cpu()->cpu_id);
	return 0;
}

void copy_page_data(struct dispatcher *from, struct dispatcher *to, uint32_t len)
{
	if (len)
		memcpy(phys_to_virt(to->ppc_pa), phys_to_virt(from->ppc_pa), len);
}

/* Take the grant the caller wrote into its shared page for this call
 * (and clear it): 0, or -K42_EINVAL for one out of bounds. */
long ppc_take_grant(struct dispatcher *cur, struct ipc_call *c)
{
	struct k42_disp_shared *sh = cur->shared;
	uint64_t va = sh->call_grant_va, len = sh->call_grant_len, prot = sh->call_grant_prot;

	if (!len)
		return 0;
	sh->call_grant_len = 0;
	if (len > K42_IPC_GRANT_MAX || va >= K42_USER_TOP || K42_USER_TOP - va < len ||
	    (prot & ~(uint64_t)(K42_PROT_READ | K42_PROT_WRITE)) || !prot)
		return -K42_EINVAL;
	c->grant_va = va;
	c->grant_len = len;
	c->grant_prot = (uint32_t)prot;
	return 0;
}

/* Can t be entered for a call right now? */
int ppc_takes_upcall(const struct dispatcher *t)
{
	/* (A server still starting, with no entry points yet, gets its calls
	 * queued: it takes them with ppc_accept once it runs libk42.) */
	return !t->shared->disabled && !t->calls_queued.head && t->entries[K42_ENTRY_IPC_CALL] &&
	       (t->state == DS_READY || t->state == DS_BLOCKED || t->state == DS_IDLE) &&
	       sched_can_run_here(t);
}

/* The call's registers, as the server's entry point and ppc_accept see them. */
void set_call_regs(struct trap_frame *tf, const struct ipc_call *c, int first)
{
	ctx_set_result(tf, first, c->caller_pid);
	ctx_set_result(tf, first + 1, c->op);
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		ctx_set_result(tf, first + 2 + i, c->w[i]);
}

/* Give the caller of c (parked in DS_IN_CALL on it) its result. */
void set_caller_result(struct dispatcher *caller, long status, uint32_t len,
			      const uint64_t *w)
{
	struct trap_frame *ctx = &caller->ctx;

	ctx_set_result(ctx, 0, (uint64_t)status);
	ctx_set_result(ctx, 1, len);
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		ctx_set_result(ctx, 2 + i, w ? w[i] : 0);
	caller->call = NULL;
}

/* Enter d at `entry` in tf, its own context (if any) preserved in its
 * shared page; tf held somebody else's registers, which do not go along
 * (the upcall scrubs the frame). */
void ppc_upcall_into(struct trap_frame *tf, struct dispatcher *d, int entry)
{
	if (d->state == DS_READY)
		sched_remove(d);
	if (d->has_ctx) {
		disp_load_ctx(d, tf);
		disp_upcall(d, tf, entry, 1);
	} else {
		disp_upcall(d, tf, entry, 0);
	}
}

/* Hand the processor to server t (which takes upcalls) for its active call c. */
void ppc_enter_server(struct trap_frame *tf, struct dispatcher *t, struct ipc_call *c)
{
	ppc_upcall_into(tf, t, K42_ENTRY_IPC_CALL);
	set_call_regs(tf, c, 0);
	ctx_set_result(tf, 8, ipc_call_handle(c));
	sched_handoff(tf, t);
}

/* A synchronous call is made: the record takes the caller and its words,
 * and the caller waits in it with its context saved (both the general
 * path and ppc_fast's). */
void ppc_call_begin(struct trap_frame *tf, struct dispatcher *cur, struct dispatcher *t,
		    struct ipc_call *c, uint64_t op)
{
	trace_ppc_call(cur->proc->pid, t->proc->pid, op);
	c->caller = cur;
	c->caller_pid = cur->proc->pid;
	c->op = op;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		c->w[i] = ctx_arg(tf, 2 + i);
	cur->state = DS_IN_CALL;
	cur->call = c;
	disp_save_ctx(cur, tf);
}

long sys_ppc_call(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct ipc_call *c;
	long rc = ppc_target_of(ctx_arg(tf, 0), cur, &t);
	uint64_t op = ctx_arg(tf, 1);

	if (rc < 0)
		return rc;
	if (k42_ipc_op_len(op) > K42_IPC_PAGE_BYTES)
		return -K42_EINVAL;
	c = ipc_call_alloc(t, NULL);
	if (!c)
		return -K42_EBUSY;
	if (cur->shared->call_grant_len && (rc = ppc_take_grant(cur, c)) < 0) {
		ipc_call_free(c);
		return rc;
	}

	ppc_call_begin(tf, cur, t, c, op);
	if (cur->shared->call_timeout_tb || cur->call_timed)
		ppc_call_bound(cur);	/* on this CPU's list if bounded (kern/ppc_timed.c) */

	if (!ppc_takes_upcall(t)) {
		c->state = CALL_QUEUED;
		ipc_call_list_add(&t->calls_queued, c);
		disp_raise(t, K42_SOFTINTR_CALL);
		sched_switch(tf);
		return SYSCALL_SWITCHED;
	}
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&t->calls_active, c);
	copy_page_data(cur, t, k42_ipc_op_len(op));
	ppc_enter_server(tf, t, c);
	return SYSCALL_SWITCHED;
}

long sys_ppc_accept(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;
	struct ipc_call *c;

	for (;;) {
		c = cur->calls_queued.head;
		if (!c)
			return -K42_EAGAIN;
		if (c->async && ppc_async_request_in(c, cur) < 0) {
			ipc_call_done(c, -K42_EFAULT, 0, NULL);	/* its buffer went away */
			continue;
		}
		break;
	}
	ipc_call_list_del(&cur->calls_queued, c);
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&cur->calls_active, c);
	if (!c->async)
		copy_page_data(c->caller, cur, k42_ipc_op_len(c->op));
	set_call_regs(tf, c, 1);
	return (long)ipc_call_handle(c);
}

long sys_ppc_reply(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *caller;
	uint64_t lenflags = ctx_arg(tf, 2), w[K42_IPC_WORDS];
	uint32_t len = (uint32_t)(lenflags & K42_IPC_REPLY_LEN_MASK);
	long status = (long)ctx_arg(tf, 1);
	struct ipc_call *c;

	if ((lenflags & ~(K42_IPC_REPLY_LEN_MASK | K42_IPC_REPLY_IDLE)) || len > K42_IPC_PAGE_BYTES)
		return -K42_EINVAL;
	c = ipc_call_lookup(ctx_arg(tf, 0), cur);
	if (!c)
		return -K42_EBADH;	/* stale or forged: nothing changes */
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		w[i] = ctx_arg(tf, 3 + i);
	trace_ppc_return(status);
	caller = c->caller;
	if (!caller) {
		/* The caller died meanwhile, or its wait was cancelled (^C). */
		long rc = c->cancelled ? -K42_EINTR : -K42_EDEAD;

		ipc_call_free(c);
		return rc;
	}
	if (c->async)
		return ppc_reply_async(tf, cur, c, status, len, w, lenflags);
	ipc_call_free(c);

	copy_page_data(cur, caller, len);
	set_caller_result(caller, status, len, w);
	if (caller->cpu != this_cpu()->cpu_id || !sched_can_run_here(caller)) {
		/* The caller waits on another CPU (the call was queued and
		 * taken here): it resumes there, and a call stays on its
		 * caller's CPU. The server goes on here. */
		caller->state = DS_READY;
		sched_enqueue(caller);
		if (!(lenflags & K42_IPC_REPLY_IDLE))
			return 0;
		server_after_reply(tf, cur, lenflags);
		this_cpu()->current = NULL;	/* nothing of tf is kept */
		sched_switch(tf);
		return SYSCALL_SWITCHED;
	}
	server_after_reply(tf, cur, lenflags);
	disp_load_ctx(caller, tf);
	sched_handoff(tf, caller);
	return SYSCALL_SWITCHED;
}

/* ppc_reply_idle's registers (status, len, w0..w5: the caller's r3..r10 as
 * it will receive them; the handle in r11) rewritten in tf as the
 * ppc_reply they stand for (handle, status, len | K42_IPC_REPLY_IDLE,
 * w0..w5; r0 its number), so that one path serves both. 0, or -K42_EINVAL
 * with nothing changed for a len that is no page length. The process sees
 * only its own values moved (r0 and r4..r11 hold no result of either
 * call). */
long ppc_reply_idle_as_reply(struct trap_frame *tf)
{
	uint64_t h = ctx_arg(tf, 8), status = ctx_arg(tf, 0), len = ctx_arg(tf, 1);

	if (len & ~K42_IPC_REPLY_LEN_MASK)
		return -K42_EINVAL;
	for (int i = (int)K42_IPC_WORDS - 1; i >= 0; i--)
		ctx_set_result(tf, 3 + i, ctx_arg(tf, 2 + i));
	ctx_set_result(tf, 0, h);
	ctx_set_result(tf, 1, status);
	ctx_set_result(tf, 2, len | K42_IPC_REPLY_IDLE);
	ctx_set_call_number(tf, K42_SC_PPC_REPLY);
	return 0;
}

long sys_ppc_reply_idle(struct trap_frame *tf)
{
	long rc = ppc_reply_idle_as_reply(tf);

	return rc < 0 ? rc : sys_ppc_reply(tf);
}

/* The server cur has replied and gives up the processor: it waits idle
 * (K42_IPC_REPLY_IDLE) or is queued with its context, ppc_reply returning 0. */
void server_after_reply(struct trap_frame *tf, struct dispatcher *cur, uint64_t lenflags)
{
	if (lenflags & K42_IPC_REPLY_IDLE) {
		/* The server has nothing more to run: it waits enabled, as the
		 * idle loop would, and is entered again at an entry point (at
		 * once if an interrupted context is still in `saved`, or events
		 * are pending). */
		cur->has_ctx = 0;
		cur->shared->disabled = 0;
		if (cur->calls_queued.head)	/* it took them one at a time */
			__atomic_or_fetch(&cur->shared->pending, K42_SOFTINTR_CALL, __ATOMIC_RELEASE);
		if (cur->shared->saved_valid || cur->shared->pending) {
			cur->state = DS_READY;
			sched_enqueue(cur);
		} else {
			cur->state = DS_IDLE;
		}
	} else {
		ctx_set_result(tf, 0, 0);
		cur->state = DS_READY;
		disp_save_ctx(cur, tf);
		sched_enqueue(cur);
	}
}

long sys_ppc_grant_copy(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;
	uint64_t off = ctx_arg(tf, 1), va = ctx_arg(tf, 2), len = ctx_arg(tf, 3), dir = ctx_arg(tf, 4);
	struct ipc_call *c;
	struct process *caller;

	if (dir > K42_GRANT_TO_CALLER || len > K42_IPC_GRANT_MAX)
		return -K42_EINVAL;
	c = ipc_call_lookup(ctx_arg(tf, 0), cur);
	if (!c)
		return -K42_EBADH;
	if (!c->caller)
		return -K42_EDEAD;	/* the caller has gone: so has its memory */
	if (off > c->grant_len || len > c->grant_len - off)
		return -K42_EINVAL;	/* (no grant: grant_len 0) */
	if (!(c->grant_prot & (dir == K42_GRANT_TO_CALLER ? K42_PROT_WRITE : K42_PROT_READ)))
		return -K42_EACCES;
	caller = c->caller->proc;
	if (dir == K42_GRANT_TO_CALLER)
		return copy_user_to_user(caller, c->grant_va + off, cur->proc, va, len);
	return copy_user_to_user(cur->proc, va, caller, c->grant_va + off, len);
}

void ipc_disp_end(struct dispatcher *d)
{
	struct ipc_call *c;

	if (d->call_timed)
		ppc_untime(d);

	/* Callers waiting on us get -K42_EDEAD at once. */
	while ((c = d->calls_queued.head) || (c = d->calls_active.head)) {
		struct dispatcher *caller = c->caller;

		if (c->async && caller) {
			ipc_call_done(c, -K42_EDEAD, 0, NULL);
			continue;
		}
		ipc_call_free(c);
		if (caller && caller->state == DS_IN_CALL) {
			set_caller_result(caller, -K42_EDEAD, 0, NULL);
			caller->state = DS_READY;
			sched_enqueue(caller);
		}
	}
	/* Our own call: the server's reply will find nobody (a queued call is
	 * simply withdrawn). */
	c = d->call;
	if (c) {
		if (c->state == CALL_QUEUED)
			ipc_call_free(c);
		else
			c->caller = NULL;
		d->call = NULL;
	}
	ipc_calls_forget_caller(d);
}

long ppc_msg_put(struct trap_frame *tf, struct dispatcher *cur, struct dispatcher *t)
{
	struct k42_disp_shared *sh = t->shared;
	struct k42_msg *m;

	if (sh->msg_head - sh->msg_tail >= K42_DISP_MSGS - K42_DISP_MSGS_KERNEL)
		return -K42_EAGAIN;	/* the rest is kept for the kernel's page-in requests */
	m = &sh->msgs[sh->msg_head % K42_DISP_MSGS];
	m->sender = cur->proc->pid;
	m->op = ctx_arg(tf, 1);
	for (int i = 0; i < 6; i++)
		m->w[i] = ctx_arg(tf, 2 + i);
	__atomic_store_n(&sh->msg_head, sh->msg_head + 1, __ATOMIC_RELEASE);
	disp_raise(t, K42_SOFTINTR_MSG);	/* woken where it lives, or that CPU kicked */
	return 0;
}

long sys_ppc_send(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	long rc = ppc_target_of(ctx_arg(tf, 0), cur, &t);

	return rc < 0 ? rc : ppc_msg_put(tf, cur, t);
}
