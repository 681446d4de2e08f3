/*
 * Forged contexts (issue 12 item 1's second half), run as init: a context
 * handed to disp_resume with a kernel pc, a pc just past user space, or a
 * user pc whose code is privileged with every register pointing into the
 * kernel, must end its process or run in user mode (where the privileged
 * instruction traps), never run privileged. tests/linux/sigforge.c does
 * the same through a Linux signal frame (rt_sigreturn with a supervisor
 * MSR), the path of a reflected system call's return.
 */
#include "check.h"

static const struct {
	const char *what;
	int state;	/* K42_PROC_* expected */
	int status;	/* exit status expected when EXITED */
} cases[] = {
	{ "kernel pc", K42_PROC_KILLED, -1 },
	{ "pc at K42_USER_TOP", K42_PROC_KILLED, -1 },
	{ "privileged code, kernel registers (the trap ends it: 128)", K42_PROC_EXITED, 128 },
};

int main(uint64_t arg)
{
	(void)arg;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0, state;
		long pid = k42_spawn_path("tests/forged_ctx", K42_PRIO_GENERAL, i);

		EXPECT(pid > 0, "spawn %u: %ld", i, pid);
		if (pid <= 0)
			continue;
		state = k42_wait((uint64_t)pid, &status);
		k42_printf("forged_ctx_test: %s: state %d status %d\n", cases[i].what, state, status);
		EXPECT(state == cases[i].state, "%s: state %d status %d", cases[i].what, state, status);
		EXPECT(status != 77, "%s: ran privileged", cases[i].what);
		if (cases[i].state == K42_PROC_EXITED)
			EXPECT(status == cases[i].status, "%s: status %d", cases[i].what, status);
	}
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "%lu processes left", k42_info(K42_INFO_PROCESSES));
	return verdict("forged_ctx_test");
}
