/*
 * Starting one configured server: its program from the boot archive, its
 * arguments (argv[0] is the server's name; the shell also gets init's
 * shellarg= arguments), its priority class and the
 * name server's pid, its privileges and the devices it may drive,
 * through libk42's loader. The shell, and servers with
 * archive=yes (the file server), also get a read-only view of the boot
 * archive: the shell runs programs from it.
 */
#include <string.h>
#include <k42/k42.h>
#include "init.h"

#define MAX_ARGS 32

long start_server(const struct bc_entry *e, uint64_t names_pid)
{
	char words[BC_ARGS_MAX + 1];
	const char *argv[MAX_ARGS + 2];
	struct k42_spawn_opts o = { argv, e->prio_class, names_pid, 0, e->privileges,
				    e->quota_percent };
	int argc = 0;
	char *p = words;
	long pid;

	struct k42_spawn_grant g = { { 0 }, 0, 0, 0 };

	memcpy(words, e->args, sizeof(words));
	memcpy(g.devices, e->devices, sizeof(g.devices));
	argv[argc++] = e->name;
	while (*p && argc <= MAX_ARGS) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	/* The shell also gets init's "shellarg=WORD" arguments, in order
	 * (./k42 run --linux -c passes the commands to /bin/lx this way). */
	for (int i = 1; e->role == BC_ROLE_SHELL && i < k42_argc && argc <= MAX_ARGS; i++)
		if (strncmp(k42_argv[i], "shellarg=", 9) == 0)
			argv[argc++] = k42_argv[i] + 9;
	argv[argc] = NULL;
	if (e->archive || e->role == BC_ROLE_SHELL)
		o.flags |= K42_SPAWN_SHARE_ARCHIVE;
	pid = k42_spawn_path_grant(e->path + 1, &o, &g);
	if (pid > 0 && e->sched[0]) {
		long rc;

		/*
		 * A child that has not run yet has no IPC entry (-K42_EPROTO):
		 * give it a moment. A call that reaches it while it starts may
		 * see its startup block instead of our words (it answers
		 * -K42_ENOENT for the policy "NAME"): the parser checked the
		 * policy against the registry, so that is retried too.
		 */
		for (int tries = 0; ((rc = k42_proc_set_sched((uint64_t)pid, e->sched)) == -K42_EPROTO ||
				     rc == -K42_ENOENT) && tries < 100; tries++)
			k42_thread_sleep_us(1000);

		if (rc < 0)
			k42_printf("init: %s (pid %ld): cannot select scheduler %s: %s\n", e->name,
				   pid, e->sched, k42_strerror(rc));
	}
	return pid;
}
