/*
 * The dispatcher runtime: program start, and the kernel's entry points
 * (run, soft interrupt, trap, page fault, IPC return/retry; IPC calls are
 * in ipc.c). Every handler runs on the upcall stack with upcalls
 * disabled. An interrupted context in the shared page becomes the
 * running thread's saved state; then the pending events are handled
 * (messages, timers, fault completions, retry and child notices), and the
 * user-level scheduler decides what runs: the interrupted thread again
 * (resumed with disp_resume(1), which re-enables atomically and makes the
 * kernel deliver whatever arrived meanwhile), another thread, or the idle
 * loop (switch.S), which blocks in the kernel enabled.
 *
 * Every dispatcher of the process (vp.c) enters here, on its own upcall
 * stack; the per-dispatcher state (running thread, handler depth, fault
 * waiters, timers) is its struct k42_vp, found through SPRG3.
 */
#include <string.h>
#include <k42/ktrace.h>
#include "internal.h"
#include <k42/fs.h>

#define UPCALL_STACK_SIZE (64 * 1024)

void k42_entry_run(void), k42_entry_softintr(void), k42_entry_trap(void),
	k42_entry_pgflt(void), k42_entry_ipc_call(void), k42_entry_ipc_return(void),
	k42_entry_ipc_retry(void), k42_entry_syscall(void);
void k42_start(uint64_t arg, uint64_t arg2, uint64_t arg3);
void k42_on_run(void);
void k42_on_softintr(void);
void k42_on_trap(uint64_t vector, uint64_t pc, uint64_t addr, uint64_t code, uint64_t access);
void k42_on_pgflt(uint64_t va, uint64_t token);
void k42_on_syscall(void);
void k42_idle_wake(void);

static uint8_t upcall_stack[UPCALL_STACK_SIZE] __attribute__((aligned(16)));
static struct k42_thread main_thread;
static k42_softintr_handler user_handler;
static void (*syscall_handler)(void);
static k42_trap_handler trap_handler;
uint64_t k42_initrd_size;
volatile uint64_t k42_pgflt_reflected, k42_pgflt_completed;
struct k42_thread *k42_child_waiters;
int k42_sync_lock;
static char *no_args[1];
int k42_argc;
char **k42_argv = no_args;
uint64_t k42_name_server;
static uint64_t startup_fds, startup_fds_len;	/* inherited descriptors */

void k42_on_user_softintr(k42_softintr_handler fn)
{
	user_handler = fn;
}

void k42_on_reflected_syscall(void (*fn)(void))
{
	syscall_handler = fn;
}

void k42_on_reflected_trap(k42_trap_handler fn)
{
	trap_handler = fn;
}

/* A reflected `sc` (disp_reflect): the personality handles it and resumes
 * the caller itself; without one the process cannot go on. */
void k42_on_syscall(void)
{
	if (syscall_handler)
		syscall_handler();
	k42_fatal("reflected system call with no personality to handle it");
}

void k42_fatal(const char *why)
{
	k42_printf("libk42: process %lu: %s\n", k42_info(K42_INFO_PID), why);
	k42_sc_exit(125);
	for (;;)
		;
}

void k42_disable(void)
{
	k42_disp()->disabled = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void k42_enable(void)
{
	k42_restore(0);
}

/* Enabled with events pending: handle them here, on the running thread,
 * and let the policy decide whether it keeps the processor. */
void k42_enable_slow(void)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_thread *me = k42_current;

	while (sh->pending) {
		sh->disabled = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		k42_drain();
		if (me && !k42_in_handler && k42_nready &&
		    k42_sched_tick(me, k42_timebase() - me->run_start)) {
			k42_sched_enqueue(me);
			k42_reschedule(me);
		}
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		sh->disabled = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

void k42_wake_list(struct k42_thread **list)
{
	struct k42_thread *t, *next;

	k42_spin_lock(&k42_sync_lock);
	t = *list;
	*list = NULL;
	k42_spin_unlock(&k42_sync_lock);
	for (; t; t = next) {
		next = t->wnext;
		t->wnext = NULL;
		k42_thread_wake(t);
	}
}

/* Out-of-core faults whose page arrived: their threads retry the access. */
static void pgflt_completions(void)
{
	struct k42_disp_shared *sh = k42_disp();

	while (sh->pgflt_tail != sh->pgflt_head) {
		uint64_t tok = sh->pgflt_done[sh->pgflt_tail % K42_DISP_PGFLT_DONE] & ~(1ull << 63);
		struct k42_thread **pp = &k42_fault_waiters, *t;

		__atomic_store_n(&sh->pgflt_tail, sh->pgflt_tail + 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&k42_pgflt_completed, 1, __ATOMIC_RELAXED);
		while ((t = *pp) != NULL) {
			if (t->fault_token == tok) {
				*pp = t->wnext;
				t->wnext = NULL;
				k42_thread_wake(t);
			} else {
				pp = &t->wnext;
			}
		}
	}
}

/* Handle everything pending (disabled); returns once nothing is. */
void k42_drain(void)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_vp *v = k42_vp_self();
	uint64_t bits;
	int fired = 0, droppable = v->calls_droppable;

	v->calls_droppable = 0;	/* (a drain nested in a handler takes its calls) */
	k42_in_handler++;
	while ((bits = __atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL)) != 0) {
		if (bits & K42_SOFTINTR_MSG)
			k42_ipc_dispatch_msgs();
		if (bits & K42_SOFTINTR_PGFLT)
			pgflt_completions();
		if (bits & K42_SOFTINTR_TIMER)
			fired = 1;
		if (bits & K42_SOFTINTR_CHILD)
			k42_wake_list(&k42_child_waiters);
		if (bits & K42_SOFTINTR_CALL)
			k42_ipc_calls_arrived(droppable);
		if (bits & K42_SOFTINTR_REPLY)
			k42_ipc_collect_all();
		if (bits & K42_SOFTINTR_IO)
			k42_io_event();
		if (bits & K42_SOFTINTR_PEER)
			k42_peer_gone();
		/* (K42_SOFTINTR_TICK asks nothing of the drain: the upcall
		 * that brought it lets the policy end a slice, sched.c.) */
		bits &= ~K42_SOFTINTR_RESCHED & ~K42_SOFTINTR_IO & ~(K42_SOFTINTR_USER0 - 1);
		if (bits && user_handler)
			user_handler(bits);
	}
	/* Also catch deadlines the kernel has not reported yet (its timer
	 * bit reaches a running dispatcher only at its next kernel entry). */
	if (fired || k42_timers.n)
		k42_timers_run(k42_timebase(), fired);
	k42_in_handler--;
}

/* Run t (disabled, on any stack; the calling context is abandoned). */
void k42_run(struct k42_thread *t)
{
	struct k42_disp_shared *sh = k42_disp();

	k42_current = t;
	t->state = K42_T_RUNNING;
	if (t->full) {
		t->full = 0;
		k42_vsx_restore(t->vsx);
		memcpy(&sh->saved, &t->regs, sizeof(t->regs));
		sh->saved_valid = 1;
		k42_sc_disp_resume(1);
		k42_fatal("disp_resume failed");
	}
	k42_ctx_load(&t->ctx);
}

struct k42_thread *k42_sched_pick_or_open(void)
{
	struct k42_thread *t = k42_sched_pick();

	if (!t && !k42_ipc_is_open) {
		k42_ipc_open();
		t = k42_sched_pick();
	}
	return t;
}

/* Handle events, then run the next thread, or idle. */
void k42_dispatch(void)
{
	struct k42_thread *t;

	struct k42_vp *v = k42_vp_self();

	k42_thread_reap();	/* we are on the upcall stack: no thread's stack is in use */
	v->idle = 0;
	/* Nothing on this stack is needed any more: handler-mode calls are
	 * served after the drain, and may leave us idle (the PPC fast path
	 * then enters us directly for the next call). */
	v->calls_droppable = 1;
	k42_drain();
	/* (While threads are ready, calls and threads take turns: calls_turn.c.) */
	while (v->calls_waiting && k42_calls_may_serve(v, 0)) {
		k42_ipc_serve_queued();
		k42_drain();
	}
	t = k42_sched_pick_or_open();
	if (t)
		k42_run(t);
	k42_current = NULL;
	k42_idle();
}

/* Nothing to run: wait in the idle loop, unless another dispatcher gave
 * us a thread meanwhile (it kicks us only once it sees `idle`). */
void k42_idle(void)
{
	struct k42_vp *v = k42_vp_self();

	__atomic_store_n(&v->idle, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->nready, __ATOMIC_RELAXED)) {
		v->idle = 0;
		k42_dispatch();
	}
	k42_idle_loop(v->upcall_top, v->shared);
}

void k42_idle_wake(void)
{
	k42_vp_self()->idle = 0;
	k42_dispatch();
}

/* The interrupted context, if any, becomes the running thread's state. */
struct k42_thread *k42_take_saved(void)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_thread *t = k42_current;

	if (!sh->saved_valid)
		return NULL;
	if (sh->saved.nip >= (uint64_t)k42_idle_loop && sh->saved.nip < (uint64_t)k42_idle_end) {
		sh->saved_valid = 0;	/* the idle loop keeps no state */
		k42_vp_self()->idle = 0;
		return NULL;
	}
	if (!t)
		k42_fatal("interrupted context but no running thread");
	memcpy(&t->regs, &sh->saved, sizeof(t->regs));
	sh->saved_valid = 0;
	t->full = 1;
	/* Handlers and other threads may use FP/VSX before t runs again. */
	k42_vsx_save(t->vsx);
	return t;
}

__attribute__((noreturn)) void k42_resume_or_switch(struct k42_thread *t)
{
	struct k42_vp *v = k42_vp_self();

	v->calls_droppable = 1;
	k42_drain();
	if (v->calls_waiting && k42_calls_may_serve(v, t != NULL)) {
		/* Handler-mode calls came: served by k42_dispatch, t waits its
		 * turn (during the threads' turn they wait: calls_turn.c). */
		if (t)
			k42_sched_enqueue(t);
		k42_dispatch();
	}
	if (t) {
		if (!k42_nready || !k42_sched_tick(t, k42_timebase() - t->run_start))
			k42_run(t);
		k42_sched_enqueue(t);
	}
	k42_dispatch();
}

void k42_on_run(void)
{
	k42_resume_or_switch(k42_take_saved());
}

void k42_on_softintr(void)
{
	k42_resume_or_switch(k42_take_saved());
}

void k42_on_trap(uint64_t vector, uint64_t pc, uint64_t addr, uint64_t code, uint64_t access)
{
	if (trap_handler)
		trap_handler(vector, pc, addr, code, access);	/* does not return */
	k42_printf("libk42: process %lu: unhandled exception 0x%lx at pc 0x%lx\n",
		   k42_info(K42_INFO_PID), vector, pc);
	k42_sc_exit(128);
}

/* An access went out of core: the faulting thread waits for the page
 * (its registers are in the shared page); the others run. */
void k42_on_pgflt(uint64_t va, uint64_t token)
{
	struct k42_thread *t = k42_take_saved();

	if (!t)
		k42_fatal("reflected page fault outside any thread");
	__atomic_add_fetch(&k42_pgflt_reflected, 1, __ATOMIC_RELAXED);
	t->fault_token = token;
	t->fault_va = va;
	t->wnext = k42_fault_waiters;
	k42_fault_waiters = t;
	k42_sched_block(t, K42_WAIT_FAULT);
	k42_dispatch();
}

/* A startup block from our parent at `va` (<k42/startup.h>)? Only an
 * address inside our stack is read, and every pointer is checked to stay
 * inside the block, so a plain argument never misleads us. */
static int take_startup(uint64_t va)
{
	const struct k42_startup *b = (const struct k42_startup *)va;
	uint64_t end;

	if (va < K42_STACK_TOP - K42_STACK_SIZE || va > K42_STACK_TOP - sizeof(*b) || (va & 15))
		return 0;
	end = va + b->size;
	if (b->magic != K42_STARTUP_MAGIC || b->size > K42_STARTUP_MAX || end > K42_STACK_TOP ||
	    b->argc > K42_STARTUP_ARGS ||
	    sizeof(*b) + (b->argc + 1) * sizeof(uint64_t) > b->size)
		return 0;
	for (uint64_t i = 0; i < b->argc; i++) {
		uint64_t p = b->argv[i];

		if (p < va + sizeof(*b) || p >= end || !memchr((const void *)p, 0, end - p))
			return 0;
	}
	if (b->argv[b->argc] != 0)
		return 0;
	k42_argc = (int)b->argc;
	k42_argv = (char **)b->argv;
	k42_name_server = b->name_server;
	k42_initrd_size = b->archive_size;
	if (b->fds_len && b->fds_off >= sizeof(*b) && b->fds_off <= b->size &&
	    b->fds_len <= b->size - b->fds_off) {
		startup_fds = va + b->fds_off;
		startup_fds_len = b->fds_len;
	}
	return 1;
}

/* init's arguments: the kernel hands over the boot arguments after "--" as
 * one string on init's stack (r5); split it at spaces, argv[0] = "init". */
static void take_init_args(uint64_t va)
{
	static char *argv[K42_STARTUP_ARGS + 2];
	char *s = (char *)va;
	int n = 0;

	argv[n++] = (char *)"init";
	if (va >= K42_STACK_TOP - K42_STACK_SIZE && va < K42_STACK_TOP) {
		while (*s && n <= K42_STARTUP_ARGS) {
			while (*s == ' ')
				*s++ = '\0';
			if (!*s)
				break;
			argv[n++] = s;
			while (*s && *s != ' ')
				s++;
		}
	}
	argv[n] = NULL;
	k42_argc = n;
	k42_argv = argv;
}

static uint64_t entries[K42_ENTRY_COUNT] = {
	[K42_ENTRY_RUN] = (uint64_t)k42_entry_run,
	[K42_ENTRY_SOFTINTR] = (uint64_t)k42_entry_softintr,
	[K42_ENTRY_TRAP] = (uint64_t)k42_entry_trap,
	[K42_ENTRY_PGFLT] = (uint64_t)k42_entry_pgflt,
	[K42_ENTRY_IPC_CALL] = (uint64_t)k42_entry_ipc_call,
	[K42_ENTRY_IPC_RETURN] = (uint64_t)k42_entry_ipc_return,
	[K42_ENTRY_IPC_RETRY] = (uint64_t)k42_entry_ipc_retry,
	[K42_ENTRY_SYSCALL] = (uint64_t)k42_entry_syscall,
};

/* A process made by fork (a copy-on-write clone of its parent's memory,
 * started at a function of the program): register the entry points again,
 * since the kernel's dispatcher is new. Everything else is the parent's. */
long k42_fork_child_init(void)
{
	k42_vps_forked();
	k42_timers_forked();
	entries[K42_ENTRY_IPC_CALL] = k42_ipc_is_open ? (uint64_t)k42_entry_ipc_call : 0;
	return k42_sc_disp_init((uint64_t)entries, K42_ENTRY_COUNT, k42_upcall_top);
}

/* A dispatcher other than 0 (vp.c): the same entries, with incoming
 * calls only once k42_vp_serve_all asks for them (with_ipc). */
void k42_register_vp_entries(int with_ipc)
{
	uint64_t mine[K42_ENTRY_COUNT];

	memcpy(mine, entries, sizeof(mine));
	mine[K42_ENTRY_IPC_CALL] = with_ipc ? (uint64_t)k42_entry_ipc_call : 0;
	if (k42_sc_disp_init((uint64_t)mine, K42_ENTRY_COUNT, k42_upcall_top) < 0)
		k42_fatal("disp_init failed on a started dispatcher");
}

void k42_register_entries(int with_ipc)
{
	long rc;

	entries[K42_ENTRY_IPC_CALL] = with_ipc ? (uint64_t)k42_entry_ipc_call : 0;
	rc = k42_sc_disp_init((uint64_t)entries, K42_ENTRY_COUNT, k42_upcall_top);
	if (rc < 0) {
		k42_printf("libk42: disp_init failed: %s\n", k42_strerror(rc));
		k42_sc_exit(127);
	}
}

void k42_start(uint64_t arg, uint64_t arg2, uint64_t arg3)
{
	long rc;

	k42_vps_init(upcall_stack + sizeof(upcall_stack));
	k42_register_entries(0);
	if (arg == K42_INITRD_VA) {
		k42_initrd_size = arg2;	/* init: the kernel passed the boot archive */
		if (arg3)
			take_init_args(arg3);
	} else if (take_startup(arg))
		arg = (uint64_t)k42_argc;
	k42_threads_init(&main_thread);
	k42_sched_start();
	k42_enable();
	k42_fs_inherit(startup_fds, startup_fds_len);
	rc = main(arg);
	k42_fs_close_all();
	k42_sc_exit((uint64_t)rc);
}
