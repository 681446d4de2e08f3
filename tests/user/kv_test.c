/*
 * The tutorial example end to end: the name server, the kv server
 * (servers/examples/kv) and its client, all from the boot archive; the
 * client's own checks decide its exit status, and this test checks the
 * server from outside too: the client runs twice against one server and
 * leaves a key it did not store alone.
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

	/* A key of someone else's survives the client, which runs twice. */
	EXPECT(kv_put((uint64_t)kv, "owner", (const uint8_t *)"test", 4) == 0, "put owner\n");
	for (int run = 0; run < 2; run++) {
		client = k42_spawn_argv("bin/kv_client", argv, K42_PRIO_GENERAL, k42_name_server);
		EXPECT(client > 0, "client started: %ld\n", client);
		rc = k42_wait((uint64_t)client, &status);
		EXPECT(rc == K42_PROC_EXITED && status == 0, "client run %d ended %ld with status %d\n",
		       run + 1, rc, status);
	}

	/* What the client left behind: nothing of its own, ours untouched. */
	EXPECT(k42_name_lookup("kv", &pid, NULL) == 0 && pid == (uint64_t)kv, "lookup kv\n");
	rc = kv_get(pid, "colour", value, sizeof(value), &len);
	EXPECT(rc == -K42_ENOENT, "colour is gone: %ld\n", rc);
	rc = kv_get(pid, "shape", value, sizeof(value), &len);
	EXPECT(rc == -K42_ENOENT, "shape is gone: %ld\n", rc);
	rc = kv_get(pid, "owner", value, sizeof(value), &len);
	EXPECT(rc == 0 && len == 4 && memcmp(value, "test", 4) == 0, "owner is ours: %ld\n", rc);
	return verdict("kv_test");
}
