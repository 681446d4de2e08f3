/*
 * The name server's IPC glue: every call goes to the generated
 * name_dispatch, with the rights this server gives the caller (everyone
 * may look up and register; the process that started the name server,
 * normally init, also holds admin), and the _impl functions below turn
 * the decoded arguments into name-table operations.
 */
#include <string.h>
#include <k42/k42.h>
#include "name.h"
#include "names.h"

static uint64_t admin;

long name_bind_impl(const struct k42_ipc_caller *caller, const char *path, k42_handle_t obj,
		    uint64_t grant)
{
	return names_add(path, caller->pid, obj, grant);
}

long name_lookup_impl(const struct k42_ipc_caller *caller, const char *path, uint64_t *server,
		      k42_handle_t *obj, uint64_t *grant)
{
	struct name_entry e;
	long rc = names_find(path, &e);

	(void)caller;
	if (rc < 0)
		return rc;
	*server = e.pid;
	*obj = e.obj;
	*grant = e.rights;
	return 0;
}

long name_unbind_impl(const struct k42_ipc_caller *caller, const char *path)
{
	return names_remove(path, caller->pid, (caller->rights & NAME_RIGHT_ADMIN) != 0);
}

long name_list_impl(const struct k42_ipc_caller *caller, uint32_t cursor, uint32_t *next,
		    char *path, uint32_t path_cap, uint64_t *server)
{
	struct name_entry e;
	long rc = names_at(cursor, &e);

	(void)caller;
	if (rc < 0)
		return rc;
	if (strlen(e.name) + 1 > path_cap)
		return -K42_E2BIG;
	memcpy(path, e.name, strlen(e.name) + 1);
	*server = e.pid;
	*next = cursor + 1;
	return 0;
}

long name_move_impl(const struct k42_ipc_caller *caller, uint64_t to, uint32_t *moved)
{
	if (to == 0 || to == caller->pid)
		return -K42_EINVAL;
	*moved = names_move(caller->pid, to);
	return 0;
}

static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, NAME_RIGHT_LOOKUP | NAME_RIGHT_BIND };

	if (pid == admin)
		who.rights |= NAME_RIGHT_ADMIN;
	name_dispatch(&who, m);
}

void names_serve(uint64_t admin_pid)
{
	admin = admin_pid;
	/* Every operation is short and never blocks: serve on the upcall
	 * stack, the fast path. */
	k42_serve(handle);
}
