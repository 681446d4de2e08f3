/*
 * PPC calls that end without their reply: bounded calls (call_timeout_tb
 * in the caller's shared page), each waiting on a per-CPU list until its
 * deadline, expired by that CPU's tick (kern/timer.c), and ppc_cancel,
 * which ends another process's waiting calls (^C). The calls themselves
 * are made and answered in kern/ppc.c; an asynchronous call is given up
 * with ppc_cancel_async (kern/ppc_async.c).
 *
 * Locking: the kernel lock, except a CPU's tick expiring its own list
 * under its local lock and those ipc_calls_expire_locks names
 * (kern/timer.c).
 */
#include <arch/context.h>
#include <arch/spr.h>
#include <k42/errno.h>
#include <k42/privilege.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/ppc_cross.h>
#include <kern/ppc_general.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/syscall.h>

/* Callers waiting in bounded calls: one list per CPU, of the calls made
 * there (percpu->calls_timed), changed under the kernel lock or by that
 * CPU's tick under its local lock (kern/timer.c: the expiry without the
 * kernel lock, ipc_calls_expire_locks); with one list for all, every
 * tick of every CPU took the locked path while any bounded call waited
 * anywhere. ntimed counts the entries of every list (atomically: two
 * CPUs' ticks may drop entries at once). */
static uint32_t ntimed;

void ppc_untime(struct dispatcher *d)
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

/* A synchronous call cur has just begun (ppc_call_begin): on this CPU's
 * list until its deadline if bounded (call_timeout_tb), else off any list
 * (an earlier bound must not reach this call). */
void ppc_call_bound(struct dispatcher *cur)
{
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
		ppc_untime(cur);
	}
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
 * CPU's local lock (held): the CPUs (bits in *mask) of the servers of
 * those calls, queued or taken. A queued call is withdrawn from its
 * server's list; a taken one has its caller cleared, which its server
 * reads under its CPU's lock (ppc_accept_fast copies the caller's page
 * after marking the call taken, a reply reads the caller), and the
 * state a call is in changes under that lock too: read without it, a
 * call seen taken may still be in the middle of its accept. -1 if it
 * needs the kernel lock: a caller that waits on another CPU (an entry
 * left from an earlier call, whose dispatcher made its bounded call
 * elsewhere). Nothing changes. */
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
		ppc_untime(d);
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
