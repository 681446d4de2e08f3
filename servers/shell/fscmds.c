/*
 * Shell commands on files, over libk42's file layer (docs/files.md), so
 * they work on every mounted file system: cd, pwd, ls, mkdir, rmdir, rm,
 * cp, mv. Output goes to the shell's fd 1.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <lib/fmt.h>
#include "shell.h"

int cmd_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/";
	int rc = k42_chdir(dir);

	return rc < 0 ? shell_fail("cd", "%s: %s", dir, shell_path_error(rc)) : 0;
}

int cmd_pwd(int argc, char **argv)
{
	char buf[K42_PATH_MAX];
	long rc = k42_getcwd(buf, sizeof(buf));

	(void)argc;
	(void)argv;
	if (rc < 0)
		return shell_fail("pwd", "%s", shell_path_error(rc));
	sh_printf("%s\n", buf);
	return 0;
}

static char type_char(uint32_t mode)
{
	switch (mode & K42_S_IFMT) {
	case K42_S_IFDIR: return 'd';
	case K42_S_IFLNK: return 'l';
	case K42_S_IFCHR: return 'c';
	case K42_S_IFIFO: return 'p';
	default: return '-';
	}
}

/* One line per entry: type, permissions, size, name (and a link's target). */
static int ls_one(const char *path)
{
	static char buf[4096];
	struct k42_stat st;
	int fd, rc = k42_lstat(path, &st);
	long n;

	if (rc < 0)
		return shell_fail("ls", "%s: %s", path, shell_path_error(rc));
	if ((st.mode & K42_S_IFMT) != K42_S_IFDIR) {
		sh_printf("%c%04o %8lu %s\n", type_char(st.mode), st.mode & 07777, st.size, path);
		return 0;
	}
	if ((fd = k42_open(path, K42_O_RDONLY | K42_O_DIRECTORY, 0)) < 0)
		return shell_fail("ls", "%s: %s", path, shell_path_error(fd));
	while ((n = k42_getdents(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct k42_dirent *d = (struct k42_dirent *)(buf + off);
			char full[K42_PATH_MAX], link[256];
			struct k42_stat es;

			off += d->reclen;
			if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
				continue;
			k_snprintf(full, sizeof(full), "%s/%s", path, d->name);
			if (k42_lstat(full, &es) < 0)
				memset(&es, 0, sizeof(es));
			if ((es.mode & K42_S_IFMT) == K42_S_IFLNK) {
				long l = k42_readlink(full, link, sizeof(link) - 1);

				link[l > 0 ? l : 0] = 0;
				sh_printf("l%04o %8lu %s -> %s\n", es.mode & 07777, es.size, d->name, link);
			} else {
				sh_printf("%c%04o %8lu %s\n", type_char(es.mode), es.mode & 07777, es.size,
					  d->name);
			}
		}
	}
	k42_close(fd);
	return n < 0 ? shell_fail("ls", "%s: %s", path, shell_path_error(n)) : 0;
}

int cmd_ls(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return ls_one(".");
	for (int i = 1; i < argc; i++)
		rc |= ls_one(argv[i]);
	return rc;
}

int cmd_mkdir(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return shell_fail("mkdir", "usage: mkdir DIR...");
	for (int i = 1; i < argc; i++) {
		int e = k42_mkdir(argv[i], 0755);

		if (e < 0)
			rc = shell_fail("mkdir", "%s: %s", argv[i], shell_path_error(e));
	}
	return rc;
}

int cmd_rmdir(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return shell_fail("rmdir", "usage: rmdir DIR...");
	for (int i = 1; i < argc; i++) {
		int e = k42_rmdir(argv[i]);

		if (e < 0)
			rc = shell_fail("rmdir", "%s: %s", argv[i], shell_path_error(e));
	}
	return rc;
}

int cmd_rm(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return shell_fail("rm", "usage: rm FILE...");
	for (int i = 1; i < argc; i++) {
		int e = k42_unlink(argv[i]);

		if (e < 0)
			rc = shell_fail("rm", "%s: %s", argv[i], shell_path_error(e));
	}
	return rc;
}

int cmd_cp(int argc, char **argv)
{
	static char buf[16384];
	int in, out;
	long n = 0;

	if (argc != 3)
		return shell_fail("cp", "usage: cp FROM TO");
	if ((in = k42_open(argv[1], K42_O_RDONLY, 0)) < 0)
		return shell_fail("cp", "%s: %s", argv[1], shell_path_error(in));
	out = k42_open(argv[2], K42_O_WRONLY | K42_O_CREAT | K42_O_TRUNC, 0644);
	if (out < 0) {
		k42_close(in);
		return shell_fail("cp", "%s: %s", argv[2], shell_path_error(out));
	}
	while ((n = k42_read(in, buf, sizeof(buf))) > 0) {
		long w = k42_write(out, buf, (size_t)n);

		if (w != n) {
			n = w < 0 ? w : -K42_EIO;
			break;
		}
	}
	k42_close(in);
	k42_close(out);
	return n < 0 ? shell_fail("cp", "%s: %s", argv[2], shell_path_error(n)) : 0;
}

int cmd_mv(int argc, char **argv)
{
	int rc;

	if (argc != 3)
		return shell_fail("mv", "usage: mv FROM TO");
	rc = k42_rename(argv[1], argv[2]);
	return rc < 0 ? shell_fail("mv", "%s -> %s: %s", argv[1], argv[2], shell_path_error(rc)) : 0;
}
