/*
 * Containment test (run as init): children that touch kernel memory, jump
 * to garbage or into the kernel, pass bad pointers and call numbers, run
 * privileged or illegal instructions, or write their own text. Each must
 * end (killed, or told no) while this process and the kernel go on.
 */
#include "check.h"

static const struct {
	const char *what;
	int state;	/* K42_PROC_* expected */
	int status;	/* exit status expected when EXITED */
} cases[] = {
	{ "read kernel memory", K42_PROC_KILLED, -1 },
	{ "write kernel memory", K42_PROC_KILLED, -1 },
	{ "jump to garbage", K42_PROC_KILLED, -1 },
	{ "jump into the kernel", K42_PROC_KILLED, -1 },
	{ "bad pointers in kernel calls", K42_PROC_EXITED, 42 },
	{ "bad kernel-call numbers", K42_PROC_EXITED, 43 },
	{ "privileged instruction (reflected to its trap entry)", K42_PROC_EXITED, 128 },
	{ "illegal instruction (reflected to its trap entry)", K42_PROC_EXITED, 128 },
	{ "write to its own text", K42_PROC_KILLED, -1 },
	{ "read below user space", K42_PROC_KILLED, -1 },
};

int main(uint64_t arg)
{
	(void)arg;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0, state;
		long pid = k42_spawn_path("tests/hostile", K42_PRIO_GENERAL, i);

		EXPECT(pid > 0, "spawn %u: %ld", i, pid);
		if (pid <= 0)
			continue;
		state = k42_wait((uint64_t)pid, &status);
		k42_printf("hostile_test: %s: state %d status %d\n", cases[i].what, state, status);
		EXPECT(state == cases[i].state, "%s: state %d", cases[i].what, state);
		if (cases[i].state == K42_PROC_EXITED)
			EXPECT(status == cases[i].status, "%s: status %d", cases[i].what, status);
	}
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "%lu processes left", k42_info(K42_INFO_PROCESSES));
	return verdict("hostile_test");
}
