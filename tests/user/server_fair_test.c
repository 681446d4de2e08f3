/*
 * A handler-mode server's own threads against clients that call it
 * without pause (libk42's turns of calls and threads, docs/libk42.md
 * "Calls and threads"). The test spawns itself as the server (argument
 * SERVER_ARG): after k42_serve its main thread counts in a loop that
 * sleeps 1 ms, a second thread counts without ever blocking, and the
 * handler answers with both counts. Threads on 4 dispatchers of the
 * client (on CPU 0 below 4 CPUs) call it back to back for CALL_SECONDS,
 * so calls are always queued on it. Both of the server's threads must
 * go on counting meanwhile (a dispatcher that served queued calls for as
 * long as they came left them at their counts from before the storm),
 * the calls must go on being answered beside the thread that never
 * blocks, and every reply must be right.
 */
#include "check.h"

#define FAIR_IFACE 0x4346	/* "CF": this test's own */
#define SERVER_ARG 0x7175
#define CALL_SECONDS 3
#define MIN_COUNTS 20	/* the sleeping thread's rounds during the storm, at least */
#define CALLERS 5	/* dispatchers: the first measures, the others call */

static volatile uint64_t sleeper_count, spinner_count;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != FAIR_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	m->w[1] = m->w[0] * 3 + 1;	/* checked by the caller */
	m->w[0] = sleeper_count;
	m->w[2] = spinner_count;
	m->op = 0;
}

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		spinner_count++;
	return NULL;
}

static int serve(void)
{
	k42_serve(handle);
	k42_thread_detach(k42_thread_create(spin, NULL));
	for (;;) {
		sleeper_count++;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

/* One call: 1 and the server's counts in c[0..1], or 0 on a bad reply. */
static int call(long srv, uint64_t x, uint64_t *c)
{
	struct k42_ipc_msg m = { 0 };

	m.op = k42_ipc_op(FAIR_IFACE, 1, 1, 0, 0);
	m.w[0] = x;
	if (k42_call((uint64_t)srv, &m, 1) != 0 || m.op != 0 || m.w[1] != x * 3 + 1)
		return 0;
	c[0] = m.w[0];
	c[1] = m.w[2];
	return 1;
}

static long srv;
static volatile int storm;
static uint64_t bad_calls, storm_calls;

/* A caller on its own dispatcher: calls back to back while the storm lasts. */
static void *caller(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg << 32, c[2], n = 0, bad = 0;

	while (__atomic_load_n(&storm, __ATOMIC_ACQUIRE)) {
		bad += !call(srv, x + n, c);
		n++;
	}
	__atomic_add_fetch(&bad_calls, bad, __ATOMIC_RELAXED);
	__atomic_add_fetch(&storm_calls, n, __ATOMIC_RELAXED);
	return NULL;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), first[2] = { 0, 0 }, last[2] = { 0, 0 };
	uint64_t bad = 0, t0, ms, tries = 0;
	k42_thread_t *th[K42_VPS_MAX] = { 0 };
	unsigned nvp;
	int status;

	if (arg == SERVER_ARG)
		return serve();
	srv = k42_spawn_path("tests/server_fair_test", K42_PRIO_SYSTEM, SERVER_ARG);
	EXPECT(srv > 0, "spawn the server: %ld", srv);
	if (srv <= 0)
		return verdict("server_fair_test");
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	while (k42_vp_count() < CALLERS)
		if (k42_vp_start(0) < 0)
			break;
	nvp = k42_vp_count();
	EXPECT(nvp >= 3, "only %u dispatchers", nvp);
	/* Until both its threads have counted at all (calls one at a time
	 * leave them the processor). */
	do {
		bad += !call(srv, 0, first);
		k42_thread_sleep_us(1000);
	} while ((first[0] == 0 || first[1] == 0) && bad == 0 && ++tries < 10000);
	bad += !call(srv, 1, first);
	t0 = k42_timebase();
	__atomic_store_n(&storm, 1, __ATOMIC_RELEASE);
	for (unsigned v = 1; v < nvp; v++)
		th[v] = k42_thread_create_on(v, caller, (void *)(uintptr_t)v, NULL);
	k42_thread_sleep_us(CALL_SECONDS * 1000000ull);
	/* The counts as the storm ends, asked from inside it. */
	bad += !call(srv, 2, last);
	__atomic_store_n(&storm, 0, __ATOMIC_RELEASE);
	for (unsigned v = 1; v < nvp; v++)
		EXPECT(th[v] && k42_thread_join(th[v], NULL) == 0, "caller %u", v);
	ms = (k42_timebase() - t0) * 1000 / hz;
	bad += bad_calls;
	EXPECT(bad == 0, "%lu bad replies", bad);
	/* A turn of the threads comes at least every other slice (10 ms)
	 * while calls keep coming: the sleeping thread counts about once a
	 * turn, so tens of times a second, not never. */
	EXPECT(last[0] - first[0] >= MIN_COUNTS,
	       "the server's sleeping thread counted %lu in %lu ms of calls", last[0] - first[0], ms);
	EXPECT(last[1] > first[1], "the server's spinning thread did not count in %lu ms of calls",
	       ms);
	/* And the calls are answered beside the thread that never blocks. */
	EXPECT(storm_calls >= 100, "only %lu calls in %lu ms", storm_calls, ms);
	k42_printf("server_fair_test: %u callers on %ld CPUs, %lu calls in %lu ms, %lu bad; the "
		   "server's threads counted %s (sleeping %lu, spinning %lu)\n",
		   nvp - 1, ncpus, storm_calls, ms, bad,
		   last[0] - first[0] >= MIN_COUNTS && last[1] > first[1] ? "on" : "NOT",
		   last[0] - first[0], last[1] - first[1]);
	EXPECT(k42_sc_proc_kill((uint64_t)srv) == 0, "kill the server");
	k42_wait((uint64_t)srv, &status);
	return verdict("server_fair_test");
}
