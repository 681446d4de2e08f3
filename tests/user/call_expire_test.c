/*
 * Bounded PPC calls ended by the tick without the kernel lock
 * (kern/timer.c, ipc_calls_expire_locks in kern/ppc_timed.c), run as init.
 * Threads on a dispatcher on every CPU make, each in turn:
 *  - a bounded call (1 to 15 ms) to a one-dispatcher server that spins 0
 *    to 15 ms before it answers (ppc_cross_server, ordinal 4): the call
 *    is taken and answered in time, or expires while taken (its reply
 *    then finds nobody) or while queued behind another caller's (it is
 *    withdrawn from the server living on another CPU);
 *  - a bounded call (1 to 5 ms) to a process that never takes calls
 *    (tests/stuck): it must expire;
 *  - an unbounded call with bytes to the same server (ordinal 3), which
 *    must be answered right whatever the expiries left behind.
 * Every answer must be right, every -K42_ETIMEDOUT no earlier than its
 * bound, nothing else; at the end the outstanding calls and the
 * processes are back where they were, and with more than one CPU
 * sys_info(K42_INFO_CALLS_EXPIRED_UNLOCKED) must have moved.
 */
#include "storm.h"

#define THREADS 2
#define CALLS 45

static long server, stuck;
static uint64_t bad, calls, self, timedout, answered, hz;

static void count_bad(const char *what, long rc, uint64_t us, uint64_t bound)
{
	if (__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
		k42_printf("call_expire_test: %s: %ld after %lu us (bound %lu us)\n", what, rc, us,
			   bound);
}

/* A call of ordinal ord with len bytes through the PPC page, bounded by
 * bound_us (0: none): 1 answered right, 0 timed out no earlier than the
 * bound, -1 anything else. */
static int call(long target, uint32_t ord, uint32_t len, uint64_t seed, uint64_t bound_us,
		const char *what)
{
	struct k42_ipc_msg pm = { 0 };
	int s = k42_disable_save(), ok = -1;
	uint8_t *page = k42_ppc_page();
	uint64_t t0, us;
	long rc;

	pm.op = k42_ipc_op(CROSS_IFACE, 1, ord, 0, len);
	cross_fill(&pm, page, len, seed);
	k42_ipc_set_timeout_us(bound_us);
	t0 = k42_timebase();
	rc = k42_call((uint64_t)target, &pm, 1);
	us = (k42_timebase() - t0) * 1000000 / hz;
	k42_ipc_set_timeout_us(0);
	if (rc == -K42_ETIMEDOUT && bound_us && us >= bound_us)
		ok = 0;
	else if (rc == 0 && pm.len == len && cross_echo_ok(page, len, seed)) {
		ok = 1;
		for (int i = 0; i < (ord == 3 ? 5 : 6); i++)
			if (pm.w[i] != (seed * 13 + (uint64_t)i * 0x10001) * 5 + self + (uint64_t)i)
				ok = -1;
	}
	k42_restore(s);
	if (ok < 0)
		count_bad(what, rc, us, bound_us);
	return ok;
}

static void *caller(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t seed = ((uint64_t)vp << 36) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);

	for (int i = 0; i < CALLS; i++, seed += 7919) {
		int r = call(server, 4, (uint32_t)(seed % 200), seed, 1000 + (seed >> 3) % 15000,
			     "bounded call to the slow server");

		if (r == 0)
			__atomic_add_fetch(&timedout, 1, __ATOMIC_RELAXED);
		else if (r == 1)
			__atomic_add_fetch(&answered, 1, __ATOMIC_RELAXED);
		if (call(stuck, 1, 0, seed, 1000 + (seed >> 5) % 4000, "bounded call to stuck") != 0 &&
		    __atomic_add_fetch(&bad, 0, __ATOMIC_RELAXED) == 0)
			count_bad("a call to stuck was answered", 0, 0, 0);
		call(server, 3, (uint32_t)(seed % 3000), seed + 1, 0, "unbounded call");
		__atomic_add_fetch(&calls, 3, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	long procs0 = (long)k42_info(K42_INFO_PROCESSES);
	uint64_t in_use = k42_info(K42_INFO_IPC_CALLS), e0, now = 0, deadline;
	int status, n;

	(void)arg;
	hz = k42_info(K42_INFO_TIMEBASE_HZ);
	self = k42_info(K42_INFO_PID);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 0);
	stuck = k42_spawn_path("tests/stuck", K42_PRIO_GENERAL, 0);
	EXPECT(server > 0 && stuck > 0, "spawn: %ld %ld", server, stuck);
	if (server <= 0 || stuck <= 0)
		return verdict("call_expire_test");
	e0 = k42_info(K42_INFO_CALLS_EXPIRED_UNLOCKED);
	n = storm_threads(caller, THREADS);
	e0 = k42_info(K42_INFO_CALLS_EXPIRED_UNLOCKED) - e0;
	k42_printf("call_expire_test: %lu calls from %u dispatchers on %ld CPUs, %lu bad; "
		   "slow server: %lu answered, %lu timed out; %lu expired without the kernel lock\n",
		   calls, k42_vp_count(), ncpus, bad, answered, timedout, e0);
	EXPECT(calls == (uint64_t)n * CALLS * 3, "%lu calls of %lu", calls, (uint64_t)n * CALLS * 3);
	EXPECT(bad == 0, "%lu bad calls", bad);
	if (ncpus > 1)
		EXPECT(e0 > 0, "no bounded call expired without the kernel lock");

	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);
	EXPECT(k42_sc_proc_kill((uint64_t)stuck) == 0, "kill stuck");
	k42_wait((uint64_t)stuck, &status);
	deadline = k42_timebase() + 60 * hz;
	do {
		now = k42_info(K42_INFO_IPC_CALLS);
		if (now == in_use && !k42_info(K42_INFO_DEFERRED))
			break;
		k42_thread_sleep_us(2000);
	} while ((int64_t)(k42_timebase() - deadline) < 0);
	storm_procs_back(procs0);
	EXPECT(now == in_use, "%lu calls outstanding at the end, %lu at the start", now, in_use);
	k42_printf("call_expire_test: outstanding calls %lu -> %lu\n", in_use, now);
	return verdict("call_expire_test");
}
