/*
 * Waiting out a shortage of frames that wait for quiescence (retired,
 * not yet free: mm/fcm.c fcm_release_page). One policy for the two ways
 * user mode meets such a shortage: a page fault (kern/user_fault.c) and
 * a kernel call that allocates (kern/syscall.c). Either is retried from
 * user mode, past a quiescent point, for at most RETIRED_WAIT_MS from
 * the first failure, rather than failing at once (docs/smp.md "Known
 * limits").
 */
#ifndef KERN_RETIRED_WAIT_H
#define KERN_RETIRED_WAIT_H

#include <stdint.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>

#define RETIRED_WAIT_MS 500

/* A frame was refused on this CPU: the PM had none (mm/pm.c pm_alloc) or
 * a tree's frame quota was spent (kern/quota.c). Only a kernel call that
 * met such a refusal is retried (retired_wait_call). */
static inline void retired_wait_note(void)
{
	this_cpu()->frame_refused = 1;
}

/* A locked kernel call begins on this CPU (kern/syscall.c). */
static inline void retired_wait_call_begins(void)
{
	this_cpu()->frame_refused = 0;
}

/* A fault or kernel call of d that was retried succeeded: its wait is
 * over (a load and a branch otherwise). */
static inline void retired_wait_over(struct dispatcher *d)
{
	if (__builtin_expect(d->nomem_until != 0, 0))
		d->nomem_until = 0;
}

/* rc is what a fault or kernel call of d got: 1 if it is to be retried
 * (rc is -K42_ENOMEM or -K42_EDQUOT, frames wait for quiescence, and d's
 * shortage began less than RETIRED_WAIT_MS or QUIESCE_GENS generations
 * ago); the other CPUs holding
 * retired objects are kicked then, and the vCPU conferred. *count counts
 * the retries. */
int retired_wait(struct dispatcher *d, long rc, uint64_t *count);
/* The same for a kernel call under the kernel lock (kern/syscall.c),
 * which must also have met a refused frame (so a call that ran out of
 * something else, a pid or an FR slot, fails at once). Counted:
 * K42_INFO_CALLS_RETIRED_WAIT. */
int retired_wait_call(struct dispatcher *d, long rc);
uint64_t retired_wait_calls(void);

#endif
