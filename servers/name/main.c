/*
 * The name server: the first server init starts. It maps names to the
 * pid (and an object handle and rights) of the process that registered
 * them (idl/name.idl). Usage: name [admin-pid]; without one, the process
 * that started it (its parent) holds the admin right.
 */
#include <stdlib.h>
#include <k42/k42.h>
#include <k42/server.h>
#include <k42/procinfo.h>
#include "names.h"

static uint64_t parent_pid(void)
{
	static struct k42_procinfo procs[128];
	uint64_t me = k42_info(K42_INFO_PID);
	long n = k42_sc_proc_list((uint64_t)procs, sizeof(procs) / sizeof(procs[0]));

	for (long i = 0; i < n; i++)
		if (procs[i].pid == me)
			return procs[i].parent;
	return 0;
}

int main(uint64_t argc)
{
	uint64_t me = k42_info(K42_INFO_PID);
	uint64_t admin = argc > 1 ? strtoul(k42_argv[1], NULL, 0) : parent_pid();

	/* The name server answers to its own name too, for listings. */
	if (names_add("name", me, 0, ~0ull) < 0)
		k42_puts("name: cannot register itself\n");
	names_serve(admin);
	k42_server_idle();	/* (idle with no context: the fast paths) */
}
