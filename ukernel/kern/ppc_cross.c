/*
 * PPC between CPUs without the kernel lock (docs/smp.md, "Without the
 * kernel lock"): a server takes a queued synchronous call (ppc_accept),
 * and replies to a synchronous caller that waits on another CPU and goes
 * on itself, under the local locks of the CPUs involved instead of the
 * kernel lock. Both are tried by ppc_fast (kern/ppc.c) with this CPU's
 * local lock held, after the same-CPU fast path declined.
 *
 * - ppc_accept: the server runs here, so its queued and active lists are
 *   this CPU's (every other CPU queues calls on it under the kernel lock,
 *   whose holder holds this CPU's local lock too). The caller of a queued
 *   synchronous call is parked in it and alive (a caller that dies, is
 *   cancelled or times out withdraws its queued call under the kernel
 *   lock), so its PPC page is read as the locked path reads it. An async
 *   call's bytes come from its caller's memory (a user copy that may
 *   fail): the locked path.
 * - The reply to a caller living on another CPU: the caller is parked in
 *   DS_IN_CALL on its call, not on any queue, and nothing but this reply
 *   (the server, running here) or the kernel lock's holder (cancel,
 *   timeout, an end: none runs while we hold our local lock) changes
 *   that; it is made ready on its own CPU's run queue, which that CPU's
 *   fast paths use, so that CPU's local lock is taken for the enqueue and
 *   the checks that lead to it. The server goes on here; a reply with
 *   K42_IPC_REPLY_IDLE (the server gives the CPU up) takes the locked path.
 * - The reply to an asynchronous call whose caller lives on another CPU,
 *   with no page bytes: put on the caller's calls_done list with
 *   K42_SOFTINTR_REPLY raised, under the caller's CPU's local lock (its
 *   list and state are that CPU's, or the kernel lock's holder's; taking
 *   the reply, ppc_collect, is on the locked path), waking it there if it
 *   blocks. The locked path would instead hand this CPU to a caller that
 *   can take the K42_ENTRY_IPC_RETURN upcall, pulling it off its own
 *   CPU; here it stays home, as a synchronous caller is sent home. The
 *   server goes on (even with K42_IPC_REPLY_IDLE, as on the locked path).
 *   Bytes to copy into the caller's buffer: the locked path.
 *
 * Lock order: this CPU's local lock, then the caller's CPU's (level 2 of
 * docs/smp.md: in CPU order). A higher-numbered CPU's is taken with
 * spin_lock; a lower-numbered one only with a single try, and if it is
 * busy the reply takes the locked path with nothing changed: waiting for
 * it would invert the order the kernel lock's gatherer uses. Then the
 * call-record pool's leaf lock (the reply frees the record). It passes no
 * quiescent point: both dispatchers stay allocated meanwhile.
 */
#include <arch/context.h>
#include <arch/spinlock.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/syscall_nums.h>
#include <kern/ppc_cross.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/trace.h>

/* Would cur, going on in tf, have events delivered or work done on its
 * way back to user mode? (The locked path does that.) */
static int has_work(const struct dispatcher *d)
{
	return d->npgflt_backlog || d->fr_unsent || (d->shared->pending && !d->shared->disabled);
}

int ppc_accept_fast(struct trap_frame *tf, struct dispatcher *cur)
{
	struct ipc_call *c = cur->calls_queued.head;

	if (has_work(cur) || (c && c->async))
		return 0;
	if (!c) {
		ctx_set_result(tf, 0, (uint64_t)-K42_EAGAIN);
		return 1;
	}
	ipc_call_list_del(&cur->calls_queued, c);
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&cur->calls_active, c);
	copy_page_data(c->caller, cur, k42_ipc_op_len(c->op));
	set_call_regs(tf, c, 1);
	ctx_set_result(tf, 0, ipc_call_handle(c));
	this_cpu()->ppc_accepts_unlocked++;
	return 1;
}

int ppc_reply_cross(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur)
{
	uint64_t lenflags = ctx_arg(tf, 2), w[K42_IPC_WORDS];
	uint32_t len = (uint32_t)(lenflags & K42_IPC_REPLY_LEN_MASK), cpu;
	long status = (long)ctx_arg(tf, 1);
	struct dispatcher *caller;
	struct ipc_call *c;
	struct percpu *cpc;
	int ok;

	if ((lenflags & ~(uint64_t)(K42_IPC_REPLY_LEN_MASK | K42_IPC_REPLY_IDLE)) ||
	    len > K42_IPC_PAGE_BYTES || has_work(cur))
		return 0;
	c = ipc_call_lookup(ctx_arg(tf, 0), cur);
	if (!c || !(caller = c->caller))
		return 0;
	/* A synchronous reply that gives the CPU up, an async one with bytes
	 * (a user copy into the caller's memory): the locked path. */
	if (c->async ? len != 0 : (lenflags & K42_IPC_REPLY_IDLE) != 0)
		return 0;
	cpu = __atomic_load_n(&caller->cpu, __ATOMIC_RELAXED);
	if (cpu == pc->cpu_id || cpu >= (uint32_t)smp_ncpus)
		return 0;
	cpc = percpu_of(cpu);
	if (cpu > pc->cpu_id)
		spin_lock(&cpc->local_lock);
	else if (!arch_spin_trylock(&cpc->local_lock))
		return 0;
	/* The caller's own CPU is locked: it cannot be made current,
	 * queued or moved meanwhile. */
	ok = caller->cpu == cpu &&
	     (c->async ? caller->state != DS_DEAD : caller->state == DS_IN_CALL && caller->call == c);
	if (!ok) {
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
		ipc_call_done(c, status, 0, w);
	} else {
		ipc_call_free(c);
		copy_page_data(cur, caller, len);
		set_caller_result(caller, status, len, w);
		caller->state = DS_READY;
		sched_enqueue(caller);	/* its CPU's queue; kicks it if it idles */
	}
	spin_unlock(&cpc->local_lock);
	ctx_set_result(tf, 0, 0);	/* the server goes on */
	pc->ppc_cross_replies++;
	return 1;
}
