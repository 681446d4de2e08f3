/*
 * An allocation right after a big unmap (issue 16; docs/smp.md "Known
 * limits", the QEMU tlbie window): with more than one CPU online the
 * frames of a region's end go back to the PM only after every CPU has
 * passed a quiescent point (mm/fcm.c fcm_release_page), so right after
 * an unmap of most of memory the PM is nearly empty while those frames
 * wait. A fault that then finds no frame must wait for them (the fault
 * is retried after quiescence, kern/user_fault.c) rather than end its
 * process "out of memory" as it did. Run as init: a child maps nearly
 * every free frame, writes and checks a word of each page and unmaps
 * them, 3 times, with no pause between, while a spinner on every CPU
 * keeps the CPUs out of the kernel; it must exit 0, and the free
 * frames (counting those kmem keeps for reuse: the pages' nodes) come
 * back to where they were. One verdict line.
 */
#include "check.h"
#include "spinners.h"

#define VA 0x100000000ul
/* Frames left for the kernel: 2,048, and per page mapped its FCM node,
 * page map and page table entry (about 80 bytes: 1/24 is ample). */
#define MARGIN 2048
#define LEFT 256	/* frames free once a later round's pages are written */
#define ROUNDS 3
#define SLACK 256
#define CHILD_ARG (1ull << 62)

/* Map `pages` at VA, write a word of each, check them all, unmap: the
 * wrong words, or -1 (reported) if a call failed. *left: the free
 * frames once every page was written. */
static long round_trip(uint64_t r, uint64_t pages, uint64_t *left)
{
	uint64_t self = k42_info(K42_INFO_PID);
	volatile uint64_t *m = (volatile uint64_t *)VA;
	long rc = k42_sc_mem_map_anon(self, VA, pages * K42_PAGE_SIZE,
				      K42_PROT_READ | K42_PROT_WRITE), bad = 0;

	if (rc != 0) {
		k42_printf("pm_retired_test: round %lu: map: %ld\n", r, rc);
		return -1;
	}
	for (uint64_t i = 0; i < pages; i++)
		m[i * (K42_PAGE_SIZE / 8) + (i & 511)] = r << 40 | i;
	*left = k42_info(K42_INFO_FREE_FRAMES);
	for (uint64_t i = 0; i < pages; i++)
		bad += m[i * (K42_PAGE_SIZE / 8) + (i & 511)] != (r << 40 | i);
	rc = k42_sc_mem_unmap(self, VA, pages * K42_PAGE_SIZE);
	if (rc != 0) {
		k42_printf("pm_retired_test: round %lu: unmap: %ld\n", r, rc);
		return -1;
	}
	return bad;
}

/* Round 0 finds what the kernel needs beside the pages; every later
 * round maps as many more as leaves LEFT frames free once written, so
 * from round 2 on (round 1 starts with round 0's spare frames free) it
 * needs the frames the previous round's unmap retired at once. */
static int child(void)
{
	uint64_t free0 = k42_info(K42_INFO_FREE_FRAMES), pages = (free0 - MARGIN) * 24 / 25,
		 left = 0, bad = 0;
	long rc;

	for (uint64_t r = 0; r < ROUNDS; r++) {
		if ((rc = round_trip(r, pages, &left)) < 0)
			return 2;
		bad += (uint64_t)rc;
		if (r == 0 && left > LEFT)
			pages += (left - LEFT) * 24 / 25;
	}
	k42_printf("pm_retired_test: child: %d rounds of up to %lu pages (%lu free at the start, "
		   "%lu once written), %lu wrong words\n", ROUNDS, pages, free0, left, bad);
	return bad != 0;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), kid, spin[K42_VPS_MAX];
	uint64_t free0, free1 = 0, retries = k42_info(K42_INFO_FAULTS_RETIRED_WAIT);
	int status = -1, state, nspin = 0;

	if (arg & CHILD_ARG)
		return child();
	k42_thread_sleep_us(50000);	/* what booting retired comes back first */
	free0 = k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
	kid = k42_spawn_path("tests/pm_retired_test", K42_PRIO_GENERAL, CHILD_ARG);
	EXPECT(kid > 0, "spawn: %ld", kid);
	if (kid <= 0)
		return verdict("pm_retired_test");
	nspin = spinners_start(ncpus, spin);	/* quiescence waits for ticks */
	state = k42_wait((uint64_t)kid, &status);
	spinners_stop(spin, nspin);
	EXPECT(state == K42_PROC_EXITED && status == 0,
	       "child: state %d, status %d (killed: out of memory while frames waited?)", state,
	       status);
	for (int i = 0; i < 1000 && (free1 = k42_info(K42_INFO_FREE_FRAMES) +
						     k42_info(K42_INFO_KMEM_CACHED)) < free0; i++)
		k42_thread_sleep_us(1000);
	retries = k42_info(K42_INFO_FAULTS_RETIRED_WAIT) - retries;
	k42_printf("pm_retired_test: %ld CPUs: child %s; %lu faults waited for retired frames; "
		   "free frames (with kmem's cached) %lu -> %lu\n", ncpus,
		   state == K42_PROC_EXITED && status == 0 ? "done" : "failed", retries, free0, free1);
	/* Slack: kmem's partly used slabs (62 frames in runs so far); a
	 * round's retired frames kept would be 200,000. */
	EXPECT(free1 + SLACK >= free0, "free frames %lu, %lu at the start", free1, free0);
	return verdict("pm_retired_test");
}
