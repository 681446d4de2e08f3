/*
 * What the storm tests (tests/user/NAME_storm_test.c) share: dispatchers of
 * the test's own process started on chosen CPUs (disp_create, each with
 * a stack here) and parked when done; the wait for each to report a
 * phase, by a blocking sleep (classes are strict: a yield never runs a
 * lower class, docs/kernel-interface.md); the check of where each ran;
 * the wait for the process count to come back; and the pacing of
 * sched_storm_worker's wake-ups (sched_storm_test, wake_storm_test); and
 * the callers of tests/ppc_cross_server (ppc_cross_test, ppc_queue_test,
 * idle_storm_test): the values of a call and their checks, the threads
 * on every dispatcher and their loop.
 */
#ifndef USER_STORM_H
#define USER_STORM_H

#include "check.h"
#include "sched_storm.h"

#define STORM_STACK 16384

static uint8_t storm_stacks[K42_VPS_MAX][STORM_STACK] __attribute__((aligned(16), unused));

/* The shared page of the dispatcher this runs on (SPRG3): for one that
 * storm_start started, which runs without libk42. */
static inline struct k42_disp_shared *storm_disp_shared(void)
{
	uint64_t v;

	__asm__ volatile("mfspr %0, 259" : "=r"(v));
	return (struct k42_disp_shared *)v;
}

/* The CPU of dispatcher i (1, 2, ...) when `per` of them share each CPU
 * from CPU `first` on. */
static inline long storm_cpu(int i, long first, int per)
{
	return first + (i - 1) / per;
}

/* Start dispatchers 1 .. count (fewer if K42_VPS_MAX says so) at entry,
 * r3 = their index, placed as storm_cpu says. A failed disp_create is
 * reported and ends the starting. Returns one past the last started. */
static inline int storm_start(void (*entry)(uint64_t), long count, long first, int per)
{
	int n;

	for (n = 1; n <= count && n < K42_VPS_MAX; n++) {
		long c = storm_cpu(n, first, per);
		long idx = k42_sc_disp_create((uint64_t)c, (uint64_t)(uintptr_t)entry,
					      (uint64_t)(uintptr_t)&storm_stacks[n][STORM_STACK],
					      (uint64_t)n);

		EXPECT(idx == n, "disp_create on CPU %ld: %ld", c, idx);
		if (idx != n)
			break;
	}
	return n;
}

/* A started dispatcher that has finished: it stays blocked for good. */
static inline __attribute__((noreturn)) void storm_park(void)
{
	for (;;)
		k42_sc_block();
}

/* Wait until done[i] >= want for every i in [from, n), stepping by step,
 * at most secs seconds, sleeping 2 ms at a time (blocked, so that every
 * class runs meanwhile). 1 if all got there. */
static inline int storm_wait(const uint64_t *done, int from, int step, int n, uint64_t want,
			     uint64_t secs)
{
	uint64_t until = k42_timebase() + secs * k42_info(K42_INFO_TIMEBASE_HZ);
	int all = 1;

	for (int i = from; i < n; i += step) {
		while (__atomic_load_n(&done[i], __ATOMIC_ACQUIRE) < want && k42_timebase() < until)
			k42_thread_sleep_us(2000);
		all &= __atomic_load_n(&done[i], __ATOMIC_ACQUIRE) >= want;
	}
	return all;
}

/* Each dispatcher i in [from, n), stepping by step, must have run on the
 * CPU it was started on (cpu[i], what K42_INFO_CPU said there). */
static inline void storm_check_cpus(const uint64_t *cpu, int from, int step, int n, long first,
				    int per)
{
	for (int i = from; i < n; i += step)
		EXPECT(cpu[i] == (uint64_t)storm_cpu(i, first, per), "dispatcher %d ran on CPU %lu", i,
		       cpu[i]);
}

/* tests/file_server spawned with a file of `pages` pages, mapped
 * read-only at va in this process: the server's pid, or 0 (reported). */
static inline long storm_file_map(uint64_t pages, uint64_t va)
{
	struct k42_ipc_msg m;
	long srv = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, pages), rc;

	EXPECT(srv > 0, "spawn: %ld", srv);
	if (srv <= 0)
		return 0;
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)srv, &m, 1000);
	EXPECT(rc == 0 && m.w[1] == pages * K42_PAGE_SIZE, "get fr: %ld, size %lu", rc, m.w[1]);
	if (rc != 0)
		return 0;
	rc = k42_sc_mem_map_file(k42_info(K42_INFO_PID), va, m.w[1], K42_PROT_READ, m.w[0]);
	EXPECT(rc == 0, "map file: %ld", rc);
	return rc == 0 ? srv : 0;
}

/* The process count must come back to procs0 (within a second). */
static inline void storm_procs_back(long procs0)
{
	for (int i = 0; i < 1000 && (long)k42_info(K42_INFO_PROCESSES) != procs0; i++)
		k42_thread_sleep_us(1000);
	EXPECT((long)k42_info(K42_INFO_PROCESSES) == procs0, "processes: %ld, %ld at the start",
	       (long)k42_info(K42_INFO_PROCESSES), procs0);
}

/* Wait (up to 60 s, sleeping: every CPU idles and reclaims) until the
 * kernel's outstanding calls are back at in_use, nothing waits for
 * quiescence and procs0 processes live again; the caller checks each. */
static inline void storm_settle(uint64_t in_use, long procs0)
{
	uint64_t deadline = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);

	while ((k42_info(K42_INFO_IPC_CALLS) != in_use || k42_info(K42_INFO_DEFERRED) ||
		(long)k42_info(K42_INFO_PROCESSES) != procs0) &&
	       (int64_t)(k42_timebase() - deadline) < 0)
		k42_thread_sleep_us(2000);
}

/* sched_storm_workers: SCHED_STORM_PER_CPU per CPU (round-robin
 * placement puts them side by side), at most SCHED_STORM_MAX. */
#define SCHED_STORM_PER_CPU 2
#define SCHED_STORM_MAX (2 * 16)

/* Spawn n workers (arguments 1 .. n) into pid: 1 if all started, else
 * reported. */
static inline int sched_storm_spawn(long *pid, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid[i] = k42_spawn_path("tests/sched_storm_worker", K42_PRIO_GENERAL, i + 1);
		EXPECT(pid[i] > 0, "worker %lu: %ld", i, pid[i]);
		if (pid[i] <= 0)
			return 0;
	}
	return 1;
}

/* One worker's wake-ups as its waker paces them: one at a time, the next
 * only once the worker counted the last (at SCHED_STORM_VA). */
struct storm_pace {
	int done, raised, lost;
	uint64_t acked, raised_tb;
};

enum { PACE_NOTHING, PACE_ENDED, PACE_LOST, PACE_RAISED };

/* One look at worker pid (hz: timebase ticks a second):
 *  PACE_ENDED    it has ended, now: *state and *status say how (exited
 *                with 0: its sums agreed);
 *  PACE_LOST     its last wake-up has not been taken in 10 s (said once);
 *  PACE_RAISED   it took the last one, and the next is raised;
 *  PACE_NOTHING  it ended before, is not counting yet, a wake-up is on its
 *                way, or the raise failed (tried again at the next look). */
static inline int sched_storm_pace(struct storm_pace *p, long pid, uint64_t hz, long *state,
				   uint64_t *status)
{
	uint64_t out[1] = { 0 }, taken = 0;
	long st;

	if (p->done)
		return PACE_NOTHING;
	st = k42_sc_proc_status((uint64_t)pid, out);
	if (st == K42_PROC_EXITED || st == K42_PROC_KILLED || st < 0) {
		p->done = 1;
		*state = st;
		*status = out[0];
		return PACE_ENDED;
	}
	if (k42_sc_mem_read((uint64_t)pid, SCHED_STORM_VA, (uint64_t)&taken, sizeof(taken)) < 0)
		return PACE_NOTHING;	/* not counting yet */
	if (p->raised && taken < p->acked + 1) {
		if (k42_timebase() - p->raised_tb > 10 * hz && !p->lost) {
			p->lost = 1;
			return PACE_LOST;
		}
		return PACE_NOTHING;	/* the last one is still on its way */
	}
	p->acked = taken;
	p->raised = k42_sc_softintr_raise((uint64_t)pid, K42_SOFTINTR_USER0) == 0;
	p->raised_tb = k42_timebase();
	return p->raised ? PACE_RAISED : PACE_NOTHING;
}

/* ---- calls to tests/ppc_cross_server (interface CROSS_IFACE) ----
 * Ordinal 1: the words sent are seed * 13 + i * 0x10001 and come back as
 * w * 5 + the caller's pid + i; the bytes sent, (seed + j * 3), come back
 * XORed with 0x3c + seed * 13. */
#define CROSS_IFACE 0x5843
#define STORM_THREADS_MAX 4	/* storm_threads per dispatcher */

static inline uint64_t cross_op(uint32_t ord, uint32_t len)
{
	return k42_ipc_op(CROSS_IFACE, 1, ord, 0, len);
}

static inline void cross_fill(struct k42_ipc_msg *m, uint8_t *page, uint32_t len, uint64_t seed)
{
	for (int i = 0; i < 6; i++)
		m->w[i] = seed * 13 + (uint64_t)i * 0x10001;
	for (uint32_t j = 0; j < len; j++)
		page[j] = (uint8_t)(seed + j * 3);
}

static inline int cross_words_ok(long rc, const struct k42_ipc_msg *m, uint64_t seed,
				 uint64_t self)
{
	if (rc != 0)
		return 0;
	for (int i = 0; i < 6; i++)
		if (m->w[i] != (seed * 13 + (uint64_t)i * 0x10001) * 5 + self + (uint64_t)i)
			return 0;
	return 1;
}

static inline int cross_echo_ok(const uint8_t *p, uint32_t len, uint64_t seed)
{
	for (uint32_t j = 0; j < len; j++)
		if (p[j] != (uint8_t)((uint8_t)(seed + j * 3) ^ (uint8_t)(0x3c + seed * 13)))
			return 0;
	return 1;
}

/* A synchronous call of ordinal 1 to srv with len bytes through the
 * dispatcher's PPC page (disabled meanwhile: the page is the
 * dispatcher's), and an asynchronous one with len bytes through the
 * thread's own buffer: 1 if every value of the reply is right. */
static inline int cross_sync_call(long srv, uint32_t len, uint64_t seed, uint64_t self)
{
	struct k42_ipc_msg pm = { 0 };
	int s = k42_disable_save(), ok;
	uint8_t *page = k42_ppc_page();
	long rc;

	pm.op = cross_op(1, len);
	cross_fill(&pm, page, len, seed);
	rc = k42_call((uint64_t)srv, &pm, 1);
	ok = cross_words_ok(rc, &pm, seed, self) && pm.len == len && cross_echo_ok(page, len, seed);
	k42_restore(s);
	return ok;
}

static inline int cross_async_call(long srv, uint32_t len, uint64_t seed, uint64_t self)
{
	struct k42_ipc_msg *m = k42_ipc_msg_get();
	long rc;

	m->op = cross_op(1, len);
	cross_fill(m, m->page, len, seed);
	if (len < K42_IPC_PAGE_BYTES)
		m->page[len] = 0x5a;	/* the byte past them must stay */
	rc = k42_ipc_call((uint64_t)srv, m);
	return cross_words_ok(rc, m, seed, self) && m->len == len && cross_echo_ok(m->page, len, seed) &&
	       (len == K42_IPC_PAGE_BYTES || m->page[len] == 0x5a);
}

/* A caller thread's loop on dispatcher vp: n calls, call i of kind
 * (i + vp) % kinds with a seed of its own, checked by one(kind, seed);
 * a wrong one counts 1 in *bad (the first five said), a thread found off
 * its dispatcher 1,000,000; every call counts in *calls. */
static inline void cross_caller_loop(const char *who, unsigned vp, uint64_t n, unsigned kinds,
				     int (*one)(unsigned kind, uint64_t seed), uint64_t *bad,
				     uint64_t *calls)
{
	uint64_t base = ((uint64_t)vp << 36) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);

	for (uint64_t i = 0; i < n; i++) {
		unsigned kind = (unsigned)((i + vp) % kinds);

		if (!one(kind, base + i * 911) && __atomic_add_fetch(bad, 1, __ATOMIC_RELAXED) <= 5)
			k42_printf("%s: bad reply to a call of kind %u on dispatcher %u\n", who, kind,
				   vp);
		__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
		if (k42_vp_index() != vp)
			__atomic_add_fetch(bad, 1000000, __ATOMIC_RELAXED);
	}
}

/* per_vp threads on every dispatcher of ours (argument: its index), each
 * running fn, all joined; one that did not start or end is reported. The
 * number started. */
static inline int storm_threads(void *(*fn)(void *), int per_vp)
{
	k42_thread_t *th[K42_VPS_MAX * STORM_THREADS_MAX];
	unsigned nvp = k42_vp_count();
	int n = 0;

	if (per_vp > STORM_THREADS_MAX)
		per_vp = STORM_THREADS_MAX;
	for (unsigned v = 0; v < nvp && v < K42_VPS_MAX; v++)
		for (int k = 0; k < per_vp; k++)
			th[n++] = k42_thread_create_on(v, fn, (void *)(uintptr_t)v, NULL);
	for (int i = 0; i < n; i++)
		EXPECT(th[i] && k42_thread_join(th[i], NULL) == 0, "thread %d of %d", i, n);
	return n;
}

#endif
