/*
 * Private interfaces between the parts of libk42's runtime (dispatcher
 * upcalls, threads, scheduler glue, timers, IPC). "Disabled" means upcalls
 * are disabled on the dispatcher the code runs on.
 *
 * Several dispatchers (struct k42_vp, k42/vp.h) run the process's threads
 * at once, each on its CPU. What belongs to one dispatcher (its running
 * thread, handler depth, timers, fault waiters) is touched only there,
 * disabled. What another dispatcher may touch is locked, and the locks
 * are always taken disabled, in this order (docs/smp.md):
 *   k42_sync_lock (sync objects, join, child waiters, IPC waiter lists)
 *     -> a dispatcher's `lock` (its policy instance and ready count; one
 *        at a time, except the swap, which holds only one at a time too)
 *     -> k42_threads_lock (thread free list).
 * (malloc's pools are per dispatcher; alloc.c has its own locks.)
 */
#ifndef LIBK42_INTERNAL_H
#define LIBK42_INTERNAL_H

#include <k42/k42.h>

/* switch.S */
void k42_ctx_switch(struct k42_ctx *old, struct k42_ctx *new_);
__attribute__((noreturn)) void k42_ctx_load(struct k42_ctx *new_);
__attribute__((returns_twice)) int k42_ctx_save(struct k42_ctx *old);
void k42_vsx_save(void *area);
void k42_vsx_restore(const void *area);
void k42_thread_trampoline(void);
__attribute__((noreturn)) void k42_idle_loop(uint64_t upcall_top, struct k42_disp_shared *sh);
extern char k42_idle_end[];
__attribute__((noreturn)) void k42_on_stack(uint64_t top, void (*fn)(void *), void *arg);

/* A spinlock between dispatchers; take it disabled only. */
static inline void k42_spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
}
static inline void k42_spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}
extern int k42_sync_lock, k42_threads_lock;

/* One dispatcher of the process (vp.c). */
struct k42_vp {
	struct k42_disp_shared *shared;
	uint32_t index, cpu;
	int started;
	int lock;				/* policy instance, nready */
	const struct k42_sched_ops *sched;	/* its policy */
	void *sched_state;			/* its instance: one of state[] */
	uint64_t nready;			/* ready threads its policy holds */
	int idle;				/* in (or entering) the idle loop */
	/* Touched only on this dispatcher: */
	struct k42_thread *current;		/* running thread (NULL: idle, handlers there) */
	int in_handler;				/* handler code runs: nothing may block */
	struct k42_thread *fault_waiters;	/* out-of-core faults (runtime.c) */
	struct k42_timerheap timers;		/* timer.c */
	uint64_t timer_armed;			/* deadline its kernel timer holds, 0 if none */
	uint64_t upcall_top;
	struct k42_thread *reap;		/* ended here, recycled once off its stack */
	/* Handler-mode calls queued for us (K42_SOFTINTR_CALL), found by a
	 * drain of k42_dispatch and served after it (ipc.c). */
	int calls_droppable;			/* the running drain may leave them */
	int calls_waiting;			/* it did */
	uint64_t handler_call;			/* the call a handler serves (its handle; ipc.c) */
	uint64_t state[2][K42_SCHED_STATE_MAX / 8] __attribute__((aligned(16)));
	/* Turns of queued handler-mode calls and ready threads (calls_turn.c). */
	int threads_turn;			/* the threads' turn, until turn_end */
	uint64_t turn_end;			/* end of the turn under way (0: none) */
	struct k42_timer turn_timer;		/* marks the end of the threads' turn */
};
extern struct k42_vp k42_vps[K42_VPS_MAX];

/* The dispatcher the caller runs on (SPRG3: its shared page). */
static inline struct k42_vp *k42_vp_self(void)
{
	return &k42_vps[((uint64_t)k42_disp() - K42_DISP_VA) / K42_PAGE_SIZE];
}

/* The running thread (NULL in the idle loop and in handlers run there). */
#define k42_current (k42_vp_self()->current)
/* Non-zero while handler code (message handlers, timer callbacks,
 * k42_serve handlers) runs: nothing may block then. */
#define k42_in_handler (k42_vp_self()->in_handler)
#define k42_fault_waiters (k42_vp_self()->fault_waiters)
#define k42_timers (k42_vp_self()->timers)
#define k42_upcall_top (k42_vp_self()->upcall_top)
/* Activations (<k42/hotswap.h>, hotswap.c), inline for the IPC path
 * (ipc.c), which knows its slot: a thread's `act`, or k42_handler_act
 * outside threads. Counted in the generation that is still current after
 * the count is visible: a swap that flips it meanwhile either sees us or
 * we see its flip and count again in the new one. */
extern uint32_t k42_act_gen, k42_handler_act;
extern uint64_t k42_act_count[2];
static inline uint32_t k42_act_enter_at(uint32_t *slot, uint32_t *prev)
{
	uint32_t g;

	/* One full fence between our count and the generation's second
	 * read: the swap flips the generation and then reads the count,
	 * both seq_cst, so if that read misses our count we see its flip
	 * (and the fence orders the count before all we do next). */
	for (;;) {
		g = __atomic_load_n(&k42_act_gen, __ATOMIC_RELAXED) & 1;
		__atomic_fetch_add(&k42_act_count[g], 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if ((__atomic_load_n(&k42_act_gen, __ATOMIC_RELAXED) & 1) == g)
			break;
		__atomic_fetch_sub(&k42_act_count[g], 1, __ATOMIC_RELAXED);
	}
	*prev = *slot;
	*slot = g + 1;
	return g;
}

static inline void k42_act_exit_at(uint32_t *slot, uint32_t g, uint32_t prev)
{
	*slot = prev;
	/* (Release: what the activation did is done before the swap that
	 * waits for this count sees it drop.) */
	__atomic_fetch_sub(&k42_act_count[g], 1, __ATOMIC_RELEASE);
}

/* Idle (runtime.c): the idle loop on the upcall stack, unless work came. */
__attribute__((noreturn)) void k42_idle(void);
/* vp.c: dispatcher 0's state, at program start (top: its upcall stack). */
void k42_vps_init(uint8_t *top);
void k42_vps_forked(void);
static inline void k42_on_upcall_stack(void (*fn)(void *), void *arg) __attribute__((noreturn));
static inline void k42_on_upcall_stack(void (*fn)(void *), void *arg)
{
	k42_on_stack(k42_upcall_top, fn, arg);
}

/* runtime.c */
__attribute__((noreturn)) void k42_dispatch(void);
__attribute__((noreturn)) void k42_run(struct k42_thread *t);
void k42_drain(void);
/* The interrupted context in the shared page becomes the running thread's
 * saved state (NULL: none, or the idle loop). */
struct k42_thread *k42_take_saved(void);
__attribute__((noreturn)) void k42_fatal(const char *why);
/* Handle what is pending, then resume t (if any) or run another thread. */
__attribute__((noreturn)) void k42_resume_or_switch(struct k42_thread *t);

/* sched.c: the policy in force (for dispatchers started later), and the
 * per-dispatcher operations, each under the dispatcher's lock. */
extern const struct k42_sched_ops *k42_sched;
#define k42_nready (k42_vp_self()->nready)
void k42_sched_start(void);
void k42_sched_vp_init(struct k42_vp *v);
/* t becomes READY on dispatcher v (its own, or another: then v is
 * kicked if it idles). */
void k42_vp_enqueue(struct k42_vp *v, struct k42_thread *t);
static inline void k42_sched_enqueue(struct k42_thread *t)
{
	k42_vp_enqueue(k42_vp_self(), t);
}
struct k42_thread *k42_sched_pick(void);
/* The running thread t becomes BLOCKED (why: K42_WAIT_*) in its policy. */
void k42_sched_block(struct k42_thread *t, int why);
int k42_sched_tick(struct k42_thread *cur, uint64_t ran);
/* Kick dispatcher v if it idles (after giving it work). */
void k42_vp_poke(struct k42_vp *v);

/* Start taking calls (ipc.c; registers the IPC entry point). */
extern int k42_ipc_is_open;
void k42_ipc_open(void);

/* The next thread; with none, and calls not yet taken, the program is
 * past its set-up: start taking them (k42_ipc_open) and look again. */
struct k42_thread *k42_sched_pick_or_open(void);

/* thread.c */
void k42_threads_init(struct k42_thread *main_thread);
void k42_thread_recycle(struct k42_thread *t);
/* t ended on this dispatcher while running on its own stack: recycle it
 * once the dispatcher has left that stack (k42_thread_reap, from
 * k42_dispatch); until then no other dispatcher may reuse it. */
void k42_thread_reap_later(struct k42_thread *t);
void k42_thread_reap(void);
/* Switch away from me (already queued, blocked or done); returns when me
 * runs again, still disabled. */
void k42_reschedule(struct k42_thread *me);
struct k42_thread *k42_thread_alloc(size_t stack_size);
void k42_thread_setup(struct k42_thread *t, void (*start)(struct k42_thread *));

/* Switch away from me like k42_reschedule and block it, then release
 * *lock (held, as k42_sync_lock): a waker that takes the lock after us
 * finds me blocked. Returns once woken, disabled, lock not held. */
void k42_thread_block_unlock(int why, int *lock);

/* Wait lists for events, woken whole by the drain (child_waiters under
 * k42_sync_lock; fault waiters are per dispatcher). */
extern struct k42_thread *k42_child_waiters;
void k42_wake_list(struct k42_thread **list);

/* sync.c: wait on q (disabled, in a thread, k42_sync_lock held; returns
 * without it) until woken or the deadline (0: none) passes: 0 or
 * -K42_ETIMEDOUT; wake every waiter of q (takes k42_sync_lock). */
int k42_waitq_wait(struct k42_waitq *q, uint64_t deadline);
void k42_waitq_wake_all(struct k42_waitq *q);

/* iowait.c: K42_SOFTINTR_PEER arrived: a process sharing memory with us
 * ended (pipes re-check who holds their ends). */
void k42_peer_gone(void);
/* iowait.c: K42_SOFTINTR_IO arrived (disabled, from the drain). */
void k42_io_event(void);
/* fs.c: adopt the descriptors a parent passed in the startup block. */
void k42_fs_inherit(uint64_t blob, uint64_t len);

/* ipc.c */
void k42_ipc_dispatch_msgs(void);
/* Take the calls the kernel queued while we were disabled. */
void k42_ipc_accept_all(void);
/* K42_SOFTINTR_CALL seen by the drain: take the calls now, or, from the
 * outermost drain of k42_dispatch (droppable) in handler mode, leave them
 * for k42_ipc_serve_queued. */
void k42_ipc_calls_arrived(int droppable);
/* k42_dispatch, on the upcall stack with no thread held: serve the
 * handler-mode calls left by the drain, each reply leaving us idle when
 * nothing else is (it may then not return: the kernel enters us afresh). */
void k42_ipc_serve_queued(void);
/* calls_turn.c: may queued handler-mode calls be served now (else it is
 * the threads' turn)? After each one served: is the calls' turn over (1:
 * the rest wait, calls_waiting set, and a timer marks the end of the
 * threads' turn)? `held`: the caller holds a thread that waits besides
 * the ready ones (the interrupted one, or the one on whose stack an
 * inline drain serves calls). */
int k42_calls_may_serve(struct k42_vp *v, int held);
int k42_calls_turn_over(struct k42_vp *v, int held);
/* Take the replies to our async calls the kernel kept (K42_SOFTINTR_REPLY). */
void k42_ipc_collect_all(void);
/* ipc.c, for ipc_async.c: hand the calling thread's (or handler's) grant
 * to the kernel's shared page for the next call; a call out through the
 * PPC page, copying the message in and out. */
void k42_ipc_grant_out(void);
long k42_ipc_call_copy(uint64_t target, struct k42_ipc_msg *m);
/* The call being served is answered elsewhere: its path must not reply. */
void k42_ipc_taken(void);
/* Does the program serve each call on its own thread (k42_serve_threads)? */
int k42_ipc_threaded(void);
/* hotswap.c: serve a call of idl/swap.idl. */
void k42_swap_handle(const struct k42_ipc_caller *who, struct k42_ipc_msg *m);
/* ipc.c, for ipc_regs.c: answer call h as the runtime does (idle: and
 * wait idle in the kernel), and is iface one libk42 answers itself? */
long k42_ipc_reply_on(struct k42_vp *v, uint8_t *ppc, uint64_t h, struct k42_ipc_msg *m, int idle);
int k42_ipc_lib_iface(uint32_t iface);
/* Run the program's handler on a call (update.c serves held calls). */
void k42_ipc_run_handler(uint64_t caller, struct k42_ipc_msg *m);

/* Why a call must take the full runtime path (ipc.c, k42_on_ipc_call)
 * rather than the lean handler-mode entry (k42_on_ipc_call_lean): any bit
 * set. Each is set by the code that starts what it names, before that can
 * meet a call, and cleared (if ever) by the code that ends it. */
#define K42_IPC_FULL_MODE   1u	/* thread mode, or no handler yet (ipc.c) */
#define K42_IPC_FULL_VPS    2u	/* a second dispatcher was started (vp.c) */
#define K42_IPC_FULL_SWAP   4u	/* swappable objects: activations count (hotswap.c) */
#define K42_IPC_FULL_UPDATE 8u	/* a live update holds our calls, or has ended us (update.c) */
extern uint32_t k42_ipc_full;
/* The register-level entries registered (k42_serve_regs), and the same
 * table while k42_ipc_full is 0, NULL otherwise: the one word the entry
 * stub tests (ipc_regs.c). A bit set clears it first; the last bit cleared
 * sets it again, disabled, so no call in between (it would run on this
 * dispatcher, the only one while the word is 0) finds it stale. */
struct k42_ipc_regs;
extern const struct k42_ipc_regs *k42_ipc_regs_fast, *k42_ipc_regs_tab;
static inline void k42_ipc_full_set(uint32_t bit, int on)
{
	if (on) {
		__atomic_store_n(&k42_ipc_regs_fast, (const struct k42_ipc_regs *)0, __ATOMIC_SEQ_CST);
		__atomic_or_fetch(&k42_ipc_full, bit, __ATOMIC_SEQ_CST);
	} else {
		int s = k42_disable_save();

		if (__atomic_and_fetch(&k42_ipc_full, ~bit, __ATOMIC_SEQ_CST) == 0)
			__atomic_store_n(&k42_ipc_regs_fast, k42_ipc_regs_tab, __ATOMIC_SEQ_CST);
		k42_restore(s);
	}
}

/* update.c: live update (docs/hot-swap.md). While `holding`, calls to the
 * program are held; k42_act_count (<k42/hotswap.h>) counts the program's
 * running handlers. */
struct k42_ipc_caller;
extern int k42_update_holding;
/* Set once a commit is answered: the process ends after that reply. */
extern int k42_update_ending;
/* Hold call h (its request in m): 1 if held. */
int k42_update_hold(uint64_t caller, const struct k42_ipc_msg *m, uint64_t h);
/* Serve a call of idl/update.idl (h: its handle). */
void k42_update_handle(const struct k42_ipc_caller *who, struct k42_ipc_msg *m, uint64_t h);
/* runtime.c: register our entry points, the IPC-call one if with_ipc. */
void k42_register_entries(int with_ipc);
void k42_register_vp_entries(int with_ipc);

/* timer.c: the calling dispatcher's timers (k42_timers is its heap). */

#endif
