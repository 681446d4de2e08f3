/*
 * libk42: the library every native k42 process links. This header is its
 * public face for programs: console output, kernel figures, the program
 * loader, the boot archive, and the dispatcher runtime's hooks. Threads,
 * schedulers, timers, synchronization and malloc have their own headers,
 * included from here. docs/libk42.md describes the runtime.
 */
#ifndef K42_K42_H
#define K42_K42_H

#include <stddef.h>
#include <stdint.h>
#include <k42/device.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <k42/syscalls.h>
#include <k42/alloc.h>
#include <k42/sched.h>
#include <k42/sync.h>
#include <k42/thread.h>
#include <k42/timer.h>
#include <k42/startup.h>
#include <k42/services.h>
#include <k42/vp.h>

/* Console output through the kernel (debug_write). */
int k42_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void k42_puts(const char *s);

/* The shared page of the dispatcher the caller runs on: the kernel keeps
 * its address in SPRG3, which user mode reads as SPR 259 (docs/smp.md). */
static inline struct k42_disp_shared *k42_disp(void)
{
#ifdef __powerpc64__
	uint64_t va;

	__asm__ volatile("mfspr %0, 259" : "=r"(va));
	return (struct k42_disp_shared *)va;
#else
	return (struct k42_disp_shared *)K42_DISP_VA;
#endif
}

/* The PPC page of the dispatcher the caller runs on (each has its own,
 * as many pages above K42_PPC_PAGE_VA as its shared page is above
 * K42_DISP_VA). */
static inline void *k42_ppc_page(void)
{
	return (void *)(K42_PPC_PAGE_VA + ((uint64_t)k42_disp() - K42_DISP_VA));
}

static inline uint64_t k42_info(uint64_t what)
{
	return (uint64_t)k42_sc_sys_info(what);
}

static inline uint64_t k42_timebase(void)
{
	uint64_t t;

	__asm__ volatile("mftb %0" : "=r"(t));
	return t;
}

/* Enable/disable upcalls (events arriving while disabled stay pending).
 * Enabling handles what arrived meanwhile. Disabling also keeps the
 * user-level scheduler from switching threads. */
void k42_enable(void);
void k42_disable(void);
/* Nestable form: returns the previous state for k42_restore. */
static inline int k42_disable_save(void)
{
	struct k42_disp_shared *sh = k42_disp();
	int was = (int)sh->disabled;

	sh->disabled = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return was;
}
void k42_enable_slow(void);
static inline void k42_restore(int was)
{
	struct k42_disp_shared *sh = k42_disp();

	if (was)
		return;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	sh->disabled = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (sh->pending)
		k42_enable_slow();
}

/* Servers: handle incoming PPCs with fn; it fills the reply in *m (status in
 * m->op) and returns. k42_serve calls fn on the upcall stack with upcalls
 * disabled (fast; fn must not block). k42_serve_threads calls it on a
 * fresh thread from a free list, enabled, and fn may block (mutexes,
 * sleeps, calls to other servers): further calls keep arriving, each on
 * its own thread (the kernel holds up to K42_IPC_CALLS_PER_SERVER calls
 * per server). See docs/writing-a-server.md. */
typedef void (*k42_ipc_handler)(uint64_t caller, struct k42_ipc_msg *m);
void k42_serve(k42_ipc_handler fn);
void k42_serve_threads(k42_ipc_handler fn);
/* In handler mode, queued calls and the server's own ready threads take
 * turns of at most a slice each while calls keep coming (docs/libk42.md,
 * "Calls and threads"); this counts the threads' turns so begun. */
extern uint64_t k42_ipc_threads_turns;
/* Also serve the calls that t's register-level entries answer (stubgen's
 * <iface>_regs, <k42/ipc.h>) by those entries, each called with the
 * caller {pid, 0, rights}, in place of the handler: for a program whose
 * handler passes that interface's calls to <iface>_dispatch with that
 * caller and does nothing else for them. Used only where the lean
 * handler-mode path applies (k42_serve, one dispatcher, no swappable
 * objects, no live update, nothing pending; docs/writing-a-server.md);
 * every other call still reaches the handler. One interface per program:
 * 0, or -K42_EBUSY if another one's entries are registered already,
 * or -K42_EINVAL for libk42's own interfaces or a table with an empty
 * slot (fn NULL) whose op word is not ~0. NULL unregisters. */
long k42_serve_regs(const struct k42_ipc_regs *t, uint64_t rights);
/* Soft-interrupt bits 32..62 raised by other processes (softintr_raise);
 * bit 63 is libk42's own "reschedule" nudge. Called disabled. */
#define K42_SOFTINTR_RESCHED (1ull << 63)
typedef void (*k42_softintr_handler)(uint64_t bits);
void k42_on_user_softintr(k42_softintr_handler fn);
/* Reflected system calls (disp_reflect, docs/kernel-interface.md): fn runs
 * on the upcall stack, disabled, with the caller's registers in
 * k42_disp()->saved, and resumes the caller itself (never returns). */
void k42_on_reflected_syscall(void (*fn)(void));
/* Exceptions of a process whose calls are reflected (K42_ENTRY_TRAP):
 * fn runs like the syscall handler, with the program's registers in
 * k42_disp()->saved, and never returns. r3..r7 of the upcall: vector, pc,
 * and for an access it had no right to, the address, K42_TRAP_FAULT_* and
 * the access. Without one, the process ends with a line. */
typedef void (*k42_trap_handler)(uint64_t vector, uint64_t pc, uint64_t addr, uint64_t code,
				 uint64_t access);
void k42_on_reflected_trap(k42_trap_handler fn);
/* In a child made as a copy-on-write clone of its parent (mem_cow_all),
 * started at a function of the program: make the runtime work there. */
long k42_fork_child_init(void);
/* One-way messages (K42_SOFTINTR_MSG), including the kernel's page-ins. */
typedef void (*k42_msg_handler)(const struct k42_msg *m);
void k42_on_messages(k42_msg_handler fn);

/* A PPC call with the page bytes in the PPC page itself (m->page is set to
 * it; the stubs' k42_ipc_call takes them from any m->page, see
 * k42_ipc_msg_get); returns the status. A call to a busy or disabled
 * server waits in the kernel's queue, never refused for that. `tries` is
 * unused (kept for source compatibility). */
long k42_call(uint64_t target, struct k42_ipc_msg *m, int tries);

/* Calls that do not stop the other threads: k42_ipc_call_wait makes the
 * call asynchronously (ppc_call_async) with m->page as the call's buffer
 * (never the PPC page: use k42_ipc_msg_get), and blocks only the calling
 * thread until the reply arrives (at K42_ENTRY_IPC_RETURN, or collected
 * after K42_SOFTINTR_REPLY). Outside a thread it is k42_ipc_call. Every
 * k42_ipc_call (so every stub) from a thread of a process that has other
 * threads goes this way unless the thread set a timeout. The counters
 * say how replies arrived. */
long k42_ipc_call_wait(uint64_t target, struct k42_ipc_msg *m);
extern uint64_t k42_ipc_async_calls, k42_ipc_return_upcalls, k42_ipc_collected;

/* Bulk data by reference (docs/kernel-interface.md): k42_ipc_grant lends
 * [buf, buf + len) of our memory (up to K42_IPC_GRANT_MAX) to the server of
 * the calling thread's next call, for that call only; prot is K42_PROT_READ
 * and/or K42_PROT_WRITE, what the server may do with it. The server reads
 * and writes it with k42_ipc_grant_read/write on the call's handle
 * (k42_ipc_handle(): the call the calling thread or handler is serving).
 * These return 0 or the kernel's refusal (-K42_EINVAL past the grant,
 * -K42_EACCES against its protection, -K42_EDEAD once the caller is gone). */
void k42_ipc_grant(const void *buf, uint64_t len, unsigned prot);
uint64_t k42_ipc_handle(void);
long k42_ipc_grant_read(uint64_t handle, uint64_t off, void *dst, uint64_t len);
long k42_ipc_grant_write(uint64_t handle, uint64_t off, const void *src, uint64_t len);

/* Deferred replies (thread mode): a handler that cannot answer yet takes
 * its call's handle with k42_ipc_defer() and returns; it is not answered
 * then. Later any thread answers it with k42_ipc_reply(handle, m) (m's
 * status, words and m->len bytes of m->page). k42_ipc_reply returns 0, or
 * -K42_EDEAD when the caller has gone, or -K42_EBADH for a handle that
 * names no call of ours. */
uint64_t k42_ipc_defer(void);
/* Bound the calling thread's calls (k42_call and every stub): a call that
 * has no reply after `us` microseconds is withdrawn and returns
 * -K42_ETIMEDOUT (0: wait for ever, the default). Returns the previous
 * bound. The kernel checks at its tick (10 ms at 100 Hz). */
uint64_t k42_ipc_set_timeout_us(uint64_t us);
long k42_ipc_reply(uint64_t handle, struct k42_ipc_msg *m);

/* Count of out-of-core faults reflected to this process, and completed. */
extern volatile uint64_t k42_pgflt_reflected, k42_pgflt_completed;

/* The boot archive: init's, or one shared with K42_SPAWN_SHARE_ARCHIVE
 * (mapped at K42_INITRD_VA). k42_initrd_bytes is 0 without one. */
int k42_initrd_find(const char *name, const void **data, uint64_t *size);
uint64_t k42_initrd_bytes(void);

/* Load an ELF image as a new process and start it with r3 = arg; returns
 * its pid. */
long k42_spawn(const void *elf, uint64_t len, const char *name, unsigned prio, uint64_t arg);
/* Spawn a program from the boot archive, r3 = arg. */
long k42_spawn_path(const char *path, unsigned prio, uint64_t arg);

/* Spawning with a startup block (<k42/startup.h>): the child's main gets
 * argc and finds k42_argc, k42_argv (argv[0] is the program's name by
 * convention) and k42_name_server set. argv ends with NULL; it may be
 * NULL for no arguments. */
#define K42_SPAWN_SHARE_ARCHIVE 0x1u	/* share our boot archive read-only */
#define K42_SPAWN_NO_FDS        0x2u	/* pass no descriptors (docs/files.md) */
struct k42_spawn_opts {
	const char *const *argv;
	unsigned prio;			/* K42_PRIO_* class */
	uint64_t name_server;		/* pid to pass on; usually k42_name_server */
	unsigned flags;			/* K42_SPAWN_* */
	uint64_t privileges;		/* K42_PRIV_* to grant before it runs (none inherited) */
	unsigned quota_percent;		/* 1..99: its tree gets that share of each of our
					 * K42_QUOTA_* limits; 0: it shares ours */
};
/* What a child is given beyond k42_spawn_opts, before it runs: the PCI
 * ids it may drive (dev_grant; K42_DEV_ID, 0 ends the list) and, with
 * cred set, its user and group ids (proc_cred; we need uid 0). */
struct k42_spawn_grant {
	uint32_t devices[K42_DEV_GRANTS];
	int cred;
	uint32_t uid, gid;
};
long k42_spawn_argv(const char *path, const char *const argv[], unsigned prio,
		    uint64_t name_server_pid);
long k42_spawn_image_argv(const void *elf, uint64_t len, const char *name,
			  const char *const argv[], unsigned prio, uint64_t name_server_pid);
long k42_spawn_ex(const void *elf, uint64_t len, const char *name, const struct k42_spawn_opts *o);
long k42_spawn_path_ex(const char *path, const struct k42_spawn_opts *o);
long k42_spawn_path_grant(const char *path, const struct k42_spawn_opts *o,
			  const struct k42_spawn_grant *g);
long k42_spawn_ex_grant(const void *elf, uint64_t len, const char *name,
			const struct k42_spawn_opts *o, const struct k42_spawn_grant *g);
/* Wait until child pid has ended (other threads run meanwhile); returns
 * its K42_PROC_* state, *status set. */
int k42_wait(uint64_t pid, int *status);

/* The program: arg is r3 as the parent passed it, or argc when the parent
 * passed a startup block. */
int main(uint64_t arg);

#endif
