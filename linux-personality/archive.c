/*
 * Executables straight from the boot archive, which is mapped read-only
 * in every Linux process: execve of a program there (busybox and its
 * applet links) reads no file through a server. A path resolves against
 * libk42's current directory, with the archive's symlinks followed; a
 * path that is not in the archive goes through the file layer (exec.c).
 */
#include <kern/cpio.h>
#include "lx.h"
#include "lxfs.h"

static long find_entry(const char *name, struct cpio_entry *e)
{
	if (!name[0] || !k42_initrd_bytes())
		return -LX_ENOENT;
	return cpio_find((const void *)K42_INITRD_VA, k42_initrd_bytes(), name, e, NULL) < 0
		       ? -LX_ENOENT : 0;
}

/* Make `path` absolute against base and normalise it into out (no leading
 * slash, no "." or ".." or empty components). */
static long normalise(const char *base, const char *path, char *out, size_t outlen)
{
	static char tmp[2 * K42_PATH_MAX];
	size_t o = 0, bl = strlen(base), pl = strlen(path);
	char *s, *comp;

	if (bl + pl + 2 > sizeof(tmp))
		return -LX_ENAMETOOLONG;
	if (path[0] != '/') {
		memcpy(tmp, base, bl);
		tmp[bl] = '/';
		memcpy(tmp + bl + 1, path, pl + 1);
	} else {
		memcpy(tmp, path, pl + 1);
	}
	out[0] = '\0';
	s = tmp;
	while (*s) {
		while (*s == '/')
			s++;
		comp = s;
		while (*s && *s != '/')
			s++;
		if (*s)
			*s++ = '\0';
		if (!comp[0] || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		if (o + strlen(comp) + 2 > outlen)
			return -LX_ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, comp, strlen(comp) + 1);
		o += strlen(comp);
	}
	return 0;
}

long lx_archive_find(const char *path, char *name, size_t nlen, struct cpio_entry *e)
{
	static char cur[K42_PATH_MAX], dir[K42_PATH_MAX + 1], target[K42_PATH_MAX], cwd[K42_PATH_MAX];
	long rc;

	if (!path[0])
		return -LX_ENOENT;
	if (path[0] != '/' && k42_getcwd(cwd, sizeof(cwd)) < 0)
		return -LX_ENOENT;
	rc = normalise(path[0] == '/' ? "/" : cwd, path, cur, sizeof(cur));
	for (int depth = 0; rc == 0; depth++) {
		char *slash;

		if (find_entry(cur, e) < 0)
			return -LX_ENOENT;
		if ((e->mode & 0170000) != 0120000)
			break;
		if (depth == 8)
			return -LX_ELOOP;
		if (e->size >= sizeof(target))
			return -LX_ENAMETOOLONG;
		memcpy(target, e->data, e->size);
		target[e->size] = '\0';
		dir[0] = '/';
		strcpy(dir + 1, cur);
		slash = strrchr(dir, '/');
		*slash = '\0';
		rc = normalise(dir[0] ? dir : "/", target, cur, sizeof(cur));
	}
	if (rc < 0)
		return rc;
	if (strlen(cur) + 1 > nlen)
		return -LX_ENAMETOOLONG;
	strcpy(name, cur);
	return 0;
}
