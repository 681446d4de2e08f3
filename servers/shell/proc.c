/*
 * Shell commands about processes: ps (the kernel's proc_list plus each
 * process's user-level scheduler, asked over process control), sched,
 * kill, stop (a server ended by init, over idl/initctl.idl), and free.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include "shell.h"
#include "initctl.h"

#define PS_MAX 64

static const char *const class_names[] = { "system", "realtime", "general", "background" };

static const char *state_name(int32_t s)
{
	switch (s) {
	case K42_PROC_CREATED: return "created";
	case K42_PROC_RUNNING: return "running";
	case K42_PROC_EXITED: return "exited";
	case K42_PROC_KILLED: return "killed";
	default: return "?";
	}
}

/* Calls into other processes are bounded: a process that never takes
 * calls (disabled for ever) shows "-" instead of hanging the shell. */
#define PROC_CALL_US 1000000

static long bounded_get_sched(uint64_t pid, char *buf, size_t n)
{
	uint64_t prev = k42_ipc_set_timeout_us(PROC_CALL_US);
	long rc = k42_proc_get_sched(pid, buf, n);

	k42_ipc_set_timeout_us(prev);
	return rc;
}

/* The scheduler of pid into buf: our own directly, others by asking them. */
static long get_sched(uint64_t pid, char *buf, size_t n)
{
	if (pid == k42_info(K42_INFO_PID)) {
		const char *s = k42_sched_current();
		size_t len = strnlen(s, n - 1);

		memcpy(buf, s, len);
		buf[len] = 0;
		return 0;
	}
	return bounded_get_sched(pid, buf, n);
}

int cmd_ps(int argc, char **argv)
{
	static struct k42_procinfo p[PS_MAX];
	long n = k42_sc_proc_list((uint64_t)p, PS_MAX);

	int w = 8;	/* the SCHED column fits every registered policy */
	long n_cpus;

	(void)argc;
	(void)argv;
	if (n < 0)
		return shell_fail("ps", "%s", k42_strerror(n));
	for (int i = 0; k42_sched_policies[i]; i++)
		if ((int)strlen(k42_sched_policies[i]->name) > w)
			w = (int)strlen(k42_sched_policies[i]->name);
	n_cpus = k42_info(K42_INFO_CPUS_ONLINE);
	if (n_cpus > 1)
		sh_printf("CPUs online: 0-%ld\n", n_cpus - 1);
	else
		sh_printf("CPUs online: 0\n");
	sh_printf("  PID  PARENT  STATE    CLASS       %-*s CPU  NAME\n", w, "SCHED");
	for (long i = 0; i < n; i++) {
		char sched[16] = "-";

		if (p[i].state == K42_PROC_RUNNING && get_sched(p[i].pid, sched, sizeof(sched)) < 0)
			memcpy(sched, "-", 2);
		sh_printf("%5u  %6u  %-8s %-11s %-*s %3u%c %.*s\n", p[i].pid, p[i].parent,
			   state_name(p[i].state),
			   p[i].prio < K42_PRIO_CLASSES ? class_names[p[i].prio] : "?", w, sched,
			   p[i].cpu, p[i].running ? '*' : ' ', (int)sizeof(p[i].name), p[i].name);
	}
	return 0;
}

int cmd_sched(int argc, char **argv)
{
	char now[16];
	long pid, rc;

	char names[128];

	k42_sched_names(names, sizeof(names), "|");
	if (argc < 2 || argc > 3)
		return shell_fail("sched", "usage: sched PID [%s]", names);
	if ((pid = shell_pid_arg("sched", argv[1])) < 0)
		return 1;
	if (argc == 3 && !k42_sched_find(argv[2], strlen(argv[2])))
		return shell_fail("sched", "%ld: %s: no such policy (%s)", pid, argv[2],
				  k42_sched_names(names, sizeof(names), ", "));
	if (argc == 3) {
		uint64_t prev = k42_ipc_set_timeout_us(PROC_CALL_US);

		if ((uint64_t)pid == k42_info(K42_INFO_PID))
			rc = k42_sched_select(argv[2]);
		else
			rc = k42_proc_set_sched((uint64_t)pid, argv[2]);
		k42_ipc_set_timeout_us(prev);
		if (rc < 0)
			return shell_fail("sched", "%ld: %s: %s", pid, argv[2], k42_strerror(rc));
	}
	rc = get_sched((uint64_t)pid, now, sizeof(now));
	if (rc < 0)
		return shell_fail("sched", "%ld: %s", pid, k42_strerror(rc));
	sh_printf("pid %ld: scheduler %s\n", pid, now);
	return 0;
}

/* End each named process. The kernel lets a process end itself and its
 * descendants: here, every program this shell started and whatever they
 * started in turn. Servers belong to init; ending one is init's call. */
int cmd_kill(int argc, char **argv)
{
	int failed_ = 0;

	if (argc < 2)
		return shell_fail("kill", "usage: kill PID...");
	for (int a = 1; a < argc; a++) {
		long pid = shell_pid_arg("kill", argv[a]), rc;

		if (pid < 0) {
			failed_ = 1;
			continue;
		}
		if ((uint64_t)pid == k42_info(K42_INFO_PID)) {
			failed_ = shell_fail("kill", "%ld is this shell (use exit)", pid);
			continue;
		}
		rc = k42_sc_proc_kill((uint64_t)pid);
		if (rc == -K42_EPERM)
			failed_ = shell_fail("kill", "%ld: not started by this shell (only init may end it)",
					     pid);
		else if (rc == -K42_ESRCH)
			failed_ = shell_fail("kill", "%ld: no such process", pid);
		else if (rc < 0)
			failed_ = shell_fail("kill", "%ld: %s", pid, k42_strerror(rc));
	}
	return failed_;
}

/* Ask init to end each named server (a boot-configuration entry name):
 * only init may, and it restarts the server as its entry says. */
int cmd_stop(int argc, char **argv)
{
	int failed_ = 0;
	uint64_t init, pid;
	long rc;

	if (argc < 2)
		return shell_fail("stop", "usage: stop SERVER...");
	if ((rc = k42_name_lookup("init", &init, NULL)) < 0)
		return shell_fail("stop", "init does not answer: %s", k42_strerror(rc));
	for (int a = 1; a < argc; a++) {
		if (strlen(argv[a]) > INITCTL_NAME_MAX) {
			failed_ = shell_fail("stop", "%s: no such server", argv[a]);
			continue;
		}
		rc = initctl_stop(init, argv[a], &pid);
		if (rc == -K42_ENOENT)
			failed_ = shell_fail("stop", "%s: no such server running", argv[a]);
		else if (rc < 0)
			failed_ = shell_fail("stop", "%s: %s", argv[a], k42_strerror(rc));
		else
			sh_printf("stopped %s (pid %lu)\n", argv[a], pid);
	}
	return failed_;
}

/* Memory figures: frames free, frames the kernel's object caches keep
 * (reusable, but not free), and live kernel objects. A leak check reads
 * free + cached before and after (docs/network.md). */
int cmd_free(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh_printf("frames: %ld total, %ld free, %ld cached by the kernel; %ld kernel objects\n",
		  k42_info(K42_INFO_TOTAL_FRAMES), k42_info(K42_INFO_FREE_FRAMES),
		  k42_info(K42_INFO_KMEM_CACHED), k42_info(K42_INFO_KMEM_OBJECTS));
	return 0;
}
