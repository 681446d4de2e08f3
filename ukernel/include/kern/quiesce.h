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

struct quiesce *quiesce_kernel(void);

/* Retire d on this CPU: fn(d) runs once every CPU has passed a point. */
void kquiesce_retire(struct deferred *d, void (*fn)(struct deferred *d));
/* This CPU is at a quiescent point. */
void kquiesce_point(void);
/* The same, passing the token only (nothing freed): for a return to user
 * mode that does not hold the kernel lock. */
void kquiesce_pass(void);
/* Would this CPU's next kquiesce_point free something? The paths that
 * pass only (the tick's fast path, the idle wait) take the locked path
 * then, so what this CPU retired is freed in time. */
int kquiesce_ripe_here(void);
/* This CPU waits idle (holding no pointers) / stops waiting. */
void kquiesce_idle_enter(void);
void kquiesce_idle_exit(void);

#endif
