/*
 * The @NAME@ client (made by ./k42 new server @NAME@): finds "@NAME@"
 * through the name server and calls hello with its first argument (or
 * "k42"). Prints the greeting and exits 0, or says why not and exits 1.
 */
#include <string.h>
#include <k42/k42.h>
#include "@NAME@.h"

int main(uint64_t argc)
{
	char greeting[@UNAME@_TEXT_MAX + 1];
	const char *who = argc > 1 ? k42_argv[1] : "k42";
	uint64_t server, calls;
	long rc;

	rc = k42_name_wait("@NAME@", &server, NULL, 1000);
	if (rc < 0) {
		k42_printf("@NAME@_client: no @NAME@ server: %s\n", k42_strerror(rc));
		return 1;
	}
	rc = @NAME@_hello(server, who, greeting, sizeof(greeting), &calls);
	if (rc < 0) {
		k42_printf("@NAME@_client: hello: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_printf("@NAME@_client: %s (call %lu)\n", greeting, calls);
	return 0;
}
