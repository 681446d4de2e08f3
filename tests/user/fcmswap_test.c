/*
 * Kernel FCM hot swap under a fault storm (run as init; docs/hot-swap.md,
 * "Kernel objects: an FCM"): a worker thread on a dispatcher on every CPU
 * writes and reads back its own pages of one anonymous region without
 * pause, while the main thread swaps the region's FCM 1,000 times between
 * the demand and prefetch policies, each swap dropping the region's
 * translations so that every page faults again through the new FCM.
 * Checked: every word of every page every pass (a lost fault is a page
 * that comes back zero, a duplicated one a second frame: the resident
 * count), the policy and swap count after every swap, the free frames
 * back at their start once the region is gone, and the refusals (no
 * region, not swappable, another process maps it, COW and share while a
 * swap is under way, the region unmapped under a swap).
 */
#include <string.h>
#include <k42/fcm.h>
#include "check.h"

#define VA 0x40000000ul
#define PAGES 512
#define SWAPS 1000
#define SPARE 0x48000000ul	/* the refusal checks' regions */
#define WORDS (K42_PAGE_SIZE / 8)

static uint64_t self;
static unsigned nworkers;
static volatile int stop, go;
static unsigned done;
static uint64_t bad, passes[K42_VPS_MAX];

static uint64_t free_frames(void)
{
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

/* Frames of private memory our own tree holds (our stacks and heap:
 * libk42 may grow them under load, e.g. a thread stack not yet back on
 * its free list when the next storm starts one). */
static uint64_t own_frames(void)
{
	uint64_t used[1] = { 0 };

	k42_sc_proc_limit(self, K42_QUOTA_FRAMES, K42_QUOTA_QUERY, used);
	return used[0];
}

static void settle(void)
{
	for (int i = 0; i < 4000 && k42_info(K42_INFO_DEFERRED); i++)
		k42_thread_sleep_us(1000);
}

static long info(uint64_t va, struct k42_fcminfo *fi)
{
	return k42_sc_fcm_info(self, va, (uint64_t)fi);
}

/* One swap to completion: 0, or the error. */
static long swap_to(uint64_t va, unsigned impl, uint64_t *tries)
{
	long rc;

	while ((rc = k42_sc_fcm_swap(self, va, impl)) == -K42_EAGAIN) {
		(*tries)++;
		k42_thread_yield();
	}
	return rc;
}

static void *worker(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	volatile uint64_t *mem = (volatile uint64_t *)VA;

	while (!go)
		k42_thread_yield();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint64_t pass = 1; !stop || pass <= 3; pass++) {	/* at least 3 passes */
		for (uint64_t i = w; i < PAGES; i += nworkers) {
			volatile uint64_t *pg = mem + i * WORDS;

			pg[0] = i;
			pg[1] = pass;
			pg[WORDS - 1] = i ^ pass ^ 0x5a5a5a5a5a5aul;
		}
		for (uint64_t i = w; i < PAGES; i += nworkers) {
			volatile uint64_t *pg = mem + i * WORDS;

			if ((pg[0] != i || pg[1] != pass || pg[WORDS - 1] != (i ^ pass ^ 0x5a5a5a5a5a5aul)) &&
			    __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
				k42_printf("fcmswap_test: page %lu of worker %u pass %lu: %lx %lx %lx\n", i, w,
					   pass, pg[0], pg[1], pg[WORDS - 1]);
		}
		passes[w] = pass;
		k42_thread_yield();
	}
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The refusals; returns with no region of its own left. */
static void refusals(void)
{
	struct k42_fcminfo fi;
	uint64_t tries = 0;
	long child, rc;
	int status;

	EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_PREFETCH) == -K42_EFAULT, "no region");
	EXPECT(k42_sc_fcm_swap(self, K42_TRACE_VA, K42_FCM_PREFETCH) == -K42_EINVAL,
	       "the trace page is not an anonymous FCM");
	/* fcm_info says beforehand what a swap would answer, and why. */
	EXPECT(info(K42_TRACE_VA, &fi) == 0 && fi.refusal == -K42_EINVAL && fi.sharers == 1,
	       "the trace page listed as not swappable: %d", fi.refusal);
	EXPECT(k42_sc_mem_map_anon(self, SPARE, 4 * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) == 0,
	       "map spare");
	EXPECT(k42_sc_fcm_swap(self, SPARE, 7) == -K42_EINVAL, "no such policy");
	EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_PREFETCH | 0x1000) == -K42_EINVAL, "unknown flag");
	EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_DEMAND) == 0, "already that policy: done at once");
	EXPECT(info(SPARE, &fi) == 0 && fi.refusal == 0 && fi.sharers == 1, "ours alone: swappable: %d %u",
	       fi.refusal, fi.sharers);
	/* Another process maps it: not ours alone to swap. */
	child = k42_spawn_path("tests/stuck", K42_PRIO_GENERAL, 0);
	EXPECT(child > 0, "spawn: %ld", child);
	if (child > 0) {
		EXPECT(k42_sc_mem_share((uint64_t)child, SPARE, SPARE, 4 * K42_PAGE_SIZE) == 0, "share");
		EXPECT(info(SPARE, &fi) == 0 && fi.refusal == -K42_EPERM && fi.sharers == 2,
		       "listed as shared by 2 processes: %d %u", fi.refusal, fi.sharers);
		EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_PREFETCH) == -K42_EPERM,
		       "a shared FCM is refused");
		EXPECT(k42_sc_fcm_swap((uint64_t)child, SPARE, K42_FCM_PREFETCH) == -K42_EPERM,
		       "through the child too");
		EXPECT(k42_sc_proc_kill((uint64_t)child) == 0 && k42_wait((uint64_t)child, &status) ==
		       K42_PROC_KILLED, "kill the child");
		/* A dead pid names nothing. */
		EXPECT(k42_sc_fcm_swap((uint64_t)child, SPARE, K42_FCM_PREFETCH) == -K42_ESRCH,
		       "a pid that ended");
	}
	/* Once the other process is gone the FCM is ours alone again (its
	 * region goes after quiescence: wait for it). */
	for (int i = 0; i < 4000 && (rc = k42_sc_fcm_swap(self, SPARE, K42_FCM_PREFETCH)) == -K42_EPERM; i++)
		k42_thread_sleep_us(1000);
	EXPECT(rc == -K42_EAGAIN || rc == 0, "swap after the sharer ended: %ld", rc);
	/* While that swap is under way: no other swap. */
	if (rc == -K42_EAGAIN)
		EXPECT((rc = k42_sc_fcm_swap(self, SPARE, K42_FCM_DEMAND)) == -K42_EBUSY, "a second swap: %ld", rc);
	EXPECT(swap_to(SPARE, K42_FCM_PREFETCH, &tries) == 0, "finish the swap");
	EXPECT(info(SPARE, &fi) == 0 && fi.impl_id == K42_FCM_PREFETCH && fi.swaps >= 1,
	       "prefetch now: %d, %lu swaps", fi.impl_id, fi.swaps);
	/* The region unmapped under a swap: the swap ends with it, nothing leaks. */
	rc = k42_sc_fcm_swap(self, SPARE, K42_FCM_DEMAND);
	EXPECT(rc == -K42_EAGAIN, "swap under way: %ld", rc);
	EXPECT(info(SPARE, &fi) == 0 && fi.swapping == 1 && strcmp(fi.impl, "swapping") == 0 &&
	       fi.refusal == -K42_EBUSY, "the listing shows the swap: %s %u %d", fi.impl, fi.swapping, fi.refusal);
	EXPECT(k42_sc_mem_unmap(self, SPARE, 4 * K42_PAGE_SIZE) == 0, "unmap under the swap");
	EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_DEMAND) == -K42_EFAULT, "the region is gone");
	/* No COW layer over the mediator (unless the callers drained
	 * meanwhile: then the call finished the swap first). */
	EXPECT(k42_sc_mem_map_anon(self, SPARE, 4 * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) == 0,
	       "map spare again");
	EXPECT(k42_sc_fcm_swap(self, SPARE, K42_FCM_PREFETCH) == -K42_EAGAIN, "swap under way");
	rc = k42_sc_mem_cow(self, SPARE + 0x1000000ul, SPARE, 4 * K42_PAGE_SIZE);
	EXPECT(rc == -K42_EAGAIN || rc == 0, "COW over a swapping FCM: %ld", rc);
	if (rc == 0)
		EXPECT(k42_sc_mem_unmap(self, SPARE + 0x1000000ul, 4 * K42_PAGE_SIZE) == 0, "unmap the copy");
	EXPECT(k42_sc_mem_unmap(self, SPARE, 4 * K42_PAGE_SIZE) == 0, "unmap spare");
}

/* One storm: the region mapped, a worker per dispatcher, nswaps swaps,
 * every check, the region unmapped and the workers joined. */
static void storm(int nswaps, int quiet)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	k42_thread_t *th[K42_VPS_MAX];
	struct k42_fcminfo fi;
	uint64_t tries = 0, t0, t1, held;
	unsigned impl = K42_FCM_PREFETCH;
	int swaps = 0, wrong = 0;

	stop = go = 0;
	done = 0;
	for (unsigned w = 0; w < nworkers; w++) {
		passes[w] = 0;
		th[w] = k42_thread_create_on(ncpus > 1 ? w : 0, worker, (void *)(uintptr_t)w, NULL);
	}
	EXPECT(k42_sc_mem_map_anon(self, VA, PAGES * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) == 0,
	       "map");
	go = 1;
	t0 = k42_timebase();
	for (; swaps < nswaps; swaps++, impl ^= 1) {
		long rc = swap_to(VA, impl | K42_FCM_SWAP_UNMAP, &tries);

		if (rc != 0 || info(VA, &fi) != 0 || fi.impl_id != (int)impl || fi.swaps != (uint64_t)swaps + 1 ||
		    fi.swapping) {
			if (++wrong <= 5)
				k42_printf("fcmswap_test: swap %d: rc %ld, impl %d, %lu swaps\n", swaps, rc,
					   fi.impl_id, fi.swaps);
		}
	}
	t1 = k42_timebase();
	stop = 1;
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < nworkers)
		k42_thread_yield();
	EXPECT(wrong == 0, "%d swaps went wrong", wrong);
	EXPECT(bad == 0, "%lu bad words", bad);
	EXPECT(info(VA, &fi) == 0, "info");
	held = fi.held;
	EXPECT(fi.resident == PAGES, "resident %lu pages, expected %u (a page lost or doubled)", fi.resident,
	       PAGES);
	EXPECT(fi.swaps == (uint64_t)nswaps, "%lu swaps counted", fi.swaps);
	/* Every page as its worker last left it. */
	for (uint64_t i = 0; i < PAGES; i++) {
		volatile uint64_t *pg = (volatile uint64_t *)VA + i * WORDS;
		uint64_t pass = passes[i % nworkers];

		if (pg[0] != i || pg[1] != pass || pg[WORDS - 1] != (i ^ pass ^ 0x5a5a5a5a5a5aul)) {
			EXPECT(0, "page %lu at the end: %lx %lx", i, pg[0], pg[1]);
			break;
		}
	}
	for (unsigned w = 0; w < nworkers; w++) {
		EXPECT(passes[w] >= 3, "worker %u made %lu passes", w, passes[w]);
		EXPECT(th[w] && k42_thread_join(th[w], NULL) == 0, "worker %u", w);
	}
	EXPECT(k42_sc_mem_unmap(self, VA, PAGES * K42_PAGE_SIZE) == 0, "unmap");
	if (quiet)
		return;
	k42_printf("fcmswap_test: %d FCM swaps on %u pages under %u workers on %ld CPUs: %lu faults held "
		   "(%lu timebase ticks held per swap), %lu retries, %lu timebase ticks per swap; passes",
		   swaps, PAGES, nworkers, ncpus, held, fi.hold_ticks / (uint64_t)nswaps, tries,
		   (t1 - t0) / (uint64_t)nswaps);
	for (unsigned w = 0; w < nworkers; w++)
		k42_printf(" %lu", passes[w]);
	k42_printf("\n");
}

/*
 * Mediators freed where they ripen (mm/fcm_swap.c, step 6): a thread per
 * dispatcher swaps its own region of SPIN_PAGES pages (SPIN_VA + its
 * slot) SPIN_ROUNDS times, checks every word of it after each swap
 * (every page faults again through the new FCM) and then spins SPIN_MS
 * without entering the kernel, so the mediator its swap retired on its
 * CPU ripens while only that CPU's ticks, without the kernel lock, can
 * free it. The bad words go to `bad`.
 */
#define SPIN_VA 0x50000000ul
#define SPIN_SLOT 0x1000000ul
#define SPIN_PAGES 16
#define SPIN_ROUNDS 12
#define SPIN_MS 40
static unsigned spin_done;
static uint64_t ended_mid_swap;

/* A region of SPIN_PAGES written and unmapped while a swap of it is
 * under way (the first fcm_swap call takes the entries and answers
 * -K42_EAGAIN): its mediator is freed with the old FCM's frames. */
static void end_mid_swap(uint64_t va, unsigned impl)
{
	volatile uint64_t *mem = (volatile uint64_t *)va;
	long rc;

	if (k42_sc_mem_map_anon(self, va, SPIN_PAGES * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE)) {
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		return;
	}
	for (uint64_t i = 0; i < SPIN_PAGES * WORDS; i += WORDS)
		mem[i] = va ^ i;
	rc = k42_sc_fcm_swap(self, va, impl);
	if (rc == -K42_EAGAIN)
		__atomic_add_fetch(&ended_mid_swap, 1, __ATOMIC_RELAXED);
	else if (rc != 0)
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
	if (k42_sc_mem_unmap(self, va, SPIN_PAGES * K42_PAGE_SIZE))
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
}

static void *spinner(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	uint64_t va = SPIN_VA + w * SPIN_SLOT, tries = 0, hz = k42_info(K42_INFO_TIMEBASE_HZ);
	volatile uint64_t *mem = (volatile uint64_t *)va;
	unsigned impl = K42_FCM_PREFETCH;

	if (k42_sc_mem_map_anon(self, va, SPIN_PAGES * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE)) {
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		goto out;
	}
	for (uint64_t i = 0; i < SPIN_PAGES * WORDS; i++)
		mem[i] = va ^ i;
	for (int r = 0; r < SPIN_ROUNDS; r++, impl ^= 1) {
		uint64_t until;

		if (swap_to(va, impl | K42_FCM_SWAP_UNMAP, &tries) != 0)
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		end_mid_swap(va + SPIN_SLOT / 2, impl);
		for (uint64_t i = 0; i < SPIN_PAGES * WORDS; i++)
			if (mem[i] != (va ^ i))
				__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		/* No kernel entry meanwhile: only ticks come in here. */
		until = k42_timebase() + hz / 1000 * SPIN_MS;
		while (k42_timebase() < until)
			__asm__ volatile("" ::: "memory");
	}
	if (k42_sc_mem_unmap(self, va, SPIN_PAGES * K42_PAGE_SIZE))
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
out:
	__atomic_add_fetch(&spin_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void spin_phase(void)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	k42_thread_t *th[K42_VPS_MAX];

	spin_done = 0;
	for (unsigned w = 0; w < nworkers; w++)
		th[w] = k42_thread_create_on(ncpus > 1 ? w : 0, spinner, (void *)(uintptr_t)w, NULL);
	while (__atomic_load_n(&spin_done, __ATOMIC_ACQUIRE) < nworkers)
		k42_thread_sleep_us(2000);
	for (unsigned w = 0; w < nworkers; w++)
		EXPECT(th[w] && k42_thread_join(th[w], NULL) == 0, "spinner %u", w);
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t free0, free1, own0, own1, unlocked, ended;
	long obj0;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	nworkers = ncpus > 1 ? k42_vp_count() : 4;
	refusals();
	/* A first, shorter storm: the thread stacks, our heap, the region's
	 * page-table pages (which outlive a region) and the kernel's object
	 * caches on every CPU exist before free0. */
	storm(50, 1);
	spin_phase();	/* its regions' page tables too */
	settle();
	free0 = free_frames();
	own0 = own_frames();
	obj0 = k42_info(K42_INFO_KMEM_OBJECTS);
	unlocked = k42_info(K42_INFO_SWAPS_FREED_UNLOCKED);
	ended = k42_info(K42_INFO_SWAPS_ENDED_UNLOCKED);
	ended_mid_swap = 0;
	storm(SWAPS, 0);
	spin_phase();
	settle();
	unlocked = k42_info(K42_INFO_SWAPS_FREED_UNLOCKED) - unlocked;
	ended = k42_info(K42_INFO_SWAPS_ENDED_UNLOCKED) - ended;
	k42_printf("fcmswap_test: %u spinners, %d swaps each: %lu bad words; %lu swap mediators "
		   "freed without the kernel lock; %lu regions ended mid-swap, %lu of their mediators "
		   "freed so\n", nworkers, SPIN_ROUNDS, bad, unlocked, ended_mid_swap, ended);
	EXPECT(bad == 0, "%lu bad words", bad);
	EXPECT(ncpus == 1 || unlocked > 0, "no mediator freed without the kernel lock");
	EXPECT(ended_mid_swap > 0, "no region ended mid-swap");
	EXPECT(ncpus == 1 || ended > 0, "no mediator of a region ended mid-swap freed without the kernel lock");
	free1 = free_frames();
	own1 = own_frames();
	/* What must come back is every frame that is neither free, nor kept
	 * by kmem, nor our own process's memory: a frame the swaps lost. */
	k42_printf("fcmswap_test: free frames %lu before, %lu after; our own %lu before, %lu after; "
		   "%ld, %ld kernel objects live\n", free0, free1, own0, own1, obj0,
		   k42_info(K42_INFO_KMEM_OBJECTS));
	EXPECT(k42_info(K42_INFO_DEFERRED) == 0, "objects still waiting for quiescence");
	/* Every mediator and old FCM freed, wherever it ripened. */
	EXPECT((long)k42_info(K42_INFO_KMEM_OBJECTS) == obj0, "kernel objects: %ld, %ld before",
	       (long)k42_info(K42_INFO_KMEM_OBJECTS), obj0);
	EXPECT(free1 + own1 == free0 + own0, "frames lost: %lu -> %lu (own %lu -> %lu)", free0, free1, own0, own1);
	return verdict("fcmswap_test");
}
