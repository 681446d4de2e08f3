/*
 * SMP stress (run as init; docs/smp.md): with every CPU online, processes
 * placed on all of them fault pages in and make PPC calls to one shared
 * server at once, then storms of processes are created and killed while
 * they work. Every result is checked: each worker's memory and call
 * values, exit states, that the work really ran on more than one CPU, and
 * that after quiescent deletion the free-frame figure is back at its start.
 */
#include "check.h"

#define MAX_WORKERS 32
#define KILL_ROUNDS 4

static uint64_t free_frames(void)
{
	return (uint64_t)k42_info(K42_INFO_FREE_FRAMES) + (uint64_t)k42_info(K42_INFO_KMEM_CACHED);
}

static void settle(void)
{
	for (int i = 0; i < 2000 && k42_info(K42_INFO_DEFERRED); i++)
		k42_thread_sleep_us(1000);
}

static int popcount(uint64_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), echo, pids[MAX_WORKERS];
	int nworkers, state, status;
	uint64_t free0, free1, seen = 0;

	(void)arg;
	EXPECT(ncpus >= 1 && ncpus <= 64, "CPUs online: %ld", ncpus);
	EXPECT((long)k42_info(K42_INFO_CPU) < ncpus, "own CPU %ld", (long)k42_info(K42_INFO_CPU));
	nworkers = (int)(ncpus * 3 < 6 ? 6 : ncpus * 3);
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	echo = k42_spawn_path("tests/ppc_echo", K42_PRIO_GENERAL, 0);
	EXPECT(echo > 0, "spawn echo: %ld", echo);
	if (echo <= 0)
		return verdict("smp_stress_test");
	/* Concurrent faults and calls: every worker must finish clean. */
	for (int i = 0; i < nworkers; i++) {
		pids[i] = k42_spawn_path("tests/smp_worker", K42_PRIO_GENERAL, (uint64_t)echo);
		EXPECT(pids[i] > 0, "spawn worker %d: %ld", i, pids[i]);
	}
	for (int i = 0; i < nworkers; i++) {
		if (pids[i] <= 0)
			continue;
		state = k42_wait((uint64_t)pids[i], &status);
		EXPECT(state == K42_PROC_EXITED && status > 0 && !(status & 1),
		       "worker %d: state %d status %d", i, state, status);
		seen |= (uint64_t)status >> 1;
	}
	k42_printf("smp_stress_test: %d workers on %ld CPUs; CPUs used 0x%lx\n", nworkers, ncpus,
		   seen);
	EXPECT(popcount(seen) >= (ncpus > 1 ? 2 : 1), "work ran on CPUs 0x%lx only", seen);
	/* The baseline: the echo server has grown to serve every worker at once. */
	settle();
	free0 = free_frames();

	/* Create and kill storms while the workers fault and call. */
	for (int round = 0; round < KILL_ROUNDS; round++) {
		for (int i = 0; i < nworkers; i++)
			pids[i] = k42_spawn_path("tests/smp_worker", K42_PRIO_GENERAL,
						 (uint64_t)echo | 1ull << 32);
		k42_thread_sleep_us(2000 + 1000 * (uint64_t)round);
		for (int i = 0; i < nworkers; i++) {
			if (pids[i] <= 0) {
				EXPECT(pids[i] > 0, "round %d: spawn %d: %ld", round, i, pids[i]);
				continue;
			}
			EXPECT(k42_sc_proc_kill((uint64_t)pids[i]) == 0, "kill %ld", pids[i]);
		}
		for (int i = 0; i < nworkers; i++) {
			if (pids[i] <= 0)
				continue;
			state = k42_wait((uint64_t)pids[i], &status);
			EXPECT(state == K42_PROC_KILLED, "round %d: worker %d state %d", round, i,
			       state);
		}
	}
	k42_printf("smp_stress_test: %d create/kill rounds of %d workers\n", KILL_ROUNDS,
		   nworkers);

	/* The echo server still answers, and every frame came back. */
	{
		struct k42_ipc_msg m;

		m.op = k42_ipc_op(0x4243, 1, 1, 0, 0);
		for (int j = 0; j < 6; j++)
			m.w[j] = (uint64_t)j;
		EXPECT(k42_call((uint64_t)echo, &m, 1000) == 0 &&
		       m.w[5] == 5 * 3 + 5 + k42_info(K42_INFO_PID), "echo after the storms");
	}
	settle();
	free1 = free_frames();
	k42_printf("smp_stress_test: free frames %lu at start, %lu at the end; %ld deferred\n",
		   free0, free1, k42_info(K42_INFO_DEFERRED));
	EXPECT(k42_info(K42_INFO_DEFERRED) == 0, "objects still waiting for quiescence");
	EXPECT(free1 + 16 >= free0, "frames lost: %lu -> %lu", free0, free1);
	return verdict("smp_stress_test");
}
