/*
 * Kernel-call fuzz test (run as init): a child makes 100,000 random kernel
 * calls with random arguments; it must finish normally, and the kernel
 * (and this process) must still work afterwards.
 */
#include "check.h"

#define CALLS 100000

int main(uint64_t arg)
{
	int status = -1, state;
	long pid;
	uint64_t t0 = k42_timebase();

	(void)arg;
	pid = k42_spawn_path("tests/fuzzer", K42_PRIO_GENERAL, CALLS);
	EXPECT(pid > 0, "spawn: %ld", pid);
	if (pid <= 0)
		return verdict("fuzz_test");
	state = k42_wait((uint64_t)pid, &status);
	k42_printf("fuzz_test: fuzzer ended: state %d status %d after %lu ms\n", state, status,
		   (k42_timebase() - t0) / (k42_info(K42_INFO_TIMEBASE_HZ) / 1000));
	EXPECT(state == K42_PROC_EXITED && status == 0, "fuzzer state %d status %d", state, status);
	/* The kernel still serves us. */
	EXPECT(k42_sc_null() == 0, "null call");
	EXPECT(k42_sc_mem_map_anon(k42_info(K42_INFO_PID), 0x50000000, 4096,
				   K42_PROT_READ | K42_PROT_WRITE) == 0, "map after fuzzing");
	*(volatile int *)0x50000000 = 7;
	EXPECT(*(volatile int *)0x50000000 == 7, "memory after fuzzing");
	return verdict("fuzz_test");
}
