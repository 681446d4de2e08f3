/*
 * The shell's hot-swap commands (docs/hot-swap.md): list a process's
 * swappable objects with their implementations and interposers (objs),
 * swap one (swap), attach or detach an interposer (interpose), all over
 * idl/swap.idl; and replace a whole server process by a new binary that
 * takes its state (update, <k42/update.h>). Changing a process needs its
 * manager: the shell may change what it started (run -b).
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/update.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>
#include "shell.h"
#include "swap.h"

#define CALL_US 2000000	/* a process that does not answer does not hang the shell */

int cmd_objs(int argc, char **argv)
{
	char name[32], impl[32], ip[32];
	uint64_t swaps, held, count, prev;
	uint32_t cursor = 0, next, kind;
	long pid, rc;
	int n = 0;

	if (argc != 2)
		return shell_fail("objs", "usage: objs PID");
	if ((pid = shell_pid_arg("objs", argv[1])) < 0)
		return 1;
	prev = k42_ipc_set_timeout_us(CALL_US);
	while ((rc = swap_list((uint64_t)pid, cursor, &next, name, sizeof(name), impl, sizeof(impl),
			       ip, sizeof(ip), &swaps, &held, &count)) == 0) {
		char impls[128] = "", ips[128] = "", one[32];

		for (uint32_t i = 0; swap_impls((uint64_t)pid, name, i, &kind, one, sizeof(one)) == 0; i++) {
			char *dst = kind ? ips : impls;
			size_t len = strlen(dst);

			if (len + strlen(one) + 2 < sizeof(impls))
				k_snprintf(dst + len, sizeof(impls) - len, "%s%s", len ? "," : "", one);
		}
		if (n++ == 0)
			sh_printf("%-16s %-10s %-10s %8s %8s  %s\n", "OBJECT", "IMPL", "INTERPOSER",
				  "SWAPS", "HELD", "CHOICES");
		sh_printf("%-16s %-10s %-10s %8lu %8lu  impls %s; interposers %s\n", name, impl,
			  ip[0] ? ip : "-", (unsigned long)swaps, (unsigned long)held, impls,
			  ips[0] ? ips : "-");
		if (ip[0])
			sh_printf("%-16s %s has counted %lu calls\n", "", ip, (unsigned long)count);
		cursor = next;
	}
	k42_ipc_set_timeout_us(prev);
	if (rc != -K42_ENOENT)
		return shell_fail("objs", "%ld: %s", pid, k42_strerror(rc));
	if (n == 0)
		sh_printf("pid %ld has no swappable objects\n", pid);
	return 0;
}

int cmd_swap(int argc, char **argv)
{
	uint64_t held, drained, prev;
	long pid, rc;

	if (argc != 4)
		return shell_fail("swap", "usage: swap PID OBJECT IMPL");
	if ((pid = shell_pid_arg("swap", argv[1])) < 0)
		return 1;
	prev = k42_ipc_set_timeout_us(CALL_US);
	rc = swap_swap((uint64_t)pid, argv[2], argv[3], &held, &drained);
	k42_ipc_set_timeout_us(prev);
	if (rc < 0)
		return shell_fail("swap", "%ld: %s to %s: %s", pid, argv[2], argv[3], k42_strerror(rc));
	sh_printf("pid %ld: %s is %s now (%lu calls held, %lu drained)\n", pid, argv[2], argv[3],
		  (unsigned long)held, (unsigned long)drained);
	return 0;
}

int cmd_interpose(int argc, char **argv)
{
	const char *ip = argc == 4 && strcmp(argv[3], "off") != 0 ? argv[3] : "";
	uint64_t count, prev;
	long pid, rc;

	if (argc != 4)
		return shell_fail("interpose", "usage: interpose PID OBJECT INTERPOSER|off");
	if ((pid = shell_pid_arg("interpose", argv[1])) < 0)
		return 1;
	prev = k42_ipc_set_timeout_us(CALL_US);
	rc = swap_interpose((uint64_t)pid, argv[2], ip, &count);
	k42_ipc_set_timeout_us(prev);
	if (rc < 0)
		return shell_fail("interpose", "%ld: %s: %s", pid, argv[2], k42_strerror(rc));
	if (ip[0])
		sh_printf("pid %ld: %s interposed on %s\n", pid, ip, argv[2]);
	else
		sh_printf("pid %ld: interposer off %s; it counted %lu calls\n", pid, argv[2],
			  (unsigned long)count);
	return 0;
}

int cmd_update(int argc, char **argv)
{
	struct k42_spawn_opts o = { NULL, K42_PRIO_GENERAL, 0, 0, 0, 0 };
	struct k42_procinfo info;
	const char *args[2] = { NULL, NULL };
	long pid, npid;
	int status, st;

	if (argc != 3)
		return shell_fail("update", "usage: update PID PROGRAM");
	if ((pid = shell_pid_arg("update", argv[1])) < 0)
		return 1;
	args[0] = argv[2];
	o.argv = args;
	/* The successor runs in the class of the process it replaces. */
	if (k42_sc_proc_describe((uint64_t)pid, (uint64_t)&info) == 0)
		o.prio = info.prio;
	o.name_server = k42_name_server;
	npid = k42_update_start((uint64_t)pid, argv[2], &o);
	if (npid < 0)
		return shell_fail("update", "%ld: %s: %s", pid, argv[2], k42_strerror(npid));
	st = k42_wait((uint64_t)pid, &status);
	if (st != K42_PROC_EXITED || status != 0)
		return shell_fail("update", "%ld: ended %d with status %d", pid, st, status);
	sh_printf("pid %ld replaced by pid %ld (%s)\n", pid, npid, argv[2]);
	return 0;
}
