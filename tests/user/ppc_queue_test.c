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
 * Then one-way messages (ppc_send) from threads on every dispatcher to a
 * sink (this program with argument 0x5152) on one CPU: every message's
 * words checked, and each sender's sequence must arrive whole and in
 * order (the ring's writers on several CPUs at once meet at the sink's
 * CPU's local lock).
 *
 * Then callers that die mid-call: rounds of child processes (this program
 * with argument 0x5151 and the server's pid, one per CPU, placed round-robin) that call the server
 * without end, killed while their calls are queued, taken or answered on
 * the server's CPU; then every CPU's callers again, every reply checked,
 * and once the server and the noise are gone the kernel's count of
 * outstanding calls must be back where it started (no record leaked or
 * freed twice). A child that sees a wrong reply says "child: bad".
 */
#include "storm.h"

#define THREADS 2
#define CALLS 400
#define LEN 48
#define ROUNDS 12

static long server;
static uint64_t bad, calls;

/* One call of `kind` to `srv` with `seed`: 1 if every value of the reply
 * is right. Kinds 0, 1: synchronous, bytes through the dispatcher's PPC
 * page; 2, 3: asynchronous, through the thread's own buffer; odd ones
 * with LEN bytes. */
static int one(long srv, unsigned kind, uint64_t seed, uint64_t self)
{
	uint32_t len = kind & 1 ? LEN : 0;

	return kind < 2 ? cross_sync_call(srv, len, seed, self) : cross_async_call(srv, len, seed, self);
}

/* One call to the server (for cross_caller_loop). */
static int one_server(unsigned kind, uint64_t seed)
{
	static uint64_t self;	/* (every thread finds the same) */

	if (!self)
		self = k42_info(K42_INFO_PID);
	return one(server, kind, seed, self);
}

static void *caller_thread(void *arg)
{
	cross_caller_loop("ppc_queue_test", (unsigned)(uintptr_t)arg, CALLS, 4, one_server, &bad,
			  &calls);
	return NULL;
}

/* Every dispatcher's callers at once; every reply checked. */
static void storm(const char *what)
{
	unsigned nvp = k42_vp_count();
	int n;

	bad = calls = 0;
	n = storm_threads(caller_thread, THREADS);
	k42_printf("ppc_queue_test: %s: %lu calls from %u dispatchers, %lu bad\n", what, calls, nvp, bad);
	EXPECT(calls == (uint64_t)n * CALLS, "%lu calls made of %lu", calls, (uint64_t)n * CALLS);
	EXPECT(bad == 0, "%lu bad replies", bad);
}

/* ---- one-way messages (ppc_send) from every CPU to a sink ----
 * The sink is this program with argument 0x5152: it checks every
 * message's words and that each sender's sequence arrives whole and in
 * order (a lost, doubled or torn message breaks it), and answers ordinal
 * 2 with what it counted. */
#define SENDERS (K42_VPS_MAX * THREADS)
#define MSGS 300
static uint64_t sink_next[SENDERS], sink_got, sink_bad;

static uint64_t msg_word(uint64_t seq, uint64_t id, int i)
{
	return seq * 0x9e3779b97f4a7c15ull + id * 977 + (uint64_t)i;
}

static void sink_handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint64_t seq = m->w[0], id = m->w[1];

	(void)caller;
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != CROSS_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	if (k42_ipc_op_ordinal(m->op) == 2) {
		m->w[0] = sink_got;
		m->w[1] = sink_bad;
		m->op = 0;
		return;
	}
	sink_got++;
	if (id >= SENDERS || seq != sink_next[id]) {
		sink_bad++;
		return;
	}
	sink_next[id]++;
	for (int i = 2; i < 6; i++)
		if (m->w[i] != msg_word(seq, id, i))
			sink_bad++;
}

static int sink(void)
{
	struct k42_sem never;

	k42_serve(sink_handle);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

static long sink_pid;

static void *sender_thread(void *arg)
{
	uint64_t id = (uint64_t)(uintptr_t)arg;
	uint64_t mop = k42_ipc_op(CROSS_IFACE, 1, 3, K42_IPC_FLAG_ONEWAY, 0);

	for (uint64_t seq = 0; seq < MSGS; seq++) {
		long rc;

		/* Its ring is full: sleep, so this dispatcher gives its CPU
		 * away (a user-level yield to the other sender only spins,
		 * and the sink may be waiting for that very CPU). */
		while ((rc = k42_sc_ppc_send((uint64_t)sink_pid, mop, seq, id, msg_word(seq, id, 2),
					     msg_word(seq, id, 3), msg_word(seq, id, 4),
					     msg_word(seq, id, 5))) == -K42_EAGAIN)
			k42_thread_sleep_us(500);
		if (rc != 0) {
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

static void messages(void)
{
	k42_thread_t *th[SENDERS];
	struct k42_ipc_msg m = { 0 };
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), deadline = k42_timebase() + 60 * hz;
	unsigned nvp = k42_vp_count();
	int n = 0, status;

	bad = 0;
	sink_pid = k42_spawn_path("tests/ppc_queue_test", K42_PRIO_SYSTEM, 0x5152);
	EXPECT(sink_pid > 0, "spawn the sink: %ld", sink_pid);
	if (sink_pid <= 0)
		return;
	/* A call is answered once the sink serves (calls wait for that, and
	 * one-way messages that come earlier are held until it does). */
	m.op = k42_ipc_op(CROSS_IFACE, 1, 2, 0, 0);
	EXPECT(k42_call((uint64_t)sink_pid, &m, 1) == 0 && m.w[0] == 0, "the sink answers");
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < THREADS; k++, n++)
			th[n] = k42_thread_create_on(v, sender_thread, (void *)(uintptr_t)n, NULL);
	for (int i = 0; i < n; i++)
		EXPECT(th[i] && k42_thread_join(th[i], NULL) == 0, "sender %d", i);
	/* Every message sent is in the sink's ring: wait until it took them. */
	do {
		m = (struct k42_ipc_msg){ 0 };
		m.op = k42_ipc_op(CROSS_IFACE, 1, 2, 0, 0);
		if (k42_call((uint64_t)sink_pid, &m, 1) != 0)
			break;
		if (m.w[0] >= (uint64_t)n * MSGS)
			break;
		k42_thread_sleep_us(1000);	/* (not a yield: the sink may need this CPU) */
	} while ((int64_t)(k42_timebase() - deadline) < 0);
	k42_printf("ppc_queue_test: messages: %lu of %lu taken from %d senders, %lu bad, %lu send errors\n",
		   m.w[0], (uint64_t)n * MSGS, n, m.w[1], bad);
	EXPECT(m.w[0] == (uint64_t)n * MSGS && m.w[1] == 0 && bad == 0,
	       "%lu of %lu messages, %lu bad, %lu send errors", m.w[0], (uint64_t)n * MSGS, m.w[1], bad);
	EXPECT(k42_sc_proc_kill((uint64_t)sink_pid) == 0, "kill the sink");
	k42_wait((uint64_t)sink_pid, &status);
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
	if (arg == 0x5152)
		return sink();
	q0 = k42_info(K42_INFO_PPC_QUEUED_UNLOCKED);
	i0 = k42_info(K42_INFO_PPC_OTHER_UNLOCKED);
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
	i0 = k42_info(K42_INFO_PPC_OTHER_UNLOCKED) - i0;
	a0 = k42_info(K42_INFO_PPC_ACCEPTS_UNLOCKED) - a0;
	k42_printf("ppc_queue_test: on %ld CPUs, unlocked: %lu calls queued across CPUs, "
		   "%lu other (idle replies across CPUs, async replies here, collects, sends), "
		   "%lu accepts\n", ncpus, q0, i0, a0);
	/* (Async replies on one CPU and collects happen at any CPU count.) */
	EXPECT(i0 > 0, "no other PPC operation was done without the kernel lock");
	if (ncpus > 1)
		EXPECT(q0 > 0, "no call was queued across CPUs without the kernel lock");

	i0 = k42_info(K42_INFO_PPC_OTHER_UNLOCKED);
	messages();
	i0 = k42_info(K42_INFO_PPC_OTHER_UNLOCKED) - i0;
	EXPECT(i0 >= (uint64_t)k42_vp_count() * THREADS * MSGS / 2,
	       "only %lu sends without the kernel lock", i0);
	dying_callers(ncpus);
	storm("after the killed callers");

	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);
	if (noise > 0) {
		EXPECT(k42_sc_proc_kill((uint64_t)noise) == 0, "kill the noise");
		k42_wait((uint64_t)noise, &status);
	}
	/* (Records kept per CPU count as free only while nothing runs, and
	 * those of the killed callers and server come back after
	 * quiescence.) Wait by sleeping, which lets every CPU go idle and
	 * reclaim; a yield loop of this system-class process kept its CPU
	 * busy, and 2 s of it was not enough on a loaded host. */
	deadline = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	do {
		now = k42_info(K42_INFO_IPC_CALLS);
		if (now == in_use && !k42_info(K42_INFO_DEFERRED))
			break;
		k42_thread_sleep_us(1000);
	} while ((int64_t)(k42_timebase() - deadline) < 0);
	EXPECT(now == in_use, "%lu calls outstanding at the end, %lu at the start", now, in_use);
	k42_printf("ppc_queue_test: outstanding calls %lu at the start, %lu at the end\n", in_use, now);
	return verdict("ppc_queue_test");
}
