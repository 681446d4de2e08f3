/*
 * Kernel-call entry: look the number up in the generated table and run the
 * handler; unknown numbers get -K42_ENOSYS. A dispatcher that asked for
 * reflection (disp_reflect) has every `sc` it makes while enabled handed
 * to its own K42_ENTRY_SYSCALL entry instead, registers untouched: the
 * kernel does not interpret them, except to look r0 up in the table of
 * answers the dispatcher gave (disp_answer): a call found there gets its
 * answer with no upcall. Its `sc`s made while disabled (its own library
 * at work) are kernel calls as usual.
 */
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/retired_wait.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <mm/fr.h>

/* A reflected call the dispatcher's table answers: 1 if answered. */
static int answered(struct dispatcher *d, struct trap_frame *tf)
{
	uint64_t n = ctx_call_number(tf);

	for (uint32_t i = 0; i < d->nanswers; i++)
		if (d->answers[i].nr == n) {
			ctx_set_answer(tf, d->answers[i].value);
			return 1;
		}
	return 0;
}

int syscall_answer(struct trap_frame *tf, struct dispatcher *d)
{
	const struct k42_disp_shared *sh = d->shared;

	/* Answers are on only for a reflecting dispatcher. Anything else due
	 * at a kernel exit (soft interrupts to upcall, page-in messages, an
	 * end decided by another CPU) takes the locked path, which answers
	 * too. */
	if (!d->reflect_sc || sh->disabled || sh->pending || d->fr_unsent || d->npgflt_backlog ||
	    __atomic_load_n(&d->state, __ATOMIC_RELAXED) != DS_RUNNING)
		return 0;
	return answered(d, tf);
}

/* What comes before the table: page-ins its ring had no room for go out
 * first (mm/fr.h), and a reflected call goes to the dispatcher's own
 * entry. 1 if the call is dealt with. Out of line: rare, and it keeps
 * syscall_entry's frame small. */
static __attribute__((noinline)) int entry_before(struct trap_frame *tf, struct dispatcher *d)
{
	if (d->fr_unsent)
		fr_flush(d);	/* its ring may have room now */
	if (!d->reflect_sc || d->shared->disabled)
		return 0;
	if (d->answers_on && answered(d, tf))
		return 1;
	if (disp_upcall(d, tf, K42_ENTRY_SYSCALL, 1) < 0)
		syscall_kill_caller(tf, "a reflected system call with no K42_ENTRY_SYSCALL entry");
	return 1;
}

void syscall_entry(struct trap_frame *tf)
{
	struct dispatcher *d = this_cpu()->current;
	uint64_t n = ctx_call_number(tf);
	long rc;

	if (__builtin_expect(d->fr_unsent || d->reflect_sc, 0) && entry_before(tf, d))
		return;
	if (n >= K42_SC_COUNT || !syscall_table[n].fn) {
		rc = -K42_ENOSYS;
	} else {
		retired_wait_call_begins();
		rc = syscall_table[n].fn(tf);
	}
	if (rc == SYSCALL_SWITCHED)
		return;
	/* Out of frames while frames wait for quiescence: the call runs
	 * again from user mode, past a quiescent point (kern/retired_wait.c).
	 * A call that fails so has undone what it did, so it may. */
	if (__builtin_expect(rc == -K42_ENOMEM || rc == -K42_EDQUOT, 0)) {
		if (retired_wait_call(d, rc)) {
			ctx_restart_call(tf);
			return;
		}
	} else {
		retired_wait_over(d);
	}
	ctx_set_result(tf, 0, (uint64_t)rc);
}

struct process *syscall_process(void)
{
	return this_cpu()->current->proc;
}

long syscall_kill_caller(struct trap_frame *tf, const char *why)
{
	process_end(syscall_process(), K42_PROC_KILLED, -1, why);
	sched_switch(tf);
	return SYSCALL_SWITCHED;
}
