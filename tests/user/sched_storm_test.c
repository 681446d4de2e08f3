/*
 * yield and block under MTTCG (docs/smp.md, kern/sched_fast.c), run as
 * init: two workers per CPU (round-robin placement puts them side by
 * side) yield and block with upcalls disabled, and init wakes each of
 * them from its own CPU with K42_SOFTINTR_USER0, one wake-up at a time
 * (the next only once the worker counted the last), 300 times. Every
 * worker must end with status 0 (its running sums in registers and on its
 * stack agree), no wake-up may be lost (a worker whose count does not
 * move for 10 s), and the process count must come back.
 */
#include "storm.h"

int main(uint64_t arg)
{
	uint64_t ncpus = k42_info(K42_INFO_CPUS_ONLINE), n = ncpus * SCHED_STORM_PER_CPU, raises = 0;
	long pid[SCHED_STORM_MAX];
	struct storm_pace pace[SCHED_STORM_MAX] = { 0 };
	int left, bad = 0;
	uint64_t t0 = k42_timebase(), hz = k42_info(K42_INFO_TIMEBASE_HZ);
	long procs0 = (long)k42_info(K42_INFO_PROCESSES);

	(void)arg;
	if (n > SCHED_STORM_MAX)
		n = SCHED_STORM_MAX;
	if (!sched_storm_spawn(pid, n))
		return verdict("sched_storm_test");
	left = (int)n;
	while (left > 0 && k42_timebase() - t0 < 120 * hz) {
		for (uint64_t i = 0; i < n; i++) {
			uint64_t status;
			long st;

			switch (sched_storm_pace(&pace[i], pid[i], hz, &st, &status)) {
			case PACE_ENDED:
				left--;
				bad += !(st == K42_PROC_EXITED && status == 0);
				EXPECT(st == K42_PROC_EXITED && status == 0, "worker %lu: state %ld status %ld",
				       i, st, (long)status);
				break;
			case PACE_LOST:
				EXPECT(0, "worker %lu: wake-up %lu not taken in 10 s", i, pace[i].acked + 1);
				break;
			case PACE_RAISED:
				raises++;
				break;
			}
		}
		k42_thread_sleep_us(100);	/* (idle: our runtime serves the children's start-up) */
	}
	EXPECT(left == 0, "%d workers still running after 120 s", left);
	for (uint64_t i = 0; i < n; i++)
		if (!pace[i].done)
			k42_sc_proc_kill((uint64_t)pid[i]);
	storm_procs_back(procs0);
	k42_printf("sched_storm_test: %lu workers on %lu CPUs, %d failed, %lu wake-ups raised\n", n,
		   ncpus, bad, raises);
	return verdict("sched_storm_test");
}
