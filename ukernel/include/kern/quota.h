/*
 * Quotas per process tree (docs/security.md). Every process has an
 * account; a new process's account hangs below its parent's, starts with
 * the parent's limits, and everything charged to it (processes, frames of
 * private memory, regions, FRs) is charged to every account above it too,
 * so a tree can never take more than any of its ancestors allow. An
 * account outlives its process while accounts below it or frames charged
 * to it remain: an orphan stays inside the quota of the tree it was born
 * in, although init now manages it.
 *
 * Accounts take no lock: every counter is atomic (kern/quota.c says
 * how a charge stays within every limit on many CPUs at once).
 */
#ifndef KERN_QUOTA_H
#define KERN_QUOTA_H

#include <stdint.h>
#include <k42/layout.h>
#include <mm/fcm.h>

struct quota_acct {
	/* FCMs of the tree's private memory draw their frames here: each
	 * frame is charged to K42_QUOTA_FRAMES and holds a reference, which
	 * keeps the account alive until the last one is back. */
	struct frame_source frames;
	struct quota_acct *parent;	/* counted reference (refs) */
	/* its process, each account below, each FCM drawing here, each
	 * frame out: atomic; the last drop frees it */
	uint64_t refs;
	uint64_t used[K42_QUOTA_KINDS];
	uint64_t limit[K42_QUOTA_KINDS];
};

/* A new account below `parent` (NULL: the root, with the machine's
 * limits), with one reference for its process; NULL if out of memory. */
struct quota_acct *quota_create(struct quota_acct *parent);
/* Drop the process's reference; freed when nothing else holds it. */
void quota_put(struct quota_acct *a);
/* Charge n of `kind` to a and every account above it: 0, or -K42_EDQUOT
 * (nothing charged) if any of them would pass its limit. */
int quota_charge(struct quota_acct *a, int kind, uint64_t n) __attribute__((warn_unused_result));
void quota_uncharge(struct quota_acct *a, int kind, uint64_t n);
/* Would charging n succeed? */
int quota_room(const struct quota_acct *a, int kind, uint64_t n);

#endif
