/*
 * Private interfaces between the parts of libk42's runtime (dispatcher
 * upcalls, threads, scheduler glue, timers, IPC). Everything here runs on
 * the process's one dispatcher; "disabled" means upcalls are disabled.
 */
#ifndef LIBK42_INTERNAL_H
#define LIBK42_INTERNAL_H

#include <k42/k42.h>

/* switch.S */
void k42_ctx_switch(struct k42_ctx *old, struct k42_ctx *new_);
__attribute__((noreturn)) void k42_ctx_load(struct k42_ctx *new_);
__attribute__((returns_twice)) int k42_ctx_save(struct k42_ctx *old);
__attribute__((noreturn)) void k42_idle(void);
__attribute__((noreturn)) void k42_on_upcall_stack(void (*fn)(void *), void *arg);
void k42_vsx_save(void *area);
void k42_vsx_restore(const void *area);
void k42_thread_trampoline(void);
extern char k42_idle_end[];
extern uint64_t k42_upcall_top;

/* The running thread (NULL in the idle loop and in handlers run there). */
extern struct k42_thread *k42_current;
/* Non-zero while handler code (message handlers, timer callbacks,
 * k42_serve handlers) runs: nothing may block then. */
extern int k42_in_handler;

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

/* sched.c: the policy in force, wrapped to keep the ready count. */
extern const struct k42_sched_ops *k42_sched;
extern uint64_t k42_nready;
void k42_sched_start(void);
static inline void k42_sched_enqueue(struct k42_thread *t)
{
	t->state = K42_T_READY;
	k42_nready++;
	k42_sched->enqueue(t);
}
static inline struct k42_thread *k42_sched_pick(void)
{
	struct k42_thread *t = k42_sched->pick_next();

	if (t) {
		k42_nready--;
		t->run_start = k42_timebase();
	}
	return t;
}

/* Start taking calls (ipc.c; registers the IPC entry point). */
extern int k42_ipc_is_open;
void k42_ipc_open(void);

/* The next thread; with none, and calls not yet taken, the program is
 * past its set-up: start taking them (k42_ipc_open) and look again. */
struct k42_thread *k42_sched_pick_or_open(void);

/* thread.c */
void k42_threads_init(struct k42_thread *main_thread);
void k42_thread_recycle(struct k42_thread *t);
/* Switch away from me (already queued, blocked or done); returns when me
 * runs again, still disabled. */
void k42_reschedule(struct k42_thread *me);
struct k42_thread *k42_thread_alloc(size_t stack_size);
void k42_thread_setup(struct k42_thread *t, void (*start)(struct k42_thread *));

/* Wait lists for events, woken whole by the drain. */
extern struct k42_thread *k42_child_waiters, *k42_fault_waiters;
void k42_wake_list(struct k42_thread **list);

/* sync.c: wait on q (disabled, in a thread) until woken or the deadline
 * (0: none) passes: 0 or -K42_ETIMEDOUT; wake every waiter of q. */
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
/* Take the replies to our async calls the kernel kept (K42_SOFTINTR_REPLY). */
void k42_ipc_collect_all(void);
/* The call being served is answered elsewhere: its path must not reply. */
void k42_ipc_taken(void);
/* Run the program's handler on a call (update.c serves held calls). */
void k42_ipc_run_handler(uint64_t caller, struct k42_ipc_msg *m);

/* update.c: live update (docs/hot-swap.md). While `holding`, calls to the
 * program are held; `inflight` counts the program's running handlers. */
struct k42_ipc_caller;
extern int k42_update_holding;
/* Set once a commit is answered: the process ends after that reply. */
extern int k42_update_ending;
extern uint64_t k42_update_inflight;
/* Hold call h (its request in m): 1 if held. */
int k42_update_hold(uint64_t caller, const struct k42_ipc_msg *m, uint64_t h);
/* Serve a call of idl/update.idl (h: its handle). */
void k42_update_handle(const struct k42_ipc_caller *who, struct k42_ipc_msg *m, uint64_t h);
/* runtime.c: register our entry points, the IPC-call one if with_ipc. */
void k42_register_entries(int with_ipc);

/* timer.c */
extern struct k42_timerheap k42_timers;

#endif
