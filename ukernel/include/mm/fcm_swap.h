/*
 * Hot swap of a live FCM (docs/hot-swap.md, "Kernel objects: an FCM"):
 * the FCM of a process's anonymous region is replaced by another
 * implementation while that process faults on it from every CPU.
 */
#ifndef MM_FCM_SWAP_H
#define MM_FCM_SWAP_H

#include <stdint.h>
#include <kern/percpu.h>

/*
 * Faults in flight, per CPU (struct percpu's fault_seq): a CPU's count
 * is odd while one of its faults may hold a region's FCM pointer (from
 * before it reads the pointer to after it is done with that FCM).
 * Written by its own CPU only; a swap's drain reads every CPU's
 * (mm/fcm_swap.c, step 3). A CPU running user code has an even count,
 * so the drain never waits for it to run.
 *
 * Before the fault reads any region's fcm pointer: odd, then a full fence
 * (the swapper stores the mediator, fences, then reads the count: one of
 * the two sees the other). */
static inline uint64_t *fcm_fault_enter(void)
{
	uint64_t *s = &this_cpu()->fault_seq;

	__atomic_store_n(s, *s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return s;
}

/* Done with every FCM the fault used: even again (release). */
static inline void fcm_fault_exit(uint64_t *s)
{
	__atomic_store_n(s, *s + 1, __ATOMIC_RELEASE);
}

struct fcm;
struct process;
struct k42_fcminfo;

/* Non-zero if f is a swap's mediator (a swap is under way on its regions). */
int fcm_is_mediator(const struct fcm *f);
/*
 * Swap the FCM of p's region at va to implementation impl (K42_FCM_*,
 * optionally | K42_FCM_SWAP_UNMAP). Caller holds p->lock. 0: the FCM has
 * that implementation (the swap is over); -K42_EAGAIN: under way, call
 * again (the faults in flight at the take-over are draining); -K42_EFAULT: no
 * region there; -K42_EINVAL: not a swappable FCM, or no such impl;
 * -K42_EPERM: another process maps the FCM; -K42_EBUSY: a copy-on-write
 * layer or a reference in use elsewhere reads it, or another swap is
 * under way on it.
 */
int fcm_swap(struct process *p, uint64_t va, unsigned impl);
/* If f is a mediator whose callers have drained, finish its swap (caller
 * holds the lock of the process that maps it). 0: no swap under way on
 * f any more (the region's fcm pointer may have changed: read it again);
 * -K42_EAGAIN: still draining. */
int fcm_swap_settle(struct fcm *f);
/* An adaptive anonymous FCM f of p's region at va asked for another
 * policy during a fault (fcm->want): start that swap (p->lock held). */
void fcm_swap_adapt(struct process *p, struct fcm *f, uint64_t va);
/* Count a fault held by the mediator f. */
void fcm_swap_held(struct fcm *f);
/* Mediators (with their old FCMs) freed without the kernel lock
 * (K42_INFO_SWAPS_FREED_UNLOCKED). */
uint64_t fcm_swap_frees_unlocked(void);
/* Of those, mediators whose region ended mid-swap (K42_INFO_SWAPS_ENDED_UNLOCKED). */
uint64_t fcm_swap_ended_frees_unlocked(void);
/* Describe the FCM of p's region at va, or of the first region above va
 * (-K42_ENOENT: none); caller holds p->lock. */
int fcm_describe(struct process *p, uint64_t va, struct k42_fcminfo *out);

#endif
