/*
 * User-level threads of libk42: many threads multiplexed on the process's
 * dispatchers (k42/vp.h) by a swappable user-level scheduler (k42/sched.h). Threads
 * cost no kernel memory: the descriptor and stack come from malloc.
 * docs/libk42.md describes the model; the rules that matter here:
 *  - a voluntary switch preserves the ELFv2 non-volatile integer state
 *    (r1, r14-r31, CR2-4, LR; r2 is the one TOC of a static program, r13
 *    is the thread pointer). Floating-point and vector registers survive a
 *    preemptive switch (libk42 saves the whole VSX file then) but NOT a
 *    voluntary one: do not keep FP values live across calls that may block.
 *  - blocking calls may be made from threads only, never from handlers
 *    (message handlers, timer callbacks, k42_serve handlers).
 */
#ifndef K42_THREAD_H
#define K42_THREAD_H

#include <stddef.h>
#include <stdint.h>
#include <k42/dispatcher.h>
#include <k42/ipc.h>
#include <k42/timer.h>

/* Thread states. */
#define K42_T_FREE    0
#define K42_T_RUNNING 1
#define K42_T_READY   2
#define K42_T_BLOCKED 3
#define K42_T_DONE    4

/* Why a blocked thread waits (for reports and the fault path). */
#define K42_WAIT_NONE  0
#define K42_WAIT_SYNC  1	/* mutex, condition, semaphore, join */
#define K42_WAIT_SLEEP 2
#define K42_WAIT_FAULT 3	/* an out-of-core page fault */
#define K42_WAIT_EVENT 4	/* retry notice, child exit */
#define K42_WAIT_IPC   5	/* the reply to an asynchronous call (ppc_call_async) */

#define K42_TLS_KEYS 8
#define K42_PRIO_MAX 31		/* thread priorities 0..31, higher runs first */
#define K42_VSX_AREA 1072	/* 64 VSRs, FPSCR, VSCR */

/* Callee-saved state of a voluntary switch (offsets used by switch.S):
 * everything the ELFv2 ABI makes a callee keep, the FP and vector
 * registers too, since programs are built with VSX (a thread that kept a
 * vector constant in v27 across a call got another thread's; docs/smp.md). */
struct k42_ctx {
	uint64_t sp, lr, cr, vrsave;
	uint64_t gpr[18];	/* r14..r31, at K42_CTX_GPR(n) */
	uint64_t fpr[18];	/* f14..f31 */
	uint64_t vr[12][2];	/* v20..v31 (at a multiple of 16 from the start) */
} __attribute__((aligned(16)));	/* switch.S moves quadwords */
/* The slot of rN (14..31) in gpr[]: each even/odd pair odd first, the
 * order a little-endian stq stores them in (switch.S). */
#define K42_CTX_GPR(n) (((n) - 14) ^ 1)

typedef void *(*k42_thread_fn)(void *);

struct k42_thread {
	struct k42_ctx ctx;		/* first: switch.S and r13 point here */
	/* Owned by the scheduler policy holding the thread. */
	struct k42_thread *sq_next, *sq_prev;
	uint64_t sq_key;		/* policy scratch */
	int sq_where;			/* policy scratch: which of its queues */
	int prio;			/* 0..K42_PRIO_MAX (prio policy) */
	uint32_t tickets;		/* lottery policy share */
	int state;			/* K42_T_* */
	/* Owned by the runtime. */
	struct k42_vp *vp;		/* the dispatcher it belongs to (k42/vp.h) */
	struct k42_vp *move_to;		/* k42_thread_migrate: where it goes */
	int wait;			/* K42_WAIT_* while blocked */
	int full;			/* saved state is `regs` (+ vsx), not ctx */
	int detached;
	uint64_t id;
	uint64_t run_start;		/* timebase when last dispatched */
	k42_thread_fn fn;
	void *arg, *retval;
	struct k42_thread *joiner;
	struct k42_thread *wnext;	/* wait lists (sync objects, fault list) */
	int timed_out;
	int mutex_handed;		/* a mutex was handed to it (sync.c) */
	int mutex_queued;		/* on a mutex's wait queue (sync.c) */
	uint64_t mutex_since;		/* timebase when it first queued there */
	uint64_t fault_token, fault_va;
	void *tls;
	void *tls_keys[K42_TLS_KEYS];
	void *block;			/* the allocation holding stack and descriptor */
	size_t block_size;
	struct k42_timer sleep_timer;
	uint64_t serve[9];		/* an incoming call being served here: caller, op, w0..w5, handle */
	uint32_t act;			/* hot swap: 1 + generation of the served call it runs (0: none) */
	struct k42_ipc_msg ipc_msg;	/* this thread's message (k42_ipc_msg_get) */
	uint64_t ipc_timeout_tb;	/* bound on this thread's calls (0: none) */
	uint64_t async_handle;		/* K42_WAIT_IPC: the call whose reply we wait for */
	uint64_t async_res[8];		/* its reply: status, page length, w0..w5 */
	int async_done;
	uint64_t grant_va, grant_len, grant_prot;	/* k42_ipc_grant: for the next call */
	struct k42_user_regs regs;	/* interrupted state (full) */
	uint8_t vsx[K42_VSX_AREA] __attribute__((aligned(16)));
	/* Kept across reuse from the free list (not cleared by k42_thread_alloc). */
	uint8_t *ipc_page;		/* K42_IPC_PAGE_BYTES of message data, on first use */
};

typedef struct k42_thread k42_thread_t;

struct k42_thread_attr {
	size_t stack_size;	/* 0: K42_THREAD_STACK */
	int prio;		/* -1: inherit the creator's */
	uint32_t tickets;	/* 0: 100 */
	int detached;
};
#define K42_THREAD_STACK (16 * 1024)

k42_thread_t *k42_thread_create(k42_thread_fn fn, void *arg);
k42_thread_t *k42_thread_create_attr(k42_thread_fn fn, void *arg, const struct k42_thread_attr *a);
__attribute__((noreturn)) void k42_thread_exit(void *ret);
int k42_thread_join(k42_thread_t *t, void **ret);
void k42_thread_detach(k42_thread_t *t);
void k42_thread_yield(void);
void k42_thread_sleep_until(uint64_t deadline_tb);
void k42_thread_sleep_us(uint64_t us);
void k42_thread_set_prio(k42_thread_t *t, int prio);	/* applies at its next enqueue */

/* The running thread: r13 holds it (the kernel preserves r13). */
#ifdef __powerpc64__
static inline k42_thread_t *k42_thread_self(void)
{
	k42_thread_t *t;

	__asm__("mr %0, 13" : "=r"(t));
	return t;
}
#else
k42_thread_t *k42_thread_self(void);	/* host tests of the policies */
#endif

/* Thread-local storage: one pointer per thread, and a few keyed slots. */
static inline void *k42_tls_get(void) { return k42_thread_self()->tls; }
static inline void k42_tls_set(void *p) { k42_thread_self()->tls = p; }
int k42_tls_key_create(void);	/* a key < K42_TLS_KEYS, or -K42_EAGAIN */
static inline void *k42_tls_key_get(int k) { return k42_thread_self()->tls_keys[k]; }
static inline void k42_tls_key_set(int k, void *p) { k42_thread_self()->tls_keys[k] = p; }

/* Low level, for sync objects and other runtimes; call with upcalls
 * disabled (k42_disable_save). block_self returns, still disabled, once
 * another party called k42_thread_wake on it. */
void k42_thread_block_self(int why);
void k42_thread_wake(k42_thread_t *t);

/* Threads whose saved state is a whole register set, resumed with
 * disp_resume: the Linux personality's threads (program code, not C
 * functions of this library). Called from a handler (disabled):
 *  - new_full: a ready thread that starts as regs, with the caller's
 *    current FP/VSX registers;
 *  - park_full: the running thread's state becomes regs (and the live
 *    FP/VSX registers); it blocks (why = K42_WAIT_*, woken later with
 *    k42_thread_wake) or, with why = 0, stays ready; another runs;
 *  - end_current: the running thread ends; another runs. */
k42_thread_t *k42_thread_new_full(const struct k42_user_regs *regs);
/* Every other thread of the calling dispatcher stops for good (ready or
 * blocked; never run again, never freed): for a program image that is
 * replaced in place (the Linux personality's execve). How many. */
long k42_threads_drop_others(void);
__attribute__((noreturn)) void k42_thread_park_full(const struct k42_user_regs *regs, int why);
__attribute__((noreturn)) void k42_thread_end_current(void);

/* Counters: threads alive (not yet joined or detached-and-ended). */
extern uint64_t k42_threads_alive, k42_threads_created;

/* Switch cost: n switches between two threads without a scheduler
 * (k42_ctx_switch), or n yields through the current policy (each yield
 * switches to the other thread). Return the timebase ticks taken, or 0 if
 * the other thread did not run between every pair of switches. */
uint64_t k42_thread_switch_bench(uint64_t n);
uint64_t k42_thread_yield_bench(uint64_t n);

#endif
