/*
 * A call to a server that has been created but has not run yet must wait
 * for it, not fail: until its runtime is up the new dispatcher is disabled,
 * the kernel answers -K42_EDISABLED and tells the caller to retry once it
 * can take calls. Calling at once after spawning is the race every client
 * of a freshly started server runs. (A server that runs but has not yet
 * called k42_serve answers -K42_ENOSYS; k42_name_wait and init wait that
 * window out for the name server.)
 *
 * One-way messages (ppc_send) that reach a program before it serves are
 * kept, like calls, and handed to its handler in order once it serves
 * (docs/kernel-interface.md, "One-way messages before the program
 * serves"): a sink (this program with argument EARLY_SINK) stays busy,
 * never idle (the first idle opens IPC without a handler), and takes its
 * ring's messages while it does not serve, until libk42 has held as many
 * as it keeps and the kernel's ring is full behind them, so the sender is
 * refused with -K42_EAGAIN; then it serves. Every message must arrive,
 * once, in order.
 */
#include "check.h"

#define EARLY_SINK 0x45534b
#define SINK_IFACE 0x4553
#define EARLY_MSGS 100
/* What libk42 holds (K42_DISP_MSGS) and the ring's room for senders. */
#define SINK_WAIT_FOR (K42_DISP_MSGS + K42_DISP_MSGS - K42_DISP_MSGS_KERNEL)

static uint64_t sink_next, sink_got, sink_bad;

static void sink_handle(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != SINK_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	if (k42_ipc_op_ordinal(m->op) == 2) {	/* the count, as a call */
		m->w[0] = sink_got;
		m->w[1] = sink_bad;
		m->op = 0;
		return;
	}
	sink_got++;
	if (m->w[0] != sink_next || m->w[1] != m->w[0] * 7 + 3)
		sink_bad++;
	sink_next = m->w[0] + 1;
}

static int sink(void)
{
	struct k42_disp_shared *sh = k42_disp();
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), end = k42_timebase() + 60 * hz;
	struct k42_sem never;

	/* Busy until the sender is refused: each enable takes what the
	 * ring has (libk42 holds it), the kernel call gives the CPU away
	 * without going idle. */
	while (__atomic_load_n(&sh->msg_head, __ATOMIC_ACQUIRE) < SINK_WAIT_FOR &&
	       (int64_t)(k42_timebase() - end) < 0) {
		k42_disable();
		k42_enable();
		k42_sc_yield();
	}
	k42_printf("early_call_test: sink: %lu messages came before it served, %lu still in the ring\n",
		   sh->msg_head, sh->msg_head - sh->msg_tail);
	k42_serve(sink_handle);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

static void early_messages(void)
{
	uint64_t op = k42_ipc_op(SINK_IFACE, 1, 1, K42_IPC_FLAG_ONEWAY, 0);
	long pid = k42_spawn_path("tests/early_call_test", K42_PRIO_GENERAL, EARLY_SINK);
	struct k42_ipc_msg m = { 0 };
	long rc = 0, refused = 0;
	int status;

	EXPECT(pid > 0, "spawn the sink: %ld", pid);
	if (pid <= 0)
		return;
	for (uint64_t seq = 0; seq < EARLY_MSGS; seq++) {
		for (int tries = 0; tries < 60000; tries++) {
			rc = k42_sc_ppc_send((uint64_t)pid, op, seq, seq * 7 + 3, 0, 0, 0, 0);
			if (rc != -K42_EAGAIN)
				break;
			refused++;
			k42_thread_sleep_us(1000);	/* the ring is full: let the sink take some */
		}
		EXPECT(rc == 0, "message %lu: %ld (%s)", seq, rc, k42_strerror(rc));
		if (rc != 0)
			break;
	}
	/* A call waits until the sink serves; the messages still in its
	 * ring are taken at its next drains, not before a call. */
	for (int ms = 0; ms < 30000; ms++) {
		m = (struct k42_ipc_msg){ 0 };
		m.op = k42_ipc_op(SINK_IFACE, 1, 2, 0, 0);
		rc = k42_call((uint64_t)pid, &m, 1);
		if (rc != 0 || m.w[0] >= EARLY_MSGS)
			break;
		k42_thread_sleep_us(1000);
	}
	k42_printf("early_call_test: %d one-way messages sent before the sink served (%ld refusals "
		   "while it held them): %lu arrived, %lu out of order\n",
		   EARLY_MSGS, refused, m.w[0], m.w[1]);
	EXPECT(rc == 0, "count call: %ld", rc);
	EXPECT(refused > 0, "the sender was never refused: the sink served too early");
	EXPECT(m.w[0] == EARLY_MSGS && m.w[1] == 0, "%lu of %d messages arrived, %lu out of order",
	       m.w[0], EARLY_MSGS, m.w[1]);
	k42_sc_proc_kill((uint64_t)pid);
	k42_wait((uint64_t)pid, &status);
}

int main(uint64_t arg)
{
	struct k42_ipc_msg m;

	if (arg == EARLY_SINK)
		return sink();
	for (int i = 0; i < 20; i++) {
		long pid = k42_spawn_path("bench/kbench_server", K42_PRIO_GENERAL, 0);
		long rc;

		EXPECT(pid > 0, "spawn: %ld", pid);
		if (pid <= 0)
			break;
		/* At once: on one CPU the new process has not run yet. */
		m.op = k42_ipc_op(0x4b42, 1, 0, 0, 0);
		rc = k42_call((uint64_t)pid, &m, 1000);
		EXPECT(rc == 0, "call %d to a just-created server: %ld (%s)", i, rc, k42_strerror(rc));
		k42_sc_proc_kill((uint64_t)pid);
	}
	early_messages();
	return verdict("early_call_test");
}
