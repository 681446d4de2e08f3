/*
 * Issue 12 item 11 (run as init): the system and real-time classes are a
 * privilege, and soft interrupts reach only processes the caller manages.
 * An unprivileged child may not create a SYSTEM or REALTIME process nor
 * raise bits on init; it may on its own child. A child granted `class`
 * may create a SYSTEM process, and passes nothing on to its own child.
 */
#include "check.h"
#include "sec.h"

static int run_probe(uint64_t privileges, uint64_t heir)
{
	int status = -1, state;
	long pid = sec_spawn_priv("probe", K42_PRIO_GENERAL, privileges, k42_info(K42_INFO_PID),
				  heir, 0);

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
	won = run_probe(0, 0);
	EXPECT(!(won & PROBE_SYSTEM_CLASS), "unprivileged child created a SYSTEM process");
	EXPECT(!(won & PROBE_REALTIME_CLASS), "unprivileged child created a REALTIME process");
	EXPECT(!(won & PROBE_SOFTINTR), "unprivileged child raised a soft interrupt on init");
	EXPECT(!(won & PROBE_ESCALATE), "child granted itself privileges");
	EXPECT(!(won & PROBE_OWN_FAILED), "child could not start and poke its own child");

	won = run_probe(K42_PRIV_CLASS, 1);
	EXPECT(won & PROBE_SYSTEM_CLASS, "child granted 'class' cannot create a SYSTEM process");
	EXPECT(!(won & PROBE_CONSOLE), "'class' let it read the console");
	EXPECT(!(won & PROBE_HEIR), "the privilege passed on to a grandchild");
	EXPECT(!(won & PROBE_SOFTINTR), "privileged child raised a soft interrupt on init");
	return verdict("class_priv_test");
}
