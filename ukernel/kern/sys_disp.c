/*
 * Kernel calls about the calling dispatcher itself: entry points, blocking,
 * yielding, timers, soft interrupts, resuming saved state, exit, console
 * output and kernel figures.
 */
#include <stddef.h>
#include <arch/rtas.h>
#include <arch/timer.h>
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <mm/fr.h>
#include <kern/console.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/retired_wait.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/syscall.h>
#include <kern/timer.h>
#include <kern/user_fault.h>
#include <mm/fcm.h>
#include <mm/fcm_swap.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/usercopy.h>

#define DEBUG_WRITE_MAX 4096

static struct dispatcher *cur_disp(void)
{
	return this_cpu()->current;
}

long sys_null(struct trap_frame *tf)
{
	(void)tf;
	return 0;
}

long sys_debug_write(struct trap_frame *tf)
{
	char buf[256];
	uint64_t va = ctx_arg(tf, 0), len = ctx_arg(tf, 1);

	if (len > DEBUG_WRITE_MAX)
		return -K42_E2BIG;
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		int rc = copy_from_user(cur_disp()->proc, buf, va, n);

		if (rc < 0)
			return rc;
		console_write(buf, n);
		va += n;
		len -= n;
	}
	return 0;
}

long sys_exit(struct trap_frame *tf)
{
	process_end(cur_disp()->proc, K42_PROC_EXITED, (int)ctx_arg(tf, 0), NULL);
	sched_switch(tf);
	return SYSCALL_SWITCHED;
}

static int others_ready(void)
{
	struct percpu *pc = this_cpu();

	for (int c = 0; c < K42_PRIO_CLASSES; c++)
		if (pc->rq_head[c])
			return 1;
	return 0;
}

long sys_yield(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();

	ctx_set_result(tf, 0, 0);
	if (!others_ready()) {
		sched_handoff(tf, d);	/* still delivers what is pending */
		return SYSCALL_SWITCHED;
	}
	d->state = DS_READY;
	sched_enqueue(d);
	sched_switch(tf);
	return SYSCALL_SWITCHED;
}

long sys_block(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();

	if (d->shared->pending)
		return 0;
	ctx_set_result(tf, 0, 0);
	d->state = DS_BLOCKED;
	sched_switch(tf);
	return SYSCALL_SWITCHED;
}

/* block, but with nothing to resume: the caller's registers are dropped,
 * and it is entered at an entry point next (kern/sched.c load), as after
 * a K42_IPC_REPLY_IDLE reply. A call to it can then enter it directly,
 * on the PPC fast path too. */
long sys_disp_idle(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();

	if (d->calls_queued.head)	/* (raised when queued; never lost) */
		__atomic_or_fetch(&d->shared->pending, K42_SOFTINTR_CALL, __ATOMIC_RELEASE);
	if (d->shared->pending)
		return 0;
	d->has_ctx = 0;
	d->shared->disabled = 0;
	d->state = DS_IDLE;
	this_cpu()->current = NULL;	/* nothing of tf is kept */
	sched_switch(tf);
	return SYSCALL_SWITCHED;
}

long sys_disp_init(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();
	uint64_t entries[K42_ENTRY_COUNT] = { 0 };
	uint64_t va = ctx_arg(tf, 0), n = ctx_arg(tf, 1), stack = ctx_arg(tf, 2);
	int rc;

	if (n > K42_ENTRY_COUNT || (stack & 15) || stack > K42_USER_TOP || stack < K42_USER_BASE)
		return -K42_EINVAL;
	if ((rc = copy_from_user(d->proc, entries, va, n * sizeof(uint64_t))) < 0)
		return rc;
	for (uint64_t i = 0; i < n; i++)
		if ((entries[i] & 3) || entries[i] >= K42_USER_TOP)
			return -K42_EINVAL;
	for (uint64_t i = 0; i < K42_ENTRY_COUNT; i++)
		d->entries[i] = entries[i];
	disp_fast_sync(d, FAST_OFF_ENTRY);
	d->upcall_stack = stack;
	return 0;
}

long sys_timer_set(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();
	uint64_t prev = d->timer_deadline;

	sched_timer_set(d, ctx_arg(tf, 0));
	ctx_set_result(tf, 1, prev);
	return 0;
}

long sys_softintr_raise(struct trap_frame *tf)
{
	struct process *p = process_lookup(ctx_arg(tf, 0));
	uint64_t bits = ctx_arg(tf, 1);

	if (!p || p->state != K42_PROC_RUNNING)
		return -K42_ESRCH;
	if (bits & (K42_SOFTINTR_USER0 - 1))
		return -K42_EPERM;	/* only the user-protocol bits */
	/* Like every other call on another process: itself or a descendant.
	 * The one exception is K42_SOFTINTR_IO alone, libk42's "re-check
	 * what you wait on" doorbell: it carries nothing, repeats fold into
	 * one bit, and it means what the ioevent.event message anyone may
	 * send means, so any process may ring it (a pipe's reader wakes its
	 * writer, whichever is the parent). Anyone else is told through a
	 * one-way message (ppc_send). */
	if (bits != K42_SOFTINTR_IO && !process_may_manage(cur_disp()->proc, p))
		return -K42_EPERM;
	disp_raise(&p->disp, bits);
	return 0;
}

void disp_flush_deferred(struct dispatcher *d)
{
	uint64_t pid = __atomic_exchange_n(&d->shared->defer_io, 0, __ATOMIC_ACQ_REL);
	struct process *p = pid ? process_lookup(pid) : NULL;

	/* The doorbell anyone may ring (sys_softintr_raise): a pid that is
	 * gone, or never was, rings nothing. */
	if (p && p->state == K42_PROC_RUNNING)
		disp_raise(&p->disp, K42_SOFTINTR_IO);
}

long sys_disp_resume(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();
	struct k42_disp_shared *sh = d->shared;
	uint64_t enable = ctx_arg(tf, 0);

	if (!sh->saved_valid)
		return -K42_EINVAL;
	ctx_from_user_regs(tf, &sh->saved);
	sh->saved_valid = 0;
	if (enable)
		sh->disabled = 0;
	/* Re-enter through the common path: delivers what is pending. The
	 * caller is the running dispatcher, its address space active and its
	 * MSR forced on the way out (user_return): nothing to switch. Its time
	 * slice runs on (the Linux personality resumes its program here on
	 * every call; renewing it here let a program that makes system calls
	 * keep the CPU from others of its priority). */
	if (d->state != DS_RUNNING || this_cpu()->current != d)
		sched_handoff(tf, d);
	return SYSCALL_SWITCHED;
}

/* The Unix time at timebase 0: the machine's clock (RTAS) read once,
 * less the time since; 0 if there is no clock. */
static long boot_epoch(void)
{
	static int64_t epoch;
	static int tried;
	int64_t now;

	if (!tried) {
		tried = 1;
		if (rtas_time_of_day(&now) == 0)
			epoch = now - (int64_t)(arch_timebase() / timer_timebase_hz());
	}
	return epoch > 0 ? (long)epoch : 0;
}

/* A counter of struct percpu (a uint64_t at off) summed over the CPUs
 * online. Each CPU adds to its own without a lock; each is read once. */
static uint64_t percpu_sum(size_t off)
{
	uint64_t n = 0;

	for (int c = 0; c < smp_ncpus; c++)
		n += __atomic_load_n((const uint64_t *)((const char *)percpu_of((uint32_t)c) + off),
				     __ATOMIC_RELAXED);
	return n;
}

/* (The array's size is negative, a compile error, unless field is 64 bits.) */
#define PERCPU_SUM(field)                                     \
	percpu_sum(offsetof(struct percpu, field) +            \
		   0 * sizeof(char[sizeof(((struct percpu *)0)->field) == 8 ? 1 : -1]))

long sys_sys_info(struct trap_frame *tf)
{
	switch (ctx_arg(tf, 0)) {
	case K42_INFO_FREE_FRAMES:
		return (long)pm_free_frames(pm_root());
	case K42_INFO_TOTAL_FRAMES:
		return (long)pm_root()->managed_frames;
	case K42_INFO_TIMEBASE_HZ:
		return (long)timer_timebase_hz();
	case K42_INFO_TICKS:
		return (long)timer_ticks();
	case K42_INFO_PID:
		return cur_disp()->proc->pid;
	case K42_INFO_PROCESSES:
		return (long)process_count();
	case K42_INFO_DEFERRED:
		return (long)quiesce_waiting(quiesce_kernel());
	case K42_INFO_PRIVILEGES:
		return (long)cur_disp()->proc->privileges;
	case K42_INFO_IPC_CALLS:
		return (long)ipc_calls_in_use();
	case K42_INFO_IPC_REFUSED:
		return (long)ipc_calls_refused();
	case K42_INFO_KMEM_CACHED:
		return (long)kmem_class_frames();
	case K42_INFO_KMEM_OBJECTS:
		return (long)kmem_objects_live();
	case K42_INFO_CPUS_ONLINE:
		return smp_ncpus;
	case K42_INFO_CPU:
		return (long)this_cpu()->cpu_id;
	case K42_INFO_EPOCH:
		return boot_epoch();
	case K42_INFO_PPC_FAST_STALE:
		return (long)process_fast_stale();
	case K42_INFO_PPC_FAST_C_CALLS:
		return (long)PERCPU_SUM(ppc_fast_c_calls);
	case K42_INFO_PPC_FAST_BYTES:
		return (long)PERCPU_SUM(ppc_fast_bytes);
	case K42_INFO_PPC_ASYNC_BYTES:
		return (long)PERCPU_SUM(ppc_bytes_unlocked);
	case K42_INFO_PPC_FAST_CALLS:
		return (long)PERCPU_SUM(ppc_fast_calls);
	case K42_INFO_PPC_FAST_REPLIES:
		return (long)PERCPU_SUM(ppc_fast_replies);
	case K42_INFO_PPC_ACCEPTS_UNLOCKED:
		return (long)PERCPU_SUM(ppc_accepts_unlocked);
	case K42_INFO_PPC_CROSS_REPLIES:
		return (long)PERCPU_SUM(ppc_cross_replies);
	case K42_INFO_CALLS_EXPIRED_UNLOCKED:
		return (long)PERCPU_SUM(calls_expired_unlocked);
	case K42_INFO_PPC_MOVES_UNLOCKED:
		return (long)PERCPU_SUM(ppc_moves_unlocked);
	case K42_INFO_PPC_QUEUED_UNLOCKED:
		return (long)PERCPU_SUM(ppc_queued_unlocked);
	case K42_INFO_PPC_OTHER_UNLOCKED:
		return (long)PERCPU_SUM(ppc_other_unlocked);
	case K42_INFO_FR_COMPLETES_UNLOCKED:
		return (long)fr_completes_unlocked();
	case K42_INFO_FR_MISSES_UNLOCKED:
		return (long)fr_misses_unlocked();
	case K42_INFO_FR_AHEAD_UNLOCKED:
		return (long)fr_aheads_unlocked();
	case K42_INFO_SWAPS_FREED_UNLOCKED:
		return (long)fcm_swap_frees_unlocked();
	case K42_INFO_SWAPS_ENDED_UNLOCKED:
		return (long)fcm_swap_ended_frees_unlocked();
	case K42_INFO_FAULTS_RETIRED_WAIT:
		return (long)user_faults_retired_wait();
	case K42_INFO_CALLS_RETIRED_WAIT:
		return (long)retired_wait_calls();
	case K42_INFO_FR_FLUSHES_UNLOCKED:
		return (long)fr_flushes_unlocked();
	case K42_INFO_FAULTS_LOCKED:
		return (long)PERCPU_SUM(faults_locked);
	case K42_INFO_COW_FILE_UNLOCKED:
		return (long)fcm_cow_file_faults_unlocked();
	case K42_INFO_TIMER_WAKES_REMOTE:
		return (long)PERCPU_SUM(timer_wakes_remote);
	case K42_INFO_TICKS_MULTI_UNLOCKED:
		return (long)PERCPU_SUM(ticks_multi_unlocked);
	case K42_INFO_FREES_UNLOCKED:
		return (long)PERCPU_SUM(frees_unlocked);
	case K42_INFO_CPU_USER_TB:
		return (long)PERCPU_SUM(user_tb);
	case K42_INFO_CPU_SYSTEM_TB:
		return (long)PERCPU_SUM(system_tb);
	case K42_INFO_IDLE_UNLOCKED:
		return (long)PERCPU_SUM(idle_unlocked);
	case K42_INFO_IRQS_UNLOCKED:
		return (long)(PERCPU_SUM(idle_ipis_unlocked) + PERCPU_SUM(ticks_timed_unlocked));
	case K42_INFO_WAKES_UNLOCKED:
		return (long)PERCPU_SUM(wakes_unlocked);
	default:
		return -K42_EINVAL;
	}
}

long sys_disp_answer(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();
	uint64_t op = ctx_arg(tf, 0), nr = ctx_arg(tf, 1), value = ctx_arg(tf, 2);
	uint32_t i;

	if (op == K42_ANSWER_OFF || op == K42_ANSWER_ON) {
		d->answers_on = op == K42_ANSWER_ON;
		return 0;
	}
	if (op != K42_ANSWER_SET && op != K42_ANSWER_CLEAR)
		return -K42_EINVAL;
	for (i = 0; i < d->nanswers && d->answers[i].nr != nr; i++)
		;
	if (op == K42_ANSWER_CLEAR) {
		if (i == d->nanswers)
			return -K42_ENOENT;
		d->answers[i] = d->answers[--d->nanswers];
		return 0;
	}
	if (i == d->nanswers) {
		if (d->nanswers == K42_ANSWERS_MAX)
			return -K42_ENOSPC;
		d->nanswers++;
	}
	d->answers[i].nr = nr;
	d->answers[i].value = value;
	return 0;
}

long sys_disp_reflect(struct trap_frame *tf)
{
	struct dispatcher *d = cur_disp();
	uint64_t on = ctx_arg(tf, 0);

	if (on > 1)
		return -K42_EINVAL;
	if (on && !d->entries[K42_ENTRY_SYSCALL])
		return -K42_EINVAL;	/* nowhere to reflect to */
	d->reflect_sc = (int)on;
	disp_fast_sync(d, FAST_OFF_REFLECT);
	return 0;
}
