/*
 * Hostile callers and a hostile server against session 13's PPC paths
 * without the kernel lock (run as init; docs/security.md, "Regression
 * tests"): a call that moves a server's dispatcher 0 to its caller's CPU
 * (kern/ppc_move.c), a bounded call's expiry by the tick (kern/ppc.c,
 * kern/timer.c) and processes freed after quiescence (kern/process.c).
 * tests/hostile_move (one dispatcher, thread mode) is the server:
 *  - late: calls it holds expire; its replies to them afterwards, with a
 *    page of bytes each, must be refused (-K42_EDEAD), a second reply and
 *    forged handles near each must be -K42_EBADH, and the caller's page
 *    must not change;
 *  - race: threads on every CPU make bounded calls that the server
 *    answers just before, at or after their bound, mixed with unbounded
 *    calls that move it: a call is answered with exactly its own reply or
 *    times out with its page untouched, and the replies the kernel
 *    accepted are exactly the answers the callers got (none lost, none
 *    twice, none after its call timed out);
 *  - kill: callers on every CPU move the server while init changes its
 *    credentials and kills it, and starts the next one at once; the old
 *    pid and other generations of its slot and of the new server's must
 *    never reach a server (the new one
 *    counts every call it serves and must have served only ours);
 *  - meanwhile a thread replies to every handle of small generation
 *    (calls it does not serve): all -K42_EBADH.
 * Two sessions: the second must leave the processes, outstanding calls,
 * kernel objects and frames where the first left them.
 */
#include <k42/procinfo.h>
#include <k42/vp.h>
#include "storm.h"

#define HM_IFACE 0x484d
#define HOLD 8
#define RACE_CALLS 40
#define KILL_ROUNDS 4
#define AFTER 12

static uint64_t self, bad, answered, timedout, moved_here, echo_calls, dead_calls, sprayed;
static volatile int spray_stop;
static uint64_t late_held;
static long server;
static volatile int killed;

static uint64_t hm_op(uint32_t ord, uint32_t len)
{
	return k42_ipc_op(HM_IFACE, 1, ord, 0, len);
}

static void count_bad(const char *what, unsigned vp, long rc)
{
	if (__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 8)
		k42_printf("hostile_move_test: bad: %s on dispatcher %u (%ld)\n", what, vp, rc);
}

static int page_is(const uint8_t *p, uint32_t from, uint32_t to, uint8_t v)
{
	for (uint32_t j = from; j < to; j++)
		if (p[j] != v)
			return 0;
	return 1;
}

/* An echo call (ordinal 1) through the PPC page: 1 if the reply is right
 * (the server saw our pid), -1 if wrong, 0 if refused; *rcp its status,
 * *cpu where it was served. */
static int echo(long srv, uint32_t len, uint64_t seed, long *rcp, long *cpu)
{
	struct k42_ipc_msg m = { 0 };
	int s = k42_disable_save(), ok = 1;
	uint8_t *page = k42_ppc_page();
	long rc;

	m.op = hm_op(1, len);
	for (int i = 0; i < 6; i++)
		m.w[i] = seed * 7 + (uint64_t)i;
	for (uint32_t j = 0; j < len; j++)
		page[j] = (uint8_t)(seed + j);
	rc = k42_call((uint64_t)srv, &m, 1);
	*rcp = rc;
	if (rc != 0) {
		k42_restore(s);
		return 0;
	}
	for (int i = 0; i < 5; i++)
		ok &= m.w[i] == (seed * 7 + (uint64_t)i) * 5 + self + (uint64_t)i;
	ok &= m.len == len;
	for (uint32_t j = 0; ok && j < len; j++)
		ok &= page[j] == (uint8_t)((uint8_t)(seed + j) ^ (uint8_t)(0x3c + seed * 7));
	*cpu = (long)m.w[5];
	k42_restore(s);
	return ok ? 1 : -1;
}

static long plain_call(long srv, uint32_t ord, uint64_t out[5])
{
	struct k42_ipc_msg m = { 0 };
	int s = k42_disable_save();
	long rc;

	m.op = hm_op(ord, 0);
	rc = k42_call((uint64_t)srv, &m, 1);
	for (int i = 0; i < 5; i++)
		out[i] = m.w[i];
	k42_restore(s);
	return rc;
}

/* late: HOLD calls held past their bound; the server's replies to them
 * later must change nothing. */
static void late_phase(void)
{
	uint64_t out[5];
	uint8_t *page;
	int s;

	k42_ipc_set_timeout_us(50000);
	for (int i = 0; i < HOLD; i++) {
		long rc = plain_call(server, 2, out);

		if (rc != -K42_ETIMEDOUT)
			count_bad("a held bounded call did not time out", 0, rc);
	}
	k42_ipc_set_timeout_us(0);
	s = k42_disable_save();
	page = k42_ppc_page();
	for (uint32_t j = 0; j < K42_IPC_PAGE_BYTES; j++)
		page[j] = 0x11;
	{
		struct k42_ipc_msg m = { 0 };
		long rc;

		m.op = hm_op(3, 0);
		rc = k42_call((uint64_t)server, &m, 1);
		/* (A call that expired while still queued never reached the
		 * server: at 4 CPUs on a loaded host the server, elsewhere,
		 * may not take it within the bound. It must hold some.) */
		if (rc != 0 || m.w[0] != 0 || m.w[1] != m.w[3] || m.w[2] != 0 || m.w[3] > HOLD ||
		    m.w[3] == 0)
			count_bad("late replies: accepted / refused / other / held wrong", 0,
				  rc ? rc : (long)(m.w[0] * 1000000 + m.w[1] * 10000 + m.w[2] * 100 + m.w[3]));
		if (!page_is(page, 0, K42_IPC_PAGE_BYTES, 0x11))
			count_bad("a refused late reply wrote the caller's page", 0, 0);
		late_held = m.w[3];
	}
	k42_restore(s);
}

/* race: one bounded late call (ordinal 4) whose answer comes about its
 * bound: its own reply, or -K42_ETIMEDOUT and the page untouched. */
static void race_one(unsigned vp, uint64_t seed)
{
	uint64_t bound_us = 10000 + (seed % 3) * 10000;	/* one to three ticks */
	uint64_t delay_us = bound_us - 8000 + (seed >> 3) % 16000;
	uint32_t len = (uint32_t)((seed >> 5) % K42_IPC_PAGE_BYTES) + 1;
	struct k42_ipc_msg m = { 0 };
	int s = k42_disable_save();
	uint8_t *page = k42_ppc_page();
	long rc;

	for (uint32_t j = 0; j < K42_IPC_PAGE_BYTES; j++)
		page[j] = 0x11;
	m.op = hm_op(4, 0);
	m.w[0] = seed;
	m.w[1] = delay_us;
	m.w[2] = len - 1;
	k42_ipc_set_timeout_us(bound_us);
	rc = k42_call((uint64_t)server, &m, 1);
	k42_ipc_set_timeout_us(0);
	if (rc == 0) {
		int ok = m.w[0] == seed && m.w[1] == ~seed && m.len == len &&
			 (len == K42_IPC_PAGE_BYTES || page_is(page, len, K42_IPC_PAGE_BYTES, 0x11));

		for (uint32_t j = 0; ok && j < len; j++)
			ok = page[j] == (uint8_t)(seed + j);
		if (!ok)
			count_bad("a late reply that is not this call's", vp, 0);
		__atomic_add_fetch(&answered, 1, __ATOMIC_RELAXED);
	} else if (rc == -K42_ETIMEDOUT) {
		if (!page_is(page, 0, K42_IPC_PAGE_BYTES, 0x11))
			count_bad("a timed-out call's page was written", vp, rc);
		__atomic_add_fetch(&timedout, 1, __ATOMIC_RELAXED);
	} else {
		count_bad("a late call failed", vp, rc);
	}
	k42_restore(s);
}

static void *race_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t seed = ((uint64_t)vp << 40) ^ ((uint64_t)(uintptr_t)k42_thread_self() << 8);

	for (int i = 0; i < RACE_CALLS; i++) {
		long rc, cpu = -1;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		race_one(vp, seed >> 16);
		if (echo(server, (uint32_t)(seed >> 20) % 2048, seed >> 24, &rc, &cpu) != 1)
			count_bad("an echo between late calls", vp, rc);
		else if (cpu == (long)k42_disp()->cpu)
			__atomic_add_fetch(&moved_here, 1, __ATOMIC_RELAXED);
		if (k42_vp_index() != vp)
			count_bad("a thread left its dispatcher", vp, 0);
	}
	return NULL;
}

/* A thread that replies to calls it does not serve: every handle of the
 * first 2048 records under generations 1 to 64 (the ones in use now),
 * while the server is moved, holds late calls and is killed. Each must
 * be -K42_EBADH (a caller given such an answer would show it too). */
static void *sprayer(void *arg)
{
	uint64_t gen = 1, idx = 0;

	(void)arg;
	while (!__atomic_load_n(&spray_stop, __ATOMIC_ACQUIRE)) {
		long rc = k42_sc_ppc_reply(gen << 16 | idx, 0, 0, 1, 2, 3, 4, 5, 6);

		if (rc != -K42_EBADH)
			count_bad("a reply by a process that serves no call", 0, rc);
		__atomic_add_fetch(&sprayed, 1, __ATOMIC_RELAXED);
		if (++idx == 2048) {
			idx = 0;
			gen = gen % 64 + 1;
		}
		if ((idx & 63) == 0)
			k42_thread_yield();
	}
	return NULL;
}

/* kill: pids that must never reach a server, given the old server's pid
 * and the new one's (0: not yet). */
static void forged_pids(long old, long next, uint64_t out[4])
{
	uint64_t gen = (uint64_t)1 << K42_PID_SLOT_BITS;

	out[0] = (uint64_t)old;
	out[1] = (uint64_t)old + gen;	/* the slot's next generation */
	/* The new server's slot under other generations, and past 32 bits. */
	out[2] = next > 0 ? (uint64_t)next ^ (2 * gen) : (uint64_t)old ^ (2 * gen);
	out[3] = next > 0 ? (uint64_t)next | (1ull << 32) : (uint64_t)old | (1ull << 32);
}

static long next_server;

static void *kill_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t seed = ((uint64_t)vp << 40) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);
	long srv = server;

	for (int after = 0; after < AFTER; seed += 977) {
		int was = __atomic_load_n(&killed, __ATOMIC_ACQUIRE);
		long rc, cpu;
		int r = echo(srv, (uint32_t)(seed % 700), seed, &rc, &cpu);

		if (r < 0)
			count_bad("a wrong echo while the server is killed", vp, rc);
		else if (!r && rc != -K42_EDEAD && rc != -K42_ESRCH)
			count_bad("a refusal that is neither EDEAD nor ESRCH", vp, rc);
		else if (was && r)
			count_bad("a killed server's pid answered", vp, rc);
		if (was) {
			uint64_t f[4];

			forged_pids(srv, __atomic_load_n(&next_server, __ATOMIC_ACQUIRE), f);
			for (int k = 0; k < 4; k++) {
				r = echo((long)f[k], 64, seed + (uint64_t)k, &rc, &cpu);
				if (r != 0)
					count_bad("a forged or stale pid reached a server", vp, (long)f[k]);
				__atomic_add_fetch(&dead_calls, 1, __ATOMIC_RELAXED);
			}
			after++;
		}
		__atomic_add_fetch(&echo_calls, 1, __ATOMIC_RELAXED);
		/* A pause, so the server idles on some CPU and the next call
		 * moves it (kern/ppc_move.c) rather than queueing. */
		for (volatile uint64_t i = 0; i < (seed >> 3) % 3000; i++)
			;
		k42_thread_yield();	/* (the killer shares dispatcher 0) */
	}
	return NULL;
}

static void *killer(void *arg)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);
	long r = (long)(uintptr_t)arg, next;

	k42_thread_sleep_until(k42_timebase() + hz / 400 + (uint64_t)r * hz / 500);
	/* Credentials changed while callers move it: they must not care. */
	EXPECT(k42_sc_proc_cred((uint64_t)server, 1000 + (uint64_t)r, 1000) == 0, "cred");
	k42_thread_sleep_until(k42_timebase() + hz / 400);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill server %ld", server);
	__atomic_store_n(&killed, 1, __ATOMIC_RELEASE);
	next = k42_spawn_path("tests/hostile_move", K42_PRIO_SYSTEM, 0);
	EXPECT(next > 0 && next != server, "spawn the next server: %ld", next);
	__atomic_store_n(&next_server, next, __ATOMIC_RELEASE);
	return (void *)(uintptr_t)next;
}

static void kill_rounds(void)
{
	int status;

	for (int r = 0; r < KILL_ROUNDS; r++) {
		k42_thread_t *k;
		void *next = NULL;
		long old = server, rc, cpu;
		uint64_t out[5], mine = 0;

		killed = 0;
		next_server = 0;
		k = k42_thread_create(killer, (void *)(uintptr_t)r);
		EXPECT(k != NULL, "killer thread");
		if (!k)
			return;
		storm_threads(kill_thread, 2);
		EXPECT(k42_thread_join(k, &next) == 0, "join the killer");
		EXPECT(k42_wait((uint64_t)old, &status) == K42_PROC_KILLED, "the old server was killed");
		server = (long)(uintptr_t)next;
		if (server <= 0)
			return;
		/* The new one answers from every dispatcher, and has served
		 * only these calls: no stale or forged pid reached it. */
		for (unsigned v = 0; v < k42_vp_count(); v++) {
			k42_thread_migrate(v);
			for (int i = 0; i < 3; i++, mine++)
				if (echo(server, 100 + v, 0x77 + v * 3 + (unsigned)i, &rc, &cpu) != 1)
					count_bad("the new server", v, rc);
		}
		k42_thread_migrate(0);
		rc = plain_call(server, 5, out);
		if (rc != 0 || out[3] != mine)
			count_bad("the new server served calls we did not make to it", 0,
				  rc ? rc : (long)out[3]);
	}
}

static void session(int n, long ncpus)
{
	uint64_t stats[5], m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED);
	uint64_t e0 = k42_info(K42_INFO_CALLS_EXPIRED_UNLOCKED);
	int status, nth;
	long rc;
	k42_thread_t *spray;

	sprayed = 0;
	answered = timedout = moved_here = echo_calls = dead_calls = 0;
	server = k42_spawn_path("tests/hostile_move", K42_PRIO_SYSTEM, 0);
	EXPECT(server > 0, "spawn the server: %ld", server);
	if (server <= 0)
		return;
	late_phase();
	spray_stop = 0;
	spray = k42_thread_create_on(k42_vp_count() - 1, sprayer, NULL, NULL);
	EXPECT(spray != NULL, "the sprayer");
	nth = storm_threads(race_thread, 2);
	/* A call that timed out may still be spinning in the server: wait
	 * (up to 10 s) until it has answered every one it took. Those that
	 * expired while queued never reached it: refused <= timed out. */
	for (int i = 0; i < 5000; i++) {
		rc = plain_call(server, 5, stats);
		if (rc != 0 || stats[4] == 0)
			break;
		k42_thread_sleep_us(2000);
	}
	EXPECT(rc == 0 && stats[4] == 0 && stats[0] == answered && stats[1] <= timedout &&
	       stats[2] == 0,
	       "late replies: server accepted %lu refused %lu other %lu; callers answered %lu "
	       "timed out %lu", stats[0], stats[1], stats[2], answered, timedout);
	EXPECT(answered + timedout == (uint64_t)nth * RACE_CALLS, "%lu late calls of %lu",
	       answered + timedout, (uint64_t)nth * RACE_CALLS);
	k42_printf("hostile_move_test: session %d: late: %d expired calls (%lu held by the server), "
		   "every late reply refused; race: %lu bounded calls from %u dispatchers on %ld CPUs, %lu answered, %lu timed "
		   "out, server's replies accepted %lu refused %lu; %lu echoes served on the "
		   "caller's CPU; %lu moves, %lu expiries without the kernel lock\n",
		   n, HOLD, late_held, answered + timedout, k42_vp_count(), ncpus, answered, timedout, stats[0],
		   stats[1], moved_here, k42_info(K42_INFO_PPC_MOVES_UNLOCKED) - m0,
		   k42_info(K42_INFO_CALLS_EXPIRED_UNLOCKED) - e0);
	m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED);
	kill_rounds();
	m0 = k42_info(K42_INFO_PPC_MOVES_UNLOCKED) - m0;
	k42_printf("hostile_move_test: session %d: kill: %d servers killed and changed credentials "
		   "while moved, %lu calls, %lu to dead, stale or forged pids, %lu moves without the "
		   "kernel lock; %lu bad\n", n, KILL_ROUNDS, echo_calls, dead_calls, m0, bad);
	if (ncpus > 1)
		EXPECT(m0 > 0, "session %d: no call moved a server without the kernel lock", n);
	__atomic_store_n(&spray_stop, 1, __ATOMIC_RELEASE);
	if (spray)
		EXPECT(k42_thread_join(spray, NULL) == 0, "join the sprayer");
	k42_printf("hostile_move_test: session %d: %lu replies by a process that serves no call, "
		   "all refused\n", n, sprayed);
	EXPECT(sprayed > 0, "the sprayer never ran");
	if (server > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the last server");
		k42_wait((uint64_t)server, &status);
	}
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), procs0;
	uint64_t in_use, frames[2] = { 0 }, objs[2] = { 0 };

	(void)arg;
	self = k42_info(K42_INFO_PID);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	procs0 = (long)k42_info(K42_INFO_PROCESSES);
	in_use = k42_info(K42_INFO_IPC_CALLS);
	for (int n = 0; n < 2; n++) {
		session(n + 1, ncpus);
		storm_settle(in_use, procs0);
		EXPECT(k42_info(K42_INFO_IPC_CALLS) == in_use, "session %d: %lu calls outstanding, "
		       "%lu before", n + 1, k42_info(K42_INFO_IPC_CALLS), in_use);
		EXPECT((long)k42_info(K42_INFO_PROCESSES) == procs0, "session %d: processes %lu, %ld "
		       "before", n + 1, k42_info(K42_INFO_PROCESSES), procs0);
		frames[n] = k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
		objs[n] = k42_info(K42_INFO_KMEM_OBJECTS);
	}
	EXPECT(bad == 0, "%lu bad", bad);
	EXPECT(frames[1] == frames[0], "free frames %lu after session 1, %lu after session 2",
	       frames[0], frames[1]);
	EXPECT(objs[1] == objs[0], "kernel objects %lu after session 1, %lu after session 2",
	       objs[0], objs[1]);
	k42_printf("hostile_move_test: free frames %lu -> %lu, kernel objects %lu -> %lu\n",
		   frames[0], frames[1], objs[0], objs[1]);
	return verdict("hostile_move_test");
}
