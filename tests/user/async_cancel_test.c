/*
 * Cancelling asynchronous calls (kernel call ppc_cancel_async,
 * docs/kernel-interface.md), run as init, against ppc_cancel_server:
 *  - a call the server holds (taken): cancelled, the server's later grant
 *    copy gets -K42_EDEAD and its reply -K42_EINTR, and no reply comes;
 *  - a reply that arrived while we were disabled and was not collected:
 *    dropped, ppc_collect finds nothing;
 *  - a call queued on a target that cannot take it (a child waiting in a
 *    call of its own): withdrawn, so the child never serves it and its end
 *    answers nothing;
 *  - a stale, forged or another process's handle: -K42_EBADH, and the
 *    call it names is still ours to cancel;
 *  - libk42's k42_ipc_start / k42_ipc_cancel / k42_ipc_finish;
 *  - replies to calls queued on a server preempted with upcalls disabled
 *    (ordinal 4 yields so, deterministically) still come: we (init, of the
 *    system class) wait for them by blocking, not by yielding, which never
 *    leaves the CPU to the server's lower class (docs/kernel-interface.md,
 *    "Kernel scheduling": strict between classes);
 * and no call record is left over. With arg = handle | 1 << 62 it is the
 * other process: it tries to cancel that handle and exits with the result
 * negated.
 */
#include <k42/k42.h>
#include "check.h"

#define IFACE 0x1cc	/* ppc_cancel_server: 1 held, 2 count held, 3 answer held,
			 * 4 answered after a yield with upcalls disabled */
#define OTHER (1ull << 62)

static uint64_t server;

static long ask(uint32_t ord, uint64_t *w0, uint64_t *w1)
{
	uint64_t out[7];
	long rc = k42_sc_ppc_call(server, k42_ipc_op(IFACE, 1, ord, 0, 0), 0, 0, 0, 0, 0, 0, out);

	*w0 = out[1];
	*w1 = out[2];
	return rc;
}

/* Until the server holds n calls (bounded: ~20 s). */
static int wait_held(uint64_t n)
{
	uint64_t held = ~0ull, w1;

	for (int i = 0; i < 2000; i++) {
		if (ask(2, &held, &w1) == 0 && held == n)
			return 1;
		k42_thread_sleep_us(10000);
	}
	k42_printf("async_cancel_test: the server holds %lu calls, want %lu\n", held, n);
	return 0;
}

static long call_async(uint64_t target, uint32_t ord, uint64_t w0)
{
	return k42_sc_ppc_call_async(target, k42_ipc_op(IFACE, 1, ord, 0, 0), w0, 0, 0, 0, 0, 0, 0);
}

/* The server answers what it holds: the first held call's grant-copy and
 * reply results. */
static void answer_held(long want_copy, long want_reply, const char *what)
{
	uint64_t w0 = 0, w1 = 0;
	long rc = ask(3, &w0, &w1);

	EXPECT(rc == 0 && (long)w0 == want_copy && (long)w1 == want_reply,
	       "%s: the server's grant copy %ld (want %ld), reply %ld (want %ld), rc %ld", what,
	       (long)w0, want_copy, (long)w1, want_reply, rc);
}

/* Disabled: wait until a reply waits in the kernel (K42_SOFTINTR_REPLY
 * pending), blocking in 10 ms steps (~10 s at most) so the server, of a
 * lower class than ours, can run. Other pending bits are taken off so that
 * block sleeps, and put back after; so is the kernel timer libk42 armed. */
static int wait_reply(void)
{
	struct k42_disp_shared *sh = k42_disp();
	uint64_t taken = 0, step = k42_info(K42_INFO_TIMEBASE_HZ) / 100, prev[1], was[1];
	int i;

	for (i = 0; i < 1000; i++) {
		taken |= __atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		if (taken & K42_SOFTINTR_REPLY)
			break;
		k42_sc_timer_set(k42_timebase() + step, i ? was : prev);
		k42_sc_block();
	}
	if (i)
		k42_sc_timer_set(prev[0], was);
	__atomic_or_fetch(&sh->pending, taken, __ATOMIC_RELEASE);
	return (taken & K42_SOFTINTR_REPLY) != 0;
}

static long collect(void)
{
	uint64_t out[8];

	return k42_sc_ppc_collect(out);
}

int main(uint64_t arg)
{
	static struct k42_ipc_pending p;
	uint64_t calls0, out[8];
	long h, h2, rc, child;
	int status = -1, s, i, got1, got2;

	if (arg & OTHER)
		return (int)-k42_sc_ppc_cancel_async(arg & ~OTHER);
	server = (uint64_t)k42_spawn_path("tests/ppc_cancel_server", K42_PRIO_GENERAL, 0);
	EXPECT((long)server > 0, "spawn server: %ld", (long)server);
	if ((long)server <= 0)
		return verdict("async_cancel_test");
	EXPECT(wait_held(0), "the server answers");
	calls0 = (uint64_t)k42_info(K42_INFO_IPC_CALLS);

	/* Forged handles change nothing. */
	EXPECT(k42_sc_ppc_cancel_async(0) == -K42_EBADH, "cancel of handle 0");
	EXPECT(k42_sc_ppc_cancel_async(~0ull) == -K42_EBADH, "cancel of handle ~0");
	EXPECT(k42_sc_ppc_cancel_async(0x12345678) == -K42_EBADH, "cancel of a forged handle");

	/* 1. Taken: the server holds it. */
	h = call_async(server, 1, 11);
	EXPECT(h > 0, "async call: %ld", h);
	EXPECT(wait_held(1), "the server holds the async call");
	/* Another process may not cancel it (and does not: we still can). */
	child = k42_spawn_path("tests/async_cancel_test", K42_PRIO_GENERAL, (uint64_t)h | OTHER);
	EXPECT(child > 0 && k42_wait((uint64_t)child, &status) >= 0 && status == K42_EBADH,
	       "another process's cancel: status %d (want %d)", status, K42_EBADH);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == 0, "cancel a taken call: %ld", rc);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == -K42_EBADH, "cancel it again: %ld", rc);
	answer_held(-K42_EDEAD, -K42_EINTR, "taken call");
	EXPECT((rc = collect()) == -K42_EAGAIN, "a reply came for the cancelled call: %ld", rc);

	/* 2. Answered, not collected: disabled, the reply waits in the kernel
	 * (K42_SOFTINTR_REPLY raised) until ppc_collect. */
	s = k42_disable_save();
	h = call_async(server, 2, 0);		/* answered at once */
	EXPECT(h > 0 && wait_reply(), "the reply waits: %ld", h);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == 0, "cancel an answered call: %ld", rc);
	EXPECT((rc = collect()) == -K42_EAGAIN, "a reply came for the cancelled call: %ld", rc);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == -K42_EBADH, "cancel it again: %ld", rc);
	__atomic_and_fetch(&k42_disp()->pending, ~K42_SOFTINTR_REPLY, __ATOMIC_ACQ_REL); /* seen */
	h2 = call_async(server, 2, 0);		/* the same, collected */
	rc = h2 > 0 && wait_reply() ? k42_sc_ppc_collect(out) : -K42_EAGAIN;
	EXPECT(h2 > 0 && rc == h2 && out[0] == 0 && out[2] == 0,
	       "collect: %ld (want %ld), status %ld, held %lu", rc, h2, (long)out[0], out[2]);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h2)) == -K42_EBADH,
	       "cancel a collected call: %ld", rc);

	/* 2b. The server yields with upcalls disabled in ordinal 4 (as a
	 * tick preempting it in its runtime would leave it), so our next call
	 * is queued on it: both replies still come. */
	__atomic_and_fetch(&k42_disp()->pending, ~K42_SOFTINTR_REPLY, __ATOMIC_ACQ_REL);
	h = call_async(server, 4, 0);
	h2 = call_async(server, 2, 0);
	EXPECT(h > 0 && h2 > 0, "async calls to a server that yields: %ld, %ld", h, h2);
	for (i = 0, got1 = got2 = 0; i < 2 && h > 0 && h2 > 0; i++) {
		if ((rc = k42_sc_ppc_collect(out)) == -K42_EAGAIN) {
			/* Seen: what is raised from now on is new. */
			__atomic_and_fetch(&k42_disp()->pending, ~K42_SOFTINTR_REPLY, __ATOMIC_ACQ_REL);
			if ((rc = k42_sc_ppc_collect(out)) == -K42_EAGAIN && wait_reply())
				rc = k42_sc_ppc_collect(out);
		}
		EXPECT(((rc == h && !got1++) || (rc == h2 && !got2++)) && out[0] == 0,
		       "reply %d of 2 from a server that yielded: %ld (want %ld or %ld), status %ld",
		       i + 1, rc, h, h2, (long)out[0]);
	}
	EXPECT((rc = collect()) == -K42_EAGAIN, "a third reply: %ld", rc);
	k42_restore(s);

	/* 3. Queued: a child waits in a call the server holds, so our call to
	 * it is queued. Withdrawn, it is never served, and the child's end
	 * answers nothing (otherwise -K42_EDEAD would come to ppc_collect). */
	child = k42_spawn_path("tests/ppc_cancel_child", K42_PRIO_GENERAL, server);
	EXPECT(child > 0, "spawn child: %ld", child);
	EXPECT(wait_held(1), "the server holds the child's call");
	h = call_async((uint64_t)child, 1, 33);
	EXPECT(h > 0, "async call to the waiting child: %ld", h);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == 0, "cancel a queued call: %ld", rc);
	EXPECT((rc = k42_sc_ppc_cancel_async((uint64_t)h)) == -K42_EBADH, "cancel it again: %ld", rc);
	EXPECT(k42_sc_ppc_cancel((uint64_t)child) == 1, "end the child's call");
	answer_held(-K42_EDEAD, -K42_EINTR, "the child's call");
	status = -1;
	EXPECT(k42_wait((uint64_t)child, &status) >= 0 && status == K42_EINTR,
	       "child's status %d (want %d)", status, K42_EINTR);
	EXPECT((rc = collect()) == -K42_EAGAIN, "a reply came for the withdrawn call: %ld", rc);

	/* 4. Through libk42: cancelled while held, then too late. */
	p.msg.op = k42_ipc_op(IFACE, 1, 1, 0, 0);
	EXPECT((rc = k42_ipc_start(server, &p)) == 0, "k42_ipc_start: %ld", rc);
	EXPECT(wait_held(1), "the server holds the started call");
	EXPECT((rc = k42_ipc_cancel(&p)) == 0, "k42_ipc_cancel: %ld", rc);
	EXPECT((rc = k42_ipc_finish(&p)) == -K42_EINTR, "k42_ipc_finish after cancel: %ld", rc);
	answer_held(-K42_EDEAD, -K42_EINTR, "the started call");
	p.msg.op = k42_ipc_op(IFACE, 1, 2, 0, 0);
	EXPECT((rc = k42_ipc_start(server, &p)) == 0, "k42_ipc_start: %ld", rc);
	EXPECT((rc = k42_ipc_finish(&p)) == 0 && p.msg.w[0] == 0, "k42_ipc_finish: %ld", rc);
	EXPECT((rc = k42_ipc_cancel(&p)) == 1, "k42_ipc_cancel after the reply: %ld", rc);

	/* Nothing left over. */
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "call records: %ld, were %lu",
	       k42_info(K42_INFO_IPC_CALLS), calls0);
	k42_sc_proc_kill(server);
	return verdict("async_cancel_test");
}
