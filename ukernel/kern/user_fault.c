/*
 * User page faults: resolved in the kernel when the page is in core;
 * out-of-core pages are reflected to an enabled dispatcher (PGFLT entry:
 * r3 = address, r4 = token; the thread's registers in the shared page) or
 * wait synchronously when it is disabled. A fault nothing can satisfy ends
 * the process with a one-line report.
 */
#include <arch/context.h>
#include <arch/spinlock.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/retired_wait.h>
#include <kern/sched.h>
#include <kern/user_fault.h>
#include <kern/timer.h>
#include <kern/trace.h>
#include <lib/fmt.h>
#include <mm/fault.h>
#include <mm/fcm.h>
#include <mm/fr.h>

void user_kill(struct trap_frame *tf, const char *why)
{
	process_end(this_cpu()->current->proc, K42_PROC_KILLED, -1, why);
	sched_switch(tf);
}

static const char *access_name(unsigned access)
{
	return access == K42_PROT_WRITE ? "write" : access == K42_PROT_EXEC ? "execute" : "read";
}

/*
 * A miss on a file region (or any fault on a prefetching or adaptive
 * file FCM, which may read ahead) without the kernel lock (docs/smp.md,
 * "File misses"): under
 * this CPU's local lock, taken first, which keeps every kernel-lock
 * holder out, so d (running here) is neither ended nor moved, and this
 * CPU's run queue is ours. fault_miss_unlocked sends the page-in (or
 * joins one in flight) and records d as its waiter; then, as the locked
 * path does, d takes it reflected (enabled, with a PGFLT entry and a free
 * slot) or waits here (DS_PAGE_WAIT: its context saved, and this CPU
 * resumes what sched_switch would take next if it can be resumed from
 * its saved context, else it goes idle without the kernel lock, whose
 * wait hands anything else to the locked path, kern/sched_idle.c). The
 * completion's wake-up needs this CPU's local lock (fr_complete_unlocked
 * tries it; the locked one holds it), so it comes after d waits. A d
 * with events to deliver on its way back takes the locked path.
 */
static int fault_miss(struct trap_frame *tf, struct dispatcher *d, uint64_t va, unsigned access)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *next;
	uint64_t token = 0;
	int async, rc;

	klock_local_lock(&pc->local_lock);
	if (d->state != DS_RUNNING || d->cpu != pc->cpu_id || disp_has_work(d)) {
		spin_unlock(&pc->local_lock);
		return 0;
	}
	async = !d->shared->disabled && d->entries[K42_ENTRY_PGFLT] && fr_async_room(d);
	rc = fault_miss_unlocked(d->proc, va, access, d, async, &token);
	if (rc <= 0) {
		spin_unlock(&pc->local_lock);
		if (rc == 0)
			trace_fault_incore(va);
		return rc == 0;
	}
	trace_fault_reflect(va, token);
	if (async) {
		disp_upcall(d, tf, K42_ENTRY_PGFLT, 1);
		ctx_set_result(tf, 0, va);
		ctx_set_result(tf, 1, token);
	} else {
		d->state = DS_PAGE_WAIT;
		disp_save_ctx(d, tf);
		if ((next = sched_fast_next(pc)))
			sched_fast_run(tf, pc, next);
		else
			sched_idle_park(pc);
	}
	spin_unlock(&pc->local_lock);
	if (!pc->current)
		sched_idle_fast(tf);	/* nothing to resume here: idle (does not return) */
	return 1;
}

int user_fault_unlocked(struct trap_frame *tf, uint64_t va, unsigned access)
{
	struct dispatcher *d = this_cpu()->current;

	int rc;

	trace_fault_start(va, access);
	/* Ended by another CPU: the locked path leaves it. */
	if (__atomic_load_n(&d->state, __ATOMIC_RELAXED) == DS_DEAD ||
	    (rc = fault_resolve_unlocked(d->proc, va, access)) < 0)
		return 0;
	retired_wait_over(d);
	if (rc == FAULT_MISS)
		return fault_miss(tf, d, va, access);
	if (rc == FAULT_HELD) {
		/* Retried on return; this is a quiescent point (nothing held),
		 * so the swap's drain does not wait for a tick here. The drain
		 * waits for the other CPUs: give them this vCPU meanwhile
		 * (H_CONFER), rather than spin on the retry. */
		trace_fault_held(va);
		kquiesce_pass();
		arch_spin_yield();
		return 1;
	}
	trace_fault_incore(va);
	return 1;
}

/* Faults retried while frames waited for quiescence (kern/retired_wait.c). */
static uint64_t faults_retired_wait;

uint64_t user_faults_retired_wait(void)
{
	return __atomic_load_n(&faults_retired_wait, __ATOMIC_RELAXED);
}

void user_fault(struct trap_frame *tf, uint64_t va, unsigned access, int traced)
{
	struct dispatcher *d = this_cpu()->current;
	uint64_t token = 0;
	char why[160];
	int rc;

	this_cpu()->faults_locked++;	/* K42_INFO_FAULTS_LOCKED */
	if (!traced)
		trace_fault_start(va, access);
	rc = fault_resolve(d->proc, va, access, &token);
	if (rc == 0) {
		retired_wait_over(d);
		trace_fault_incore(va);
		return;
	}
	if (rc == -K42_EAGAIN) {
		trace_fault_reflect(va, token);
		/* Reflected if it can be (enabled, and under its limit of
		 * outstanding reflected faults), else waited for here. Adding
		 * a waiter fails only if the page-in is already over: then
		 * the access is simply retried. Nothing here spins. */
		if (!d->shared->disabled && d->entries[K42_ENTRY_PGFLT] &&
		    fr_add_waiter(token, d, 1) == 0) {
			disp_upcall(d, tf, K42_ENTRY_PGFLT, 1);
			ctx_set_result(tf, 0, va);
			ctx_set_result(tf, 1, token);
		} else if (fr_add_waiter(token, d, 0) == 0) {
			d->state = DS_PAGE_WAIT;
			sched_switch(tf);
		}
		return;
	}
	if (retired_wait(d, rc, &faults_retired_wait))
		return;	/* retried on return, past a quiescent point */
	/* A Linux program (its calls reflected) that touched memory it has
	 * no right to, while it ran (enabled): its personality makes that
	 * SIGSEGV, which the program may handle (docs/linux.md). Running
	 * out of memory or a file server ends it here, as before. */
	if (d->reflect_sc && !d->shared->disabled && d->entries[K42_ENTRY_TRAP] &&
	    (va >= K42_USER_TOP || rc == -K42_EFAULT || rc == -K42_EACCES)) {
		uint64_t vector = tf->trap, pc = ctx_pc(tf);

		disp_upcall(d, tf, K42_ENTRY_TRAP, 1);
		ctx_set_result(tf, 0, vector);
		ctx_set_result(tf, 1, pc);
		ctx_set_result(tf, 2, va);
		ctx_set_result(tf, 3, (va < K42_USER_TOP && rc == -K42_EACCES) ?
					      K42_TRAP_FAULT_ACCESS : K42_TRAP_FAULT_MAPPING);
		ctx_set_result(tf, 4, access);
		return;
	}
	k_snprintf(why, sizeof(why), "%s of 0x%lx at pc 0x%lx: %s", access_name(access), va,
		   ctx_pc(tf),
		   va >= K42_USER_TOP ? "kernel or unmapped address space" :
		   rc == -K42_EFAULT ? "no mapping" :
		   rc == -K42_EACCES ? "not permitted by the region" :
		   rc == -K42_EDEAD ? "its file server is gone" :
		   rc == -K42_EDQUOT ? "over its memory quota" :
		   rc == -K42_ENOMEM ? "out of memory" : "page-in refused");
	user_kill(tf, why);
}
