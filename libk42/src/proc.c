/*
 * Process control (idl/proc.idl), served by libk42 in every process
 * before the program's own IPC handler sees a call (ipc.c), and the
 * client helpers. A call aimed at ourselves is answered locally: a PPC
 * to oneself is refused by the kernel.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include "proc.h"
#include "internal.h"

long proc_get_sched_impl(const struct k42_ipc_caller *caller, char *policy, uint32_t policy_cap)
{
	const char *name = k42_sched_current();

	(void)caller;
	if (strlen(name) + 1 > policy_cap)
		return -K42_E2BIG;
	memcpy(policy, name, strlen(name) + 1);
	return 0;
}

long proc_set_sched_impl(const struct k42_ipc_caller *caller, const char *policy)
{
	long rc = k42_sched_select(policy);

	(void)caller;
	return rc < 0 ? rc : 0;
}

long proc_info_impl(const struct k42_ipc_caller *caller, uint64_t *alive, uint64_t *created)
{
	(void)caller;
	*alive = k42_threads_alive;
	*created = k42_threads_created;
	return 0;
}

static int is_self(uint64_t pid)
{
	return pid == k42_info(K42_INFO_PID);
}

long k42_proc_get_sched(uint64_t pid, char *buf, size_t n)
{
	char name[PROC_POLICY_MAX + 1];
	long rc;

	if (is_self(pid)) {
		struct k42_ipc_caller me = { pid, 0, 0 };

		rc = proc_get_sched_impl(&me, name, sizeof(name));
	} else {
		rc = proc_get_sched(pid, name, sizeof(name));
	}
	if (rc < 0)
		return rc;
	if (strlen(name) + 1 > n)
		return -K42_E2BIG;
	memcpy(buf, name, strlen(name) + 1);
	return 0;
}

long k42_proc_set_sched(uint64_t pid, const char *policy)
{
	if (is_self(pid))
		return k42_sched_select(policy) < 0 ? -K42_ENOENT : 0;
	return proc_set_sched(pid, policy);
}

long k42_proc_info(uint64_t pid, uint64_t *alive, uint64_t *created)
{
	if (is_self(pid)) {
		*alive = k42_threads_alive;
		*created = k42_threads_created;
		return 0;
	}
	return proc_info(pid, alive, created);
}

int k42_proc_manages(uint64_t manager, uint64_t pid)
{
	struct k42_procinfo info;

	/* Pids are never reused and orphans go to init, so the chain of
	 * parents ends at init; the bound is only a guard. */
	for (int depth = 0; depth < 64; depth++) {
		if (k42_sc_proc_describe(pid, (uint64_t)&info) < 0)
			return 0;
		if (pid == manager)
			return 1;
		if (!info.parent || info.parent == pid)
			return 0;
		pid = info.parent;
	}
	return 0;
}

long k42_proc_cred(uint64_t pid, uint32_t *uid, uint32_t *gid)
{
	struct k42_procinfo info;
	long rc = k42_sc_proc_describe(pid, (uint64_t)&info);

	if (rc < 0)
		return rc;
	*uid = info.uid;
	*gid = info.gid;
	return 0;
}

int k42_proc_holds(uint64_t pid, uint64_t privs)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(pid, (uint64_t)&info) == 0 &&
	       (info.privileges & privs) == privs;
}
