/*
 * PPC between CPUs without the kernel lock (docs/smp.md, "Without the
 * kernel lock"): a server takes a queued call (ppc_accept), a caller
 * queues a call on a server living on another CPU, and a server replies
 * to a caller that waits on another CPU, under the local locks of the
 * CPUs involved instead of the kernel lock. All are tried by ppc_fast
 * (kern/ppc_local.c) with this CPU's local lock held, after the same-CPU fast
 * path declined.
 *
 * - ppc_accept: the server runs here, so its queued and active lists are
 *   this CPU's (another CPU queues calls on it under the kernel lock,
 *   whose holder holds this CPU's local lock too, or under this CPU's
 *   local lock: ppc_call_cross). The caller of a queued synchronous call
 *   is parked in it and alive (a caller that dies or is cancelled
 *   withdraws its queued call under the kernel lock, one that times out
 *   under this CPU's local lock too, kern/ppc_timed.c, which also keeps
 *   a taken call's caller until the accept is done), so its PPC page is
 *   read as the locked path reads it. An async call's bytes come from
 *   its caller's memory: copied here only from resident anonymous pages
 *   (copy_user_resident, mm/usercopy_resident.c), which cannot fault or
 *   go away meanwhile; any other buffer takes the locked path.
 * - A call (sync or async) to a server's dispatcher living on another
 *   CPU that cannot take the upcall now: queued on it under that CPU's
 *   local lock too (the server's state, lists and call count are that
 *   CPU's; where it lives changes only under the kernel lock or that
 *   CPU's lock with the new one's, kern/ppc_move.c), with
 *   K42_SOFTINTR_CALL raised (woken there, or that CPU kicked). An async
 *   caller goes on; a synchronous one waits in the call, and this CPU
 *   resumes the dispatcher sched_switch would take, if it can be resumed
 *   from its context (sched_fast_next); otherwise (going idle), a bounded
 *   call, a grant: the locked path. A server that takes the upcall now
 *   is moved here and entered instead (kern/ppc_move.c, tried first). A reply to the waiting caller needs
 *   this CPU's local lock, held until the caller is parked and the next
 *   one current.
 * - The reply to a caller living on another CPU: the caller is parked in
 *   DS_IN_CALL on its call, not on any queue, and nothing but this reply
 *   (the server, running here) or the kernel lock's holder (cancel,
 *   timeout, an end: none runs while we hold our local lock) changes
 *   that; it is made ready on its own CPU's run queue, which that CPU's
 *   fast paths use, so that CPU's local lock is taken for the enqueue and
 *   the checks that lead to it. The server goes on here; with
 *   K42_IPC_REPLY_IDLE it gives the CPU up, and this CPU resumes the
 *   dispatcher sched_switch would take if it can be resumed from its
 *   context (else the locked path: going idle, an entry to make).
 * - The reply to an asynchronous call whose caller lives on another CPU:
 *   put on the caller's calls_done list with
 *   K42_SOFTINTR_REPLY raised, under the caller's CPU's local lock (its
 *   list and state are that CPU's, or the kernel lock's holder's; taking
 *   the reply, ppc_collect, is on the locked path), waking it there if it
 *   blocks. The locked path would instead hand this CPU to a caller that
 *   can take the K42_ENTRY_IPC_RETURN upcall, pulling it off its own
 *   CPU; here it stays home, as a synchronous caller is sent home. The
 *   server goes on (even with K42_IPC_REPLY_IDLE, as on the locked path).
 *   Bytes to copy into the caller's buffer: as for ppc_accept, only into
 *   resident anonymous pages, else the locked path. Whose caller
 *   lives here: as the locked path, under this CPU's lock alone.
 * - ppc_collect: the caller's own calls_done, this CPU's.
 * - ppc_send: the message goes into the target's ring under the target's
 *   CPU's local lock (every writer of a dispatcher's ring holds it, or
 *   the kernel lock: kern/ppc.c, mm/fr.c), which it raises
 *   K42_SOFTINTR_MSG under too.
 *
 * Lock order: this CPU's local lock, then the caller's (or the server's)
 * CPU's (level 2 of docs/smp.md: in CPU order). A higher-numbered CPU's
 * is taken with spin_lock; a lower-numbered one only with a single try,
 * and if it is busy the call or reply takes the locked path with nothing
 * changed: waiting for it would invert the order the kernel lock's
 * gatherer uses. Then the call-record pool's leaf lock (a reply frees the
 * record, a call takes one). It passes no quiescent point: both
 * dispatchers (and a call's target process) stay allocated meanwhile.
 */
#include <arch/context.h>
#include <arch/spinlock.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/syscall_nums.h>
#include <kern/ppc_cross.h>
#include <kern/ppc_general.h>
#include <kern/process.h>
#include <kern/race_window.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/trace.h>
#include <mm/usercopy.h>
#include <arch/memlayout.h>
#include <k42/layout.h>

/* Would cur, going on in tf, have events delivered or work done on its
 * way back to user mode? (The locked path does that.) */
static int has_work(const struct dispatcher *d)
{
	return d->npgflt_backlog || d->fr_unsent || (d->shared->pending && !d->shared->disabled);
}

int ppc_accept_fast(struct trap_frame *tf, struct dispatcher *cur)
{
	struct ipc_call *c = cur->calls_queued.head;
	uint32_t len;

	if (has_work(cur))
		return 0;
	if (!c) {
		ctx_set_result(tf, 0, (uint64_t)-K42_EAGAIN);
		return 1;
	}
	/* An async call's bytes come from its caller's buffer: copied here
	 * only if it is resident in anonymous memory (the caller, alive while
	 * its call is queued, cannot end while this CPU's lock is held);
	 * else the locked path copies or refuses it. A declined copy wrote
	 * nothing; only this server's own page is written. */
	len = k42_ipc_op_len(c->op);
	if (c->async && len) {
		if (!c->caller ||
		    copy_user_resident(c->caller->proc, c->buf, phys_to_virt(cur->ppc_pa), len, 0) < 0)
			return 0;
		this_cpu()->ppc_bytes_unlocked++;
	}
	ipc_call_list_del(&cur->calls_queued, c);
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&cur->calls_active, c);
	race_window(1);	/* (taken, and its caller not yet read: kern/ppc_timed.c) */
	if (!c->async)
		copy_page_data(c->caller, cur, k42_ipc_op_len(c->op));
	set_call_regs(tf, c, 1);
	ctx_set_result(tf, 0, ipc_call_handle(c));
	this_cpu()->ppc_accepts_unlocked++;
	return 1;
}

/* An async reply's bytes into its caller's buffer, without the kernel
 * lock: only into resident anonymous memory (copy_user_resident); -1 with
 * nothing written, and the locked path copies or gives -K42_EFAULT. The
 * caller is alive: it ends only under the kernel lock, which the local
 * lock held (and, across CPUs, the caller's CPU's) keeps out. */
static int reply_bytes_out(struct percpu *pc, const struct ipc_call *c,
			   const struct dispatcher *cur, uint32_t len)
{
	if (copy_user_resident(c->caller->proc, c->buf, phys_to_virt(cur->ppc_pa), len, 1) < 0)
		return -1;
	pc->ppc_bytes_unlocked++;
	return 0;
}

/* The reply, with or without bytes, to an async call whose caller lives on this
 * CPU (so this CPU's lock, held, is all it needs): as the locked path
 * (ppc_reply_async in kern/ppc_async.c), handed straight to a caller that can take
 * the K42_ENTRY_IPC_RETURN upcall now, else put on its calls_done with
 * K42_SOFTINTR_REPLY raised (woken here if it blocks) while the server
 * goes on. */
static int reply_async_here(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur,
			    struct ipc_call *c, long status, uint64_t lenflags)
{
	struct dispatcher *caller = c->caller;
	uint64_t w[K42_IPC_WORDS];
	uint32_t len = (uint32_t)(lenflags & K42_IPC_REPLY_LEN_MASK);
	int handoff = ppc_takes_return(caller);

	/* (Entered now: nothing owed to it on the way back to user mode.) */
	if (caller->state == DS_DEAD || (handoff && (caller->npgflt_backlog || caller->fr_unsent)))
		return 0;
	if (len && reply_bytes_out(pc, c, cur, len) < 0)
		return 0;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		w[i] = ctx_arg(tf, 3 + i);
	trace_ppc_return(status);
	if (!handoff) {
		ipc_call_done(c, status, len, w);
		ctx_set_result(tf, 0, 0);	/* the server goes on */
	} else {
		ppc_async_handoff(tf, cur, c, status, len, w, lenflags);
	}
	pc->ppc_other_unlocked++;
	return 1;
}

int ppc_reply_cross(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	uint64_t lenflags = ctx_arg(tf, 2), w[K42_IPC_WORDS];
	uint32_t len = (uint32_t)(lenflags & K42_IPC_REPLY_LEN_MASK), cpu;
	long status = (long)ctx_arg(tf, 1);
	struct dispatcher *caller, *next = NULL;
	struct ipc_call *c;
	struct percpu *cpc;
	int ok, idle = 0;

	if ((lenflags & ~(uint64_t)(K42_IPC_REPLY_LEN_MASK | K42_IPC_REPLY_IDLE)) ||
	    len > K42_IPC_PAGE_BYTES || has_work(cur))
		return 0;
	c = ipc_call_lookup(ctx_arg(tf, 0), cur);
	if (!c || !(caller = c->caller))
		return 0;
	/* An async reply's bytes go into the caller's buffer if it is
	 * resident (reply_bytes_out), else the locked path. A synchronous
	 * one that gives the CPU up goes on
	 * here only if this CPU has a dispatcher to resume from its context
	 * that sched_switch would take next: the server waits idle, or, with
	 * something to be entered for (server_after_reply), is queued behind
	 * it in its class. Going idle, or entering one at an entry point, is
	 * the locked path's. */
	if (!c->async && (lenflags & K42_IPC_REPLY_IDLE)) {
		int entered = cur->shared->saved_valid || cur->shared->pending ||
			      cur->calls_queued.head;

		idle = !(next = sched_fast_next(pc));
		/* Nothing at all ready here, and the server waits idle: this
		 * CPU goes idle without the kernel lock (kern/sched_idle.c). */
		if (idle ? entered || !sched_idle_ok(pc) : entered && next->prio > cur->prio)
			return 0;
	}
	cpu = __atomic_load_n(&caller->cpu, __ATOMIC_RELAXED);
	if (cpu == pc->cpu_id)
		return c->async ? reply_async_here(tf, pc, cur, c, status, lenflags) : 0;
	if (cpu >= (uint32_t)smp_ncpus)
		return 0;
	cpc = percpu_of(cpu);
	if (!percpu_lock_other(pc, cpc))
		return 0;
	/* The caller's own CPU is locked: it cannot be made current,
	 * queued or moved meanwhile. */
	ok = caller->cpu == cpu &&
	     (c->async ? caller->state != DS_DEAD : caller->state == DS_IN_CALL && caller->call == c);
	if (!ok || (c->async && len && reply_bytes_out(pc, c, cur, len) < 0)) {
		spin_unlock(&cpc->local_lock);
		return 0;
	}
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		w[i] = ctx_arg(tf, 3 + i);
	trace_ppc_return(status);
	if (c->async) {
		/* Onto the caller's calls_done, K42_SOFTINTR_REPLY raised: it
		 * takes the reply on its own CPU (ppc_collect), woken there
		 * if it blocks, as a synchronous caller is sent home. */
		ipc_call_done(c, status, len, w);
	} else {
		ipc_call_free(c);
		copy_page_data(cur, caller, len);
		set_caller_result(caller, status, len, w);
		caller->state = DS_READY;
		sched_enqueue(caller);	/* its CPU's queue; kicks it if it idles */
	}
	spin_unlock(&cpc->local_lock);
	pc->ppc_cross_replies++;
	if (next || idle) {
		/* K42_IPC_REPLY_IDLE: the server waits idle (or, if events
		 * came meanwhile, ready to be entered), and this CPU resumes
		 * next, as sched_switch would have, or goes idle (ppc_fast
		 * waits once this CPU's lock is let go; a server queued
		 * meanwhile is found there and entered by the locked path). */
		server_after_reply(tf, cur, lenflags);
		pc->current = NULL;	/* nothing of tf is kept */
		if (next)
			sched_fast_run(tf, pc, next);
		else
			sched_idle_park(pc);
		pc->ppc_other_unlocked++;
		return 1;
	}
	ctx_set_result(tf, 0, 0);	/* the server goes on */
	return 1;
}

int ppc_call_cross(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur, int async)
{
	uint64_t op = ctx_arg(tf, 1), buf = ctx_arg(tf, 8), h;
	uint32_t len = k42_ipc_op_len(op), cpu;
	struct dispatcher *t, *next = NULL;
	struct percpu *tpc;
	struct ipc_call *c = NULL;

	if (cur->shared->call_grant_len || len > K42_IPC_PAGE_BYTES)
		return 0;
	if (async) {
		/* The caller goes on: nothing to deliver on its way back. */
		if (has_work(cur) || (len && (buf >= K42_USER_TOP || K42_USER_TOP - buf < len)))
			return 0;
	} else if (cur->shared->call_timeout_tb || cur->call_timed ||
		   (!(next = sched_fast_next(pc)) && !sched_idle_ok(pc))) {
		/* A bounded call (the timed list is the kernel lock's), or
		 * something here to run that the fast path cannot resume, or
		 * ripe objects to free before idling: the locked path. With
		 * nothing at all ready, this CPU goes idle while the caller
		 * waits (kern/sched_idle.c). */
		return 0;
	}
	if (ppc_target_of(ctx_arg(tf, 0), cur, &t) < 0)
		return 0;
	cpu = __atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
	if (cpu == pc->cpu_id || cpu >= (uint32_t)smp_ncpus)
		return 0;
	tpc = percpu_of(cpu);
	if (!percpu_lock_other(pc, tpc))
		return 0;
	/* t's CPU is locked: t stays there, and its state and call lists
	 * change only here meanwhile. A server that would take the upcall
	 * now (ppc_call_move declined: a bounded call, a busy lock, no
	 * record, work owed) is moved here and entered by the locked path. */
	if (t->cpu == cpu && t->state != DS_DEAD && !ppc_takes_upcall(t))
		c = ipc_call_try_alloc_for(t, async ? cur : NULL);
	if (!c) {
		spin_unlock(&tpc->local_lock);
		return 0;
	}
	if (async) {
		ppc_async_record(c, tf, cur, t);
	} else {
		ppc_call_begin(tf, cur, t, c, op);	/* cur waits in DS_IN_CALL */
	}
	c->state = CALL_QUEUED;
	ipc_call_list_add(&t->calls_queued, c);
	disp_raise(t, K42_SOFTINTR_CALL);	/* woken on its CPU, or that CPU kicked */
	h = ipc_call_handle(c);	/* (once t's CPU is unlocked c may be answered) */
	spin_unlock(&tpc->local_lock);
	if (async)
		ctx_set_result(tf, 0, h);	/* the caller goes on */
	else if (next)
		sched_fast_run(tf, pc, next);	/* a reply to cur needs this CPU's lock */
	else
		sched_idle_park(pc);	/* ppc_fast goes idle once it is let go */
	pc->ppc_queued_unlocked++;
	return 1;
}

int ppc_collect_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	struct ipc_call *c = cur->calls_done.head;
	uint64_t h;

	/* cur's calls_done is this CPU's (replies across CPUs add to it
	 * under this CPU's local lock, the locked path under the kernel
	 * lock); the record is off its server already. */
	if (has_work(cur))
		return 0;
	if (!c) {
		ctx_set_result(tf, 0, (uint64_t)-K42_EAGAIN);
		return 1;
	}
	h = ipc_call_handle(c);
	ppc_set_return_regs(tf, 1, (long)c->op, c->len, c->w);
	ipc_call_free(c);
	ctx_set_result(tf, 0, h);
	pc->ppc_other_unlocked++;
	return 1;
}

int ppc_send_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	struct dispatcher *t;
	struct percpu *tpc = NULL;
	uint32_t cpu;
	long rc;

	if (has_work(cur) || ppc_target_of(ctx_arg(tf, 0), cur, &t) < 0)
		return 0;
	cpu = __atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
	if (cpu >= (uint32_t)smp_ncpus)
		return 0;
	if (cpu != pc->cpu_id) {
		tpc = percpu_of(cpu);
		if (!percpu_lock_other(pc, tpc))
			return 0;
	}
	/* t's CPU is locked: t's message ring has no other writer now (every
	 * writer holds it, or the kernel lock), and t stays there. */
	if (t->cpu != cpu || t->state == DS_DEAD) {
		if (tpc)
			spin_unlock(&tpc->local_lock);
		return 0;
	}
	rc = ppc_msg_put(tf, cur, t);
	if (tpc)
		spin_unlock(&tpc->local_lock);
	ctx_set_result(tf, 0, (uint64_t)rc);
	pc->ppc_other_unlocked++;
	return 1;
}
