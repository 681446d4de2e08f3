/*
 * Asynchronous PPC calls (ppc_call_async, docs/kernel-interface.md): the
 * caller is not parked. Its call is handed to the server as a
 * synchronous one is (kern/ppc.c), its page bytes coming from the
 * caller's buffer; the reply's bytes go back there at ppc_reply, and the
 * reply is delivered at the caller's K42_ENTRY_IPC_RETURN, or left on its
 * calls_done list for ppc_collect. ppc_cancel_async gives one up.
 *
 * Locking: the kernel lock (kern/ppc_cross.c takes the cases it can
 * under local locks).
 */
#include <arch/context.h>
#include <arch/memlayout.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/ppc_cross.h>
#include <kern/ppc_general.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/trace.h>
#include <mm/meminit.h>
#include <mm/usercopy.h>

/* Copy an async call's page bytes from its caller's buffer into the
 * server's PPC page: 0 or -K42_EFAULT. */
int ppc_async_request_in(const struct ipc_call *c, struct dispatcher *server)
{
	uint32_t len = k42_ipc_op_len(c->op);

	if (!len)
		return 0;
	return copy_from_user(c->caller->proc, phys_to_virt(server->ppc_pa), c->buf, len) < 0
		       ? -K42_EFAULT
		       : 0;
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
long ppc_reply_async(struct trap_frame *tf, struct dispatcher *cur, struct ipc_call *c,
			long status, uint32_t len, const uint64_t *w, uint64_t lenflags)
{
	struct dispatcher *caller = c->caller;

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
	ppc_async_handoff(tf, cur, c, status, len, w, lenflags);
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
	if (cur->shared->call_grant_len && (rc = ppc_take_grant(cur, c)) < 0) {
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
	if (ppc_async_request_in(c, t) < 0) {
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
