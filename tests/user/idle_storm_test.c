/*
 * CPUs going idle without the kernel lock (kern/sched_idle.c), and the
 * IPIs that wake them taken without it (arch trap.c), run as init.
 *
 * The ring: one dispatcher per CPU (two on CPU 0 at one CPU) passes a
 * token round: the one whose turn it is adds the token to its sum, moves
 * it on and kicks the next one (disp_kick) and, spare, the one after
 * that, then blocks (disabled: block
 * returns once something is pending). With nothing else on its CPU, each
 * block goes idle and each kick wakes an idle CPU. Every dispatcher must
 * have had exactly ROUNDS turns with exactly the sum of its token values;
 * a lost wake-up stops the ring (120 s).
 *
 * The calls: a server with one dispatcher (tests/ppc_cross_server,
 * thread mode: calls overlap) called synchronously, with page bytes, by
 * a child process (this program, argument 0x1d1e | server << 16) with
 * one thread on a
 * dispatcher per CPU and nothing else there: a caller whose call is
 * queued on the busy server leaves its CPU with nothing to run (idle
 * without the kernel lock), and the server's replies with
 * K42_IPC_REPLY_IDLE leave its CPU idle too. Every word and byte of every
 * reply is checked; the child exits with the count of bad ones.
 *
 * The bounded calls: a child (argument 0x71ed | target << 16) calls a
 * process that never takes calls (tests/stuck) with a bound of 20 ms,
 * first from dispatcher 0 while a spinner runs on every CPU (ticks done
 * without the kernel lock while a bounded call waits), then from one
 * dispatcher at a time with nothing else on its CPU: a bounded call is
 * on the list of the CPU it was made on, which only that CPU's tick
 * expires, so here only its idle ticks can (with that tick's check for a
 * due call removed the child never ends). Every call must end with
 * -K42_ETIMEDOUT no earlier than its bound; the parent gives the child
 * 120 s.
 *
 * At more than one CPU the kernel's counters must show idle entries
 * without the kernel lock in the ring and the calls, IPIs taken in the
 * idle loop without it, and ticks without it while a bounded call waited.
 */
#include "storm.h"

#define ROUNDS 400
#define CALLS 300
#define LEN 40
#define BOUNDED 30
#define BOUND_MS 20
#define QUIET 5

static struct {
	uint64_t token;
	int n;
	uint64_t turns[K42_VPS_MAX], sum[K42_VPS_MAX], done[K42_VPS_MAX], cpu[K42_VPS_MAX];
} ring __attribute__((aligned(128)));

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	struct k42_disp_shared *sh = storm_disp_shared();
	uint64_t n = (uint64_t)ring.n, end = ROUNDS * n, next = me % n + 1;

	ring.cpu[me] = k42_info(K42_INFO_CPU);
	for (;;) {
		uint64_t t;

		__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		t = __atomic_load_n(&ring.token, __ATOMIC_ACQUIRE);
		if (t >= end)
			break;
		if (t % n == me - 1) {
			ring.turns[me]++;
			ring.sum[me] += t;
			__atomic_store_n(&ring.token, t + 1, __ATOMIC_RELEASE);
			k42_sc_disp_kick(next, K42_SOFTINTR_USER0);
			/* A spare kick to the one after: its CPU's queue is
			 * written from two CPUs while it idles or wakes. */
			if (n > 2)
				k42_sc_disp_kick(next % n + 1, K42_SOFTINTR_USER0);
			continue;
		}
		/* Disabled: returns once the kick (or anything) is pending. */
		k42_sc_block();
	}
	/* The end goes round the ring too. */
	k42_sc_disp_kick(next, K42_SOFTINTR_USER0);
	__atomic_store_n(&ring.done[me], 1, __ATOMIC_RELEASE);
	for (;;) {	/* parked: a kick left pending would make block return */
		__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		k42_sc_block();
	}
}

static void run_ring(long ncpus)
{
	int n = ncpus < 2 ? 2 : (int)ncpus, started, wrong = 0, left = 0;

	if (n >= K42_VPS_MAX)
		n = K42_VPS_MAX - 1;
	ring.n = n;
	started = storm_start(vp_main, n, 0, n / (int)(ncpus < 2 ? 1 : ncpus));
	EXPECT(started == n + 1, "%d dispatchers started of %d", started - 1, n);
	if (started != n + 1)
		return;
	storm_wait(ring.done, 1, 1, n + 1, 1, 120);
	for (int i = 1; i <= n; i++) {
		uint64_t want = (uint64_t)n * ROUNDS * (ROUNDS - 1) / 2 + (uint64_t)ROUNDS * (uint64_t)(i - 1);

		left += !ring.done[i];
		if (ring.turns[i] != ROUNDS || ring.sum[i] != want) {
			if (wrong++ < 5)
				k42_printf("idle_storm_test: dispatcher %d: %lu turns (sum %lu), want %d (%lu)\n",
					   i, ring.turns[i], ring.sum[i], ROUNDS, want);
		}
	}
	storm_check_cpus(ring.cpu, 1, 1, n + 1, 0, n / (int)(ncpus < 2 ? 1 : ncpus));
	k42_printf("idle_storm_test: ring of %d dispatchers on %ld CPUs, %d rounds; %d stopped, "
		   "%d wrong\n", n, ncpus, ROUNDS, left, wrong);
	EXPECT(left == 0, "%d dispatchers never saw the end (a lost wake-up)", left);
	EXPECT(wrong == 0, "%d dispatchers with wrong turns or sums", wrong);
}

/* One synchronous call with LEN page bytes to srv: 1 if the reply is right
 * (tests/user/ppc_cross_server.c, ordinal 1). */
static long server;
static uint64_t bad, calls;

static void *caller_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t self = k42_info(K42_INFO_PID);

	for (uint64_t i = 0; i < CALLS; i++) {
		if (!cross_sync_call(server, LEN, ((uint64_t)vp << 32) + i * 977, self) &&
		    __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
			k42_printf("idle_storm_test: bad reply to call %lu on dispatcher %u\n", i, vp);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Argument 0x71ed | target << 16: a spinner thread on a dispatcher on
 * every CPU (so no CPU idles: the ticks are all there is to count), and
 * bounded calls to a process that never takes calls from dispatcher 0,
 * each of which must time out after its bound. Exits with the count of
 * wrong results. */
static volatile int stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!stop)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	return NULL;
}

/* One bounded call to target: 1 if it timed out, no earlier than its
 * bound (else reported). */
static int one_bounded(long target, const char *who, int i)
{
	struct k42_ipc_msg m = { cross_op(1, 0), { 0 }, 0, 0 };
	uint64_t tb_ms = k42_info(K42_INFO_TIMEBASE_HZ) / 1000, t0 = k42_timebase();
	long rc = k42_call((uint64_t)target, &m, 1);
	uint64_t ms = (k42_timebase() - t0) / tb_ms;

	if (rc == -K42_ETIMEDOUT && ms >= BOUND_MS)
		return 1;
	k42_printf("idle_storm_test: %s bounded call %d: %ld after %lu ms\n", who, i, rc, ms);
	return 0;
}

/* The quiet part: one dispatcher at a time, alone on its CPU, makes
 * bounded calls; while it waits its CPU has nothing to run, so only that
 * CPU's idle ticks can end the call (no other CPU's tick looks at its
 * list, and nothing else enters the kernel there). */
static long quiet_target;
static uint64_t quiet_wrong;

static void *quiet_caller(void *arg)
{
	(void)arg;
	k42_ipc_set_timeout_us(BOUND_MS * 1000);
	for (int i = 0; i < QUIET; i++)
		if (!one_bounded(quiet_target, "quiet", i))
			__atomic_add_fetch(&quiet_wrong, 1, __ATOMIC_RELAXED);
	k42_ipc_set_timeout_us(0);
	return NULL;
}

static int bounded(long ncpus, long target)
{
	k42_thread_t *th[K42_VPS_MAX];
	uint64_t wrong = 0;
	unsigned nvp;

	for (long c = 0; c < ncpus && c < K42_VPS_MAX - 1; c++)
		if (k42_vp_start((unsigned)c) <= 0)
			return 100;
	nvp = k42_vp_count();
	for (unsigned v = 1; v < nvp; v++)
		th[v] = k42_thread_create_on(v, spinner, NULL, NULL);
	k42_ipc_set_timeout_us(BOUND_MS * 1000);
	for (int i = 0; i < BOUNDED; i++)
		wrong += !one_bounded(target, "busy", i);
	k42_ipc_set_timeout_us(0);
	stop = 1;
	for (unsigned v = 1; v < nvp; v++)
		if (!th[v] || k42_thread_join(th[v], NULL) != 0)
			return 101;
	k42_printf("idle_storm_test: bounded: %d calls of %d ms from %u dispatchers' CPUs, %lu "
		   "wrong\n", BOUNDED, BOUND_MS, nvp, wrong);
	/* Then each dispatcher alone (its spinner ended), one after the
	 * other: dispatcher 0 waits in the join meanwhile. */
	quiet_target = target;
	for (unsigned v = 1; v < nvp; v++) {
		k42_thread_t *q = k42_thread_create_on(v, quiet_caller, NULL, NULL);

		if (!q || k42_thread_join(q, NULL) != 0)
			return 102;
	}
	k42_printf("idle_storm_test: quiet: %u calls of %d ms, one CPU at a time, %lu wrong\n",
		   (nvp - 1) * QUIET, BOUND_MS, quiet_wrong);
	return wrong == 0 && quiet_wrong == 0 ? 0 : 1;
}

/* Argument 0x1d1e | server << 16: the callers, one thread per CPU. */
static int callers(long ncpus)
{
	unsigned nvp;

	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		if (k42_vp_start((unsigned)c) != c)
			return 100;
	nvp = k42_vp_count();
	if (storm_threads(caller_thread, 1) != (int)nvp || failures)
		return 101;
	k42_printf("idle_storm_test: calls: %lu from %u dispatchers, %lu bad\n", calls, nvp, bad);
	return calls == (uint64_t)nvp * CALLS && bad == 0 ? 0 : 1;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), kid;
	uint64_t idle0, ipis0, calls0;
	int status = -1;

	if ((arg & 0xffff) == 0x71ed)
		return bounded(ncpus, (long)(arg >> 16));
	if ((arg & 0xffff) == 0x1d1e) {
		server = (long)(arg >> 16);
		return callers(ncpus);
	}
	idle0 = k42_info(K42_INFO_IDLE_UNLOCKED);
	ipis0 = k42_info(K42_INFO_IRQS_UNLOCKED);
	run_ring(ncpus);
	idle0 = k42_info(K42_INFO_IDLE_UNLOCKED) - idle0;
	ipis0 = k42_info(K42_INFO_IRQS_UNLOCKED) - ipis0;
	k42_printf("idle_storm_test: ring: %lu idle entries, %lu idle-loop IPIs without the kernel "
		   "lock\n", idle0, ipis0);
	if (ncpus > 1) {
		EXPECT(idle0 > 0, "no CPU went idle without the kernel lock in the ring");
		EXPECT(ipis0 > 0, "no IPI was taken in the idle loop without the kernel lock");
	}

	server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_SYSTEM, 1);
	EXPECT(server > 0, "spawn the server: %ld", server);
	if (server <= 0)
		return verdict("idle_storm_test");
	idle0 = k42_info(K42_INFO_IDLE_UNLOCKED);
	ipis0 = k42_info(K42_INFO_PPC_QUEUED_UNLOCKED);
	kid = k42_spawn_path("tests/idle_storm_test", K42_PRIO_GENERAL,
			     0x1d1e | ((uint64_t)server << 16));
	EXPECT(kid > 0, "spawn the callers: %ld", kid);
	if (kid > 0)
		EXPECT(k42_wait((uint64_t)kid, &status) == K42_PROC_EXITED && status == 0,
		       "the callers ended with status %d", status);
	idle0 = k42_info(K42_INFO_IDLE_UNLOCKED) - idle0;
	ipis0 = k42_info(K42_INFO_PPC_QUEUED_UNLOCKED) - ipis0;
	k42_printf("idle_storm_test: calls: %lu idle entries, %lu calls queued across CPUs without "
		   "the kernel lock\n", idle0, ipis0);
	if (ncpus > 1)
		EXPECT(idle0 > 0, "no CPU went idle without the kernel lock in the calls");
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);

	/* Ticks while bounded calls wait: a process that never takes calls
	 * (tests/stuck) is called with a bound from a CPU whose neighbours
	 * spin; no CPU idles, so only ticks count. */
	calls0 = k42_info(K42_INFO_IPC_CALLS);
	server = k42_spawn_path("tests/stuck", K42_PRIO_BACKGROUND, 0);
	EXPECT(server > 0, "spawn the stuck target: %ld", server);
	if (server <= 0)
		return verdict("idle_storm_test");
	ipis0 = k42_info(K42_INFO_IRQS_UNLOCKED);
	kid = k42_spawn_path("tests/idle_storm_test", K42_PRIO_GENERAL,
			     0x71ed | ((uint64_t)server << 16));
	EXPECT(kid > 0, "spawn the bounded caller: %ld", kid);
	if (kid > 0) {
		/* A call nobody expires would hang the caller: wait 120 s. */
		uint64_t out[1] = { 0 }, until = k42_timebase() + 120 * k42_info(K42_INFO_TIMEBASE_HZ);
		long st;

		while ((st = k42_sc_proc_status((uint64_t)kid, out)) == K42_PROC_RUNNING &&
		       (int64_t)(k42_timebase() - until) < 0)
			k42_thread_sleep_us(10000);
		EXPECT(st == K42_PROC_EXITED && out[0] == 0,
		       "the bounded caller: state %ld status %lu (a bounded call never expired?)", st,
		       out[0]);
		if (st == K42_PROC_RUNNING)
			k42_sc_proc_kill((uint64_t)kid);
		k42_wait((uint64_t)kid, &status);
	}
	ipis0 = k42_info(K42_INFO_IRQS_UNLOCKED) - ipis0;
	k42_printf("idle_storm_test: bounded: %lu ticks without the kernel lock while a bounded "
		   "call waited\n", ipis0);
	if (ncpus > 1)
		EXPECT(ipis0 > 0, "no tick was done without the kernel lock while bounded calls waited");
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the stuck target");
	k42_wait((uint64_t)server, &status);
	for (int i = 0; i < 100 && (uint64_t)k42_info(K42_INFO_IPC_CALLS) != calls0; i++)
		k42_thread_sleep_us(10000);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "%lu calls outstanding, %lu at the start",
	       (uint64_t)k42_info(K42_INFO_IPC_CALLS), calls0);
	return verdict("idle_storm_test");
}
