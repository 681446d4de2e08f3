/*
 * Timer wake-ups of a dispatcher living on another CPU without the kernel
 * lock (kern/timer.c, timer_interrupt_expire_local), run as init.
 *
 * A dispatcher's kernel timer sits on the CPU that set it; a server's
 * dispatcher 0 is moved to a caller's CPU when a call enters it there, so
 * its timer then fires on a CPU it no longer lives on, and the tick there
 * wakes it onto its own CPU's queue under that CPU's local lock too. The
 * server (this program with argument 0x7171 or 0x7172) has ONE dispatcher
 * and is called by threads on a dispatcher on every CPU, every reply
 * checked. First it sleeps (its main thread, 0.5 to 2 ms at a time,
 * SLEEPS times; the calls come in bursts with pauses, when only the timer
 * wakes it): every sleep must end, none before its deadline. Then it arms
 * its kernel timer on every 8th call and lets the calls that follow move
 * it. At more than one CPU the kernel's counter must show timer wake-ups
 * onto another CPU's queue. A noise process (argument 0x7173) yields on
 * every CPU and uses the FP registers, so the queues those wake-ups write
 * are in use by their CPUs' own fast paths, and the server's vector
 * registers (which would pin it to a CPU) are taken from it.
 */
#include <string.h>
#include "check.h"

#define TIMER_IFACE 0x5854
#define SLEEPS 100
#define ARM_CALLS 1500
#define THREADS 2

static long server;
static uint64_t bad, calls;
static volatile uint64_t slept, early;
static int arming;
static uint64_t arms;

static uint64_t op(uint32_t ord)
{
	return k42_ipc_op(TIMER_IFACE, 1, ord, 0, 0);
}

/* ---- the server ---- */

/* The multi-CPU server's timer (argument 0x7174): a libk42 timer at the
 * deadline the call carries, armed from the handler, so its kernel timer
 * sits on the CPU the call entered it on. */
static struct k42_timer mtimer;
static volatile uint64_t mfired, mearly, marmed;

static void multi_fired(struct k42_timer *t)
{
	if ((int64_t)(k42_timebase() - t->deadline) < 0)
		mearly++;
	mfired++;
}

static void multi_arm(uint64_t deadline)
{
	if (k42_timer_armed(&mtimer))
		return;	/* the last one has not fired: the caller sees marmed behind */
	mtimer.deadline = deadline;
	mtimer.fn = multi_fired;
	if (k42_timer_add(&mtimer) == 0)
		marmed++;
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != TIMER_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	if (k42_ipc_op_ordinal(m->op) == 2) {	/* its figures so far */
		m->w[0] = slept;
		m->w[1] = early;
	} else if (k42_ipc_op_ordinal(m->op) == 3) {	/* arm at w0 (0: no); its figures */
		if (m->w[0])
			multi_arm(m->w[0]);
		m->w[0] = mfired;
		m->w[1] = mearly;
		m->w[2] = marmed;
	} else {
		for (int i = 0; i < 6; i++)
			m->w[i] = m->w[i] * 7 + caller + (uint64_t)i;
		/* Every 8th call arms the dispatcher's kernel timer 0.2 to
		 * 1 ms ahead, on this CPU: the calls that follow, from other
		 * CPUs, move the server there without arming it again, and
		 * the timer fires here. */
		if (arming && ++arms % 8 == 0) {
			uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), prev[1];

			k42_sc_timer_set(k42_timebase() + hz / 5000 + (arms / 8 % 5) * hz / 5000, prev);
		}
	}
	m->op = 0;
}

static int serve(int arm)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), x = k42_timebase();
	struct k42_sem never;

	arming = arm == 1;
	k42_serve(handle);
	if (arm) {
		/* (No libk42 timer here: the handler owns the kernel timer.) */
		k42_sem_init(&never, 0);
		k42_sem_wait(&never);
	}
	for (int i = 0; i < SLEEPS; i++) {
		uint64_t deadline;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		deadline = k42_timebase() + hz / 2000 + (x >> 33) % (hz * 3 / 2000);
		k42_thread_sleep_until(deadline);
		if ((int64_t)(k42_timebase() - deadline) < 0)
			early++;
		slept++;
	}
	for (;;)
		k42_thread_sleep_until(k42_timebase() + hz);
	return 0;
}

/* ---- the noise (argument 0x7173) ----
 * A dispatcher on every CPU that yields in the kernel without end and
 * uses the floating-point registers between yields: a server whose
 * vector registers are live on a CPU cannot be moved off it (docs/smp.md),
 * and this takes them from it (lazy switching), so calls from other CPUs
 * move it. */
static void *fp_yielder(void *arg)
{
	volatile double x = (double)(uintptr_t)arg;

	for (;;) {
		x = x * 1.0000001 + 0.5;
		k42_sc_yield();
	}
	return NULL;
}

static int noise_main(void)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);

	for (long c = 0; c < ncpus && c < K42_VPS_MAX - 1; c++) {
		long v = k42_vp_start((unsigned)c);

		if (v > 0)
			k42_thread_create_on((unsigned)v, fp_yielder, (void *)(uintptr_t)c, NULL);
	}
	fp_yielder(NULL);
	return 0;
}

/* ---- the callers ---- */

static void *caller_thread(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;
	uint64_t self = k42_info(K42_INFO_PID), hz = k42_info(K42_INFO_TIMEBASE_HZ);
	uint64_t seed = ((uint64_t)vp << 32) + ((uint64_t)(uintptr_t)k42_thread_self() << 4);
	struct k42_ipc_msg m;

	for (uint64_t i = 0; arming ? i < ARM_CALLS : __atomic_load_n(&slept, __ATOMIC_RELAXED) < SLEEPS;
	     i++) {
		/* A burst of 40 calls, then a pause of 2 to 6 ms. */
		if (!arming && i % 40 == 39) {
			k42_thread_sleep_until(k42_timebase() + hz / 500 + (i / 40 % 3) * hz / 500);
			continue;
		}
		/* (Arming: short bursts, so the server idles and can move.) */
		if (arming && i % 4 == 3)
			k42_thread_sleep_until(k42_timebase() + hz / 2000 + (i / 4 % 3) * hz / 2000);
		m = (struct k42_ipc_msg){ 0 };
		m.op = op(1);
		for (int w = 0; w < 6; w++)
			m.w[w] = seed + i * 31 + (uint64_t)w;
		if (k42_call((uint64_t)server, &m, 1) != 0)
			goto wrong;
		for (int w = 0; w < 6; w++)
			if (m.w[w] != (seed + i * 31 + (uint64_t)w) * 7 + self + (uint64_t)w)
				goto wrong;
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
		continue;
wrong:
		if (__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 5)
			k42_printf("timer_cross_test: bad reply on dispatcher %u\n", vp);
	}
	return NULL;
}

/* The server's figures (its w0, w1) into slept and early. */
static int poll_server(uint64_t deadline)
{
	struct k42_ipc_msg m = { 0 };

	m.op = op(2);
	if (k42_call((uint64_t)server, &m, 1) != 0)
		return -1;
	slept = m.w[0];
	early = m.w[1];
	return (int64_t)(k42_timebase() - deadline) >= 0 ? -1 : 0;
}

/* One phase: the server (argument 0x7171 sleeps, 0x7172 arms its timer
 * on every call) called from every dispatcher; its counts of remote
 * timer wake-ups returned. */
static uint64_t phase(int arm)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), remote = k42_info(K42_INFO_TIMER_WAKES_REMOTE);
	uint64_t deadline = k42_timebase() + 240 * hz;
	k42_thread_t *th[K42_VPS_MAX * THREADS];
	int n = 0, status;

	arming = arm;
	bad = calls = slept = early = 0;
	server = k42_spawn_path("tests/timer_cross_test", K42_PRIO_SYSTEM, arm ? 0x7172 : 0x7171);
	EXPECT(server > 0, "spawn the server: %ld", server);
	if (server <= 0)
		return 0;
	for (unsigned v = 0; v < k42_vp_count(); v++)
		for (int k = 0; k < THREADS; k++)
			th[n++] = k42_thread_create_on(v, caller_thread, (void *)(uintptr_t)v, NULL);
	/* The sleeping server's callers stop once it has slept SLEEPS times
	 * (slept is this process's copy of its figure, polled here). */
	while (!arm && slept < SLEEPS) {
		if (poll_server(deadline) < 0) {
			EXPECT(0, "the server stopped at %lu sleeps of %d (a lost wake-up?)",
			       slept, SLEEPS);
			slept = SLEEPS;
			break;
		}
		k42_thread_sleep_until(k42_timebase() + hz / 100);
	}
	for (int i = 0; i < n; i++)
		EXPECT(th[i] && k42_thread_join(th[i], NULL) == 0, "caller %d", i);
	remote = k42_info(K42_INFO_TIMER_WAKES_REMOTE) - remote;
	if (!arm) {
		poll_server(k42_timebase() + hz);
		k42_printf("timer_cross_test: sleeping server: %lu sleeps, %lu early; %lu calls, "
			   "%lu bad; %lu timer wake-ups onto another CPU's queue\n",
			   slept, early, calls, bad, remote);
		EXPECT(slept >= SLEEPS && early == 0, "%lu sleeps, %lu early", slept, early);
	} else {
		k42_printf("timer_cross_test: arming server: %lu calls, %lu bad; "
			   "%lu timer wake-ups onto another CPU's queue\n", calls, bad, remote);
		EXPECT(calls == (uint64_t)n * ARM_CALLS, "%lu calls of %lu", calls,
		       (uint64_t)n * ARM_CALLS);
	}
	EXPECT(bad == 0 && calls > 0, "%lu calls, %lu bad", calls, bad);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);
	return remote;
}

/* ---- timers due on one CPU for dispatchers on several others ----
 * MULTI_SRV servers (argument 0x7174), each with one dispatcher. A round,
 * by one thread that moves itself between our dispatchers: on CPU A it
 * calls every server, arming each one's timer for the same deadline 10 ms
 * ahead (each call enters the server on A, so every timer sits on A's
 * list); then it calls server i from CPU A + 1 + i, which moves it there.
 * A's tick at the deadline then has due timers of dispatchers living on
 * MULTI_SRV other CPUs. Every reply is checked, every timer must fire
 * (within 10 s) and none early; at 3 or more CPUs the kernel's count of
 * ticks done without the kernel lock that woke dispatchers on two or more
 * other CPUs must move (on a loaded host a round's moves may come after
 * its deadline, or the tick find a busy lock: the rounds go on, up to
 * MULTI_ROUNDS_MAX or MULTI_SECONDS, until it has). Run alone, by
 * argument "multi" (smp/timer_multi_{1,4}): its time depends on the
 * host's load. */
#define MULTI_SRV 2
#define MULTI_ROUNDS 40		/* at least; */
#define MULTI_ROUNDS_MAX 2000	/* at most, until such a tick is seen, */
#define MULTI_SECONDS 150	/* or this long */

static int multi_call(long srv, uint32_t ord, uint64_t w0, uint64_t *out)
{
	struct k42_ipc_msg m = { 0 };
	uint64_t self = k42_info(K42_INFO_PID);

	m.op = op(ord);
	m.w[0] = w0;
	for (int w = 1; w < 6; w++)
		m.w[w] = w0 + (uint64_t)w;
	if (k42_call((uint64_t)srv, &m, 1) != 0)
		return 0;
	if (ord == 3) {
		for (int w = 0; w < 3; w++)
			out[w] = m.w[w];
		return 1;
	}
	for (int w = 0; w < 6; w++)
		if (m.w[w] != (w0 + (uint64_t)w) * 7 + self + (uint64_t)w)
			return 0;
	return 1;
}

static void multi_phase(long ncpus)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), multi = k42_info(K42_INFO_TICKS_MULTI_UNLOCKED);
	uint64_t fig[3] = { 0 }, wrong = 0, stop = k42_timebase() + MULTI_SECONDS * hz;
	long srv[MULTI_SRV];
	unsigned nvp = k42_vp_count(), back = k42_vp_index();
	int status, r, ok = 1;

	for (int i = 0; i < MULTI_SRV; i++) {
		srv[i] = k42_spawn_path("tests/timer_cross_test", K42_PRIO_SYSTEM, 0x7174);
		EXPECT(srv[i] > 0, "spawn multi server %d: %ld", i, srv[i]);
		if (srv[i] <= 0)
			return;
	}
	for (r = 0; ok && (r < MULTI_ROUNDS || (ncpus > MULTI_SRV && r < MULTI_ROUNDS_MAX &&
						     (int64_t)(k42_timebase() - stop) < 0 &&
						     k42_info(K42_INFO_TICKS_MULTI_UNLOCKED) == multi));
	     r++) {
		/* (A on CPU 0 or 1, so the others' locks are higher-numbered
		 * and the tick waits for them rather than trying once.) */
		unsigned a = (unsigned)r % (nvp > 3 ? 2 : nvp);
		uint64_t deadline;

		k42_thread_migrate(a);
		deadline = k42_timebase() + hz / 100;
		for (int i = 0; i < MULTI_SRV; i++)
			wrong += !multi_call(srv[i], 3, deadline, fig);
		for (int i = 0; i < MULTI_SRV; i++) {
			k42_thread_migrate((a + 1 + (unsigned)i) % nvp);
			wrong += !multi_call(srv[i], 1, deadline + (uint64_t)r, NULL);
		}
		/* Every timer armed so far must fire (10 s: a loaded host). */
		for (int i = 0; i < MULTI_SRV; i++) {
			uint64_t until = k42_timebase() + 10 * hz;

			do {
				k42_thread_sleep_until(deadline + hz / 1000);
				if (!multi_call(srv[i], 3, 0, fig)) {
					wrong++;
					break;
				}
			} while (fig[0] < (uint64_t)r + 1 && (int64_t)(k42_timebase() - until) < 0);
			if (fig[0] != (uint64_t)r + 1 || fig[1] != 0 || fig[2] != (uint64_t)r + 1) {
				k42_printf("timer_cross_test: multi server %d, round %d: %lu fired, %lu "
					   "early, %lu armed\n", i, r, fig[0], fig[1], fig[2]);
				ok = 0;
			}
		}
		if (wrong)
			ok = 0;
	}
	k42_thread_migrate(back);
	multi = k42_info(K42_INFO_TICKS_MULTI_UNLOCKED) - multi;
	k42_printf("timer_cross_test: multi: %d rounds of %d timers, %lu bad calls, %s; %lu ticks "
		   "woke dispatchers on two or more other CPUs without the kernel lock\n", r,
		   MULTI_SRV, wrong, ok ? "all fired, none early" : "WRONG", multi);
	EXPECT(ok, "multi: a timer late, early or not armed, or a bad reply");
	if (ncpus > MULTI_SRV)
		EXPECT(multi > 0, "no tick woke dispatchers on two other CPUs without the kernel lock");
	for (int i = 0; i < MULTI_SRV; i++) {
		EXPECT(k42_sc_proc_kill((uint64_t)srv[i]) == 0, "kill multi server %d", i);
		k42_wait((uint64_t)srv[i], &status);
	}
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), noise;
	uint64_t remote;
	int status;

	if (arg == 0x7171 || arg == 0x7172 || arg == 0x7174)
		return serve(arg == 0x7172 ? 1 : arg == 0x7174 ? 2 : 0);
	if (arg == 0x7173)
		return noise_main();
	noise = k42_spawn_path("tests/timer_cross_test", K42_PRIO_SYSTEM, 0x7173);
	EXPECT(noise > 0, "spawn the noise: %ld", noise);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX - 1; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "a dispatcher on CPU %ld", c);
	if (k42_argc > 1 && strcmp(k42_argv[1], "multi") == 0) {
		multi_phase(ncpus);	/* alone: smp/timer_multi_4 */
		remote = 0;
		goto out;
	}
	remote = phase(0);
	remote += phase(1);
	k42_printf("timer_cross_test: on %ld CPUs: %lu timer wake-ups onto another CPU's queue\n",
		   ncpus, remote);
	if (ncpus > 1)
		EXPECT(remote > 0, "no timer woke a dispatcher on another CPU without the kernel lock");
out:
	if (noise > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)noise) == 0, "kill the noise");
		k42_wait((uint64_t)noise, &status);
	}
	return verdict("timer_cross_test");
}
