/*
 * The Linux personality's shared declarations: the layout of a Linux
 * process on k42, the reflected-call arguments, Linux errno values, and
 * the interfaces between the personality's parts (loader, memory, files,
 * processes). The personality runs inside the Linux process, in its
 * dispatcher's upcall context (disabled), beside the unmodified binary.
 */
#ifndef LX_H
#define LX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <k42/k42.h>
#include "lx_syscalls.h"

/*
 * Address-space layout of a Linux process. The binary goes where it was
 * linked (below LX_MMAP_BASE); the personality itself is linked at
 * LX_PERSONALITY_BASE (meson.build) and user pointers at or above
 * LX_USER_LIMIT are refused with EFAULT, so a Linux call never scribbles
 * over the personality through a pointer argument.
 */
#define LX_MMAP_BASE        0x0000010000000000ul	/* anonymous/file mmaps grow up from here */
#define LX_STACK_TOP        0x00000c0000000000ul
#define LX_STACK_SIZE       (8ul << 20)
/* execve's limits, Linux's for an 8 MiB stack: the strings of argv and
 * envp with their pointers up to a quarter of the stack (what
 * sysconf(_SC_ARG_MAX) says), each string up to 128 KiB (MAX_ARG_STRLEN). */
#define LX_ARG_MAX          (LX_STACK_SIZE / 4)
#define LX_ARG_STRLEN       (128ul << 10)
#define LX_USER_LIMIT       0x00000d0000000000ul
#define LX_PERSONALITY_BASE 0x00000e0000000000ul
/* libk42's heap (alloc_k42.c) and pipe-buffer window (fs_pipe.c), which
 * lie below LX_USER_LIMIT: refused to the program (lx_reserved). */
#define LX_HEAP_BASE        0x0000020000000000ul
#define LX_HEAP_END         0x0000030000000000ul
#define LX_PIPES_BASE       0x0000080000000000ul
#define LX_PIPES_END        0x0000088000000000ul
int lx_reserved(uint64_t va, uint64_t len);

/* Linux errno values (asm-generic, as ppc64 uses them). */
#define LX_EPERM 1
#define LX_ENOENT 2
#define LX_ESRCH 3
#define LX_EINTR 4
#define LX_EIO 5
#define LX_ENXIO 6
#define LX_E2BIG 7
#define LX_ENOEXEC 8
#define LX_EBADF 9
#define LX_ECHILD 10
#define LX_EAGAIN 11
#define LX_ENOMEM 12
#define LX_EACCES 13
#define LX_EFAULT 14
#define LX_EBUSY 16
#define LX_EEXIST 17
#define LX_EXDEV 18
#define LX_ENODEV 19
#define LX_ENOTDIR 20
#define LX_EISDIR 21
#define LX_EINVAL 22
#define LX_ENFILE 23
#define LX_EMFILE 24
#define LX_ENOTTY 25
#define LX_ENOSPC 28
#define LX_EFBIG 27
#define LX_ESPIPE 29
#define LX_EROFS 30
#define LX_EPIPE 32
#define LX_ERANGE 34
#define LX_ENAMETOOLONG 36
#define LX_ENOSYS 38
#define LX_ENOTEMPTY 39
#define LX_ELOOP 40
#define LX_EMSGSIZE 90
#define LX_EOPNOTSUPP 95

/* A reflected call: Linux number and arguments (r0, r3..r8), and the
 * caller's whole register set for the calls that need it (fork, execve,
 * signals). */
struct lx_args {
	uint64_t nr;
	uint64_t a[6];
	struct k42_user_regs *regs;
};

/* A handler's result: a value, or -LX_E*. LX_REGS_SET: the handler wrote
 * the whole register set itself (execve), nothing more to encode. */
#define LX_REGS_SET (-4096 - 1)

struct lx_syscall {
	const char *name;
	long (*fn)(struct lx_args *a);
	int blocks;	/* may wait (syscalls.tbl "+block"): runs on its thread */
};
extern const struct lx_syscall lx_syscalls[LX_NSYSCALLS];

/* k42 error (negative) to Linux error (negative). */
static inline long lx_err(long k42rc)
{
	return (k42rc < 0 && k42rc >= -38) ? k42rc : (k42rc < 0 ? -LX_EIO : k42rc);
}

/* Checked copies of Linux user memory (kernel mem_read/mem_write on
 * ourselves): a bad pointer gives -LX_EFAULT, never a fault. */
long lx_copy_in(void *dst, uint64_t uva, uint64_t len);
long lx_copy_out(uint64_t uva, const void *src, uint64_t len);
/* A NUL-terminated string of at most max-1 bytes; -LX_ENAMETOOLONG past that. */
long lx_copy_str(char *dst, uint64_t uva, uint64_t max);

/* The process's Linux state. */
struct lx_proc {
	uint64_t pid, ppid, pgid, sid;
	uint64_t root;			/* the first Linux process of this tree: signals
					 * are taken from it and its descendants */
	uint64_t robust_list;
	char comm[16];
	uint64_t brk_start, brk_cur, brk_mapped;
	uint64_t mmap_next;
	char exe[256];			/* path of the running binary */
	char cmdline[1024];		/* its arguments, each ending in NUL (/proc/PID/cmdline;
					 * cut inside the argument that does not fit) */
	uint32_t cmdline_len;
	uint32_t umask;
	uint64_t env_start, env_end;	/* the environment's strings on the Linux stack (/proc/self/environ) */
};
extern struct lx_proc lx;
/* The working directory as the program sees it (inside its root), NUL
 * included: its length, or -LX_E* (names.c). */
long lx_cwd(char *buf, size_t n);
/* A resource limit (sys.c): 0, or -LX_EINVAL past the last. */
int lx_rlimit_get(int res, uint64_t *cur, uint64_t *max);

/* Memory regions the personality made for the Linux program (mm.c). */
struct lx_vma {
	uint64_t va, len;
	unsigned prot;
	uint64_t sid, sbase;	/* MAP_SHARED: its id and where it began (futex_shared.c) */
};
#define LX_MAX_VMAS 8192
/* Our mappings and where brk's heap lies: one record. */
struct lx_mmrec {
	int32_t nvmas;
	uint32_t pad;
	uint64_t brk_start, brk_mapped;
	struct lx_vma vmas[LX_MAX_VMAS];
};
/* The block that other processes of our user may read (mem_expose,
 * lx_mm_expose): their /proc/PID/maps of us (procmaps.c). The
 * personality is at the same address in every Linux process, so the
 * block is too. `live` is the record the personality keeps; while
 * execve replaces the image (gen odd, lx_mm_hold) readers are shown
 * `before`, the old image's record, so they never see the emptied or
 * half-built one. A fork's child gets the block with the kernel's copy
 * of our memory, exposed as ours (mem_cow_all). */
struct lx_mmview {
	uint32_t gen;		/* odd while execve replaces the image */
	uint32_t pad;
	struct lx_mmrec live, before;
};
extern struct lx_mmview lx_mmview;
#define lx_vmas (lx_mmview.live.vmas)
#define lx_nvmas (lx_mmview.live.nvmas)
/* execve: show readers the old image's record (hold) until the new one
 * is complete (release). */
void lx_mm_hold(void);
void lx_mm_release(void);
/* Expose lx_mmview (at start, in a fork's child). */
void lx_mm_expose(void);
long lx_map_anon(uint64_t va, uint64_t len, unsigned prot);
/* The futex key of uaddr if it is in a shared mapping (1), else 0. */
int lx_vma_shared_key(uint64_t uaddr, uint64_t *sid, uint64_t *off);

/* The tree's process table (ptab.c): what /proc shows of other Linux
 * processes of the tree. */
#define LX_PTAB 0x00000d9000000000ul	/* above LX_USER_LIMIT */
struct lx_pentry {
	uint32_t pid, seq;		/* seq: odd while its process rewrites it */
	uint32_t pgid, sid;
	uint32_t nthreads, cmdline_len;
	int32_t nice;			/* its nice value (setpriority, renice) */
	int32_t vfork;			/* a vfork child's state (LX_VFORK_*, proc.c) */
	uint64_t start_tb;		/* timebase at its fork (or first start) */
	uint64_t vsize;			/* bytes of its mappings */
	uint64_t cutime_tb, cstime_tb;	/* CPU time of the children it reaped (cputime.c) */
	uint32_t stop_sig;		/* stopped by this signal (job control), 0: running */
	uint32_t stop_gen, cont_gen;	/* stops and continues so far (wait4 WUNTRACED, WCONTINUED) */
	uint32_t fork_child;		/* the child of its last fork, until its next call (proc.c) */
	uint64_t caps[5];		/* its capability sets (caps.c, lx_caps_get) */
	uint64_t sigblk, sigign, sigcgt;	/* blocked, ignored and caught signals (lx_sig_sets) */
	char exe[256];
	char cmdline[1024];
};
void lx_ptab_init(void);
void lx_ptab_publish(void);
void lx_ptab_forked(uint64_t child);
void lx_ptab_vsize(void);
int lx_ptab_get(uint64_t pid, struct lx_pentry *out);
int lx_ptab_nice(uint64_t pid, int *v);
int lx_ptab_set_nice(uint64_t pid, int v);
/* A vfork child's state in pid's entry (proc.c): runs before its execve,
 * is ending before it (its parent takes its stack), is let end. */
enum { LX_VFORK_NONE, LX_VFORK_RUNNING, LX_VFORK_ENDING, LX_VFORK_TAKEN };
int lx_ptab_vfork(uint64_t pid);
void lx_ptab_set_vfork(uint64_t pid, int v);
/* The tree's node (0) and domain (1) names once set (sethostname). */
int lx_ptab_uts_get(int which, char *out);
int lx_ptab_uts_set(int which, const char *name, size_t len);
/* Our reaped children's CPU time into our entry (cputime.c). */
void lx_ptab_cputimes(uint64_t cu, uint64_t cs);
/* We stopped by sig (job control), or continued (0) (signal.c). */
void lx_ptab_stop(int sig);
/* Our blocked, ignored and caught signals changed (signal.c). */
void lx_ptab_sigs(void);

/* CPU time (cputime.c), timebase ticks. */
void lx_cpu_self(uint64_t *u, uint64_t *s);
void lx_cpu_children(uint64_t *u, uint64_t *s);
void lx_cpu_forked(void);
/* RLIMIT_CPU's soft and hard limits, seconds (~0: none); a fork's child's watch. */
void lx_cpu_limit(uint64_t soft, uint64_t hard);
void lx_cpu_limit_forked(void);
void lx_cpu_reaped(uint64_t pid, uint64_t *u, uint64_t *s);
uint64_t lx_cpu_clock_ticks(uint64_t tb);
long lx_rusage_out(uint64_t uva, uint64_t u, uint64_t s);
int lx_cpu_clock(int64_t clk, uint64_t *tb);
/* Our own nice value as sched.c keeps it (ptab.c: a new entry's). */
int lx_nice_local(void);

/* Futexes between processes (futex_shared.c). */
#define LX_FUTEX_TABLE 0x00000d8000000000ul	/* above LX_USER_LIMIT */
long lx_futex_shared_id(uint64_t *sid);
long lx_futex_shared_wait(uint64_t sid, uint64_t off, uint64_t uaddr, uint32_t val,
			  uint32_t bits, uint64_t deadline);
long lx_futex_shared_wake(uint64_t sid, uint64_t off, uint32_t bits, uint64_t n);
long lx_unmap_all(void);

/* Loader (exec.c): replace the Linux image with path; on success does not
 * return (the new program runs). argv/envp are personality memory. */
long lx_exec(const char *path, char *const argv[], char *const envp[]);

/* Files (fs.c, names.c over libk42's file layer; lxfs.h). */
void lx_fs_init(void);
/* Read len bytes at off of file fd into user memory (private file mmaps). */
long lx_fs_read_at(int fd, uint64_t uva, uint64_t len, uint64_t off);
/* execve: close the close-on-exec descriptors; exit: close them all. */
void lx_fs_exec(void);
void lx_fs_close_all(void);
/* Executables in the boot archive (archive.c): path (against the current
 * directory, archive symlinks followed) to its entry and archive name. */
struct cpio_entry;
long lx_archive_find(const char *path, char *name, size_t nlen, struct cpio_entry *e);

uint64_t lx_random64(void);
/* Sleep in the kernel (disabled) until an event or at most `ticks` of
 * the timebase; handles what is pending. Returns 1 if a signal is now
 * deliverable (the blocking call should end with EINTR). */
int lx_wait_event(uint64_t ticks);

/* CLOCK_REALTIME: the Unix time when the timebase read 0, from the
 * machine's clock (the kernel's K42_INFO_EPOCH, read once at start; 0 if
 * the machine has none), plus the time since (and file times likewise). */
extern int64_t lx_epoch;
#define LX_BOOT_EPOCH lx_epoch

/* Threads and futexes (thread.c). */
long lx_thread_clone(struct lx_args *a);
uint32_t lx_gettid(void);
int lx_own_tid(uint64_t tid);
void lx_threads_forked(void);
void lx_threads_exec(void);
/* lx_sigmask := the calling thread's own mask (thread.c). */
void lx_sigmask_load(void);
extern int lx_sigmask_unowned;
void lx_set_clear_tid(uint64_t uaddr);
long lx_futex_wake(uint64_t uaddr, uint64_t n);
extern int lx_nthreads;
/* Signals per thread (thread.c): a process signal's futex waiters leave
 * their wait; sig pending for thread tid (0: the caller) alone. */
void lx_threads_signal(uint64_t bit);
long lx_thread_raise(uint64_t tid, int sig, int wanted);
uint64_t lx_thread_pending(void);
void lx_thread_unpend(uint64_t bits, int every);
extern int lx_tpending_any;

/* A call that may block, run on its thread (entry.c) when the process has
 * several: the thread's own personality stack, registers, VSX state and
 * bounce buffer, kept from call to call (thread.c). */
#define LX_BOUNCE (64 * 1024)
struct lx_tcall {
	struct k42_user_regs regs;
	int active;			/* a call runs on it now */
	uint8_t vsx[K42_VSX_AREA] __attribute__((aligned(16)));
	uint8_t bounce[LX_BOUNCE];
	uint8_t stack[64 * 1024] __attribute__((aligned(16)));
};
/* The bounce buffer (LX_BOUNCE bytes) of the call running now: its
 * thread's for a call on its thread, else the handler's (fs.c). */
uint8_t *lx_bounce(void);
/* The calling thread's (allocated on first use); NULL if none. */
struct lx_tcall *lx_thread_tcall(void);
/* The running thread's while one of its calls runs on it, else NULL. */
struct lx_tcall *lx_tcall_active(void);
/* libk42's switch to another stack (switch.S; noreturn). */
__attribute__((noreturn)) void k42_on_stack(uint64_t top, void (*fn)(void *), void *arg);
/* libk42's running thread on the caller's dispatcher (internal to it;
 * k42/vp.h gives personalities its address). */
#define k42_current (*k42_vp_current_slot())

/* Signals (signal.c). */
void lx_signal_init(void);
void lx_signal_exec(void);
/* fork: the child starts without the parent's interval timer (itimer.c). */
void lx_itimer_forked(void);
void lx_sig_raise(int sig);
/* The same from a timer's callback: taken at once if the program was
 * interrupted in its own code (signal.c). */
void lx_sig_raise_async(int sig);
/* sig for one thread of ours (tid; 0: the caller); -LX_ESRCH if none. */
long lx_sig_raise_thread(uint64_t tid, int sig);
/* Nothing pending and no SIGCHLD handler: a call's way back does nothing
 * (answers.c may let the kernel answer). */
int lx_sig_quiet(void);
/* answers.c: the calls the kernel answers (disp_answer). */
void lx_answers_init(void);
void lx_answers_threads(void);
void lx_answers_sync(void);
void lx_answers_off(void);
/* sig to a process we may not raise soft interrupts on (signal.c). */
long lx_sig_send(uint64_t pid, int sig);
int lx_sig_deliverable(void);
int lx_sig_restarts(void);
int lx_sig_stopping(void);
void lx_sig_deliver(struct k42_user_regs *regs);
void lx_sig_forked(void);
/* caps.c: prctl's capability options (-LX_ENOSYS: not one); execve. */
long lx_caps_prctl(struct lx_args *a);
void lx_caps_exec(void);
/* Our capability sets as /proc/PID/status lists them: inheritable,
 * permitted, effective, bounding, ambient. */
void lx_caps_get(uint64_t c[5]);
/* Whether capability cap (Linux's number) is in our effective set. */
#define LX_CAP_SYS_ADMIN 21
int lx_capable(int cap);
/* Our capability sets changed: into our table entry (ptab.c). */
void lx_ptab_caps(void);
/* The child we have just forked (0: we went on past the fork), and
 * whether ppid is still in its fork of child (ptab.c). */
void lx_ptab_fork_child(uint64_t child);
int lx_ptab_in_fork(uint64_t ppid, uint64_t child);
/* While our last fork's child waits for us to go on: that fork's number
 * (1, 2, ...), else 0 (proc.c). */
extern uint64_t lx_fork_waits;
void lx_fork_went_on(void);
/* sched.c: personality(PER_LINUX32) in force (uname's machine). */
int lx_persona_linux32(void);
extern uint64_t lx_sigmask;
/* /proc status's signal sets, bit sig-1 for each signal: the calling
 * thread's pending, the process's pending, blocked (the calling
 * thread's), ignored and caught (a handler set). */
enum { LX_SIGSET_PND, LX_SIGSET_SHD, LX_SIGSET_BLK, LX_SIGSET_IGN, LX_SIGSET_CGT, LX_SIGSETS };
void lx_sig_sets(uint64_t out[LX_SIGSETS]);
/* uname's fields (sys.c), also /proc/sys/kernel's (procsys.c). */
struct lx_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
extern const struct lx_utsname lx_uts;
/* uname's fields now: lx_uts with the tree's names once set (sys.c). */
void lx_uts_now(struct lx_utsname *u);
/* RLIMIT_FSIZE's soft limit in bytes (sys.c; ~0: none). */
extern uint64_t lx_fsize_limit;
/* Exit: end the targets of our SIGKILLs still running (proc.c). */
void lx_kills_flush(void);
/* SIGCHLD for children that ended since the last look (proc.c). */
void lx_children_poll(void);
int lx_sig_nocldwait(void);
void k42_vsx_save(void *area);
void k42_vsx_restore(const void *area);

/* Signals from other processes arrive as soft-interrupt bits
 * LX_SOFTINTR_SIG << sig (signal.c). */
#define LX_SOFTINTR_SIG K42_SOFTINTR_USER0

/* libk42 internals the personality uses (not in <k42/k42.h>): handle
 * what is pending, disabled; the runtime's last word. */
void k42_drain(void);
#define k42_in_handler (*k42_vp_handler_slot())
/* libk42's last word (internal to it, not in <k42/k42.h>). */
__attribute__((noreturn)) void k42_fatal(const char *why);

/* Resume the Linux program with regs (does not return). */
__attribute__((noreturn)) void lx_resume(struct k42_user_regs *regs);

/* String helpers the freestanding libc lacks (str.c). */
char *strcpy(char *restrict dst, const char *restrict src);
char *strcat(char *restrict dst, const char *restrict src);

/* Log once per process: an unimplemented call's name. */
void lx_log_enosys(uint64_t nr);

#endif
