/*
 * A crashing server never takes the rest down: the crash server dies in
 * the middle of a call, its caller gets -K42_EDEAD from the PPC, and the
 * name server and the kv server keep working (register, lookup, calls).
 */
#include <string.h>
#include "check.h"
#include "suite.h"
#include "kv.h"

static long call(uint64_t pid, uint32_t ordinal)
{
	struct k42_ipc_msg m = { k42_ipc_op(0x7e7e7e, 1, ordinal, 0, 0), { 0 }, 0, NULL };

	return k42_call(pid, &m, 100);
}

int main(uint64_t arg)
{
	uint8_t value[8];
	uint32_t len;
	uint64_t pid;
	long crash, kv, rc;
	int status = 0;

	(void)arg;
	suite_name_server(NULL);
	kv = suite_server("servers/kv", "kv", 0);
	crash = suite_server("tests/crash_server", "crash", 0);
	EXPECT(kv > 0 && crash > 0, "servers up: %ld %ld\n", kv, crash);
	EXPECT(kv_put((uint64_t)kv, "before", (const uint8_t *)"1", 1) == 0, "kv before\n");

	EXPECT(call((uint64_t)crash, 1) == 0, "the crash server answers\n");
	rc = call((uint64_t)crash, 2);
	EXPECT(rc == -K42_EDEAD, "a call that kills the server: %ld\n", rc);
	rc = k42_wait((uint64_t)crash, &status);
	EXPECT(rc == K42_PROC_KILLED, "the server was killed: %ld\n", rc);
	rc = call((uint64_t)crash, 1);
	EXPECT(rc == -K42_EDEAD || rc == -K42_ESRCH, "calls to it fail: %ld\n", rc);

	/* Everything else still works. */
	rc = k42_name_register("after/crash", 0);
	EXPECT(rc == 0, "register after the crash: %ld\n", rc);
	EXPECT(k42_name_lookup("kv", &pid, NULL) == 0 && pid == (uint64_t)kv, "lookup kv\n");
	rc = kv_get(pid, "before", value, sizeof(value), &len);
	EXPECT(rc == 0 && len == 1 && value[0] == '1', "kv keeps its data: %ld\n", rc);
	EXPECT(kv_put(pid, "after", (const uint8_t *)"2", 1) == 0, "kv after\n");
	/* The dead server's name can be taken by its replacement. */
	crash = suite_server("tests/crash_server", "crash", 0);
	EXPECT(crash > 0, "a restarted crash server gets its name back: %ld\n", crash);
	EXPECT(call((uint64_t)crash, 1) == 0, "and answers\n");
	return verdict("crash_test");
}
