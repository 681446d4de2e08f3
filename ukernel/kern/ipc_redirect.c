/*
 * Redirected calls: how a server process hands its callers to a successor
 * (live update, docs/hot-swap.md).
 *
 * ipc_redirect(to) makes `to` the successor of the calling process: from
 * then on every call and one-way message aimed at the caller's pid goes to
 * `to` (kern/process.c routes pids; the route survives the caller's end
 * until its pid slot is taken again), and the calls queued on the caller
 * and not yet taken move, in order, to the front of `to`'s queue.
 * ppc_forward(handle) moves one call the caller has taken but not answered
 * (one it held) to the front of its successor's queue, as if it had just
 * arrived there: the successor sees the original caller's pid, op, words,
 * page bytes (still in the caller's PPC page or async buffer) and grant.
 * A server that forwards its held calls newest first therefore leaves its
 * successor's queue in arrival order: held, then queued, then new calls.
 *
 * Refusals: a second redirect -K42_EBUSY; a successor that is not running
 * -K42_ESRCH, the caller itself -K42_EINVAL; forwarding without a
 * successor -K42_ESRCH, a stale or foreign handle -K42_EBADH; a call whose
 * caller has gone is freed and gets -K42_EDEAD. Calls are only ever moved
 * to the process the caller chose, and never change what they carry.
 */
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/dispatcher.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/syscall.h>
#include <kern/trace.h>

/* Queue c (off every list) at the front of t's queue. */
static void queue_front(struct dispatcher *t, struct ipc_call *c)
{
	c->server->ncalls--;
	c->server = t;
	t->ncalls++;
	c->state = CALL_QUEUED;
	c->prev = NULL;
	c->next = t->calls_queued.head;
	if (c->next)
		c->next->prev = c;
	else
		t->calls_queued.tail = c;
	t->calls_queued.head = c;
}

/* The running successor of the caller's process, or NULL. */
static struct dispatcher *successor_of(struct process *p)
{
	uint64_t to = process_route(p->pid);
	struct process *t = process_lookup(to);

	if (!t || t == p || t->state != K42_PROC_RUNNING)
		return NULL;
	return &t->disp;
}

long sys_ipc_redirect(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct process *p = cur->proc;
	long rc = process_set_successor(p, ctx_arg(tf, 0));
	struct ipc_call *c;

	if (rc < 0)
		return rc;
	t = successor_of(p);
	if (!t)
		return -K42_ESRCH;	/* (not reached: checked just now) */
	trace_ppc_redirect(p->pid, t->proc->pid);
	/* Oldest last onto the front: the order is kept. */
	while ((c = p->disp.calls_queued.tail) != NULL) {
		ipc_call_list_del(&p->disp.calls_queued, c);
		queue_front(t, c);
	}
	if (t->calls_queued.head)
		disp_raise(t, K42_SOFTINTR_CALL);
	return 0;
}

long sys_ppc_forward(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct ipc_call *c = ipc_call_lookup(ctx_arg(tf, 0), cur);

	if (!c)
		return -K42_EBADH;
	t = successor_of(cur->proc);
	if (!t)
		return -K42_ESRCH;
	if (!c->caller) {
		ipc_call_free(c);
		return -K42_EDEAD;
	}
	trace_ppc_forward(ctx_arg(tf, 0), t->proc->pid);
	ipc_call_list_del(&cur->calls_active, c);
	queue_front(t, c);
	disp_raise(t, K42_SOFTINTR_CALL);
	return 0;
}
