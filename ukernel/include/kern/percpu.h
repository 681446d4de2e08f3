/*
 * The per-CPU area: everything the kernel keeps per processor. Fields the
 * scheduler shares between CPUs (run queues, timers, vsx/spr owners) are
 * guarded by the kernel lock (kern/klock.h), which includes every CPU's
 * `local_lock`: a fast path that holds only its own CPU's local lock
 * (kern/ppc_local.c, the PPC fast path) may change this CPU's run queues and
 * the dispatchers that live here. The rest only the owning CPU touches.
 */
#ifndef KERN_PERCPU_H
#define KERN_PERCPU_H

#include <stdint.h>
#include <arch/percpu.h>
#include <kern/spinlock.h>
#include <kern/race_window.h>
#define K42_TRACE_NO_WRITER	/* structures only; kern/trace.h brings the writer */
#include <k42/trace.h>
#undef K42_TRACE_NO_WRITER

struct dispatcher;
struct trap_frame;

struct percpu {
	uint64_t stack_guard;		/* must stay first: see arch/percpu.h */
	struct arch_percpu arch;
	uint32_t cpu_id;
	uint32_t hw_id;			/* interrupt server number */
	uint32_t online;		/* 0 starting, 1 online, 2 given up on (kern/smp.c) */
	uint32_t idle;			/* waiting in the idle loop, kernel lock released */
	uint64_t ticks;			/* decrementer interrupts taken */
	uint64_t tick_period;		/* timebase ticks between them */
	uint64_t next_tick_tb;		/* timebase value of the next tick */
	/* Taken by this CPU's fast paths alone, and by the kernel lock's
	 * holder for every CPU (kern/klock.c). */
	struct spinlock local_lock;
	/* Dispatcher scheduling, owned by this CPU (kern/sched.c). */
	struct dispatcher *current;
	struct dispatcher *rq_head[4], *rq_tail[4];
	struct dispatcher *timers;	/* by deadline */
	/* Callers waiting in bounded calls made on this CPU (kern/ppc_timed.c):
	 * changed under the kernel lock, read by this CPU's tick under its
	 * local lock. */
	struct dispatcher *calls_timed;
	struct trap_frame *user_tf;	/* where user state lands on kernel entry */
	struct dispatcher *vsx_owner;	/* whose FP/VMX/VSX registers are loaded */
	struct dispatcher *spr_owner;	/* whose user SPRs outside the frame are loaded */
	uint64_t idle_tb;		/* timebase spent idle */
	/* CPU time the ticks here charged to dispatchers (disp_charge_tick):
	 * user and system (K42_INFO_CPU_USER_TB, _SYSTEM_TB). */
	uint64_t user_tb, system_tb;
	uint64_t slice_tb;		/* a dispatcher's time slice, in timebase ticks */
	uint64_t slice_end;		/* when the running slice ends: begun by a switch from
					 * the run queue, not renewed by handoffs (kern/sched.c) */
	uint32_t last_pid;		/* whose context last ran here (for switch events) */
	/* Faults in flight here: odd while one may hold a region's FCM
	 * (mm/fcm_swap.h, what a hot swap's drain waits for). */
	uint64_t fault_seq;
	uint64_t faults_locked;		/* user faults taken on the locked path here (user_fault) */
	/* PPC calls and replies handed over on the fast path here (kern/ppc_fast.c). */
	uint64_t ppc_fast_calls, ppc_fast_replies;
	uint64_t ppc_fast_c_calls;	/* of ppc_fast_calls, those kern/ppc_fast.c took (ppc_fast.S declined) */
	uint64_t ppc_fast_bytes;	/* calls and idle replies with page bytes kern/ppc_fast.c took */
	uint64_t ppc_bytes_unlocked;	/* async accepts and replies with bytes kern/ppc_cross.c copied */
	/* Free call records kept for this CPU's fast path, under its local
	 * lock (kern/ipc_call.h, ipc_call_alloc_here). */
	struct ipc_call *call_cache;
	uint32_t ncall_cache;
	/* ppc_accepts and replies to another CPU's caller done here without
	 * the kernel lock (kern/ppc_cross.c). */
	uint64_t ppc_accepts_unlocked, ppc_cross_replies;
	/* Calls queued on a server on another CPU, and the rest done here
	 * without it: replies across CPUs with K42_IPC_REPLY_IDLE, async
	 * replies on one CPU, ppc_collect, ppc_send (kern/ppc_cross.c). */
	uint64_t ppc_queued_unlocked, ppc_other_unlocked;
	/* Calls that moved a server's dispatcher 0 here without it (kern/ppc_move.c). */
	uint64_t ppc_moves_unlocked;
	/* Bounded calls made here whose expiry the tick did without it (kern/timer.c). */
	uint64_t calls_expired_unlocked;
	/* Timer wake-ups of dispatchers living on another CPU done by this
	 * CPU's tick without it (kern/timer.c). */
	uint64_t timer_wakes_remote;
	/* softintr_raise and disp_kick done from here without it (kern/sched_wake.c). */
	uint64_t wakes_unlocked;
	/* Idle entries made without it (kern/sched_idle.c), and IPIs taken
	 * in the idle loop without it (arch trap.c). */
	uint64_t idle_unlocked, idle_ipis_unlocked;
	/* Ticks done without it while a bounded call waited (kern/timer.c). */
	uint64_t ticks_timed_unlocked;
	/* Ticks done without it that woke dispatchers on two or more other
	 * CPUs (kern/timer.c). */
	uint64_t ticks_multi_unlocked;
	/* Deferred frees done without it (kern/quiesce.c). */
	uint64_t frees_unlocked;
	/* A frame was refused on this CPU since the current locked kernel
	 * call began (kern/retired_wait.h). */
	uint32_t frame_refused;
	/* Tracing (kern/trace.c): this CPU's copy of the enabled classes, and its buffer. */
	uint64_t trace_mask;
	struct k42_trace_buf trace_buf;
};

static inline struct percpu *this_cpu(void)
{
	return arch_this_cpu();
}

/* With pc's local lock held, take another CPU's too, in CPU order (level
 * 2 of docs/smp.md): a higher-numbered one's by spinning, a lower-numbered
 * one's by a single try, 0 if it is busy (the caller then takes the
 * locked path with nothing changed: waiting would invert the order the
 * kernel lock's gatherer takes them in). */
static inline int percpu_lock_other(struct percpu *pc, struct percpu *other)
{
	race_window(4);	/* (other was found from a read made without its lock) */
	if (other->cpu_id > pc->cpu_id) {
		spin_lock(&other->local_lock);
		return 1;
	}
	return arch_spin_trylock(&other->local_lock);
}

/* Set up the boot CPU's area and make it current. */
void percpu_init_boot(struct percpu *pc, uint32_t hw_id);
/* Allocate the CPU's kernel stack (needs the PM). */
int percpu_init_memory(struct percpu *pc);

#endif
