/*
 * A spinner (tests/stuck) on every CPU, in user mode, for the tests of
 * waits on quiescence (pm_retired_test, call_retired_test): a CPU that
 * runs one passes a quiescent point only at its tick, so what an unmap
 * retired takes a tick or two to come back. Include after check.h.
 */
#ifndef USER_SPINNERS_H
#define USER_SPINNERS_H

/* One per CPU (the kernel places them round-robin); how many started. */
static inline int spinners_start(long ncpus, long spin[K42_VPS_MAX])
{
	int n = 0;

	for (long c = 0; c < ncpus && n < K42_VPS_MAX; c++) {
		spin[n] = k42_spawn_path("tests/stuck", K42_PRIO_GENERAL, 0);
		EXPECT(spin[n] > 0, "spawn spinner: %ld", spin[n]);
		if (spin[n] > 0)
			n++;
	}
	return n;
}

static inline void spinners_stop(const long spin[K42_VPS_MAX], int n)
{
	for (int i = 0; i < n; i++) {
		int st = -1;

		EXPECT(k42_sc_proc_kill((uint64_t)spin[i]) == 0, "kill spinner %ld", spin[i]);
		k42_wait((uint64_t)spin[i], &st);
	}
}

#endif
