/*
 * The user address-space layout every k42 process shares with the kernel:
 * fixed addresses of the kernel-provided pages and the conventional places
 * for program, stack and boot archive. User addresses are below
 * K42_USER_TOP; everything from 0xc000000000000000 up is the kernel's and
 * faults in user mode.
 */
#ifndef K42_LAYOUT_H
#define K42_LAYOUT_H

#define K42_PAGE_SIZE       4096ul
#define K42_USER_BASE       0x0000000000010000ul	/* lowest mappable address */
#define K42_USER_TOP        0x0000100000000000ul	/* 16 TiB */

#define K42_PROGRAM_BASE    0x0000000010000000ul	/* where programs are linked */
#define K42_STACK_TOP       0x00000ff000000000ul	/* main stack grows down from here */
#define K42_STACK_SIZE      (1ul << 20)
#define K42_INITRD_VA       0x00000ffe00000000ul	/* the boot archive, in init only */
#define K42_DISP_VA         0x00000fff00000000ul	/* the dispatcher shared page */
#define K42_PPC_PAGE_VA     0x00000fff00010000ul	/* dispatcher 0's own PPC page */
/* A process's dispatchers (disp_create, docs/smp.md): number i has its
 * shared page at K42_DISP_VA + i pages and its PPC page at
 * K42_PPC_PAGE_VA + i pages; 0 is the process's own. */
#define K42_VPS_MAX         16
/* Tracing (docs/tracing.md): a read-only page whose first word is the
 * enabled-class mask and second the number of CPUs with a buffer
 * (K42_TRACE_INFO_*), then one trace control page per CPU (CPU c's at
 * K42_TRACE_CTL_VA + c pages) and one ring per CPU (CPU c's at
 * K42_TRACE_RING_VA + c << (K42_TRACE_RING_SHIFT + 3)), writable. */
#define K42_TRACE_VA        0x00000fff00100000ul
#define K42_TRACE_CPUS_MAX  64
#define K42_TRACE_CTL_VA    (K42_TRACE_VA + K42_PAGE_SIZE)
#define K42_TRACE_RING_VA   (K42_TRACE_VA + (1ul << 20))
#define K42_TRACE_INFO_MASK 0	/* words of the page at K42_TRACE_VA */
#define K42_TRACE_INFO_CPUS 1
#define K42_TRACE_BLOCK_SHIFT 9	/* 4 KiB blocks */
#define K42_TRACE_RING_SHIFT  17	/* 1 MiB ring */

/* Region protections (mem_map_*). */
#define K42_PROT_READ  0x1u
#define K42_PROT_WRITE 0x2u
#define K42_PROT_EXEC  0x4u
/* mem_map_anon only: a region that mem_cow_all (fork) shares with the
 * child instead of copying it (Linux MAP_SHARED|MAP_ANONYMOUS, pipes). */
#define K42_MAP_SHARED 0x100u

/* sys_info figures. */
#define K42_INFO_FREE_FRAMES  0
#define K42_INFO_TOTAL_FRAMES 1
#define K42_INFO_TIMEBASE_HZ  2
#define K42_INFO_TICKS        3
#define K42_INFO_PID          4
#define K42_INFO_PROCESSES    5	/* live processes */
#define K42_INFO_DEFERRED     6	/* objects waiting for quiescence */
#define K42_INFO_PRIVILEGES   7	/* the caller's K42_PRIV_* (k42/privilege.h) */
#define K42_INFO_IPC_CALLS    8	/* outstanding calls (call handles in use) */
#define K42_INFO_IPC_REFUSED  9	/* calls refused with -K42_EBUSY for lack of call state */
#define K42_INFO_KMEM_CACHED  10	/* frames kernel object caches keep for reuse */
#define K42_INFO_KMEM_OBJECTS 11	/* kernel objects allocated and not freed */
#define K42_INFO_CPUS_ONLINE  12	/* CPUs running (numbered 0 .. n-1) */
#define K42_INFO_CPU          13	/* the CPU the caller runs on */
#define K42_INFO_EPOCH        14	/* Unix time (s) when the timebase read 0, from the machine's clock; 0: unknown */
#define K42_INFO_PPC_FAST_CALLS   15	/* PPC calls handed over on the register-only fast path (all CPUs) */
#define K42_INFO_PPC_FAST_REPLIES 16	/* PPC replies handed back on it */
#define K42_INFO_PPC_ACCEPTS_UNLOCKED 17	/* ppc_accepts done without the kernel lock (all CPUs) */
#define K42_INFO_PPC_CROSS_REPLIES    18	/* replies to a caller on another CPU done without it */
#define K42_INFO_WAKES_UNLOCKED       19	/* softintr_raise and disp_kick done without it */
#define K42_INFO_PPC_FAST_STALE       20	/* dispatchers whose fast-entry word disagrees with their state (0) */
#define K42_INFO_PPC_FAST_C_CALLS     21	/* of K42_INFO_PPC_FAST_CALLS, those the C fast path took (the assembly declined) */
#define K42_INFO_FR_MISSES_UNLOCKED   22	/* file misses whose page-in was sent (and waited for) without it */
#define K42_INFO_PPC_QUEUED_UNLOCKED  23	/* calls queued on a server on another CPU without it */
#define K42_INFO_PPC_OTHER_UNLOCKED   24	/* idle replies across CPUs, async replies on one CPU, ppc_collect, ppc_send done without it */
#define K42_INFO_TIMER_WAKES_REMOTE   25	/* timer wake-ups of a dispatcher on another CPU done without it */
#define K42_INFO_FR_AHEAD_UNLOCKED    26	/* read-ahead page-ins sent without it */
#define K42_INFO_FR_COMPLETES_UNLOCKED 27	/* page-ins answered (fr_complete) without it */
#define K42_INFO_TICKS_MULTI_UNLOCKED 30	/* ticks done without it whose timers woke dispatchers on two or more other CPUs */
#define K42_INFO_FREES_UNLOCKED       31	/* deferred (quiescent) frees done without it */
#define K42_INFO_PPC_FAST_BYTES       34	/* PPC calls and idle replies with page bytes handed over on the register-only fast path without the kernel lock (all CPUs) */
#define K42_INFO_CALLS_EXPIRED_UNLOCKED 45	/* bounded PPC calls ended with -K42_ETIMEDOUT by a tick without the kernel lock (all CPUs) */
#define K42_INFO_FR_FLUSHES_UNLOCKED  48	/* page-ins a server's ring had no room for, sent later from its fast fr_complete/fr_ctl without it */
#define K42_INFO_FAULTS_RETIRED_WAIT  49	/* faults retried, not failed, for want of a frame while frames waited for quiescence (kern/user_fault.c) */
#define K42_INFO_CALLS_RETIRED_WAIT   54	/* kernel calls run again, not failed, for want of a frame while frames waited for quiescence (kern/retired_wait.c) */
#define K42_INFO_SWAPS_FREED_UNLOCKED 50	/* FCM swap mediators (with their old FCMs) freed after quiescence without it */
#define K42_INFO_SWAPS_ENDED_UNLOCKED 55	/* of those, mediators whose region ended mid-swap (their old FCM's frames freed at once) */
#define K42_INFO_PPC_MOVES_UNLOCKED   44	/* PPC calls (sync or async) that moved a server's dispatcher 0 to the caller's CPU without the kernel lock (all CPUs) */
#define K42_INFO_PPC_ASYNC_BYTES      35	/* ppc_accepts of async calls, async calls that moved their server, and async replies, with page bytes, done without the kernel lock (all CPUs) */
#define K42_INFO_CPU_USER_TB   32	/* CPU time the ticks charged to dispatchers as user time, all CPUs (timebase ticks) */
#define K42_INFO_CPU_SYSTEM_TB 33	/* ... as system time: a reflecting dispatcher disabled (k42/procinfo.h) */
#define K42_INFO_IDLE_UNLOCKED        28	/* CPUs gone idle without it (block, disp_idle, a PPC call or idle reply with nothing else to run) */
#define K42_INFO_IRQS_UNLOCKED        29	/* IPIs taken in the idle loop without it, and ticks done without it while a bounded call waited */
#define K42_INFO_COW_FILE_UNLOCKED    43	/* faults on a copy-on-write view of a file resolved without it */
#define K42_INFO_FAULTS_LOCKED        56	/* user faults that took the kernel lock (all CPUs): every other fault was resolved without it */

/* Quotas of a process tree (proc_limit, docs/security.md): what is
 * charged to a process and to every ancestor of it. */
#define K42_QUOTA_PROCESSES 0	/* processes alive (until reclaimed) */
#define K42_QUOTA_FRAMES    1	/* frames of private (anonymous, copied) memory */
#define K42_QUOTA_REGIONS   2	/* mapped regions */
#define K42_QUOTA_FRS       3	/* file representatives created */
#define K42_QUOTA_KINDS     4
#define K42_QUOTA_QUERY     (~0ull)	/* proc_limit value: only report */

/* proc_status states. */
#define K42_PROC_CREATED 1
#define K42_PROC_RUNNING 2
#define K42_PROC_EXITED  3
#define K42_PROC_KILLED  4

/* Scheduling classes, highest first. */
#define K42_PRIO_SYSTEM     0
#define K42_PRIO_REALTIME   1
#define K42_PRIO_GENERAL    2
#define K42_PRIO_BACKGROUND 3
#define K42_PRIO_CLASSES    4

#endif
