/*
 * Client for the shell's crash session: asks the "crash" server
 * (tests/crash_server) to crash in the middle of the call, and exits 0 only
 * if the PPC came back with -K42_EDEAD — the error a client must get when
 * its server dies under it.
 */
#include <k42/k42.h>

int main(uint64_t arg)
{
	struct k42_ipc_msg m;
	uint64_t pid;
	long rc;

	(void)arg;
	rc = k42_name_wait("crash", &pid, NULL, 2000);
	if (rc < 0) {
		k42_printf("crash_poke: no crash server: %s\n", k42_strerror(rc));
		return 2;
	}
	m.op = k42_ipc_op(0x7e7e, 1, 2, 0, 0);
	rc = k42_call(pid, &m, 100);
	k42_printf("crash_poke: call to the crash server returned %ld (%s)\n", rc, k42_strerror(rc));
	return rc == -K42_EDEAD ? 0 : 1;
}
