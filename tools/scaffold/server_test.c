/*
 * The @NAME@ server end to end (made by ./k42 new server @NAME@), booted as
 * init: starts the name server and @NAME@ from the boot archive, calls it
 * through the generated stub, checks what it answers and refuses, then runs
 * bin/@NAME@_client and checks its exit status.
 */
#include <string.h>
#include "check.h"
#include "suite.h"
#include "@NAME@.h"

int main(uint64_t arg)
{
	const char *argv[] = { "@NAME@_client", "test", NULL };
	char greeting[@UNAME@_TEXT_MAX + 1];
	uint64_t pid, calls = 0;
	long server, client, rc;
	int status = -1;

	(void)arg;
	suite_name_server(NULL);
	server = suite_server("servers/@NAME@", "@NAME@", 0);
	EXPECT(server > 0, "@NAME@ started and registered: %ld", server);
	EXPECT(k42_name_lookup("@NAME@", &pid, NULL) == 0 && pid == (uint64_t)server, "lookup");

	rc = @NAME@_hello(pid, "world", greeting, sizeof(greeting), &calls);
	EXPECT(rc == 0 && strcmp(greeting, "hello, world") == 0 && calls == 1,
	       "hello: %ld '%s' call %lu", rc, greeting, calls);
	rc = @NAME@_hello(pid, "", greeting, sizeof(greeting), &calls);
	EXPECT(rc == -K42_EINVAL, "an empty name is refused: %ld", rc);

	client = k42_spawn_argv("bin/@NAME@_client", argv, K42_PRIO_GENERAL, k42_name_server);
	EXPECT(client > 0, "client started: %ld", client);
	rc = k42_wait((uint64_t)client, &status);
	EXPECT(rc == K42_PROC_EXITED && status == 0, "client ended %ld with status %d", rc, status);

	rc = @NAME@_hello(pid, "again", greeting, sizeof(greeting), &calls);
	EXPECT(rc == 0 && calls == 3, "the client's call was counted: call %lu", calls);
	return verdict("@NAME@_test");
}
