/*
 * The page-fault path of the seed paper's Figure 2: the process finds the
 * region, the region checks the access and asks its FCM for the page, and
 * the HAT maps it. Out-of-core pages answer -K42_EAGAIN with a token.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include <stdint.h>

struct process;

/* access: K42_PROT_READ, _WRITE or _EXEC. 0: mapped, retry the access.
 * -K42_EFAULT: no region; -K42_EACCES: not allowed; -K42_EAGAIN: being
 * read in (*token); others: out of memory and the like. */
int fault_resolve(struct process *p, uint64_t va, unsigned access, uint64_t *token);

/* The part of fault_resolve that needs no kernel lock (docs/smp.md): a
 * page of an anonymous region, found or zero-filled and mapped under the
 * process's and the FCM's own locks; or a page of a copy-on-write region
 * whose layers rest on anonymous or boot-archive memory
 * (fcm_cow_stable), or a resident page of a file, the same under this
 * CPU's local lock too. 0: mapped; FAULT_HELD: held by a
 * swap of the region's FCM, retry the access; -K42_EAGAIN: anything
 * else (another FCM, no region, no right, no memory): take the locked
 * path, which resolves or reports it. */
int fault_resolve_unlocked(struct process *p, uint64_t va, unsigned access);
/* fault_resolve_unlocked's answer when the region's FCM is being swapped
 * (mm/fcm_swap.h): the fault is held, the access is to be retried. */
#define FAULT_HELD 1
/* Internal to mm/fault.c: a COW or file fault, resolved again under
 * this CPU's local lock. */
#define FAULT_LOCAL 2
/* fault_resolve_unlocked's answer for a file page that is not resident
 * (or is being read in): the caller may try fault_miss_unlocked. */
#define FAULT_MISS 3

/* A miss on a file region without the kernel lock (kern/user_fault.c),
 * called under this CPU's local lock with d running here: the page-in is
 * sent, or joined, and d recorded as its waiter (async: reflected; the
 * caller checked there is room). 1 and *token: d waits; 0: mapped (it
 * arrived meanwhile); -K42_EAGAIN: nothing changed, the locked path. */
struct dispatcher;
int fault_miss_unlocked(struct process *p, uint64_t va, unsigned access, struct dispatcher *d,
			int async, uint64_t *token);

#endif
