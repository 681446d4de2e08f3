/*
 * PPC IPC test (run as init): 10,000 calls to another process with
 * register arguments and 10,000 with 4 KiB PPC-page payloads, every value
 * checked; then the refusals: unknown ordinal, absent and dead targets.
 */
#include <string.h>
#include <k42/k42.h>
#include "check.h"

#define ECHO_IFACE 0x4243
#define CALLS 10000

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	uint8_t *page = k42_ppc_page();
	struct k42_ipc_msg m;
	long echo, rc;
	int bad = 0;

	(void)arg;
	echo = k42_spawn_path("tests/ppc_echo", K42_PRIO_GENERAL, 0);
	EXPECT(echo > 0, "spawn: %ld", echo);
	if (echo <= 0)
		return 1;

	for (int i = 0; i < CALLS && bad < 5; i++) {
		m.op = k42_ipc_op(ECHO_IFACE, 1, 1, 0, 0);
		for (int j = 0; j < 6; j++)
			m.w[j] = (uint64_t)i * 1000003u + (uint64_t)j * 0x9e3779b97f4a7c15ull;
		rc = k42_call((uint64_t)echo, &m, 1000);
		for (int j = 0; j < 6 && rc == 0; j++)
			if (m.w[j] != ((uint64_t)i * 1000003u + (uint64_t)j * 0x9e3779b97f4a7c15ull) * 3 +
					      (uint64_t)j + self)
				rc = -1000 - j;
		if (rc != 0) {
			bad++;
			EXPECT(rc == 0, "register call %d: %ld", i, rc);
		}
	}
	k42_printf("ppc_test: %d register calls checked\n", CALLS);

	for (int i = 0; i < CALLS && bad < 5; i++) {
		uint32_t len = K42_IPC_PAGE_BYTES;

		for (uint32_t j = 0; j < len; j++)
			page[j] = (uint8_t)(i + j * 7);
		m.op = k42_ipc_op(ECHO_IFACE, 1, 2, 0, len);
		rc = k42_call((uint64_t)echo, &m, 1000);
		if (rc == 0 && (m.len != len || m.w[0] != len))
			rc = -2000;
		for (uint32_t j = 0; j < len && rc == 0; j++)
			if (page[j] != (uint8_t)((uint8_t)(i + j * 7) ^ 0x5a))
				rc = -3000;
		if (rc != 0) {
			bad++;
			EXPECT(rc == 0, "page call %d: %ld", i, rc);
		}
	}
	k42_printf("ppc_test: %d page calls of %u bytes checked\n", CALLS, K42_IPC_PAGE_BYTES);

	m.op = k42_ipc_op(ECHO_IFACE, 1, 99, 0, 0);
	EXPECT(k42_call((uint64_t)echo, &m, 1000) == -K42_ENOSYS, "unknown ordinal");
	m.op = k42_ipc_op(ECHO_IFACE, 1, 1, 0, 0);
	EXPECT(k42_call(self, &m, 1) == -K42_EINVAL, "call to self");
	EXPECT(k42_call(4000, &m, 1) == -K42_ESRCH, "absent target");
	EXPECT(k42_call(1ull << 40, &m, 1) == -K42_ESRCH, "absurd target");
	EXPECT(k42_sc_proc_kill((uint64_t)echo) == 0, "kill echo");
	rc = k42_call((uint64_t)echo, &m, 1);
	EXPECT(rc == -K42_ESRCH || rc == -K42_EDEAD, "dead target: %ld", rc);
	EXPECT(k42_sc_ppc_reply(0x10005, 0, 0, 0, 0, 0, 0, 0, 0) == -K42_EBADH, "reply without a call");

	return verdict("ppc_test");
}
