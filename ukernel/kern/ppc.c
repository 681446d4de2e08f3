/*
 * PPC IPC: the synchronous protected procedure call. The caller's
 * processor is handed straight to the callee's dispatcher (entered at its
 * IPC-call entry point with the caller's pid in r3 and the op and words
 * untouched in r4..r10; the pid carries its generation and is never
 * reused, so a server may key what it keeps for a client on it), and the
 * reply hands it straight back: no run-queue pass on either path. Bulk data stays in the per-CPU PPC page, which both
 * address spaces map at K42_PPC_PAGE_VA, so nothing is copied.
 *
 * Refusals: absent target -K42_ESRCH, dead -K42_EDEAD, disabled
 * -K42_EDISABLED (the caller is told to retry later with
 * K42_SOFTINTR_RETRY), busy in its own call -K42_EBUSY.
 */
#include <string.h>
#include <arch/context.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/trace.h>

static void add_retry_waiter(struct dispatcher *t, uint32_t pid)
{
	for (int i = 0; i < t->nretry; i++)
		if (t->retry_waiters[i] == pid)
			return;
	if (t->nretry < (int)(sizeof(t->retry_waiters) / sizeof(t->retry_waiters[0])))
		t->retry_waiters[t->nretry++] = pid;
}

void disp_notify_retry(struct dispatcher *d)
{
	for (int i = 0; i < d->nretry; i++) {
		struct process *p = process_lookup(d->retry_waiters[i]);

		if (p)
			disp_raise(&p->disp, K42_SOFTINTR_RETRY);
	}
	d->nretry = 0;
}

/* Decode the target of a call or send; 0 or a refusal code. */
static long target_of(uint64_t pid, struct dispatcher *cur, struct dispatcher **out)
{
	struct process *tp = process_lookup(pid);

	if (!tp)
		return -K42_ESRCH;
	if (tp->state != K42_PROC_RUNNING)
		return -K42_EDEAD;
	if (&tp->disp == cur)
		return -K42_EINVAL;
	*out = &tp->disp;
	return 0;
}

long sys_ppc_call(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct trap_frame *sent;
	long rc = target_of(ctx_arg(tf, 0), cur, &t);

	if (rc < 0)
		return rc;
	if (t->shared->disabled) {
		add_retry_waiter(t, cur->proc->pid);
		return -K42_EDISABLED;
	}
	if (!t->entries[K42_ENTRY_IPC_CALL])
		return -K42_EPROTO;
	if (t->serving || t->state == DS_IN_CALL || t->state == DS_PAGE_WAIT) {
		add_retry_waiter(t, cur->proc->pid);
		return -K42_EBUSY;
	}

	/* Invoke: the caller waits in the kernel; the callee gets the CPU. */
	trace_ppc_call(cur->proc->pid, t->proc->pid, ctx_arg(tf, 1));
	cur->state = DS_IN_CALL;
	cur->callee = t;
	sent = disp_save_ctx(cur, tf);
	t->serving = 1;
	t->caller = cur;
	if (t->state == DS_BLOCKED || t->state == DS_IDLE) {
		/* A waiting callee keeps its context parked here; the call runs
		 * beside it on the upcall stack. */
		t->parked = t->state;
	} else {
		t->parked = DS_NEW;
		if (t->has_ctx) {
			/* Interrupted user code of the callee goes to its shared page. */
			ctx_to_user_regs(&t->ctx, &t->shared->saved);
			t->shared->saved_valid = 1;
			t->has_ctx = 0;
		}
	}
	/* The upcall scrubs the frame: of the caller's registers the callee
	 * sees only the op and words it sent (r4..r10). */
	disp_upcall(t, tf, K42_ENTRY_IPC_CALL, 0);
	ctx_set_result(tf, 0, cur->proc->pid);	/* r3: who calls */
	for (int i = 1; i < 8; i++)
		ctx_set_result(tf, i, ctx_arg(sent, i));
	sched_handoff(tf, t);
	return SYSCALL_SWITCHED;
}

long sys_ppc_return(struct trap_frame *tf)
{
	struct dispatcher *t = this_cpu()->current, *c = t->caller;
	uint64_t len = ctx_arg(tf, 1);
	uint64_t res[8];

	if (!t->serving)
		return -K42_EPROTO;
	if (len > K42_IPC_PAGE_BYTES)
		return -K42_EINVAL;
	for (int i = 0; i < 8; i++)
		res[i] = ctx_arg(tf, i);
	trace_ppc_return((int64_t)res[0]);
	t->serving = 0;
	t->caller = NULL;
	/* The serving context is finished; the callee runs again only if it has work. */
	if (t->parked != DS_NEW) {
		/* Back to waiting where it was, enabled again as before the call. */
		t->state = t->parked;
		t->parked = DS_NEW;
		t->shared->disabled = 0;
		if (t->shared->pending)
			disp_wake(t);
	} else {
		t->has_ctx = 0;
		if (t->shared->saved_valid || t->shared->pending) {
			t->state = DS_READY;
			sched_enqueue(t);
		} else {
			t->state = DS_IDLE;
			t->shared->disabled = 0;
		}
	}
	if (t->nretry && !t->shared->disabled)
		disp_notify_retry(t);
	if (!c) {
		/* The caller died meanwhile: nobody to return to. */
		sched_switch(tf);
		return SYSCALL_SWITCHED;
	}
	c->callee = NULL;
	if (c->nretry)
		disp_notify_retry(c);	/* it can take calls again */
	disp_load_ctx(c, tf);
	for (int i = 0; i < 8; i++)
		ctx_set_result(tf, i, res[i]);
	sched_handoff(tf, c);
	return SYSCALL_SWITCHED;
}

long sys_ppc_send(struct trap_frame *tf)
{
	struct dispatcher *cur = this_cpu()->current, *t;
	struct k42_disp_shared *sh;
	struct k42_msg *m;
	long rc = target_of(ctx_arg(tf, 0), cur, &t);

	if (rc < 0)
		return rc;
	sh = t->shared;
	if (sh->msg_head - sh->msg_tail >= K42_DISP_MSGS)
		return -K42_EAGAIN;
	m = &sh->msgs[sh->msg_head % K42_DISP_MSGS];
	m->sender = cur->proc->pid;
	m->op = ctx_arg(tf, 1);
	for (int i = 0; i < 6; i++)
		m->w[i] = ctx_arg(tf, 2 + i);
	__atomic_store_n(&sh->msg_head, sh->msg_head + 1, __ATOMIC_RELEASE);
	disp_raise(t, K42_SOFTINTR_MSG);
	return 0;
}
