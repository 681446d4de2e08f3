/*
 * The PPC fast path under load (docs/performance.md), run as init. A
 * handler-mode server with a dispatcher on every CPU (ppc_fast_server)
 * is called by threads on a dispatcher on every CPU (and a second one on
 * CPU 0), each thread mixing every kind of call on its dispatcher:
 * synchronous calls with no page bytes (the fast path, both ways), with
 * 1 to 4,096 bytes through the dispatcher's PPC page (k42_call; the C
 * half of the fast path copies them, both ways), with no request bytes
 * but reply bytes (fast call, reply bytes copied on the fast reply), and
 * asynchronous calls through the thread's own buffer (k42_ipc_call with
 * and without bytes). Every word and byte of every reply is checked, and
 * that the call was served on its caller's CPU. A calm phase after each
 * storm (one thread, an idle server) checks that the fast path is really
 * taken: the kernel's fast-path counters must count nearly every call,
 * and with page bytes (K42_INFO_PPC_FAST_BYTES) nearly every call and
 * reply of a calm phase of calls carrying 1 to 4,096 bytes both ways,
 * every byte checked.
 */
#include "check.h"

#define FAST_IFACE 0x5046
#define THREADS 3
#define CALLS 400
#define LEN 72

static long server;
static uint64_t self, bad, wrong_cpu, calls, kinds[5];

static uint64_t op(uint32_t ord, uint32_t len)
{
	return k42_ipc_op(FAST_IFACE, 1, ord, 0, len);
}

static void fill_words(struct k42_ipc_msg *m, uint64_t seed)
{
	for (int i = 0; i < 6; i++)
		m->w[i] = seed * 11 + (uint64_t)i * 0x1000001;
}

static int check_words(long rc, const struct k42_ipc_msg *m, uint64_t seed, unsigned cpu)
{
	if (rc != 0)
		return 0;
	for (int i = 0; i < 5; i++)
		if (m->w[i] != (seed * 11 + (uint64_t)i * 0x1000001) * 3 + self + (uint64_t)i)
			return 0;
	if (m->w[5] != cpu)
		__atomic_add_fetch(&wrong_cpu, 1, __ATOMIC_RELAXED);
	return 1;
}

static int check_bytes(const uint8_t *p, uint32_t len, uint64_t seed, uint64_t w0)
{
	for (uint32_t j = 0; j < len; j++)
		if (p[j] != (uint8_t)((uint8_t)(seed + j * 3) ^ (uint8_t)(0xa5 + w0)))
			return 0;
	return 1;
}

/* 1 to K42_IPC_PAGE_BYTES, from the seed (every length in turn comes:
 * a word's tail, a whole page). */
static uint32_t bytes_len(uint64_t seed)
{
	return (uint32_t)((seed * 2654435761u) >> 7) % K42_IPC_PAGE_BYTES + 1;
}

/* A call with `len` bytes through the dispatcher's PPC page, echoed back
 * xor'ed (disabled throughout, so no other thread of this dispatcher
 * uses the page meanwhile): 1 if every word and byte is right, and the
 * bytes past `len` were left alone both ways. */
static int page_call(uint64_t seed, uint32_t len, unsigned cpu)
{
	struct k42_ipc_msg pm = { 0 };
	uint64_t w0 = seed * 11;
	uint8_t *page;
	long rc;
	int ok, s;

	s = k42_disable_save();
	page = k42_ppc_page();
	pm.op = op(2, len);
	fill_words(&pm, seed);
	for (uint32_t j = 0; j < len; j++)
		page[j] = (uint8_t)(seed + j * 3);
	if (len < K42_IPC_PAGE_BYTES)
		page[len] = 0x5a;	/* not sent: must come back unchanged */
	rc = k42_call((uint64_t)server, &pm, 1);
	ok = check_words(rc, &pm, seed, cpu) && pm.len == len && check_bytes(page, len, seed, w0) &&
	     (len == K42_IPC_PAGE_BYTES || page[len] == 0x5a);
	k42_restore(s);
	return ok;
}

/* One call of `kind` with `seed`: 1 if every value of the reply is right. */
static int one(unsigned kind, uint64_t seed, unsigned cpu)
{
	struct k42_ipc_msg pm = { 0 }, *m;
	uint64_t w0 = seed * 11;
	uint8_t *page;
	long rc;
	int ok, s;

	switch (kind) {
	case 0:	/* no bytes either way: the fast path */
		pm.op = op(1, 0);
		fill_words(&pm, seed);
		rc = k42_call((uint64_t)server, &pm, 1);
		return check_words(rc, &pm, seed, cpu) && pm.len == 0;
	case 1:	/* bytes through the dispatcher's PPC page (disabled throughout) */
		return page_call(seed, bytes_len(seed), cpu);
	case 2:	/* no request bytes, reply bytes into the PPC page */
		s = k42_disable_save();
		page = k42_ppc_page();
		pm.op = op(3, 0);
		fill_words(&pm, seed);
		rc = k42_call((uint64_t)server, &pm, 1);
		ok = check_words(rc, &pm, seed, cpu) && pm.len == w0 % 200 + 1;
		for (uint32_t j = 0; ok && j < pm.len; j++)
			ok = page[j] == (uint8_t)(w0 + j * 5);
		k42_restore(s);
		return ok;
	case 3:	/* bytes through the thread's own buffer */
		m = k42_ipc_msg_get();
		m->op = op(2, LEN);
		fill_words(m, seed);
		for (uint32_t j = 0; j < LEN; j++)
			m->page[j] = (uint8_t)(seed + j * 3);
		rc = k42_ipc_call((uint64_t)server, m);
		return check_words(rc, m, seed, cpu) && m->len == LEN && check_bytes(m->page, LEN, seed, w0);
	default: /* no bytes, through the thread's own message */
		m = k42_ipc_msg_get();
		m->op = op(1, 0);
		fill_words(m, seed);
		rc = k42_ipc_call((uint64_t)server, m);
		return check_words(rc, m, seed, cpu) && m->len == 0;
	}
}

static void *caller_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg, cpu = k42_vp_cpu(vp);
	uint64_t base = ((uint64_t)vp << 40) + ((uint64_t)(uintptr_t)k42_thread_self() << 8);

	for (uint64_t i = 0; i < CALLS; i++) {
		unsigned kind = (unsigned)((i + (base >> 8)) % 5);
		uint64_t seed = base + i * 977;

		if (!one(kind, seed, cpu) && __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
			k42_printf("ppc_fast_test: bad reply to a call of kind %u on dispatcher %u\n", kind, vp);
		__atomic_add_fetch(&kinds[kind], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
		if (k42_vp_index() != vp)
			__atomic_add_fetch(&bad, 1000000, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Calm: one thread, the server idle between calls, CALM calls with no
 * bytes. Nearly every one must take the fast path both ways; a timer
 * tick that lands inside the server's handler costs the next call or
 * two the general path, so half is a bound no load reaches, and with the
 * fast path broken there are none. */
#define CALM 1000

static void calm(uint64_t arg)
{
	uint64_t fc = k42_info(K42_INFO_PPC_FAST_CALLS), fr = k42_info(K42_INFO_PPC_FAST_REPLIES);
	uint64_t seed = 0x5eed00, wrong = 0;
	unsigned cpu = (unsigned)k42_info(K42_INFO_CPU);

	k42_thread_sleep_us(20000);	/* the server waits idle now */
	for (int i = 0; i < CALM; i++, seed += 3)
		if (!one(0, seed, cpu))
			wrong++;
	fc = k42_info(K42_INFO_PPC_FAST_CALLS) - fc;
	fr = k42_info(K42_INFO_PPC_FAST_REPLIES) - fr;
	k42_printf("ppc_fast_test: %s server, calm: %d calls, %lu wrong; fast path: %lu calls, "
		   "%lu replies\n", arg ? "thread-mode" : "handler-mode", CALM, wrong, fc, fr);
	EXPECT(wrong == 0, "%lu wrong replies in the calm phase", wrong);
	EXPECT(fc >= CALM / 2 && fc <= CALM, "calm: %lu fast calls of %d", fc, CALM);
	EXPECT(fr >= CALM / 2 && fr <= CALM, "calm: %lu fast replies of %d", fr, CALM);
}

/* Calm, with page bytes: CALM calls of 1 to 4,096 bytes each way, every
 * byte checked; the fast path's C half must copy nearly all of them
 * without the kernel lock (a call and its reply count one each). */
static void calm_bytes(uint64_t arg)
{
	uint64_t fb = k42_info(K42_INFO_PPC_FAST_BYTES), seed = 0xb17e500, wrong = 0;
	unsigned cpu = (unsigned)k42_info(K42_INFO_CPU);

	k42_thread_sleep_us(20000);	/* the server waits idle now */
	for (int i = 0; i < CALM; i++, seed += 7)
		if (!page_call(seed, i < 2 ? (i ? K42_IPC_PAGE_BYTES : 1) : bytes_len(seed), cpu))
			wrong++;
	fb = k42_info(K42_INFO_PPC_FAST_BYTES) - fb;
	/* Lengths the kernel must refuse, on the way in and back: more than
	 * a page (-K42_EINVAL, the server never entered), and the server's
	 * bad replies (ordinal 5: a deferred call, so thread mode only). */
	for (uint32_t len = K42_IPC_PAGE_BYTES + 1; len <= K42_IPC_OP_LEN_MASK; len += 2047) {
		uint64_t out[7];
		long rc = k42_sc_ppc_call((uint64_t)server, op(2, len), 0, 0, 0, 0, 0, 0, out);

		if (rc != -K42_EINVAL)
			wrong++;
	}
	if (arg) {
		struct k42_ipc_msg pm = { 0 };
		uint8_t *page;
		int s = k42_disable_save(), ok;

		page = k42_ppc_page();
		pm.op = op(5, 0);
		pm.w[0] = seed;
		ok = k42_call((uint64_t)server, &pm, 1) == 0 && pm.len == 64 && pm.w[0] == 3;
		for (uint32_t i = 0; ok && i < 64; i++)
			ok = page[i] == (uint8_t)(seed + i * 7);
		k42_restore(s);
		if (!ok)
			wrong++;
	}
	k42_printf("ppc_fast_test: %s server, calm with bytes: %d calls, %lu wrong; fast path: %lu "
		   "copies\n", arg ? "thread-mode" : "handler-mode", CALM, wrong, fb);
	EXPECT(wrong == 0, "%lu wrong replies in the calm phase with bytes", wrong);
	EXPECT(fb >= CALM && fb <= 2 * CALM, "calm: %lu fast copies of %d", fb, 2 * CALM);
}

/* One server (arg: 0 handler mode, 1 thread mode) called by every kind
 * of call from THREADS threads on each of our dispatchers. */
static void phase(uint64_t arg)
{
	k42_thread_t *th[K42_VPS_MAX * THREADS];
	uint64_t until, fast_calls, fast_replies;
	unsigned nvp = k42_vp_count();
	int n = 0;

	bad = wrong_cpu = calls = 0;
	for (int k = 0; k < 5; k++)
		kinds[k] = 0;
	/* In the callers' class, as system servers are: a server of a lower
	 * class runs only once every caller waits, and then always finds
	 * calls queued, never the idle state of the fast path. */
	server = k42_spawn_path("tests/ppc_fast_server", K42_PRIO_SYSTEM, arg);
	EXPECT(server > 0, "spawn: %ld", server);
	if (server <= 0)
		return;
	until = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	for (;;) {
		struct k42_ipc_msg m = { op(4, 0), { 0 }, 0, NULL };
		long rc = k42_call((uint64_t)server, &m, 1);

		if (rc == 0 && m.w[0] == 1)
			break;
		if (k42_timebase() > until) {
			EXPECT(0, "the server never served on every CPU: %ld, %lu", rc, m.w[0]);
			return;
		}
		k42_thread_sleep_us(2000);
	}
	fast_calls = k42_info(K42_INFO_PPC_FAST_CALLS);
	fast_replies = k42_info(K42_INFO_PPC_FAST_REPLIES);
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < THREADS; k++)
			th[n++] = k42_thread_create_on(v, caller_thread, (void *)(uintptr_t)v, NULL);
	for (int i = 0; i < n; i++)
		EXPECT(th[i] && k42_thread_join(th[i], NULL) == 0, "caller %d", i);
	fast_calls = k42_info(K42_INFO_PPC_FAST_CALLS) - fast_calls;
	fast_replies = k42_info(K42_INFO_PPC_FAST_REPLIES) - fast_replies;
	k42_printf("ppc_fast_test: %s server: %lu calls (%lu %lu %lu %lu %lu of each kind) from %u "
		   "dispatchers on %lu CPUs, %lu bad, %lu served on another CPU; fast path: %lu calls, "
		   "%lu replies\n", arg ? "thread-mode" : "handler-mode", calls, kinds[0], kinds[1],
		   kinds[2], kinds[3], kinds[4], nvp, k42_info(K42_INFO_CPUS_ONLINE), bad, wrong_cpu,
		   fast_calls, fast_replies);
	EXPECT(calls == (uint64_t)n * CALLS, "%lu calls made of %lu", calls, (uint64_t)n * CALLS);
	EXPECT(bad == 0, "%lu bad replies", bad);
	EXPECT(wrong_cpu == 0, "%lu calls served on another CPU", wrong_cpu);
	/* Only kinds 0..2 (synchronous) may take the fast reply. */
	EXPECT(fast_replies <= kinds[0] + kinds[1] + kinds[2],
	       "%lu fast replies for %lu calls that could take it", fast_replies,
	       kinds[0] + kinds[1] + kinds[2]);
	/* How many calls of the storm find the server idle depends on
	 * timing (a tick that preempts the server leaves it a context), so
	 * the storm checks results only; the calm phase checks the path. */
	calm(arg);
	calm_bytes(arg);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);

	(void)arg;
	self = k42_info(K42_INFO_PID);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	EXPECT(k42_vp_start(0) > 0, "a second dispatcher on CPU 0");
	phase(0);
	phase(1);
	/* Every dispatcher's "may be entered fast" word agrees with its
	 * fields after all of it (kern/disp_fast.h). */
	EXPECT(k42_info(K42_INFO_PPC_FAST_STALE) == 0, "%lu stale fast words",
	       k42_info(K42_INFO_PPC_FAST_STALE));
	return verdict("ppc_fast_test");
}
