/*
 * ppc_cancel (^C, docs/kernel-interface.md), run as init: a child waits in
 * a synchronous call its server holds; cancelling it ends the call at once
 * with -K42_EINTR; the server's later grant copy into the child's lent
 * memory is refused (-K42_EDEAD) and its reply too (-K42_EINTR), and no
 * call record is left over. A process may not cancel the calls of one it
 * does not manage (a sibling); a process with no call has none cancelled.
 */
#include <k42/k42.h>
#include "check.h"

#define IFACE 0x1cc

static long ask(uint64_t server, uint32_t ord, uint64_t *w0, uint64_t *w1)
{
	uint64_t out[7];
	long rc = k42_sc_ppc_call(server, k42_ipc_op(IFACE, 1, ord, 0, 0), 0, 0, 0, 0, 0, 0, out);

	*w0 = out[1];
	*w1 = out[2];
	return rc;
}

int main(uint64_t arg)
{
	long server = k42_spawn_path("tests/ppc_cancel_server", K42_PRIO_GENERAL, 0), child, other;
	uint64_t calls0 = (uint64_t)k42_info(K42_INFO_IPC_CALLS), held = 0, w1 = 0, w0;
	int status = -1, i;
	long rc;

	(void)arg;
	EXPECT(server > 0, "spawn server: %ld", server);
	if (server <= 0)
		return verdict("ppc_cancel_test");

	child = k42_spawn_path("tests/ppc_cancel_child", K42_PRIO_GENERAL, (uint64_t)server);
	EXPECT(child > 0, "spawn child: %ld", child);
	/* Until the server holds the child's call (bounded: ~20 s). */
	for (i = 0; i < 2000 && (ask((uint64_t)server, 2, &held, &w1) != 0 || held != 1); i++)
		k42_thread_sleep_us(10000);
	EXPECT(held == 1, "the server never held the child's call (%lu)", held);

	/* A sibling may not cancel it. */
	other = k42_spawn_path("tests/ppc_cancel_child", K42_PRIO_GENERAL,
			       (uint64_t)child | (1ull << 62));
	EXPECT(other > 0 && k42_wait((uint64_t)other, &status) >= 0 && status == K42_EPERM,
	       "a sibling's cancel: status %d (want %d)", status, K42_EPERM);

	/* The parent may: one call ends. */
	rc = k42_sc_ppc_cancel((uint64_t)child);
	EXPECT(rc == 1, "cancel: %ld calls ended (want 1)", rc);
	rc = k42_sc_ppc_cancel((uint64_t)child);
	EXPECT(rc == 0, "a second cancel: %ld (want 0)", rc);

	/* The server answers its held calls now: the cancelled caller's memory
	 * is no longer lent, and the reply is refused. */
	rc = ask((uint64_t)server, 3, &w0, &w1);
	EXPECT(rc == 0 && (long)w0 == -K42_EDEAD, "grant copy after cancel: %ld / %ld", rc, (long)w0);
	EXPECT(rc == 0 && (long)w1 == -K42_EINTR, "reply after cancel: %ld / %ld", rc, (long)w1);

	/* The child's call ended with -K42_EINTR and its memory unchanged. */
	status = -1;
	EXPECT(child > 0 && k42_wait((uint64_t)child, &status) >= 0 && status == K42_EINTR,
	       "child's status %d (want %d: its call ended -K42_EINTR, lent bytes untouched)",
	       status, K42_EINTR);

	/* Nothing left over; a bad pid is refused. */
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "call records: %ld, were %lu",
	       k42_info(K42_INFO_IPC_CALLS), calls0);
	EXPECT(k42_sc_ppc_cancel(0) == -K42_ESRCH, "cancel of pid 0");
	EXPECT(k42_sc_ppc_cancel((uint64_t)child) == -K42_ESRCH, "cancel of an ended pid");

	k42_sc_proc_kill((uint64_t)server);
	return verdict("ppc_cancel_test");
}
