/*
 * Call data is seen only by the caller and the callee (issue 12 item 5),
 * run as init. We make 4 KiB calls to an echo server while a third
 * process, our child, watches its own PPC page for our bytes and tries to
 * read ours and the server's with mem_read. With the old per-CPU PPC page,
 * mapped read-write into every process and never cleared, it saw every
 * call; with a private page per process it sees none, and mem_read of a
 * process it does not manage is refused.
 */
#include "check.h"
#include "sec.h"

#define ECHO_IFACE 0x4243
#define CALLS 3000

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	uint64_t *page = (uint64_t *)k42_ppc_page();
	struct k42_ipc_msg m;
	long echo, snoop, rc = 0;
	int status = -1, state, bad = 0;

	(void)arg;
	echo = k42_spawn_path("tests/ppc_echo", K42_PRIO_GENERAL, 0);
	EXPECT(echo > 0, "spawn echo: %ld", echo);
	if (echo <= 0)
		return verdict("ppc_snoop_test");
	snoop = sec_spawn("snoop", K42_PRIO_GENERAL, self, (uint64_t)echo, 0);
	EXPECT(snoop > 0, "spawn snoop: %ld", snoop);
	for (int i = 0; i < CALLS && !bad; i++) {
		for (unsigned j = 0; j < K42_IPC_PAGE_BYTES / 8; j++)
			page[j] = SNOOP_MARK | (uint64_t)(i & 0xffff);
		m.op = k42_ipc_op(ECHO_IFACE, 1, 2, 0, K42_IPC_PAGE_BYTES);
		rc = k42_call((uint64_t)echo, &m, 1000);
		if (rc != 0 || m.len != K42_IPC_PAGE_BYTES)
			bad = 1;
		/* Let the snoop look in between: blocked, as it is of a lower
		 * class than ours (init's, the system class), which a yield
		 * would never leave the CPU to (classes are strict). */
		if (i % 64 == 0)
			k42_thread_sleep_us(2000);
	}
	EXPECT(!bad, "calls: %ld", rc);
	/* What the snoop reports (the status below) is what the page showed
	 * while calls went on and after; it also runs after our last call. */
	state = snoop > 0 ? k42_wait((uint64_t)snoop, &status) : -1;
	EXPECT(state == K42_PROC_EXITED && status == 0,
	       "the third process saw call data: state %d status %#x (1: in its page, 2: mem_read)",
	       state, status);
	k42_sc_proc_kill((uint64_t)echo);
	return verdict("ppc_snoop_test");
}
