/*
 * Issue 12 item 6 (run as init): console input is the console server's.
 * An unprivileged child may not console_read; a child granted `console`
 * may, and its own child may not (privileges are never inherited). The
 * boot configuration's `privileges=console` is checked by the shell
 * session security/console_steal.
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
	char buf[8];
	int won;

	(void)arg;
	EXPECT(k42_sc_console_read((uint64_t)buf, sizeof(buf)) >= 0, "init may read the console");
	won = run_probe(0, 0);
	EXPECT(!(won & PROBE_CONSOLE), "unprivileged child read the console");
	won = run_probe(K42_PRIV_CONSOLE, 1);
	EXPECT(won & PROBE_CONSOLE, "child granted 'console' cannot read it");
	EXPECT(!(won & PROBE_TRACE), "'console' let it set the trace mask");
	EXPECT(!(won & PROBE_HEIR), "the console privilege passed on to a grandchild");
	return verdict("console_priv_test");
}
