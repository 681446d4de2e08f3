/*
 * Waiting out a shortage of frames that wait for quiescence
 * (kern/retired_wait.h): with more than one CPU online, frames taken
 * from a region (its end, a fold, an eviction, a drop) go back to the PM
 * only once every CPU has passed a quiescent point (mm/fcm.c
 * fcm_release_page), so right after a big unmap the PM may be empty
 * while they wait. A fault or kernel call that then finds no frame (or
 * its quota spent, which retired frames still hold) is retried from user
 * mode rather than failed: the way back is a quiescent point under the
 * kernel lock (which frees what this CPU retired once it is ripe), and
 * the other CPUs holding retired objects are kicked, so they pass theirs
 * at once (an idle one counts as passed already). A shortage that lasts
 * RETIRED_WAIT_MS from its first failure, and more than QUIESCE_GENS
 * generations (so every frame retired before that failure was freed
 * meanwhile: a host that stalls the vCPUs stalls quiescence too, and the
 * wait goes on), is real: the fault or call then fails as before, that
 * much later. The wait is the fault's or call's
 * own: the dispatcher's deadline (d->nomem_until) is set at its first
 * failure and cleared when it ends either way (retired_wait_over on
 * success), so a dispatcher that meets shortages one after the other in
 * a storm waits for each, and one that retries a truly failing call
 * waits 500 ms each time.
 */
#include <arch/spinlock.h>
#include <arch/spr.h>
#include <k42/errno.h>
#include <kern/dispatcher.h>
#include <kern/quiesce.h>
#include <kern/retired_wait.h>
#include <kern/timer.h>
#include <mm/fcm.h>

static uint64_t calls_retired_wait;

int retired_wait(struct dispatcher *d, long rc, uint64_t *count)
{
	uint64_t now = mftb(), span = timer_timebase_hz() / 1000 * RETIRED_WAIT_MS,
		 gen = quiesce_generation(&kquiesce_q);

	if ((rc != -K42_ENOMEM && rc != -K42_EDQUOT) || !fcm_frames_retired()) {
		d->nomem_until = 0;
		return 0;
	}
	if (!d->nomem_until) {
		/* This fault's or call's first failure. */
		d->nomem_until = now + span;
		d->nomem_gen = gen;
	}
	if (now >= d->nomem_until && gen - d->nomem_gen > QUIESCE_GENS) {
		d->nomem_until = 0;	/* a real shortage: it fails; the next one waits anew */
		return 0;
	}
	__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	kquiesce_kick_holders();
	arch_spin_yield();
	return 1;
}

int retired_wait_call(struct dispatcher *d, long rc)
{
	if (!this_cpu()->frame_refused) {
		retired_wait_over(d);	/* out of something else: fails now */
		return 0;
	}
	return retired_wait(d, rc, &calls_retired_wait);
}

uint64_t retired_wait_calls(void)
{
	return __atomic_load_n(&calls_retired_wait, __ATOMIC_RELAXED);
}
