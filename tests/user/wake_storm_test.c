/*
 * Wake-ups across CPUs without the kernel lock (kern/sched_wake.c), run as
 * init: two sched_storm_workers per CPU yield and block with upcalls
 * disabled, and a thread on a dispatcher on every CPU wakes its share of
 * them (worker i from dispatcher i % n) with K42_SOFTINTR_USER0, one
 * wake-up at a time (the next only once the worker counted the last), 300
 * times each: every CPU raises on every other CPU's run queue while that
 * CPU's own fast paths use it. Every worker must end with status 0 (its
 * sums in registers and on its stack agree), no wake-up may be lost (a
 * count that does not move for 10 s), the process count must come back,
 * and the kernel must have done wake-ups without its lock.
 */
#include "storm.h"

static uint64_t n, nvp;
static long pid[SCHED_STORM_MAX];
static int bad, lost_any, left_any;

static void *waker(void *arg)
{
	uint64_t v = (uint64_t)(uintptr_t)arg;
	struct storm_pace pace[SCHED_STORM_MAX] = { 0 };
	uint64_t t0 = k42_timebase(), hz = k42_info(K42_INFO_TIMEBASE_HZ);
	int left = 0;

	for (uint64_t i = v; i < n; i += nvp)
		left++;
	while (left > 0 && k42_timebase() - t0 < 150 * hz) {
		for (uint64_t i = v; i < n; i += nvp) {
			uint64_t status;
			long st;

			switch (sched_storm_pace(&pace[i], pid[i], hz, &st, &status)) {
			case PACE_ENDED:
				left--;
				if (!(st == K42_PROC_EXITED && status == 0)) {
					__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
					k42_printf("wake_storm_test: worker %lu: state %ld status %ld\n", i,
						   st, (long)status);
				}
				break;
			case PACE_LOST:
				__atomic_add_fetch(&lost_any, 1, __ATOMIC_RELAXED);
				k42_printf("wake_storm_test: worker %lu: wake-up %lu not taken in 10 s\n", i,
					   pace[i].acked + 1);
				break;
			}
		}
		k42_thread_sleep_us(100);
	}
	__atomic_add_fetch(&left_any, left, __ATOMIC_RELAXED);
	return NULL;
}

int main(uint64_t arg)
{
	uint64_t ncpus = k42_info(K42_INFO_CPUS_ONLINE), wakes = k42_info(K42_INFO_WAKES_UNLOCKED);
	long procs0 = (long)k42_info(K42_INFO_PROCESSES);
	k42_thread_t *th[K42_VPS_MAX];

	(void)arg;
	for (uint64_t c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		EXPECT(k42_vp_start((unsigned)c) == (long)c, "a dispatcher on CPU %lu", c);
	nvp = k42_vp_count();
	n = ncpus * SCHED_STORM_PER_CPU;
	if (n > SCHED_STORM_MAX)
		n = SCHED_STORM_MAX;
	if (!sched_storm_spawn(pid, n))
		return verdict("wake_storm_test");
	for (uint64_t v = 0; v < nvp; v++)
		th[v] = k42_thread_create_on((unsigned)v, waker, (void *)(uintptr_t)v, NULL);
	for (uint64_t v = 0; v < nvp; v++)
		EXPECT(th[v] && k42_thread_join(th[v], NULL) == 0, "waker %lu", v);
	EXPECT(left_any == 0, "%d workers still running after 150 s", left_any);
	EXPECT(lost_any == 0, "%d wake-ups lost", lost_any);
	EXPECT(bad == 0, "%d workers failed", bad);
	for (uint64_t i = 0; i < n; i++)
		k42_sc_proc_kill((uint64_t)pid[i]);
	storm_procs_back(procs0);
	wakes = k42_info(K42_INFO_WAKES_UNLOCKED) - wakes;
	k42_printf("wake_storm_test: %lu workers on %lu CPUs woken from %lu dispatchers, %d failed, "
		   "%d lost; %lu wake-ups without the kernel lock\n", n, ncpus, nvp, bad, lost_any, wakes);
	/* (A waker with events of its own to take goes the locked way.) */
	EXPECT(wakes >= n * SCHED_STORM_WAKES / 2, "%lu unlocked wake-ups for %lu taken", wakes,
	       n * SCHED_STORM_WAKES);
	return verdict("wake_storm_test");
}
