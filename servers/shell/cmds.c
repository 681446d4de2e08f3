/*
 * Shell commands about programs, files and services: run, runas, cat,
 * servers.
 * Programs come from the boot archive when init shared it with the shell,
 * otherwise through the file server.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include "shell.h"

/* runas: the user and group ids of what the shell starts next. */
static struct k42_spawn_grant as_user;

/* Programs come from the shared boot archive when they are there, else
 * from any mounted file system through the file layer. */
static long spawn(const char *path, char **argv)
{
	struct k42_spawn_opts o = { (const char *const *)argv, K42_PRIO_GENERAL,
				    k42_name_server, 0, 0, 0 };
	struct k42_stat st;
	const void *data;
	uint64_t size;
	uint8_t *buf;
	long rc, got = 0;
	int fd;

	if (k42_initrd_bytes() && k42_initrd_find(path + 1, &data, &size) == 0)
		return k42_spawn_ex_grant(data, size, argv[0], &o, &as_user);
	if ((fd = k42_open(path, K42_O_RDONLY, 0)) < 0)
		return fd;
	rc = k42_fstat(fd, &st);
	if (rc == 0 && (st.mode & K42_S_IFMT) != K42_S_IFREG)
		rc = -K42_EACCES;
	buf = rc == 0 ? malloc(st.size ? st.size : 1) : NULL;
	if (rc == 0 && !buf)
		rc = -K42_ENOMEM;
	while (rc == 0 && (uint64_t)got < st.size) {
		long n = k42_read(fd, buf + got, st.size - (uint64_t)got);

		if (n <= 0)
			rc = n < 0 ? n : -K42_EIO;
		got += n > 0 ? n : 0;
	}
	k42_close(fd);
	if (rc == 0)
		rc = k42_spawn_ex_grant(buf, st.size, argv[0], &o, &as_user);
	free(buf);
	return rc;
}

long shell_spawn(char **argv)
{
	const char *path = argv[0];
	char *base;
	long pid;

	if (path[0] != '/')
		return -K42_EINVAL;
	base = strrchr(path, '/') + 1;
	argv[0] = base;
	pid = spawn(path, argv);
	argv[0] = (char *)path;
	return pid;
}

/* Start PATH (argv[0]) for run and pipelines: its pid, or -1 after
 * reporting why not. */
long shell_start(char **argv)
{
	const char *path = argv[0];
	long pid;

	if (path[0] != '/') {
		shell_fail("run", "%s: give the program's absolute path", path);
		return -1;
	}
	pid = shell_spawn(argv);
	if (pid == -K42_ENOEXEC) {
		shell_fail("run", "%s: not a k42 program; a Linux program runs under the Linux "
			   "personality: run /bin/lx %s [ARG...]", path, path);
		return -1;
	}
	if (pid < 0) {
		shell_fail("run", "%s: %s", path,
			   pid == -K42_ENOENT ? "no such program" : k42_strerror(pid));
		return -1;
	}
	return pid;
}

/* Wait for a program shell_start started: 0, or 1 after reporting. */
int shell_finish(const char *path, long pid)
{
	int status = 0, state = k42_wait((uint64_t)pid, &status);

	if (state == K42_PROC_KILLED)
		return shell_fail("run", "%s (pid %ld) was killed", path, pid);
	if (state < 0)
		return shell_fail("run", "%s (pid %ld): %s", path, pid, k42_strerror(state));
	if (status)
		return shell_fail("run", "%s (pid %ld) exited with status %d", path, pid, status);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	int background = argc > 1 && strcmp(argv[1], "-b") == 0;
	char **args = argv + 1 + background;
	long pid;

	if (argc < 2 + background)
		return shell_fail("run", "usage: run [-b] PROG [ARG...]");
	if ((pid = shell_start(args)) < 0)
		return 1;
	if (background) {
		sh_printf("[%ld] %s\n", pid, strrchr(args[0], '/') + 1);
		if (jobs_add(pid, args) < 0)
			return shell_fail("run", "too many background jobs; %ld is not listed by jobs", pid);
		return 0;
	}
	return shell_finish(args[0], pid);
}

/* runas UID[:GID] PROG [ARG...]: run as those ids (proc_cred; the shell
 * runs as uid 0, docs/security.md); GID defaults to UID. */
int cmd_runas(int argc, char **argv)
{
	char *end;
	unsigned long uid, gid;
	int rc;

	if (argc < 3)
		return shell_fail("runas", "usage: runas UID[:GID] PROG [ARG...]");
	uid = strtoul(argv[1], &end, 10);
	gid = *end == ':' ? strtoul(end + 1, &end, 10) : uid;
	if (end == argv[1] || *end || uid > 0xffffffffu || gid > 0xffffffffu)
		return shell_fail("runas", "%s: not UID or UID:GID", argv[1]);
	as_user.cred = 1;
	as_user.uid = (uint32_t)uid;
	as_user.gid = (uint32_t)gid;
	rc = cmd_run(argc - 1, argv + 1);
	as_user.cred = 0;
	return rc;
}

/* Copy fd to our standard output. */
static long copy_out(int fd)
{
	static char buf[4096];
	long n;

	while ((n = k42_read(fd, buf, sizeof(buf))) > 0) {
		long w = k42_write(1, buf, (size_t)n);

		if (w != n)
			return w < 0 ? w : -K42_EIO;
	}
	return n;
}

int cmd_cat(int argc, char **argv)
{
	int rc = 0;
	long err;

	if (argc < 2 && (err = copy_out(0)) < 0)
		return shell_fail("cat", "standard input: %s", k42_strerror(err));
	for (int i = 1; i < argc; i++) {
		int fd = k42_open(argv[i], K42_O_RDONLY, 0);

		err = fd < 0 ? fd : copy_out(fd);
		if (fd >= 0)
			k42_close(fd);
		if (err < 0)
			rc = shell_fail("cat", "%s: %s", argv[i], shell_path_error(err));
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
		sh_printf("  %-20s pid %lu\n", name, pid);
	if (rc != -K42_ENOENT)
		return shell_fail("servers", "%s", k42_strerror(rc));
	return 0;
}
