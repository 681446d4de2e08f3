/*
 * The dispatcher's shared page: the contract between the kernel and the
 * user-level scheduler in libk42. Mapped at K42_DISP_VA in every process.
 *
 * Protocol (docs/kernel-interface.md has the whole of it):
 *  - `disabled` is written by user code; while it is non-zero the kernel
 *    never upcalls the dispatcher: events are left pending and the
 *    dispatcher's context is resumed exactly where it was.
 *  - The kernel enters the dispatcher at one of the K42_ENTRY_* points, and
 *    always sets `disabled` = 1 first. If it had to interrupt running user
 *    code to do so, that code's registers are in `saved` and `saved_valid`
 *    is 1; user code must take them and clear `saved_valid` before it
 *    clears `disabled`.
 *  - `pending` holds soft-interrupt bits the kernel sets (K42_SOFTINTR_*);
 *    user code clears the ones it handled (atomically).
 */
#ifndef K42_DISPATCHER_H
#define K42_DISPATCHER_H

#include <stdint.h>
#include <k42/disp_offsets.h>
/* struct k42_trace_buf, without the writer (an includer that wants the
 * writer includes <k42/trace.h> again, or its layer's wrapper). */
#ifdef K42_TRACE_NO_WRITER
#include <k42/trace.h>
#else
#define K42_TRACE_NO_WRITER
#include <k42/trace.h>
#undef K42_TRACE_NO_WRITER
#endif

/* Entry points, the index into the table given to disp_init. */
#define K42_ENTRY_RUN        0	/* scheduled with nothing in particular to report */
#define K42_ENTRY_SOFTINTR   1	/* soft-interrupt bits are pending */
#define K42_ENTRY_TRAP       2	/* a user exception (program check, ...), r3 = vector */
/* K42_ENTRY_TRAP of a process whose calls are reflected (disp_reflect),
 * for an access it has no right to: r3 = vector (0x300/0x380 data,
 * 0x400/0x480 instruction), r4 = pc, r5 = address, r6 = one of these,
 * r7 = the access (K42_PROT_READ/WRITE/EXEC). Other processes are ended. */
#define K42_TRAP_FAULT_MAPPING 1	/* nothing mapped there (or a kernel address) */
#define K42_TRAP_FAULT_ACCESS  2	/* mapped, without the right asked for */
#define K42_ENTRY_PGFLT      3	/* a page fault went out of core: r3 = address, r4 = token */
#define K42_ENTRY_IPC_CALL   4	/* an incoming PPC: r3 = caller pid, r4 = op, r5..r10, r11 = handle */
#define K42_ENTRY_IPC_RETURN 5	/* a reply to a ppc_call_async: r3 = handle, r4 = status, r5 = len, r6..r11 = w0..w5 */
#define K42_ENTRY_IPC_RETRY  6	/* unused since calls are queued (was: retry a refused call) */
#define K42_ENTRY_SYSCALL    7	/* a reflected `sc` (disp_reflect): the caller's registers are in `saved` */
#define K42_ENTRY_COUNT      8

/* Soft-interrupt bits. */
#define K42_SOFTINTR_TIMER    (1ull << 0)	/* the dispatcher's timer expired */
#define K42_SOFTINTR_MSG      (1ull << 1)	/* one-way messages are queued in msgs[] */
#define K42_SOFTINTR_PGFLT    (1ull << 2)	/* out-of-core faults completed: see pgflt_done[] */
#define K42_SOFTINTR_CHILD    (1ull << 3)	/* a child process ended */
#define K42_SOFTINTR_RETRY    (1ull << 4)	/* unused since calls are queued */
#define K42_SOFTINTR_CALL     (1ull << 5)	/* calls are queued for us: take them with ppc_accept */
#define K42_SOFTINTR_PEER     (1ull << 6)	/* a process sharing memory with us (mem_share) ended */
#define K42_SOFTINTR_REPLY    (1ull << 7)	/* replies to our async calls wait: take them with ppc_collect */
#define K42_SOFTINTR_TICK     (1ull << 8)	/* a clock tick came while it ran enabled with want_tick set */
#define K42_SOFTINTR_USER0    (1ull << 32)	/* bits 32..63 are free for user protocols */
#define K42_SOFTINTR_IO       (1ull << 62)	/* libk42: a pipe or server changed state (docs/files.md) */

struct k42_user_regs {
	uint64_t gpr[32];
	uint64_t nip;
	uint64_t lr;
	uint64_t ctr;
	uint64_t cr;
	uint64_t xer;
};

#define K42_DISP_MSGS 32
/* Ring slots only the kernel may fill (page-in requests): ppc_send stops
 * at K42_DISP_MSGS - K42_DISP_MSGS_KERNEL queued messages. */
#define K42_DISP_MSGS_KERNEL 8
#define K42_DISP_PGFLT_DONE 32

/* Messages from the kernel itself have sender 0 and one of these ops. */
#define K42_MSG_FR_PAGEIN 0xffffff0000000001ull	/* w0 = fr, w1 = file id, w2 = offset */
/* A dirty page of a writable FR the file FCM wants to evict: take it back
 * with fr_ctl(K42_FR_CTL_PULL) (same words). Sent once per dirtying. */
#define K42_MSG_FR_PAGEOUT 0xffffff0000000002ull

/* fr_ctl ops (abi/syscalls.tbl; only the FR's server): */
#define K42_FR_CTL_WRITABLE 0	/* mappers may map the file writable */
#define K42_FR_CTL_PULL     1	/* (offset, buf, npages): copy the first dirty page in
				 * [offset, +npages) to buf, clean it; returns its offset
				 * (-K42_ENOENT: none) */
#define K42_FR_CTL_PUSH     2	/* (offset, buf, len): write into the resident page
				 * holding offset (len within it); 1 written, 0 not resident */
#define K42_FR_CTL_DROP     3	/* (offset): drop resident pages from offset on */

/* disp_answer ops (abi/syscalls.tbl): the caller's own table of reflected
 * calls the kernel answers (docs/kernel-interface.md). */
#define K42_ANSWER_CLEAR  0	/* (nr): forget nr's answer (-K42_ENOENT: none) */
#define K42_ANSWER_SET    1	/* (nr, value): answer nr with value (-K42_ENOSPC: table full) */
#define K42_ANSWER_OFF    2	/* every reflected call goes to the dispatcher again */
#define K42_ANSWER_ON     3	/* the table answers again */
#define K42_ANSWERS_MAX   8

struct k42_msg {
	uint64_t sender;	/* pid, set by the kernel */
	uint64_t op;
	uint64_t w[6];
};

struct k42_disp_shared {
	volatile uint64_t disabled;
	volatile uint64_t pending;
	volatile uint64_t saved_valid;
	struct k42_user_regs saved;
	uint64_t pid;			/* this process, for information */
	uint64_t now_tb;		/* timebase when the kernel last entered us */
	/* One-way messages: the kernel writes at msg_head, user reads at msg_tail. */
	volatile uint64_t msg_head, msg_tail;
	struct k42_msg msgs[K42_DISP_MSGS];
	/* Tokens of out-of-core faults whose data arrived (ring, like msgs). */
	volatile uint64_t pgflt_head, pgflt_tail;
	uint64_t pgflt_done[K42_DISP_PGFLT_DONE];
	/* Kernel statistics for this dispatcher. */
	uint64_t upcalls, preemptions;
	/* Written by user code before ppc_call: the longest the call may wait
	 * for its reply, in timebase ticks (0: no limit). When it passes, the
	 * call is withdrawn and returns -K42_ETIMEDOUT (a server that took it
	 * finds -K42_EDEAD when it replies). */
	volatile uint64_t call_timeout_tb;
	/* Written by user code before ppc_call or ppc_call_async: a grant of
	 * [call_grant_va, call_grant_va + call_grant_len) of our memory to the
	 * server for the duration of that call, which it may read
	 * (K42_PROT_READ in call_grant_prot) or write (K42_PROT_WRITE) with
	 * ppc_grant_copy. The kernel takes it with the call and clears
	 * call_grant_len (0: no grant). */
	volatile uint64_t call_grant_va, call_grant_len, call_grant_prot;
	/* The CPU this dispatcher runs on, or last ran on (written by the
	 * kernel; for information, e.g. which CPU's trace ring to log into:
	 * by the time it is used the dispatcher may have moved). */
	volatile uint64_t cpu;
	/* Written by the kernel only. K42_VECTOR_USED: set (never cleared)
	 * on every dispatcher of the process once any of them has used the
	 * FP, VMX or VSX registers, and inherited by new dispatchers and by a
	 * fork's child (mem_cow_all). While it is clear no thread of the
	 * process has FP or vector state to keep, so libk42's thread switch
	 * skips those registers (switch.S). K42_VECTOR_QUAD, only while
	 * K42_VECTOR_USED is clear (the word is 0, K42_VECTOR_USED or
	 * K42_VECTOR_QUAD, never both bits: the switch tells them apart
	 * with one signed compare): one CPU is online, so quadword loads and
	 * stores (lq/stq) cost what two doublewords do; with more, QEMU's
	 * multi-threaded TCG may run each one with every other vCPU
	 * stopped, and the switch uses doublewords (docs/performance.md). */
	volatile uint64_t vector_used;
	/* A wake-up folded into our next kernel entry: a pid on which the
	 * kernel rings K42_SOFTINTR_IO (as softintr_raise would) before it
	 * does anything else for us, and before we can leave the CPU. On a
	 * uniprocessor the wakee cannot run before that entry anyway, so
	 * libk42 sets it (with a compare-and-swap from 0) instead of making a
	 * kernel call of its own (docs/files.md, "Pipes"). */
	volatile uint64_t defer_io;
	/* This dispatcher's view of the trace ring of the CPU it runs on
	 * (<k42/ktrace.h>): the control page and ring as mapped in this
	 * process, and their geometry. Written by the kernel when the
	 * dispatcher is made and whenever it changes CPU (a dispatcher moved
	 * in between logs that event into its old CPU's ring, which is
	 * harmless); all zero if the kernel has no trace buffers. Only this
	 * process's own writes go by it, so it is ours to scribble on. */
	struct k42_trace_buf trace_buf;
	/* Written by user code: non-zero asks for K42_SOFTINTR_TICK at every
	 * clock tick (or other timer interrupt) that finds this dispatcher
	 * running enabled, so it may end a user-level thread's slice. libk42
	 * sets it while threads wait ready beside a running one. */
	volatile uint64_t want_tick;
};
_Static_assert(sizeof(struct k42_disp_shared) <= 4096, "the shared page is one page");
/* Its offset, for assembly (<k42/disp_offsets.h>). */
_Static_assert(__builtin_offsetof(struct k42_disp_shared, vector_used) == K42_DISP_VECTOR_USED,
	       "k42/disp_offsets.h is out of date");

#endif
