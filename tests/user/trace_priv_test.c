/*
 * Issue 12 item 7 (run as init): turning on global tracing is a privilege.
 * An unprivileged child's trace_mask is refused and the mask every process
 * sees stays as it was; a child granted `trace` may set it.
 */
#include "check.h"
#include "sec.h"

static int run_probe(uint64_t privileges)
{
	int status = -1, state;
	long pid = sec_spawn_priv("probe", K42_PRIO_GENERAL, privileges, k42_info(K42_INFO_PID),
				  0, 0);

	EXPECT(pid > 0, "probe: %ld", pid);
	if (pid <= 0)
		return -1;
	state = k42_wait((uint64_t)pid, &status);
	EXPECT(state == K42_PROC_EXITED, "probe ended: state %d", state);
	return status;
}

int main(uint64_t arg)
{
	int won;

	(void)arg;
	EXPECT(k42_sc_trace_mask(0) >= 0, "init may set the mask");
	won = run_probe(0);
	EXPECT(!(won & PROBE_TRACE), "unprivileged child set the trace mask");
	EXPECT(k42_trace_mask() == 0, "the mask is now %#lx", k42_trace_mask());
	won = run_probe(K42_PRIV_TRACE);
	EXPECT(won & PROBE_TRACE, "child granted 'trace' cannot set the mask");
	EXPECT(k42_trace_mask() == K42_TRACE_MASK_ALL, "granted child's mask not in effect: %#lx",
	       k42_trace_mask());
	k42_sc_trace_mask(0);
	return verdict("trace_priv_test");
}
