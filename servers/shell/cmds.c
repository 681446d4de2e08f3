/*
 * Shell commands about programs, files and services: run, cat, servers.
 * Programs come from the boot archive when init shared it with the shell,
 * otherwise through the file server.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include "shell.h"

static long spawn(const char *path, char **argv)
{
	if (k42_initrd_bytes()) {
		struct k42_spawn_opts o = { (const char *const *)argv, K42_PRIO_GENERAL,
					    k42_name_server, 0, 0, 0 };
		const void *data;
		uint64_t size;

		if (k42_initrd_find(path + 1, &data, &size) < 0)
			return -K42_ENOENT;
		return k42_spawn_ex(data, size, argv[0], &o);
	}
	return k42_spawn_file(path, (const char *const *)argv, K42_PRIO_GENERAL);
}

int cmd_run(int argc, char **argv)
{
	int background = argc > 1 && strcmp(argv[1], "-b") == 0;
	char **args = argv + 1 + background;
	const char *path, *base;
	int status = 0, state;
	long pid;

	if (argc < 2 + background)
		return shell_fail("run", "usage: run [-b] PROG [ARG...]");
	path = args[0];
	if (path[0] != '/')
		return shell_fail("run", "%s: give the program's absolute path", path);
	base = strrchr(path, '/') + 1;
	args[0] = (char *)base;		/* argv[0]: the program's name */
	pid = spawn(path, args);
	if (pid < 0)
		return shell_fail("run", "%s: %s", path,
				  pid == -K42_ENOENT ? "no such program" : k42_strerror(pid));
	if (background) {
		k42_printf("[%ld] %s\n", pid, base);
		return 0;
	}
	state = k42_wait((uint64_t)pid, &status);
	if (state == K42_PROC_KILLED)
		return shell_fail("run", "%s (pid %ld) was killed", path, pid);
	if (state < 0)
		return shell_fail("run", "%s (pid %ld): %s", path, pid, k42_strerror(state));
	if (status)
		return shell_fail("run", "%s (pid %ld) exited with status %d", path, pid, status);
	return 0;
}

int cmd_cat(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return shell_fail("cat", "usage: cat FILE...");
	for (int i = 1; i < argc; i++) {
		void *data;
		uint64_t size;
		long err = k42_file_load(argv[i], &data, &size);

		if (err < 0) {
			rc = shell_fail("cat", "%s: %s", argv[i], k42_strerror(err));
			continue;
		}
		k42_sc_debug_write((uint64_t)data, size);
		free(data);
	}
	return rc;
}

int cmd_servers(int argc, char **argv)
{
	uint32_t cursor = 0;
	char name[128];
	uint64_t pid;
	long rc;

	(void)argc;
	(void)argv;
	if (!k42_name_server)
		return shell_fail("servers", "no name server");
	while ((rc = k42_name_list(&cursor, name, sizeof(name), &pid)) == 0)
		k42_printf("  %-20s pid %lu\n", name, pid);
	if (rc != -K42_ENOENT)
		return shell_fail("servers", "%s", k42_strerror(rc));
	return 0;
}
