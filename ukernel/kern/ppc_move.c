/*
 * A PPC call that moves a server's dispatcher 0 to its caller's CPU,
 * without the kernel lock (docs/smp.md, "Without the kernel lock"): the
 * server lives on another CPU and can take the upcall now (enabled,
 * ready, blocked or idle, nothing queued, its vector registers not live
 * on its CPU), so the locked path would hand the caller's CPU to it,
 * moving it here (a call stays on its caller's CPU). Tried by ppc_fast
 * (kern/ppc_local.c) with this CPU's local lock held, after the same-CPU fast
 * path declined and before a call is queued across CPUs
 * (kern/ppc_cross.c).
 *
 * Where a dispatcher lives (d->cpu) changes here under the local locks of
 * both CPUs, its old one and its new one (and under the kernel lock,
 * whose holder holds them all): so whoever holds either lock sees it
 * stay, and whoever reads d->cpu without them and then takes the lock it
 * named checks it again under that lock (kern/ppc_cross.c,
 * kern/sched_wake.c, kern/timer.c, mm/fr.c). The server's CPU's lock is
 * taken in CPU order (percpu_lock_other: a lower-numbered CPU's by a
 * single try, else the locked path). With it held the server is not
 * current there, not made current, queued or dequeued there, and its
 * state and call lists stay as checked; a READY server is taken off that
 * CPU's run queue under it. Nothing else of that CPU holds the server:
 * its user SPRs and vector registers are given back whenever another
 * dispatcher runs there or the CPU idles (under that lock), and a server
 * whose FP/VMX/VSX registers are still live there may not run here
 * (ppc_takes_upcall: sched_can_run_here), as on the locked path. Its
 * timer stays on the list of the CPU that set it (it wakes it where it
 * lives). Nothing ends meanwhile: a process ends only under the kernel
 * lock, which the local locks held keep out, and no quiescent point is
 * passed, so the caller, the server and its process stay allocated (a
 * pid is never reused: a call to an ended process finds it ended).
 *
 * An asynchronous call (ppc_call_async) moves the server the same way, as
 * sys_ppc_call_async does on the locked path: the call's bytes come from
 * the caller's buffer, copied into the server's PPC page only if every
 * page of it is resident anonymous memory of the caller
 * (copy_user_resident, under the caller's process lock: cannot fault,
 * nothing copied if not), and the caller, given the call's handle, goes
 * to the back of this CPU's run queue (it lives here; its context saved)
 * while the server runs here.
 *
 * Anything else (a bounded call, a grant, more than a page of bytes, a
 * server with fault completions or page-ins owed, a dispatcher other than
 * a dispatcher 0, a busy lower-numbered lock, no call record in this
 * CPU's cache or the pool) takes the locked path with nothing changed.
 * sys_info(K42_INFO_PPC_MOVES_UNLOCKED) counts the calls made so.
 */
#include <arch/context.h>
#include <arch/spinlock.h>
#include <k42/ipc.h>
#include <arch/memlayout.h>
#include <kern/dispatcher.h>
#include <kern/ppc_cross.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/trace.h>
#include <mm/usercopy.h>

int ppc_call_move(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur, int async)
{
	uint64_t op = ctx_arg(tf, 1), buf = ctx_arg(tf, 8);
	uint32_t len = k42_ipc_op_len(op);
	struct dispatcher *t;
	struct ipc_call *c = NULL;
	struct percpu *tpc;
	uint32_t cpu;

	if (cur->shared->call_grant_len || len > K42_IPC_PAGE_BYTES)
		return 0;
	if (async ? len && (buf >= K42_USER_TOP || K42_USER_TOP - buf < len)
		  : cur->shared->call_timeout_tb || cur->call_timed)
		return 0;	/* (async calls are never bounded) */
	if (ppc_target_of(ctx_arg(tf, 0), cur, &t) < 0 || t->index != 0)
		return 0;
	cpu = __atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
	if (cpu == pc->cpu_id || cpu >= (uint32_t)smp_ncpus || !ppc_takes_upcall(t))
		return 0;	/* (a look without its lock: a busy server is queued on) */
	tpc = percpu_of(cpu);
	if (!percpu_lock_other(pc, tpc))
		return 0;
	/* Both CPUs locked: t stays on cpu, and its state, lists and
	 * registers are as checked now. */
	if (t->cpu == cpu && tpc->current != t && ppc_takes_upcall(t) && !t->npgflt_backlog &&
	    !t->fr_unsent)
		c = async ? ipc_call_try_alloc_for(t, cur) : ipc_call_try_alloc(t);
	if (c && async && len &&
	    copy_user_resident(cur->proc, buf, phys_to_virt(t->ppc_pa), len, 0) < 0) {
		ipc_call_free(c);	/* nothing copied: back to the pool */
		c = NULL;
	}
	if (!c) {
		spin_unlock(&tpc->local_lock);
		return 0;
	}
	if (async) {
		/* As sys_ppc_call_async: the caller goes on later, from the
		 * back of this CPU's queue, with the call's handle. */
		ppc_async_record(c, tf, cur, t);
		if (len)
			pc->ppc_bytes_unlocked++;
		ctx_set_result(tf, 0, ipc_call_handle(c));
		cur->state = DS_READY;
		disp_save_ctx(cur, tf);
		sched_enqueue(cur);	/* this CPU's queue: cur->cpu is this CPU */
	} else {
		ppc_call_begin(tf, cur, t, c, op);	/* cur waits in DS_IN_CALL here */
	}
	c->state = CALL_ACTIVE;
	ipc_call_list_add(&t->calls_active, c);
	if (!async)
		copy_page_data(cur, t, len);
	/* Off cpu's run queue if ready there, then current here: t->cpu
	 * becomes this CPU while both locks are held. */
	ppc_enter_server(tf, t, c);
	spin_unlock(&tpc->local_lock);
	pc->ppc_moves_unlocked++;
	return 1;
}
