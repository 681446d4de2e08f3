/*
 * Kernel calls that allocate while frames wait for quiescence (issue 16;
 * docs/smp.md "Known limits"): with more than one CPU online the frames
 * of a region's end go back to the PM only after every CPU has passed a
 * quiescent point (mm/fcm.c fcm_release_page), so a kernel call that
 * needs a frame right after an unmap may find none (or its tree's frame
 * quota spent, which those frames still hold). Such a call must be run
 * again once they are free (kern/retired_wait.c), not fail with
 * -K42_ENOMEM or -K42_EDQUOT as it did.
 *
 * Run as init. A child runs a thread on a dispatcher per CPU; each maps
 * its share of nearly all the memory there is, fills it with mem_write
 * (a kernel call whose copy allocates every frame: no page faults), 16
 * pages a call, checks a word of every page and unmaps it, round after
 * round with no pause, while a spinner on every CPU keeps the CPUs out
 * of the kernel (a CPU then passes a quiescent point only at its tick).
 * Twice: near the frame quota of the child's tree ("quota", the child
 * gets a share of init's limits), then near the PM's free frames
 * ("memory"). Every call must succeed and every word be right; then a
 * write beyond the quota must still fail with -K42_EDQUOT, within a
 * bound; and the free frames come back. One line per phase.
 */
#include "check.h"
#include "spinners.h"

#define VA 0x100000000ul
#define SPAN 0x80000000ul	/* VA space per dispatcher */
#define CHUNK 16		/* pages a mem_write */
#define WORDS (K42_PAGE_SIZE / 8)
#define QUOTA_PERCENT 4
#define QUOTA_ROUNDS 12
#define MEMORY_ROUNDS 3
/* Frames left for the kernel in the memory phase: 2,048, and per page
 * mapped its FCM node, page map and page table entry (1/25 is ample). */
#define MARGIN 2048
#define QUOTA_MARGIN 64	/* the quota's: stacks, malloc, what libk42 maps */
#define LEFT 64	/* frames free once a later round's pages are written */
#define SLACK 256

static uint64_t src[K42_VPS_MAX][CHUNK * WORDS] __attribute__((aligned(4096)));
static volatile unsigned ready, go, written, measured;
static uint64_t pages_each, pages_later, rounds;
static uint64_t calls, failed, wrong;

/* The word mem_write leaves at word 0 of page p of call c, round r, by
 * dispatcher v: each page says who wrote it, when and where. */
static uint64_t stamp(unsigned v, uint64_t r, uint64_t c, uint64_t p)
{
	return (uint64_t)v << 56 | r << 40 | c << 8 | p;
}

static void *storm(void *arg)
{
	unsigned v = (unsigned)(uintptr_t)arg;
	uint64_t self = k42_info(K42_INFO_PID), va = VA + v * SPAN, *s = src[v];
	volatile uint64_t *m = (volatile uint64_t *)va;

	for (uint64_t i = 0; i < CHUNK * WORDS; i++)
		s[i] = ~i;	/* resident before the storm */
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		k42_thread_sleep_us(1000);
	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t n = (r ? pages_later : pages_each) / CHUNK, bad = 0, fails = 0;
		long rc = k42_sc_mem_map_anon(self, va, n * CHUNK * K42_PAGE_SIZE,
					      K42_PROT_READ | K42_PROT_WRITE);

		if (rc != 0) {
			k42_printf("call_retired_test: dispatcher %u round %lu: map: %ld\n", v, r, rc);
			__atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		for (uint64_t c = 0; c < n; c++) {
			for (uint64_t p = 0; p < CHUNK; p++)
				s[p * WORDS] = stamp(v, r, c, p);
			rc = k42_sc_mem_write(self, va + c * CHUNK * K42_PAGE_SIZE, (uint64_t)s,
					      CHUNK * K42_PAGE_SIZE);
			if (rc != 0 && ++fails <= 3)
				k42_printf("call_retired_test: dispatcher %u round %lu: mem_write %lu "
					   "of %lu: %ld\n", v, r, c, n, rc);
		}
		if (r == 0) {
			/* Every dispatcher's first round written: the child
			 * sees what is left, and the later rounds take it. */
			__atomic_add_fetch(&written, 1, __ATOMIC_RELEASE);
			while (!__atomic_load_n(&measured, __ATOMIC_ACQUIRE))
				k42_thread_sleep_us(1000);
		}
		for (uint64_t c = 0; !fails && c < n; c++)
			for (uint64_t p = 0; p < CHUNK; p++)
				bad += m[(c * CHUNK + p) * WORDS] != stamp(v, r, c, p) ||
				       m[(c * CHUNK + p) * WORDS + 1] != ~(p * WORDS + 1);
		__atomic_add_fetch(&calls, n, __ATOMIC_RELAXED);
		__atomic_add_fetch(&failed, fails, __ATOMIC_RELAXED);
		__atomic_add_fetch(&wrong, bad, __ATOMIC_RELAXED);
		rc = k42_sc_mem_unmap(self, va, n * CHUNK * K42_PAGE_SIZE);
		if (rc != 0) {
			k42_printf("call_retired_test: dispatcher %u round %lu: unmap: %ld\n", v, r, rc);
			__atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	}
	return NULL;
}

/* Frames the child may still take: its tree's quota or the PM's. */
static uint64_t room(int memory)
{
	uint64_t used[1] = { 0 };
	long limit;

	if (memory)
		return k42_info(K42_INFO_FREE_FRAMES);
	limit = k42_sc_proc_limit(k42_info(K42_INFO_PID), K42_QUOTA_FRAMES, K42_QUOTA_QUERY, used);
	return limit > 0 && (uint64_t)limit > used[0] ? (uint64_t)limit - used[0] : 0;
}

/* A write of more than the whole quota, alone: it must fail
 * (-K42_EDQUOT), at most about the wait's bound (500 ms) after the first
 * refusal. */
static long beyond_quota(uint64_t *ms)
{
	uint64_t self = k42_info(K42_INFO_PID), hz = k42_info(K42_INFO_TIMEBASE_HZ), used[1];
	long limit = k42_sc_proc_limit(self, K42_QUOTA_FRAMES, K42_QUOTA_QUERY, used), rc;
	uint64_t n = (uint64_t)limit / CHUNK + 2, t0;

	if (limit <= 0)
		return limit;
	rc = k42_sc_mem_map_anon(self, VA, n * CHUNK * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE);
	if (rc != 0)
		return rc;
	t0 = k42_timebase();
	for (uint64_t c = 0; c < n && rc == 0; c++)
		rc = k42_sc_mem_write(self, VA + c * CHUNK * K42_PAGE_SIZE, (uint64_t)src[0],
				      CHUNK * K42_PAGE_SIZE);
	*ms = (k42_timebase() - t0) * 1000 / hz;
	k42_sc_mem_unmap(self, VA, n * CHUNK * K42_PAGE_SIZE);
	return rc;
}

static int child(int memory)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	k42_thread_t *th[K42_VPS_MAX];
	uint64_t left, waited = k42_info(K42_INFO_CALLS_RETIRED_WAIT), ms = 0;
	unsigned nvp;
	long rc;

	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		k42_vp_start((unsigned)c);
	nvp = k42_vp_count();
	for (unsigned v = 0; v < nvp; v++)
		th[v] = k42_thread_create_on(v, storm, (void *)(uintptr_t)v, NULL);
	while (__atomic_load_n(&ready, __ATOMIC_RELAXED) < nvp)
		k42_thread_sleep_us(1000);
	left = room(memory);
	left = memory ? (left > MARGIN ? (left - MARGIN) * 24 / 25 : 0)
		      : (left > QUOTA_MARGIN ? left - QUOTA_MARGIN : 0);
	pages_each = pages_later = left / nvp / CHUNK * CHUNK;
	rounds = memory ? MEMORY_ROUNDS : QUOTA_ROUNDS;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	/* Round 0 finds what the kernel needs beside the pages; in the
	 * memory phase every later round maps as many more as leaves LEFT
	 * frames free once written, so it needs the frames the previous
	 * round's unmap retired at once. */
	while (__atomic_load_n(&written, __ATOMIC_ACQUIRE) < nvp)
		k42_thread_sleep_us(1000);
	left = room(memory);
	if (memory && left > LEFT)
		pages_later += (left - LEFT) * 24 / 25 / nvp / CHUNK * CHUNK;
	__atomic_store_n(&measured, 1, __ATOMIC_RELEASE);
	for (unsigned v = 0; v < nvp; v++)
		EXPECT(th[v] && k42_thread_join(th[v], NULL) == 0, "storm thread %u", v);
	waited = k42_info(K42_INFO_CALLS_RETIRED_WAIT) - waited;
	k42_printf("call_retired_test: %s: %lu calls from %u dispatchers on %ld CPUs, %lu rounds of "
		   "up to %lu pages each (%lu frames free once written), %lu failed, %lu wrong words; "
		   "%lu calls waited for retired frames\n", memory ? "memory" : "quota", calls, nvp,
		   ncpus, rounds, pages_later, left, failed, wrong, waited);
	EXPECT(pages_each >= CHUNK, "no room: %lu pages each", pages_each);
	EXPECT(failed == 0 && wrong == 0, "%lu failed calls, %lu wrong words", failed, wrong);
	if (!memory) {
		rc = beyond_quota(&ms);
		k42_printf("call_retired_test: beyond the quota: %ld after %lu ms\n", rc, ms);
		EXPECT(rc == -K42_EDQUOT, "a write beyond the quota gave %ld", rc);
		EXPECT(ms < 5000, "a write beyond the quota took %lu ms to fail", ms);
	}
	return failures != 0;
}

static void phase(int memory, long ncpus)
{
	struct k42_spawn_opts o = { .prio = K42_PRIO_GENERAL, .flags = K42_SPAWN_SHARE_ARCHIVE,
				    .quota_percent = memory ? 0 : QUOTA_PERCENT };
	const char *argv[] = { "call_retired_test", memory ? "memory" : "quota", NULL };
	long kid, spin[K42_VPS_MAX];
	uint64_t free0, free1 = 0;
	int status = -1, state, nspin = 0;

	settle_deferred(10);
	free0 = k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
	o.argv = argv;
	kid = k42_spawn_path_ex("tests/call_retired_test", &o);
	EXPECT(kid > 0, "spawn: %ld", kid);
	if (kid <= 0)
		return;
	nspin = spinners_start(ncpus, spin);	/* quiescence waits for ticks */
	state = k42_wait((uint64_t)kid, &status);
	spinners_stop(spin, nspin);
	EXPECT(state == K42_PROC_EXITED && status == 0, "%s child: state %d, status %d",
	       memory ? "memory" : "quota", state, status);
	settle_deferred(10);
	for (int i = 0; i < 1000 && (free1 = k42_info(K42_INFO_FREE_FRAMES) +
						     k42_info(K42_INFO_KMEM_CACHED)) < free0; i++)
		k42_thread_sleep_us(1000);
	k42_printf("call_retired_test: %s: free frames (with kmem's cached) %lu -> %lu\n",
		   memory ? "memory" : "quota", free0, free1);
	/* Slack: kmem's partly used slabs; a round's frames kept would be
	 * thousands. */
	EXPECT(free1 + SLACK >= free0, "free frames %lu, %lu at the start", free1, free0);
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);

	(void)arg;
	if (k42_argc > 1)
		return child(k42_argv[1][0] == 'm');
	k42_thread_sleep_us(50000);	/* what booting retired comes back first */
	phase(0, ncpus);
	phase(1, ncpus);
	return verdict("call_retired_test");
}
