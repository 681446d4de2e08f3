/*
 * The kernel's instance of deferred deletion (generic logic in
 * cobj/quiesce.h): an object is freed only after every CPU has passed a
 * quiescent point (a return to user mode, or the idle loop, where the
 * kernel holds no object pointers) since it was retired. This is what
 * lets an object drop its lock before calling another object, what lets
 * lookups take no lock, and what hot swap builds on.
 *
 * Each CPU keeps its own list of retired objects and frees them itself;
 * a token passed at quiescent points advances a global generation
 * (docs/clustered-objects.md has the protocol and its costs).
 */
#ifndef KERN_QUIESCE_H
#define KERN_QUIESCE_H

#include <cobj/quiesce.h>
#include <kern/percpu.h>
#include <kern/smp.h>

/* The kernel's instance; quiesce_kernel() returns it. */
extern struct quiesce kquiesce_q;
struct quiesce *quiesce_kernel(void);

/* Retire d on this CPU: fn(d) runs once every CPU has passed a point. */
void kquiesce_retire(struct deferred *d, void (*fn)(struct deferred *d));
/* The same for an object whose fn takes only leaf locks (the PM's, kmem's)
 * and retires nothing: kquiesce_reclaim_here may free it on a path that
 * does not hold the kernel lock. */
void kquiesce_retire_leaf(struct deferred *d, void (*fn)(struct deferred *d));
/* This CPU is at a quiescent point (every return to user mode under the
 * kernel lock passes one). With other CPUs online, those idle with
 * something retired are kicked if the point moved the generation on
 * (kquiesce_point_smp); with one, the point is all (inline: no call of
 * its own in the general kernel-call path). */
void kquiesce_point_smp(void);
static inline void kquiesce_point(void)
{
	if (__atomic_load_n(&smp_ncpus, __ATOMIC_RELAXED) > 1)
		kquiesce_point_smp();
	else
		quiesce_point(&kquiesce_q, this_cpu()->cpu_id);
}
/* The same, passing the token only (nothing freed): for a return to user
 * mode that does not hold the kernel lock. */
void kquiesce_pass(void);
/* Would this CPU's next kquiesce_point free something? The paths that
 * pass only (the tick's fast path, the idle wait) take the locked path
 * then, so what this CPU retired is freed in time. */
int kquiesce_ripe_here(void);
/* The same for a path without the kernel lock, on this CPU, holding no
 * lock above level 2 (docs/smp.md) and not marked idle: first frees the
 * ripe objects at the head of this CPU's list that kquiesce_retire_leaf
 * retired (counted: K42_INFO_FREES_UNLOCKED), then says whether something
 * ripe is left for the locked path. */
int kquiesce_reclaim_here(void);
/* Kick every other CPU holding retired objects, so it passes a point
 * (and frees what is ripe there) soon: for a wait on retired frames
 * (kern/user_fault.c). */
void kquiesce_kick_holders(void);
/* This CPU waits idle (holding no pointers) / stops waiting. */
void kquiesce_idle_enter(void);
void kquiesce_idle_exit(void);
/* kquiesce_idle_enter without freeing (the token passed, the CPU marked
 * idle): for a CPU that goes idle without the kernel lock. What is ripe
 * here then waits for a point under the lock (kquiesce_ripe_here sends
 * the idle CPU there). */
void kquiesce_idle_mark(void);

#endif
