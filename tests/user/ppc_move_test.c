/*
 * PPC calls that move a server's dispatcher 0 to the caller's CPU without
 * the kernel lock (kern/ppc_move.c), run as init. A server with ONE
 * dispatcher (ppc_cross_server) is called:
 *  - walk: by one thread that migrates through a dispatcher on every CPU
 *    and calls from each, so the idle server is on another CPU at every
 *    call; every word and byte checked, and where it was served counted;
 *    then the same walk with async calls (ppc_call_async), which move
 *    the server the same way;
 *  - storm: by threads on every dispatcher at once, pausing between
 *    calls so the server is often idle somewhere else (moved, queued or
 *    entered here), sync with and without bytes and async, every reply
 *    checked, while a noise process yields on every CPU;
 *  - kill: servers killed while callers on every CPU move them, and a
 *    new server started at once: every call made after the kill to the
 *    old pid must fail (-K42_EDEAD or -K42_ESRCH), never reach the new
 *    one, and the new one must answer right.
 * At the end the outstanding calls and the process count are back at
 * their start, and the free frames where they were before the kill
 * rounds (every killed server's memory freed after quiescence). With
 * more than one CPU
 * sys_info(K42_INFO_PPC_MOVES_UNLOCKED) must have moved.
 */
#include "storm.h"

#define WALK_ROUNDS 150
#define THREADS 2
#define CALLS 300
#define KILL_ROUNDS 6
#define AFTER 20	/* calls to a killed server's pid each caller makes */

static long server;
static uint64_t bad, calls, self, here;
static volatile int killed;

static uint64_t free_frames(void)
{
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

/* A synchronous call of ordinal 3 with len bytes through the PPC page:
 * the reply must be right (words, bytes, the byte past them), its w5
 * the CPU it was served on. -1: wrong, else that CPU; *rcp the status. */
static long move_call(long srv, uint32_t len, uint64_t seed, long *rcp)
{
	struct k42_ipc_msg pm = { 0 };
	int s = k42_disable_save();
	uint8_t *page = k42_ppc_page();
	long rc, cpu = -1;

	pm.op = k42_ipc_op(CROSS_IFACE, 1, 3, 0, len);
	cross_fill(&pm, page, len, seed);
	if (len < K42_IPC_PAGE_BYTES)
		page[len] = 0xa5;
	rc = k42_call((uint64_t)srv, &pm, 1);
	*rcp = rc;
	if (rc == 0 && pm.len == len && cross_echo_ok(page, len, seed) &&
	    (len == K42_IPC_PAGE_BYTES || page[len] == 0xa5)) {
		int ok = 1;

		for (int i = 0; i < 5; i++)
			ok &= pm.w[i] == (seed * 13 + (uint64_t)i * 0x10001) * 5 + self + (uint64_t)i;
		if (ok)
			cpu = (long)pm.w[5];
	}
	k42_restore(s);
	return cpu;
}

/* move_call's call made asynchronously (ppc_call_async, the bytes from
 * a buffer of ours: k42_ipc_call_wait), checked the same way. */
static long move_call_async(long srv, uint32_t len, uint64_t seed)
{
	struct k42_ipc_msg *m = k42_ipc_msg_get();
	long rc, cpu = -1;
	int ok = 1;

	m->op = k42_ipc_op(CROSS_IFACE, 1, 3, 0, len);
	cross_fill(m, m->page, len, seed);
	if (len < K42_IPC_PAGE_BYTES)
		m->page[len] = 0x5a;
	rc = k42_ipc_call_wait((uint64_t)srv, m);
	for (int i = 0; i < 5; i++)
		ok &= m->w[i] == (seed * 13 + (uint64_t)i * 0x10001) * 5 + self + (uint64_t)i;
	if (rc == 0 && ok && m->len == len && cross_echo_ok(m->page, len, seed) &&
	    (len == K42_IPC_PAGE_BYTES || m->page[len] == 0x5a))
		cpu = (long)m->w[5];
	return cpu;
}

static void count_bad(const char *what, unsigned vp)
{
	if (__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
		k42_printf("ppc_move_test: bad reply (%s) on dispatcher %u\n", what, vp);
}

/* move_call with its status left unchecked here (the CPU says it). */
static long walk_call_sync(long srv, uint32_t len, uint64_t seed)
{
	long rc;

	return move_call(srv, len, seed, &rc);
}

/* One thread migrates through every dispatcher WALK_ROUNDS times and
 * calls the server from each with call() (lengths 0 to a page by `step`,
 * seeds from `salt`); its line says how many were served on the
 * caller's CPU and moved without the kernel lock, and with more than
 * one CPU some must have been. */
static void walk_with(const char *name, long ncpus, long (*call)(long, uint32_t, uint64_t),
		      int step, uint64_t salt)
{
	unsigned nvp = k42_vp_count();
	uint64_t m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED), n = 0;

	here = 0;
	for (int r = 0; r < WALK_ROUNDS; r++) {
		for (unsigned v = 0; v < nvp; v++) {
			uint32_t len = (uint32_t)((r * step + (int)v * 1237) % (K42_IPC_PAGE_BYTES + 1));
			long cpu, mine;

			k42_thread_migrate(v);
			mine = (long)k42_disp()->cpu;
			cpu = call(server, len, ((uint64_t)r << 8) + v + salt);
			n++;
			if (cpu < 0)
				count_bad(name, v);
			else if (cpu == mine)
				here++;
		}
	}
	k42_thread_migrate(0);
	m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED) - m0;
	k42_printf("ppc_move_test: %s: %lu calls through %u dispatchers on %ld CPUs, %lu bad, "
		   "%lu served on the caller's CPU; %lu moves without the kernel lock\n",
		   name, n, nvp, ncpus, bad, here, m0);
	if (ncpus > 1)
		EXPECT(m0 > 0, "%s: no call moved the server without the kernel lock", name);
}

/* Sync calls, then the same walk with async calls: the locked path moves
 * the server here for them too, and so does ppc_call_move
 * (kern/ppc_move.c). */
static void walk(long ncpus)
{
	walk_with("walk", ncpus, walk_call_sync, 7, 0);
	walk_with("async walk", ncpus, move_call_async, 11, 0x7700000);
}

/* One call of the storm: kind 0 sync with bytes, 1 sync without, 2 async
 * with bytes; then a pause of up to ~4,000 loops so the server idles. */
static int storm_one(unsigned kind, uint64_t seed)
{
	volatile uint64_t spin = 0;
	long rc;
	int ok;

	if (kind == 2)
		ok = cross_async_call(server, (uint32_t)(seed % 3000) + 1, seed, self);
	else
		ok = move_call(server, kind ? 0 : (uint32_t)(seed % K42_IPC_PAGE_BYTES) + 1, seed, &rc) >= 0;
	for (uint64_t i = 0; i < (seed >> 4) % 4000; i++)
		spin += i;
	return ok;
}

static void *storm_thread(void *arg)
{
	cross_caller_loop("ppc_move_test", (unsigned)(uintptr_t)arg, CALLS, 3, storm_one, &bad,
			  &calls);
	return NULL;
}

/* A caller while servers are killed: calls `server` until it is killed,
 * then AFTER more to the same pid, each of which must fail. */
static void *kill_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t seed = ((uint64_t)vp << 40) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);
	long srv = server;

	for (int after = 0; after < AFTER; seed += 977) {
		int was = __atomic_load_n(&killed, __ATOMIC_ACQUIRE);
		long rc, cpu = move_call(srv, (uint32_t)(seed % 512), seed, &rc);

		if (was) {
			after++;
			if (rc != -K42_EDEAD && rc != -K42_ESRCH)
				count_bad("a killed server's pid answered", vp);
		} else if (cpu < 0 && rc != -K42_EDEAD && rc != -K42_ESRCH) {
			count_bad("kill round", vp);
		}
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
		k42_thread_yield();	/* (the killer shares dispatcher 0) */
	}
	return NULL;
}

/* Kill `server` 5 to 25 ms from now and start a new one at once. */
static void *killer(void *arg)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);
	long r = (long)(uintptr_t)arg, next;

	k42_thread_sleep_until(k42_timebase() + hz / 200 + (uint64_t)r * hz / 250);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill server %ld", server);
	next = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, (uint64_t)(r & 1));
	EXPECT(next > 0 && next != server, "spawn the next server: %ld", next);
	__atomic_store_n(&killed, 1, __ATOMIC_RELEASE);
	return (void *)(uintptr_t)next;
}

static void kill_rounds(int from, int to)
{
	int status;

	for (int r = from; r < to; r++) {
		k42_thread_t *k;
		void *next = NULL;
		long rc, old = server;

		killed = 0;
		k = k42_thread_create(killer, (void *)(uintptr_t)r);
		EXPECT(k != NULL, "killer thread");
		if (!k)
			return;
		storm_threads(kill_thread, 1);
		EXPECT(k42_thread_join(k, &next) == 0, "join the killer");
		k42_wait((uint64_t)old, &status);
		server = (long)(uintptr_t)next;
		if (server <= 0)
			return;
		/* The new server answers, from every dispatcher. */
		for (unsigned v = 0; v < k42_vp_count(); v++) {
			k42_thread_migrate(v);
			if (move_call(server, 100 + v, 0x77 + v, &rc) < 0)
				count_bad("the new server", v);
		}
		k42_thread_migrate(0);
	}
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), noise;
	long procs0 = (long)k42_info(K42_INFO_PROCESSES);
	uint64_t in_use = k42_info(K42_INFO_IPC_CALLS), free0, free1 = 0, now = 0, m0, deadline;
	int status;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 0);
	EXPECT(server > 0, "spawn the server: %ld", server);
	if (server <= 0)
		return verdict("ppc_move_test");
	walk(ncpus);

	noise = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 2);
	EXPECT(noise > 0, "spawn the noise: %ld", noise);
	m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED);
	calls = 0;
	{
		int n = storm_threads(storm_thread, THREADS);

		EXPECT(calls == (uint64_t)n * CALLS, "%lu calls made of %lu", calls,
		       (uint64_t)n * CALLS);
	}
	m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED) - m0;
	k42_printf("ppc_move_test: storm: %lu calls from %u dispatchers on %ld CPUs, %lu bad; "
		   "%lu moves without the kernel lock\n", calls, k42_vp_count(), ncpus, bad, m0);
	if (noise > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)noise) == 0, "kill the noise");
		k42_wait((uint64_t)noise, &status);
	}

	/* The first kill round warms up what this process keeps (the
	 * killer's thread, its stack); the frames are counted from its end,
	 * with no server. */
	kill_rounds(0, 1);
	if (server > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
		k42_wait((uint64_t)server, &status);
	}
	storm_settle(in_use, procs0);
	free0 = free_frames();
	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 1);
	EXPECT(server > 0, "spawn the server: %ld", server);
	if (server > 0)
		kill_rounds(1, KILL_ROUNDS);
	k42_printf("ppc_move_test: %d servers killed while called from %u dispatchers; %lu bad\n",
		   KILL_ROUNDS, k42_vp_count(), bad);
	if (server > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the last server");
		k42_wait((uint64_t)server, &status);
	}
	EXPECT(bad == 0, "%lu bad replies", bad);

	/* Everything comes back after quiescence (sleep: every CPU idles
	 * and reclaims). */
	deadline = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	do {
		now = k42_info(K42_INFO_IPC_CALLS);
		free1 = free_frames();
		if (now == in_use && !k42_info(K42_INFO_DEFERRED) && free1 == free0 &&
		    (long)k42_info(K42_INFO_PROCESSES) == procs0)
			break;
		k42_thread_sleep_us(2000);
	} while ((int64_t)(k42_timebase() - deadline) < 0);
	storm_procs_back(procs0);
	EXPECT(now == in_use, "%lu calls outstanding at the end, %lu at the start", now, in_use);
	EXPECT(free1 == free0, "free frames %lu at the end, %lu at the start", free1, free0);
	k42_printf("ppc_move_test: outstanding calls %lu -> %lu, free frames %lu -> %lu\n", in_use,
		   now, free0, free1);
	return verdict("ppc_move_test");
}
