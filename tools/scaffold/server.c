/*
 * The @NAME@ server (made by ./k42 new server @NAME@; docs/writing-a-server.md):
 * idl/@NAME@.idl implemented in one file. The generated @NAME@_dispatch()
 * decodes and checks every request and calls @NAME@_hello_impl below; this
 * file holds the state, says which rights callers get, and registers
 * "@NAME@" with the name server.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/server.h>
#include <lib/fmt.h>
#include "@NAME@.h"

/* Calls are served one at a time on the upcall stack (k42_serve): no lock. */
static uint64_t served;

long @NAME@_hello_impl(const struct k42_ipc_caller *caller, const char *who, char *greeting,
		     uint32_t greeting_cap, uint64_t *calls)
{
	(void)caller;
	if (!who[0])
		return -K42_EINVAL;
	/* who is at most @UNAME@_TEXT_MAX bytes (the dispatcher checked), but
	 * "hello, " + who may not fit: k_snprintf cuts at greeting_cap. */
	k_snprintf(greeting, greeting_cap, "hello, %s", who);
	*calls = ++served;
	return 0;
}

/* Every incoming call: this server gives every caller the call right. */
static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, @UNAME@_RIGHT_CALL };

	@NAME@_dispatch(&who, m);
}

int main(uint64_t argc)
{
	long rc;

	(void)argc;
	k42_serve(handle);
	rc = k42_name_register("@NAME@", @UNAME@_RIGHT_CALL);
	if (rc < 0) {
		k42_printf("@NAME@: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_server_idle();	/* (idle with no context: the fast paths) */
}
