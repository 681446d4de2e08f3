/*
 * Dispatchers: the only thing the kernel schedules. A process has its own
 * and may start more (kern/vp.h, docs/smp.md); each runs on one CPU at a
 * time, `cpu`, and moves only when a PPC hands it the caller's processor. A dispatcher is either running, ready (queued in
 * its priority class), blocked (waiting for a soft interrupt), in a call
 * (waiting for a PPC reply) or waiting for a page (a synchronous fault).
 * Serving a call is no state of its own: an incoming call is an upcall, and
 * the kernel keeps the call's state in a call record (kern/ipc_call.h).
 * When it is not running, `ctx` holds the user context to resume if
 * `has_ctx`; otherwise it is entered at an entry point.
 */
#ifndef KERN_DISPATCHER_H
#define KERN_DISPATCHER_H

#include <stdint.h>
#include <arch/trapframe.h>
#include <k42/dispatcher.h>

struct process;
struct fr_pending;

/* Reflected page faults one dispatcher may have outstanding (mm/fr.h). */
#define FR_ASYNC_WAITS 16

/* A dispatcher waiting for a page-in, linked into that page-in's list. */
struct fr_waiter {
	struct fr_pending *pe;		/* NULL: not waiting */
	struct fr_waiter *next;
	struct dispatcher *d;
	int async;
};

struct ipc_call;

/* A list of call records (kern/ipc_call.c). */
struct ipc_call_list {
	struct ipc_call *head, *tail;
};

enum disp_state {
	DS_NEW,		/* created, not started */
	DS_READY,
	DS_RUNNING,
	DS_BLOCKED,	/* in `block`, until a soft interrupt */
	DS_IN_CALL,	/* made a PPC, waiting for the reply */
	DS_PAGE_WAIT,	/* synchronous out-of-core fault */
	DS_IDLE,	/* no context: entered only by an event */
	DS_DEAD,
};

struct dispatcher {
	struct process *proc;
	struct k42_disp_shared *shared;		/* kernel view of the shared page */
	uint64_t ppc_pa;			/* its PPC page (K42_PPC_PAGE_VA + index pages) */
	uint64_t entries[K42_ENTRY_COUNT];
	uint64_t upcall_stack;
	/* state, has_ctx and cpu share one doubleword, `rt`, so that
	 * ppc_fast.S tests and sets all three of a round trip's facts with
	 * one load or store each (disp_rt_word). They stay plain fields:
	 * every other path reads and writes them one at a time. */
	union {
		struct {
			enum disp_state state;
			uint16_t has_ctx;	/* 0 or 1 */
			uint16_t cpu;		/* the CPU it runs or is queued on */
		};
		uint64_t rt;
	};
	struct trap_frame ctx;
	uint8_t prio;
	uint32_t index;				/* 0: the process's own; else kern/vp.c */
	uint64_t shared_va;			/* its shared page's user address (K42_DISP_VA + index pages) */
	uint32_t timer_cpu;			/* whose timer list holds it (timer_deadline != 0) */
	struct dispatcher *rq_next;
	/* Fault completions that did not fit the shared ring, delivered later. */
	uint64_t pgflt_backlog[64];
	int npgflt_backlog;
	struct ipc_call *call;			/* DS_IN_CALL: the call we wait on */
	struct ipc_call_list calls_queued;	/* calls to us not yet accepted (FIFO) */
	struct ipc_call_list calls_active;	/* calls to us accepted, not yet replied */
	uint32_t ncalls;			/* both together */
	struct ipc_call_list calls_done;	/* our async calls answered, reply not yet delivered */
	uint32_t nasync;			/* our async calls outstanding, calls_done included */
	uint64_t call_deadline;			/* timebase; with call_timed: a bounded call */
	int call_timed;				/* on a CPU's list of bounded calls (kern/ppc_timed.c) */
	uint32_t call_timed_cpu;		/* which: the CPU the call was made on */
	struct dispatcher *call_timed_next;
	uint64_t timer_deadline;		/* timebase; 0 = none */
	struct dispatcher *timer_next;
	void *vsx_state;			/* FP/VMX/VSX registers when not loaded: made at the first vector trap */
	/* 1 + the CPU whose registers hold its FP/VMX/VSX state (that CPU's
	 * vsx_owner), 0 if none: set and cleared with vsx_owner, so
	 * sched_can_run_here is one load rather than a scan of every CPU. */
	uint32_t vsx_on;
	/* Lazy FP/VMX/VSX switching learns who uses the units after every
	 * switch (user_trap.c): vsx_hot counts the traps that had to load its
	 * state; from VSX_EAGER_AFTER on, a scheduling switch to it loads the
	 * state at once for vsx_eager more switches, then it counts again. */
	uint8_t vsx_hot;
	uint8_t vsx_eager;
	uint64_t user_spr[2];			/* user SPRs outside the frame (ppc64: VRSAVE) when not loaded */
	/* Page-in waits (mm/fr.c). The nodes live here, inside the
	 * dispatcher, and process_end unlinks them all (fr_dispatcher_gone)
	 * before the dispatcher can be freed: a page-in never holds a
	 * pointer to a dead dispatcher. */
	struct fr_waiter pgwait_sync;
	struct fr_waiter pgwait_async[FR_ASYNC_WAITS];
	uint32_t fr_unsent;			/* page-ins for FRs we serve our ring had no room for */
	/* disp_reflect: an `sc` made while enabled goes to K42_ENTRY_SYSCALL
	 * instead of the kernel-call table (the Linux personality). */
	int reflect_sc;
	/* Why ppc_fast.S may not take a call or reply for it (0: it may):
	 * bits derived from the fields above by kern/disp_fast.h, which
	 * every writer of those fields calls. */
	uint32_t fast_off;
	/* disp_answer: reflected calls answered here, with no upcall, while
	 * answers_on (the dispatcher's own table; syscall.c). */
	int answers_on;
	uint32_t nanswers;
	struct {
		uint64_t nr, value;
	} answers[K42_ANSWERS_MAX];
	/* CPU time, in timebase ticks, sampled by the tick (disp_charge_tick):
	 * written only by the CPU it is current on, read whole by anyone
	 * (proc_times, proc_describe). */
	uint64_t utime_tb, stime_tb;
	/* A fault or kernel call that found no frame while frames waited for
	 * quiescence is retried until this timebase value, and the
	 * quiescence generation has moved on from nomem_gen
	 * (kern/retired_wait.c). */
	uint64_t nomem_until, nomem_gen;
};

/* Keep tf as d's resumable context; returns where it went.
 * disp_load_ctx takes it back into tf. */
struct trap_frame *disp_save_ctx(struct dispatcher *d, const struct trap_frame *tf);
void disp_load_ctx(struct dispatcher *d, struct trap_frame *tf);
/* On the way back to user mode: an enabled d with soft interrupts pending
 * is upcalled (its context preserved in the shared page). */
void disp_deliver_pending(struct trap_frame *tf, struct dispatcher *d);
/* Has disp_deliver_pending anything to do for d (page-fault messages or
 * page-ins to send, soft interrupts to upcall an enabled d with)? */
static inline int disp_has_work(const struct dispatcher *d)
{
	return d->npgflt_backlog || d->fr_unsent || (d->shared->pending && !d->shared->disabled);
}

/* A timer interrupt that finds d running: the tick it asked for
 * (want_tick, <k42/dispatcher.h>), if it runs enabled, as a soft interrupt
 * it is upcalled for on the way back (disp_has_work). */
static inline void disp_tick_wanted(struct dispatcher *d)
{
	if (d->shared->want_tick && !d->shared->disabled)
		__atomic_or_fetch(&d->shared->pending, K42_SOFTINTR_TICK, __ATOMIC_RELEASE);
}

/* Make d ready (queue it) if it is blocked/idle and has something to do. */
void disp_wake(struct dispatcher *d);
/* Set soft-interrupt bits and wake d. */
void disp_raise(struct dispatcher *d, uint64_t bits);
/* Ring the wake-up d folded into this entry (k42_disp_shared.defer_io),
 * under the kernel lock; the general entry does it first thing. */
void disp_flush_deferred(struct dispatcher *d);
/* May d's kernel call take a fast path (no kernel lock, maybe a switch)?
 * Not if its calls are reflected (the Linux personality), it has page-in
 * messages to send, or a wake-up to ring first: those take the general
 * entry (kern/syscall.c). */
static inline int disp_plain_caller(const struct dispatcher *d)
{
	return d->state == DS_RUNNING && !d->fr_unsent && !d->shared->defer_io &&
	       !(d->reflect_sc && !d->shared->disabled);
}
/* Upcall d at entry e from the context in tf (tf becomes the upcall). */
int disp_upcall(struct dispatcher *d, struct trap_frame *tf, int entry, int preserve);
/* A tick found d current on its CPU: charge it the tick's period (1 if
 * as system time). Time
 * a reflecting dispatcher (the Linux personality) spends disabled is in
 * the personality, the Linux program's "system" time; the rest is user
 * time. Sampling as Linux does without precise accounting: no cost on
 * any switch path. */
static inline int disp_charge_tick(struct dispatcher *d, uint64_t period)
{
	if (d->reflect_sc && d->shared->disabled) {
		d->stime_tb += period;
		return 1;
	}
	d->utime_tb += period;
	return 0;
}
/* The running dispatcher on this CPU. */
struct dispatcher *disp_current(void);

/* The `rt` doubleword of a dispatcher in state s, with has_ctx and cpu
 * (ppc64le: state in the low word, has_ctx above it, cpu at the top;
 * arch/ppc64/kern/asm-offsets.c checks the layout). */
static inline uint64_t disp_rt_word(enum disp_state s, int has_ctx, uint32_t cpu)
{
	return (uint64_t)(uint32_t)s | (uint64_t)(has_ctx != 0) << 32 | (uint64_t)(uint16_t)cpu << 48;
}

#endif
