/*
 * Path resolution, pure (host-tested in tests/libk42/test_path.c): turns
 * a path, relative to a current directory, into a mount and a path inside
 * it. ".", ".." (never above the root), symlinks (at most K42_SYMLOOP_MAX,
 * then -K42_ELOOP), mount points and over-long names (-K42_ENAMETOOLONG)
 * are handled here; file systems are reached only through path_ops.
 */
#ifndef LIBK42_PATH_H
#define LIBK42_PATH_H

#include <stdint.h>
#include <string.h>
#include <k42/fs.h>

static inline char *path_strcpy(char *d, const char *s)
{
	return memcpy(d, s, strlen(s) + 1);
}

/* What walk found about its final object. */
enum path_kind { PK_NONE = 0, PK_REG = 1, PK_DIR = 2, PK_LNK = 3, PK_CHR = 4, PK_FIFO = 5 };

struct path_ops {
	/* The mount whose mount point is exactly `abs` ("/" included), or -1. */
	int (*mount_at)(void *ctx, const char *abs);
	/* fs.idl's walk on mount m: see idl/fs.idl. Returns 0 or a
	 * transport error; *err is the walk's own result. */
	long (*walk)(void *ctx, int m, const char *rel, uint32_t *done, int *err,
		     enum path_kind *kind, char *link, size_t link_cap);
};

/* Flags for path_resolve. */
#define PATH_FOLLOW   1	/* follow a symlink in the last component */
#define PATH_PARENT   2	/* the last component may be missing (creating) */

struct path_result {
	int mount;			/* mount holding the object (or its parent) */
	int mount_root;			/* the object is that mount's root */
	int exists;			/* 0: only the parent exists (PATH_PARENT) */
	int last_dot;			/* the path's last component was "." or ".." */
	int trailing_slash;		/* the path ended in '/' */
	enum path_kind kind;		/* of the object, if it exists */
	const char *rel;		/* inside the mount: points into abs */
	const char *last;		/* last component: points into abs */
	char abs[K42_PATH_MAX];		/* canonical absolute path, no symlinks */
};

/* Resolve `path` against the absolute canonical directory `cwd`. */
long path_resolve(const struct path_ops *ops, void *ctx, const char *cwd, const char *path,
		  int flags, struct path_result *r);

#endif
