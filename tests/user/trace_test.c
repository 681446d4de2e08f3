/*
 * Tracing across layers (run as init, checked on the host by the test
 * runner): the client marks events around a PPC call to a server whose
 * libk42 logs request begin/end; the kernel logs the PPC call and return.
 * The dump at power-off must hold, in this order: app.marker 1, ppc.call,
 * request.begin, request.end, ppc.return, app.marker 2; then app.marker
 * 3 and, 1.5 s later, app.marker 4 in the next block (the kernel closed
 * marker 3's as too old for its events' 32-bit timestamps).
 */
#include <k42/ktrace.h>
#include "check.h"

#define ROUNDS 3

int main(uint64_t arg)
{
	struct k42_ipc_msg m;
	long echo;

	(void)arg;
	EXPECT(k42_trace_attach() == 0 && k42_trace_user_bufs[0].ring != 0,
	       "not attached to the trace buffer");
	echo = k42_spawn_path("tests/ppc_echo", K42_PRIO_GENERAL, 0);
	EXPECT(echo > 0, "spawn: %ld", echo);
	/* Make sure the server takes calls before tracing starts. */
	m.op = k42_ipc_op(0x4243, 1, 1, 0, 0);
	EXPECT(k42_call((uint64_t)echo, &m, 1000) == 0, "warm-up call");
	k42_sc_trace_mask(K42_TRACE_MASK_ALL);
	for (int i = 0; i < ROUNDS; i++) {
		trace_app_marker(1);
		m.op = k42_ipc_op(0x4243, 1, 1, 0, 0);
		EXPECT(k42_call((uint64_t)echo, &m, 1000) == 0, "traced call %d", i);
		trace_app_marker(2);
	}
	/* A quiet stretch longer than K42_TRACE_TS_MAX_AGE (2^29 ticks, 1 s):
	 * the kernel's tick closes marker 3's block (k42_trace_keep_time),
	 * so marker 4, which would fit there, opens the next one. Nothing
	 * else is logged meanwhile (only the app class is on). */
	k42_sc_trace_mask(K42_TRACE_MASK_APP);
	trace_app_marker(3);
	k42_thread_sleep_us(1500000);
	trace_app_marker(4);
	k42_sc_trace_mask(0);
	k42_sc_proc_kill((uint64_t)echo);
	return verdict("trace_test");
}
