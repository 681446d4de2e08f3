/*
 * ^C between processes (run as init): ioevent.interrupt ends a process
 * (or raises SIGINT in a Linux one), so only the console (holder of the
 * console privilege), the process itself or an ancestor may send it; and
 * a process may put only itself and its descendants into the console's
 * foreground job. The soak's IPC fuzzer found the hole: its random
 * one-way calls ended the name, file and kv servers (status 130).
 */
#include <string.h>
#include "check.h"
#include "sec.h"
#include "ioevent.h"

/* Wait up to ms for pid to end; its state (RUNNING if it did not). */
static int wait_end(uint64_t pid, int ms, int *status)
{
	uint64_t out[1] = { 0 };
	long state = K42_PROC_RUNNING;

	for (int i = 0; i < ms; i++) {
		state = k42_sc_proc_status(pid, out);
		if (state == K42_PROC_EXITED || state == K42_PROC_KILLED)
			break;
		k42_thread_sleep_us(1000);
	}
	*status = (int)out[0];
	return (int)state;
}

static long start_console(void)
{
	const char *argv[] = { "console", NULL };
	struct k42_spawn_opts o;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.prio = K42_PRIO_SYSTEM;
	o.flags = K42_SPAWN_SHARE_ARCHIVE;
	o.privileges = K42_PRIV_CONSOLE;
	return k42_spawn_path_ex("servers/console", &o);
}

int main(uint64_t arg)
{
	long victim, sender, console;
	int status = -1, state;

	(void)arg;
	console = start_console();
	victim = sec_spawn("idle", K42_PRIO_GENERAL, 0, 0, 0);
	EXPECT(console > 0 && victim > 0, "start: console %ld victim %ld", console, victim);
	if (console <= 0 || victim <= 0)
		return verdict("interrupt_test");

	/* A sibling: its ^C is dropped, the foreground refused. */
	sender = sec_spawn("interrupt", K42_PRIO_GENERAL, (uint64_t)victim, (uint64_t)console, 0);
	state = sender > 0 ? k42_wait((uint64_t)sender, &status) : -1;
	EXPECT(state == K42_PROC_EXITED && status == 0, "stranger's deeds: state %d status %#x",
	       state, status);
	state = wait_end((uint64_t)victim, 200, &status);
	EXPECT(state == K42_PROC_RUNNING, "a stranger's ^C ended the victim: state %d status %d",
	       state, status);

	/* Its ancestor (we) may. */
	EXPECT(ioevent_interrupt((uint64_t)victim) == 0, "send");
	state = wait_end((uint64_t)victim, 5000, &status);
	EXPECT(state == K42_PROC_EXITED && status == 130, "the parent's ^C: state %d status %d",
	       state, status);

	/* So may a holder of the console privilege that is not an ancestor. */
	victim = sec_spawn("idle", K42_PRIO_GENERAL, 0, 0, 0);
	sender = sec_spawn_priv("interrupt", K42_PRIO_GENERAL, K42_PRIV_CONSOLE, (uint64_t)victim,
				0, 1);
	state = sender > 0 ? k42_wait((uint64_t)sender, &status) : -1;
	EXPECT(state == K42_PROC_EXITED && status == 0, "console holder: state %d status %#x",
	       state, status);
	state = victim > 0 ? wait_end((uint64_t)victim, 5000, &status) : -1;
	EXPECT(state == K42_PROC_EXITED && status == 130, "the console's ^C: state %d status %d",
	       state, status);
	k42_sc_proc_kill((uint64_t)console);
	return verdict("interrupt_test");
}
