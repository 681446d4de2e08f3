/*
 * The tutorial example end to end: the name server, the kv server
 * (servers/examples/kv) and its client, all from the boot archive; the
 * client's own checks decide its exit status, and this test checks the
 * server from outside too.
 */
#include <string.h>
#include "check.h"
#include "suite.h"
#include "kv.h"

int main(uint64_t arg)
{
	const char *argv[] = { "kv_client", NULL };
	uint8_t value[16];
	uint32_t len;
	uint64_t pid;
	long kv, client, rc;
	int status = -1;

	(void)arg;
	suite_name_server(NULL);
	kv = suite_server("servers/kv", "kv", 0);
	EXPECT(kv > 0, "kv server started and registered: %ld\n", kv);

	client = k42_spawn_argv("bin/kv_client", argv, K42_PRIO_GENERAL, k42_name_server);
	EXPECT(client > 0, "client started: %ld\n", client);
	rc = k42_wait((uint64_t)client, &status);
	EXPECT(rc == K42_PROC_EXITED && status == 0, "client ended %ld with status %d\n", rc, status);

	/* What the client left behind: colour=green, shape deleted. */
	EXPECT(k42_name_lookup("kv", &pid, NULL) == 0 && pid == (uint64_t)kv, "lookup kv\n");
	rc = kv_get(pid, "colour", value, sizeof(value), &len);
	EXPECT(rc == 0 && len == 5 && memcmp(value, "green", 5) == 0, "colour is green: %ld\n", rc);
	rc = kv_get(pid, "shape", value, sizeof(value), &len);
	EXPECT(rc == -K42_ENOENT, "shape is gone: %ld\n", rc);
	return verdict("kv_test");
}
