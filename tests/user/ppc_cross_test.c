/*
 * PPC between CPUs without the kernel lock (kern/ppc_cross.c), run as
 * init. A server with ONE dispatcher (ppc_cross_server) is called by
 * threads on a dispatcher on every CPU (and a second one on CPU 0), each
 * mixing synchronous calls (no bytes, bytes through the dispatcher's PPC
 * page, reply bytes only) and asynchronous ones (with bytes through the
 * thread's own buffer, and without): the server is busy, calls queue, it takes them with ppc_accept
 * and replies to callers that wait on other CPUs. Every word and byte of
 * every reply is checked; with more than one CPU the kernel's counters
 * must show unlocked accepts, replies across CPUs and async bytes copied
 * without the kernel lock (so the paths under test really ran). Handler mode, then thread mode. Meanwhile a noise
 * process yields in the kernel on every CPU, so the run queue a caller
 * is woken onto is in use by that CPU's own fast paths.
 */
#include "storm.h"

#define THREADS 3
#define CALLS 500
#define LEN 64

static long server;
static uint64_t bad, calls, self;

static int check_made(const uint8_t *p, uint32_t len, uint64_t seed)
{
	uint64_t w0 = seed * 13;

	if (len != w0 % 200 + 1)
		return 0;
	for (uint32_t j = 0; j < len; j++)
		if (p[j] != (uint8_t)(w0 + j * 7))
			return 0;
	return 1;
}

/* One call of `kind` with `seed`: 1 if every value of the reply is right. */
static int one(unsigned kind, uint64_t seed)
{
	struct k42_ipc_msg pm = { 0 };
	uint8_t *page;
	long rc;
	int ok, s;

	switch (kind) {
	case 0:	/* no bytes either way */
		pm.op = cross_op(1, 0);
		cross_fill(&pm, NULL, 0, seed);
		rc = k42_call((uint64_t)server, &pm, 1);
		return cross_words_ok(rc, &pm, seed, self) && pm.len == 0;
	case 1:	/* bytes both ways through the dispatcher's PPC page */
		return cross_sync_call(server, LEN, seed, self);
	case 2:	/* reply bytes only, into the PPC page */
		s = k42_disable_save();
		page = k42_ppc_page();
		pm.op = cross_op(2, 0);
		cross_fill(&pm, NULL, 0, seed);
		rc = k42_call((uint64_t)server, &pm, 1);
		ok = cross_words_ok(rc, &pm, seed, self) && check_made(page, pm.len, seed);
		k42_restore(s);
		return ok;
	case 4:	/* asynchronous, no bytes: the reply crosses CPUs unlocked */
		return cross_async_call(server, 0, seed, self);
	default: /* asynchronous, 1 to 4,096 bytes through the thread's own
		  * buffer (copied without the kernel lock when it is resident:
		  * K42_INFO_PPC_ASYNC_BYTES); the byte past them must stay */
		return cross_async_call(server,
					(uint32_t)((seed * 2654435761u) >> 9) % K42_IPC_PAGE_BYTES + 1,
					seed, self);
	}
}

static void *caller_thread(void *arg)
{
	cross_caller_loop("ppc_cross_test", (unsigned)(uintptr_t)arg, CALLS, 5, one, &bad, &calls);
	return NULL;
}

static void phase(uint64_t arg)
{
	unsigned nvp = k42_vp_count();
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t acc = k42_info(K42_INFO_PPC_ACCEPTS_UNLOCKED);
	uint64_t cross = k42_info(K42_INFO_PPC_CROSS_REPLIES);
	uint64_t abytes = k42_info(K42_INFO_PPC_ASYNC_BYTES);
	int n = 0;

	bad = calls = 0;
	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, arg);
	EXPECT(server > 0, "spawn: %ld", server);
	if (server <= 0)
		return;
	n = storm_threads(caller_thread, THREADS);
	acc = k42_info(K42_INFO_PPC_ACCEPTS_UNLOCKED) - acc;
	cross = k42_info(K42_INFO_PPC_CROSS_REPLIES) - cross;
	abytes = k42_info(K42_INFO_PPC_ASYNC_BYTES) - abytes;
	k42_printf("ppc_cross_test: %s server: %lu calls from %u dispatchers on %ld CPUs, %lu bad; "
		   "unlocked: %lu accepts, %lu replies across CPUs, %lu async copies\n",
		   arg ? "thread-mode" : "handler-mode", calls, nvp, ncpus, bad, acc, cross, abytes);
	EXPECT(calls == (uint64_t)n * CALLS, "%lu calls made of %lu", calls, (uint64_t)n * CALLS);
	EXPECT(bad == 0, "%lu bad replies", bad);
	if (ncpus > 1)
		EXPECT(acc > 0 && cross > 0 && abytes > 0,
		       "the unlocked paths never ran: %lu accepts, %lu replies, %lu async copies", acc,
		       cross, abytes);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), noise;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	noise = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 2);
	EXPECT(noise > 0, "spawn the noise: %ld", noise);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	EXPECT(k42_vp_start(0) > 0, "a second dispatcher on CPU 0");
	phase(0);
	phase(1);
	if (noise > 0)
		EXPECT(k42_sc_proc_kill((uint64_t)noise) == 0, "kill the noise");
	return verdict("ppc_cross_test");
}
