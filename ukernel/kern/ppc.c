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
 * Asynchronous calls (ppc_call_async): the caller is not parked. Its call
 * is handed to the server the same way (the caller goes to the back of its
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
 * Locking: the kernel lock, except the fast path at the end of this file
 * (a call and reply on one CPU under that CPU's local lock, docs/smp.md)
 * and what it hands to kern/ppc_cross.c (ppc_accept, a call queued on a
 * server on another CPU, and a reply to a caller on another CPU, under the
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
#include <arch/spr.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <k42/privilege.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/smp.h>
#include <kern/ppc_cross.h>
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
static long take_grant(struct dispatcher *cur, struct ipc_call *c)
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

/* Callers waiting in bounded calls: one list per CPU, of the calls made
 * there (percpu->calls_timed), changed under the kernel lock or by that
 * CPU's tick under its local lock (kern/timer.c: the expiry without the
 * kernel lock, ipc_calls_expire_locks); with one list for all, every
 * tick of every CPU took the locked path while any bounded call waited
 * anywhere. ntimed counts the entries of every list (atomically: two
 * CPUs' ticks may drop entries at once). */
static uint32_t ntimed;

static void untime(struct dispatcher *d)
{
	struct dispatcher **head = &percpu_of(d->call_timed_cpu)->calls_timed;

	for (struct dispatcher **pp = head; *pp; pp = &(*pp)->call_timed_next) {
		if (*pp == d) {
			*pp = d->call_timed_next;
			__atomic_sub_fetch(&ntimed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	d->call_timed = 0;
	d->call_timed_next = NULL;
	disp_fast_sync(d, FAST_OFF_TIMED);
}

/* Must the locked path look at d's entry (its call answered, or due)? */
static int timed_due(const struct dispatcher *d, uint64_t now)
{
	return d->state != DS_IN_CALL || !d->call || (int64_t)(now - d->call_deadline) >= 0;
}

int ipc_calls_due(uint64_t now)
{
	for (const struct dispatcher *d = this_cpu()->calls_timed; d; d = d->call_timed_next)
		if (timed_due(d, now))
			return 1;
	return 0;
}

int ipc_calls_timed_any(void)
{
	return __atomic_load_n(&ntimed, __ATOMIC_RELAXED) != 0;
}

/* The locks an expiry of this CPU's due bounded calls needs besides this
 * CPU's local lock (held): the CPUs (bits in *mask) of the servers whose
 * queued calls it withdraws. -1 if it needs the kernel lock: a caller
 * that waits on another CPU (an entry left from an earlier call, whose
 * dispatcher made its bounded call elsewhere). Nothing changes. */
int ipc_calls_expire_locks(uint64_t now, uint64_t *mask)
{
	struct percpu *pc = this_cpu();

	for (const struct dispatcher *d = pc->calls_timed; d; d = d->call_timed_next) {
		const struct ipc_call *c = d->call;
		uint32_t cpu;

		if (!timed_due(d, now) || d->state != DS_IN_CALL || !c)
			continue;	/* (an answered entry is only dropped) */
		if (d->cpu != pc->cpu_id)
			return -1;
		if (c->state != CALL_QUEUED)
			continue;	/* taken: only c->caller changes */
		cpu = __atomic_load_n(&c->server->cpu, __ATOMIC_RELAXED);
		if (cpu >= (uint32_t)smp_ncpus || cpu >= 64)
			return -1;
		if (cpu != pc->cpu_id)
			*mask |= 1ull << cpu;
	}
	return 0;
}

int ipc_calls_expire(uint64_t now)
{
	struct dispatcher **pp = &this_cpu()->calls_timed, *d;
	int n = 0;

	while ((d = *pp) != NULL) {
		struct ipc_call *c = d->call;

		if (!timed_due(d, now)) {
			pp = &d->call_timed_next;
			continue;
		}
		*pp = d->call_timed_next;
		__atomic_sub_fetch(&ntimed, 1, __ATOMIC_RELAXED);
		d->call_timed = 0;
		d->call_timed_next = NULL;
		disp_fast_sync(d, FAST_OFF_TIMED);
		if (d->state != DS_IN_CALL || !c)
			continue;	/* answered meanwhile */
		/* Withdraw the call: a queued one goes; a taken one is left for
		 * the server, whose reply will find nobody. */
		if (c->state == CALL_QUEUED)
			ipc_call_free(c);
		else
			c->caller = NULL;
		set_caller_result(d, -K42_ETIMEDOUT, 0, NULL);
		d->state = DS_READY;
		sched_enqueue(d);
		n++;
	}
	return n;
}

/* ppc_cancel: d's synchronous call, if it waits in one, ends now with
 * -K42_EINTR. A queued call is withdrawn; a taken one stays with its
 * server, marked cancelled and with nobody to answer (its reply gets
 * -K42_EINTR, its grant copies -K42_EDEAD: the caller's memory is its own
 * again). */
static long cancel_call(struct dispatcher *d)
{
	struct ipc_call *c = d->call;

	if (d->state != DS_IN_CALL || !c)
		return 0;
	if (d->call_timed)
		untime(d);
	if (c->state == CALL_QUEUED) {
		ipc_call_free(c);
	} else {
		c->caller = NULL;
		c->cancelled = 1;
	}
	set_caller_result(d, -K42_EINTR, 0, NULL);
	d->state = DS_READY;
	sched_enqueue(d);
	return 1;
}

long sys_ppc_cancel(struct trap_frame *tf)
{
	struct process *me = this_cpu()->current->proc, *p = process_lookup(ctx_arg(tf, 0));
	long n = 0;

	if (!p || p->state != K42_PROC_RUNNING)
		return -K42_ESRCH;
	/* Ending another process's call is managing it: its ancestors may,
	 * and the console (^C at its foreground job). */
	if (!process_may_manage(me, p) && !process_has(me, K42_PRIV_CONSOLE))
		return -K42_EPERM;
	n += cancel_call(&p->disp);
	for (int i = 1; i < K42_VPS_MAX && p->vps[i]; i++)
		n += cancel_call(p->vps[i]);
	return n;
}

/* The asynchronous call `handle` names, made by a dispatcher of `me` and
 * not yet delivered to it, or NULL (any 64-bit value may come). */
static struct ipc_call *own_async_call(uint64_t handle, const struct process *me)
{
	uint64_t i = handle & ((1u << IPC_CALL_INDEX_BITS) - 1);
	struct ipc_call *c;

	if (i >= K42_IPC_CALLS_MAX || (handle >> IPC_CALL_INDEX_BITS) > 0x7fffffffu)
		return NULL;
	c = &ipc_call_table[i];
	if (c->gen != (uint32_t)(handle >> IPC_CALL_INDEX_BITS) || c->state == CALL_FREE ||
	    !c->async || !c->caller || c->caller->proc != me)
		return NULL;
	return c;
}

/* ppc_cancel_async: the caller gives up its asynchronous call. Queued, it
 * is withdrawn; answered and waiting on calls_done, the reply is dropped
 * (a K42_SOFTINTR_REPLY already raised finds nothing to collect); taken,
 * it stays with its server as a cancelled synchronous call does, with
 * nobody to answer: the reply gets -K42_EINTR and frees it, grant copies
 * get -K42_EDEAD. Under the kernel lock (the fast paths take only
 * synchronous calls). */
long sys_ppc_cancel_async(struct trap_frame *tf)
{
	struct ipc_call *c = own_async_call(ctx_arg(tf, 0), this_cpu()->current->proc);

	if (!c)
		return -K42_EBADH;	/* nothing changes */
	if (c->state == CALL_ACTIVE) {
		c->caller->nasync--;
		c->caller = NULL;
		c->cancelled = 1;
	} else {
		ipc_call_free(c);
	}
	return 0;
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
	if ((rc = take_grant(cur, c)) < 0) {
		ipc_call_free(c);
		return rc;
	}

	ppc_call_begin(tf, cur, t, c, op);
	if (cur->shared->call_timeout_tb) {
		cur->call_deadline = mftb() + cur->shared->call_timeout_tb;
		if (!cur->call_timed) {
			struct percpu *pc = this_cpu();

			cur->call_timed = 1;
			cur->call_timed_cpu = pc->cpu_id;
			disp_fast_sync(cur, FAST_OFF_TIMED);
			cur->call_timed_next = pc->calls_timed;
			pc->calls_timed = cur;
			__atomic_add_fetch(&ntimed, 1, __ATOMIC_RELAXED);
		}
	} else if (cur->call_timed) {
		untime(cur);	/* an earlier bound must not reach this call */
	}

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

/* Copy an async call's page bytes from its caller's buffer into the
 * server's PPC page: 0 or -K42_EFAULT. */
static int async_request_in(const struct ipc_call *c, struct dispatcher *server)
{
	uint32_t len = k42_ipc_op_len(c->op);

	if (!len)
		return 0;
	return copy_from_user(c->caller->proc, phys_to_virt(server->ppc_pa), c->buf, len) < 0
		       ? -K42_EFAULT
		       : 0;
}

long sys_ppc_accept(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;
	struct ipc_call *c;

	for (;;) {
		c = cur->calls_queued.head;
		if (!c)
			return -K42_EAGAIN;
		if (c->async && async_request_in(c, cur) < 0) {
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

static long reply_async(struct trap_frame *tf, struct dispatcher *cur, struct ipc_call *c,
			long status, uint32_t len, const uint64_t *w, uint64_t lenflags);

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
		return reply_async(tf, cur, c, status, len, w, lenflags);
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

/* Can d be entered at K42_ENTRY_IPC_RETURN right now? (Earlier replies
 * still waiting go first, through ppc_collect.) */
int ppc_takes_return(const struct dispatcher *d)
{
	return !d->shared->disabled && !d->calls_done.head && d->entries[K42_ENTRY_IPC_RETURN] &&
	       (d->state == DS_READY || d->state == DS_BLOCKED || d->state == DS_IDLE) &&
	       sched_can_run_here(d);
}

/* The reply registers of an async call, as K42_ENTRY_IPC_RETURN and
 * ppc_collect see them from index `first` on (the handle before it). */
void ppc_set_return_regs(struct trap_frame *tf, int first, long status, uint32_t len,
			 const uint64_t *w)
{
	ctx_set_result(tf, first, (uint64_t)status);
	ctx_set_result(tf, first + 1, len);
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		ctx_set_result(tf, first + 2 + i, w[i]);
}

/* ppc_reply to the async call c of a live caller. */
static long reply_async(struct trap_frame *tf, struct dispatcher *cur, struct ipc_call *c,
			long status, uint32_t len, const uint64_t *w, uint64_t lenflags)
{
	struct dispatcher *caller = c->caller;
	uint64_t h = ipc_call_handle(c);

	if (len && copy_to_user(caller->proc, c->buf, phys_to_virt(cur->ppc_pa), len) < 0) {
		status = -K42_EFAULT;	/* the caller's buffer went away */
		len = 0;
	}
	if (!ppc_takes_return(caller)) {
		/* Left for ppc_collect; the server goes on (even with
		 * K42_IPC_REPLY_IDLE: the runtime then idles by itself). */
		ipc_call_done(c, status, len, w);
		return 0;
	}
	ipc_call_free(c);
	server_after_reply(tf, cur, lenflags);
	ppc_upcall_into(tf, caller, K42_ENTRY_IPC_RETURN);
	ctx_set_result(tf, 0, h);
	ppc_set_return_regs(tf, 1, status, len, w);
	sched_handoff(tf, caller);
	return SYSCALL_SWITCHED;
}

long sys_ppc_call_async(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct ipc_call *c;
	long rc = ppc_target_of(ctx_arg(tf, 0), cur, &t);
	uint64_t op = ctx_arg(tf, 1), buf = ctx_arg(tf, 8);
	uint32_t len = k42_ipc_op_len(op);

	if (rc < 0)
		return rc;
	if (len > K42_IPC_PAGE_BYTES || (len && (buf >= K42_USER_TOP || K42_USER_TOP - buf < len)))
		return -K42_EINVAL;
	c = ipc_call_alloc(t, cur);
	if (!c)
		return -K42_EBUSY;
	if ((rc = take_grant(cur, c)) < 0) {
		ipc_call_free(c);
		return rc;
	}
	c->caller_pid = cur->proc->pid;
	c->op = op;
	c->buf = buf;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		c->w[i] = ctx_arg(tf, 2 + i);
	if (!ppc_takes_upcall(t)) {
		c->state = CALL_QUEUED;
		ipc_call_list_add(&t->calls_queued, c);
		disp_raise(t, K42_SOFTINTR_CALL);
		trace_ppc_call(cur->proc->pid, t->proc->pid, op);
		return (long)ipc_call_handle(c);
	}
	if (async_request_in(c, t) < 0) {
		ipc_call_free(c);
		return -K42_EFAULT;
	}
	trace_ppc_call(cur->proc->pid, t->proc->pid, op);
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&t->calls_active, c);
	/* The caller goes on later, from the back of its queue. */
	ctx_set_result(tf, 0, ipc_call_handle(c));
	cur->state = DS_READY;
	disp_save_ctx(cur, tf);
	sched_enqueue(cur);
	ppc_enter_server(tf, t, c);
	return SYSCALL_SWITCHED;
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

long sys_ppc_collect(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current;
	struct ipc_call *c = cur->calls_done.head;
	uint64_t h;

	if (!c)
		return -K42_EAGAIN;
	h = ipc_call_handle(c);
	ppc_set_return_regs(tf, 1, (long)c->op, c->len, c->w);
	ipc_call_free(c);
	return (long)h;
}

void ipc_disp_end(struct dispatcher *d)
{
	struct ipc_call *c;

	if (d->call_timed)
		untime(d);

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

/*
 * The PPC fast path: the common call and reply without the kernel lock.
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
	    n != K42_SC_PPC_CALL_ASYNC && n != K42_SC_PPC_COLLECT && n != K42_SC_PPC_SEND)
		return 0;
	spin_lock(&pc->local_lock);
	if (disp_plain_caller(cur))
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
