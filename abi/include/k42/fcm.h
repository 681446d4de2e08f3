/*
 * Kernel FCM hot swap, as user mode sees it (kernel calls fcm_swap and
 * fcm_info, docs/hot-swap.md "Kernel objects: an FCM"): the paging-policy
 * implementations an anonymous region's FCM can be swapped between, and
 * what fcm_info reports about the FCM of a region.
 */
#ifndef K42_FCM_H
#define K42_FCM_H

#include <stdint.h>

/* Implementations of an anonymous FCM (the `impl` of fcm_swap). */
#define K42_FCM_DEMAND   0	/* a zero-filled frame per faulting page (the default) */
#define K42_FCM_PREFETCH 1	/* sequential prefetch: a run of faults gets frames ahead */
#define K42_FCM_IMPLS    2
/* ADAPTIVE: the FCM watches its own faults and switches itself to
 * PREFETCH on a sequential run and back to DEMAND on random access (an
 * anonymous FCM by a swap, a file FCM by its read-ahead policy). A file
 * FCM (a region mapped from an FR) takes DEMAND, PREFETCH (a sequential
 * run's misses also read ahead) or ADAPTIVE; asking for DEMAND or
 * PREFETCH ends the adaptation. */
#define K42_FCM_ADAPTIVE 2

/* fcm_swap flags (or-ed into impl's high bits). */
#define K42_FCM_SWAP_UNMAP 0x100	/* drop the region's translations at the switch: the new policy sees every access fault once */

struct k42_fcminfo {
	char impl[16];		/* implementation name ("demand", "prefetch", "file", "swapping" ...) */
	int32_t impl_id;	/* K42_FCM_*, or -1 when not swappable */
	uint32_t swapping;	/* 1: a swap is under way (callers held) */
	uint64_t resident;	/* pages holding a frame */
	uint64_t swaps;		/* swaps completed on this region's FCM, ever */
	uint64_t held;		/* faults held by a swap's mediator, ever */
	uint64_t ahead;		/* pages given a frame ahead of their fault (prefetch) */
	/* File FCMs: faults that found their page missing or being read in
	 * (each waits for the server: a reflected fault), and whether the
	 * FCM picks its own policy (K42_FCM_ADAPTIVE). */
	uint64_t waits;
	uint32_t adaptive;
	uint32_t reserved;
	uint64_t start, end;	/* the region described: fcm_info takes the one holding va, else
				 * the first above it (-K42_ENOENT: none), so a loop lists them all */
	uint64_t hold_ticks;	/* timebase ticks its swaps held callers (mediator in to switch), in all */
	/* Anonymous FCMs: faults that reached the FCM, and pages given a
	 * frame ahead that the same fault also mapped (prefetch). */
	uint64_t faults;
	uint64_t mapped_ahead;
	/* What fcm_swap to another policy would answer now: 0 (swappable),
	 * -K42_EPERM (another process maps the FCM: shared memory),
	 * -K42_EBUSY (copy-on-write layers read it, a call holds it, or a
	 * swap is under way), -K42_EINVAL (a kind that has no policies:
	 * device, physical, copy-on-write memory); and how many processes
	 * map the FCM. */
	int32_t refusal;
	uint32_t sharers;
};

#endif
