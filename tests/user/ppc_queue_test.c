/*
 * Calls queued on a server on another CPU without the kernel lock
 * (kern/ppc_cross.c, ppc_call_cross), run as init. A server with ONE
 * dispatcher (tests/ppc_cross_server, handler mode) lives on one CPU;
 * threads on a dispatcher on every CPU call it synchronously (with and
 * without page bytes) and asynchronously (with and without bytes through
 * their own buffers). The server is busy, so calls from the other CPUs are
 * queued on it from the callers' CPUs, it takes them with ppc_accept and
 * replies across CPUs, now and then going idle with K42_IPC_REPLY_IDLE
 * (counted, not required). Every word and byte of every reply is checked,
 * and at more than one CPU the kernel's counter must show calls queued
 * without the kernel lock. A noise process yields on every CPU, so a caller that waits
 * leaves its CPU to something else there (the fast path's case).
 *
 * Then callers that die mid-call: rounds of child processes (this program
 * with argument 0x5151 and the server's pid, one per CPU, placed round-robin) that call the server
 * without end, killed while their calls are queued, taken or answered on
 * the server's CPU; then every CPU's callers again, every reply checked,
 * and once the server and the noise are gone the kernel's count of
 * outstanding calls must be back where it started (no record leaked or
 * freed twice). A child that sees a wrong reply says "child: bad".
 */
#include "check.h"

#define CROSS_IFACE 0x5843
#define THREADS 2
#define CALLS 400
#define LEN 48
#define ROUNDS 12

static long server;
static uint64_t bad, calls;

static uint64_t op(uint32_t len)
{
	return k42_ipc_op(CROSS_IFACE, 1, 1, 0, len);
}

static int check_words(long rc, const struct k42_ipc_msg *m, uint64_t seed, uint64_t self)
{
	if (rc != 0)
		return 0;
	for (int i = 0; i < 6; i++)
		if (m->w[i] != (seed * 13 + (uint64_t)i * 0x10001) * 5 + self + (uint64_t)i)
			return 0;
	return 1;
}

static void fill(struct k42_ipc_msg *m, uint8_t *page, uint32_t len, uint64_t seed)
{
	for (int i = 0; i < 6; i++)
		m->w[i] = seed * 13 + (uint64_t)i * 0x10001;
	for (uint32_t j = 0; j < len; j++)
		page[j] = (uint8_t)(seed + j * 3);
}

static int check_echo(const uint8_t *p, uint32_t len, uint64_t seed)
{
	for (uint32_t j = 0; j < len; j++)
		if (p[j] != (uint8_t)((uint8_t)(seed + j * 3) ^ (uint8_t)(0x3c + seed * 13)))
			return 0;
	return 1;
}

/* One call of `kind` to `srv` with `seed`: 1 if every value of the reply is right. */
static int one(long srv, unsigned kind, uint64_t seed, uint64_t self)
{
	struct k42_ipc_msg pm = { 0 }, *m;
	uint32_t len = kind & 1 ? LEN : 0;
	uint8_t *page;
	long rc;
	int ok, s;

	if (kind < 2) {	/* synchronous, bytes through the dispatcher's PPC page */
		s = k42_disable_save();
		page = k42_ppc_page();
		pm.op = op(len);
		fill(&pm, page, len, seed);
		rc = k42_call((uint64_t)srv, &pm, 1);
		ok = check_words(rc, &pm, seed, self) && pm.len == len && check_echo(page, len, seed);
		k42_restore(s);
		return ok;
	}
	/* asynchronous, bytes through the thread's own buffer */
	m = k42_ipc_msg_get();
	m->op = op(len);
	fill(m, m->page, len, seed);
	rc = k42_ipc_call((uint64_t)srv, m);
	return check_words(rc, m, seed, self) && m->len == len && check_echo(m->page, len, seed);
}

static void *caller_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t base = ((uint64_t)vp << 36) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);
	uint64_t self = k42_info(K42_INFO_PID);

	for (uint64_t i = 0; i < CALLS; i++) {
		unsigned kind = (unsigned)((i + vp) % 4);
		uint64_t seed = base + i * 911;

		if (!one(server, kind, seed, self) && __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
			k42_printf("ppc_queue_test: bad reply to a call of kind %u on dispatcher %u\n",
				   kind, vp);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
		if (k42_vp_index() != vp)
			__atomic_add_fetch(&bad, 1000000, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Every dispatcher's callers at once; every reply checked. */
static void storm(const char *what)
{
	k42_thread_t *th[K42_VPS_MAX * THREADS];
	unsigned nvp = k42_vp_count();
	int n = 0;

	bad = calls = 0;
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < THREADS; k++)
			th[n++] = k42_thread_create_on(v, caller_thread, (void *)(uintptr_t)v, NULL);
	for (int i = 0; i < n; i++)
		EXPECT(th[i] && k42_thread_join(th[i], NULL) == 0, "caller %d", i);
	k42_printf("ppc_queue_test: %s: %lu calls from %u dispatchers, %lu bad\n", what, calls, nvp, bad);
	EXPECT(calls == (uint64_t)n * CALLS, "%lu calls made of %lu", calls, (uint64_t)n * CALLS);
	EXPECT(bad == 0, "%lu bad replies", bad);
}

/* Argument 0x5151 | server << 16: a caller that is killed mid-call. */
static int child(long srv)
{
	uint64_t self = k42_info(K42_INFO_PID);

	for (uint64_t i = 0;; i++)
		if (!one(srv, (unsigned)(i % 4), self * 1000003 + i, self)) {
			k42_printf("ppc_queue_test: child: bad reply to call %lu\n", i);
			return 1;
		}
}

static void dying_callers(long ncpus)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);
	long kids[K42_VPS_MAX], killed = 0;

	for (int r = 0; r < ROUNDS; r++) {
		int n = 0, status;

		for (long c = 0; c < ncpus && c < K42_VPS_MAX; c++) {
			kids[n] = k42_spawn_path("tests/ppc_queue_test", K42_PRIO_GENERAL,
						 0x5151 | ((uint64_t)server << 16));
			EXPECT(kids[n] > 0, "spawn a caller: %ld", kids[n]);
			if (kids[n] > 0)
				n++;
		}
		/* Let them call a while (10 to 30 ms), then end them mid-call. */
		k42_thread_sleep_until(k42_timebase() + hz / 100 + (uint64_t)r * hz / 500);
		for (int i = 0; i < n; i++) {
			EXPECT(k42_sc_proc_kill((uint64_t)kids[i]) == 0, "kill caller %ld", kids[i]);
			EXPECT(k42_wait((uint64_t)kids[i], &status) == K42_PROC_KILLED,
			       "caller %ld ended other than killed (status %d)", kids[i], status);
			killed++;
		}
	}
	k42_printf("ppc_queue_test: %ld callers killed mid-call in %d rounds\n", killed, ROUNDS);
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), noise;
	uint64_t q0, i0, a0, in_use = k42_info(K42_INFO_IPC_CALLS), now, deadline;
	int status;

	if ((arg & 0xffff) == 0x5151)
		return child((long)(arg >> 16));
	q0 = k42_info(K42_INFO_PPC_QUEUED_UNLOCKED);
	i0 = k42_info(K42_INFO_PPC_IDLE_REPLIES_UNLOCKED);
	a0 = k42_info(K42_INFO_PPC_ACCEPTS_UNLOCKED);
	noise = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 2);
	EXPECT(noise > 0, "spawn the noise: %ld", noise);
	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 0);
	EXPECT(server > 0, "spawn the server: %ld", server);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	EXPECT(k42_vp_start(0) > 0, "a second dispatcher on CPU 0");
	if (server <= 0)
		return verdict("ppc_queue_test");

	storm("storm");
	q0 = k42_info(K42_INFO_PPC_QUEUED_UNLOCKED) - q0;
	i0 = k42_info(K42_INFO_PPC_IDLE_REPLIES_UNLOCKED) - i0;
	a0 = k42_info(K42_INFO_PPC_ACCEPTS_UNLOCKED) - a0;
	k42_printf("ppc_queue_test: on %ld CPUs, unlocked: %lu calls queued across CPUs, "
		   "%lu idle replies across CPUs, %lu accepts\n", ncpus, q0, i0, a0);
	/* (An idle reply crosses CPUs only when the server took the call
	 * from its queue and then found nothing pending: some runs, not all.) */
	if (ncpus > 1)
		EXPECT(q0 > 0, "no call was queued across CPUs without the kernel lock");

	dying_callers(ncpus);
	storm("after the killed callers");

	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);
	if (noise > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)noise) == 0, "kill the noise");
		k42_wait((uint64_t)noise, &status);
	}
	/* (Records kept per CPU count as free only while nothing runs.) */
	deadline = k42_timebase() + 2 * k42_info(K42_INFO_TIMEBASE_HZ);
	do {
		now = k42_info(K42_INFO_IPC_CALLS);
		if (now == in_use)
			break;
		k42_sc_yield();
	} while ((int64_t)(k42_timebase() - deadline) < 0);
	EXPECT(now == in_use, "%lu calls outstanding at the end, %lu at the start", now, in_use);
	k42_printf("ppc_queue_test: outstanding calls %lu at the start, %lu at the end\n", in_use, now);
	return verdict("ppc_queue_test");
}
