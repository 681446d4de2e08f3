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
#include "check.h"
#include "sched_storm.h"

#define PER_CPU 2
#define MAX_WORKERS (2 * 16)

int main(uint64_t arg)
{
	uint64_t ncpus = k42_info(K42_INFO_CPUS_ONLINE), n = ncpus * PER_CPU, raises = 0;
	long pid[MAX_WORKERS];
	int done[MAX_WORKERS] = { 0 }, raised[MAX_WORKERS] = { 0 }, lost[MAX_WORKERS] = { 0 };
	uint64_t acked[MAX_WORKERS] = { 0 }, raised_tb[MAX_WORKERS] = { 0 };
	int left, bad = 0;
	uint64_t t0 = k42_timebase(), hz = k42_info(K42_INFO_TIMEBASE_HZ);
	long procs0 = (long)k42_info(K42_INFO_PROCESSES);

	(void)arg;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	for (uint64_t i = 0; i < n; i++) {
		pid[i] = k42_spawn_path("tests/sched_storm_worker", K42_PRIO_GENERAL, i + 1);
		EXPECT(pid[i] > 0, "worker %lu: %ld", i, pid[i]);
		if (pid[i] <= 0)
			return verdict("sched_storm_test");
	}
	left = (int)n;
	while (left > 0 && k42_timebase() - t0 < 120 * hz) {
		for (uint64_t i = 0; i < n; i++) {
			uint64_t out[1], taken = 0;
			long st;

			if (done[i])
				continue;
			st = k42_sc_proc_status((uint64_t)pid[i], out);
			if (st == K42_PROC_EXITED || st == K42_PROC_KILLED || st < 0) {
				done[i] = 1;
				left--;
				bad += !(st == K42_PROC_EXITED && out[0] == 0);
				EXPECT(st == K42_PROC_EXITED && out[0] == 0, "worker %lu: state %ld status %ld",
				       i, st, (long)out[0]);
				continue;
			}
			if (k42_sc_mem_read((uint64_t)pid[i], SCHED_STORM_VA, (uint64_t)&taken,
					    sizeof(taken)) < 0)
				continue;	/* not counting yet */
			if (raised[i] && taken < acked[i] + 1) {
				if (k42_timebase() - raised_tb[i] > 10 * hz && !lost[i]) {
					lost[i] = 1;
					EXPECT(0, "worker %lu: wake-up %lu not taken in 10 s", i,
					       acked[i] + 1);
				}
				continue;	/* the last one is still on its way */
			}
			acked[i] = taken;
			raised[i] = k42_sc_softintr_raise((uint64_t)pid[i], K42_SOFTINTR_USER0) == 0;
			raised_tb[i] = k42_timebase();
			raises += raised[i];
		}
		k42_thread_sleep_us(100);	/* (idle: our runtime serves the children's start-up) */
	}
	EXPECT(left == 0, "%d workers still running after 120 s", left);
	for (uint64_t i = 0; i < n; i++)
		if (!done[i])
			k42_sc_proc_kill((uint64_t)pid[i]);
	for (int i = 0; i < 1000 && (long)k42_info(K42_INFO_PROCESSES) != procs0; i++)
		k42_thread_sleep_us(1000);
	EXPECT((long)k42_info(K42_INFO_PROCESSES) == procs0, "processes: %ld, %lu at the start",
	       (long)k42_info(K42_INFO_PROCESSES), procs0);
	k42_printf("sched_storm_test: %lu workers on %lu CPUs, %d failed, %lu wake-ups raised\n", n,
		   ncpus, bad, raises);
	return verdict("sched_storm_test");
}
