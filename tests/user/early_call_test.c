/*
 * A call to a server that has been created but has not run yet must wait
 * for it, not fail: until its runtime is up the new dispatcher is disabled,
 * the kernel answers -K42_EDISABLED and tells the caller to retry once it
 * can take calls. Calling at once after spawning is the race every client
 * of a freshly started server runs. (A server that runs but has not yet
 * called k42_serve answers -K42_ENOSYS; k42_name_wait and init wait that
 * window out for the name server.)
 */
#include "check.h"

int main(uint64_t arg)
{
	struct k42_ipc_msg m;

	(void)arg;
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
	return verdict("early_call_test");
}
