/*
 * Kernel-call dispatch. The table (syscall_table.c) is generated from
 * abi/syscalls.tbl. A handler decodes and checks every argument before it
 * changes any state ("decode, then invoke"), and returns the value for r3,
 * or SYSCALL_SWITCHED when it has already loaded another context into tf.
 */
#ifndef KERN_SYSCALL_H
#define KERN_SYSCALL_H

#include <stdint.h>
#include <arch/trapframe.h>
#include <k42/syscall_nums.h>

#define SYSCALL_SWITCHED (1l << 62)

struct syscall_desc {
	const char *name;
	long (*fn)(struct trap_frame *tf);
	uint8_t nargs, nrets;
};

extern const struct syscall_desc syscall_table[K42_SC_COUNT];

/* One handler per call in abi/syscalls.tbl: long sys_NAME(struct trap_frame *). */
#define SYSCALL_PROTO(num, name, nargs, nrets) long sys_##name(struct trap_frame *tf);
K42_SYSCALL_LIST(SYSCALL_PROTO)
#undef SYSCALL_PROTO

void syscall_entry(struct trap_frame *tf);
/* The fast paths below are reached by the call number alone: the `fast`
 * lines of abi/syscalls.tbl give each call at most one, and arch_user_trap
 * dispatches through the generated <k42/syscall_fast.h>. */
/* Before the kernel lock: ppc_call, ppc_reply or ppc_accept on the fast
 * path of kern/ppc_local.c (and kern/ppc_move.c, kern/ppc_cross.c), under this CPU's local lock
 * (and a reply's caller's CPU's). 1: done (tf holds whom to
 * resume; return with user_return_unlocked); 0: nothing was changed, take
 * the locked path. */
int ppc_fast(struct trap_frame *tf);
/* kern/ppc.c: a ppc_reply_idle's registers in tf rewritten as the ppc_reply
 * it stands for (r0 too): 0, or -K42_EINVAL with tf unchanged. */
long ppc_reply_idle_as_reply(struct trap_frame *tf);
/* The same for yield, block and disp_idle (kern/sched_fast.c). */
int sched_fast(struct trap_frame *tf);
/* softintr_raise and disp_kick under the target's CPU's local lock alone
 * (kern/sched_wake.c). */
int sched_wake_fast(struct trap_frame *tf);
/* A decrementer interrupt from user mode whose due timers wake
 * dispatchers here or on other CPUs, and that preempts for nobody or
 * for one that can be resumed from its context, under this CPU's local
 * lock (and those other CPUs': kern/sched_fast.c, kern/timer.c). */
int sched_tick_fast(struct trap_frame *tf);
/* The same for a tick taken in the idle loop (kern/sched.c, trap.c): its
 * wake-ups of dispatchers living here are found by the idle loop. */
int sched_idle_tick_fast(void);
/* Before the kernel lock: a reflected call the table of d (the current
 * dispatcher, its answers on) answers (disp_answer), when nothing else
 * is due on the way back. 1: answered in tf (return with
 * user_return_unlocked); 0: untouched. */
struct dispatcher;
int syscall_answer(struct trap_frame *tf, struct dispatcher *d);
/* The calling process, or kill the caller and switch away (returns SWITCHED). */
struct process;
struct process *syscall_process(void);
long syscall_kill_caller(struct trap_frame *tf, const char *why);

#endif
