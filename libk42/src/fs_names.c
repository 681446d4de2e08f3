/*
 * The file layer's calls that name a file by path only (docs/files.md):
 * stat, mkdir, unlink/rmdir, rename, link, symlink, readlink, chmod and
 * utimes. Each resolves its path (k42_fs_resolve, fs.c) and asks the
 * mount's server; none touches the descriptor table.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include "internal.h"
#include "fsint.h"
#include "fs_resolve.h"

int k42_fstatat(int dirfd, const char *path, struct k42_stat *st, int flags)
{
	struct path_result *r = malloc(sizeof(*r));
	struct walk_ctx w;
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = k42_fs_resolve(dirfd, path, (flags & K42_AT_SYMLINK_NOFOLLOW) ? 0 : PATH_FOLLOW, r, &w);
	if (rc == 0 && (r->mount_root || r->last_dot || w.st.kind == FS_KIND_NONE)) {
		/* The last step walked nothing (a mount root, ".", "..", or a
		 * link to "." followed for a trailing slash): what was walked
		 * before is not what the path names; ask. */
		char *link = malloc(FS_PATH_MAX + 1);
		int32_t err = 0;

		rc = link ? fs_walk(k42_mount(r->mount)->server, r->rel, &(uint32_t){ 0 }, &err, &w.st,
				    link, FS_PATH_MAX + 1) : -K42_ENOMEM;
		if (rc == 0 && err < 0)
			rc = err;
		free(link);
	}
	if (rc == 0)
		k42_stat_from_fs(r->mount, &w.st, st);
	free(r);
	return (int)rc;
}

int k42_stat(const char *path, struct k42_stat *st)
{
	return k42_fstatat(K42_AT_FDCWD, path, st, 0);
}

int k42_lstat(const char *path, struct k42_stat *st)
{
	return k42_fstatat(K42_AT_FDCWD, path, st, K42_AT_SYMLINK_NOFOLLOW);
}

/* Resolve for a change to the last component (not followed). */
static long for_change(int dirfd, const char *path, int parent, struct path_result *r)
{
	struct walk_ctx w;
	long rc = k42_fs_resolve(dirfd, path, parent ? PATH_PARENT : 0, r, &w);

	if (rc < 0)
		return rc;
	if (r->mount_root)
		return -K42_EBUSY;
	if (k42_mount(r->mount)->readonly)
		return -K42_EROFS;
	return 0;
}

/* A named pipe (docs/files.md): the mount's server makes the node
 * (tmpfs; others answer -K42_EPERM or -K42_EROFS). */
int k42_mkfifoat(int dirfd, const char *path, unsigned mode)
{
	struct path_result *r = malloc(sizeof(*r));
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = for_change(dirfd, path, 1, r);
	if (rc == -K42_EBUSY || (rc == 0 && r->exists))
		rc = -K42_EEXIST;
	else if (rc == 0)
		rc = fs_mknod(k42_mount(r->mount)->server, r->rel, K42_S_IFIFO | (mode & 07777), 0);
	free(r);
	return (int)rc;
}

int k42_mkfifo(const char *path, unsigned mode)
{
	return k42_mkfifoat(K42_AT_FDCWD, path, mode);
}

int k42_mkdirat(int dirfd, const char *path, unsigned mode)
{
	struct path_result *r = malloc(sizeof(*r));
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = for_change(dirfd, path, 1, r);
	if (rc == -K42_EBUSY || (rc == 0 && r->exists))
		rc = -K42_EEXIST;
	else if (rc == 0)
		rc = fs_mkdir(k42_mount(r->mount)->server, r->rel, mode & 07777);
	free(r);
	return (int)rc;
}

int k42_mkdir(const char *path, unsigned mode)
{
	return k42_mkdirat(K42_AT_FDCWD, path, mode);
}

int k42_unlinkat(int dirfd, const char *path, int flags)
{
	struct path_result *r = malloc(sizeof(*r));
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = for_change(dirfd, path, 0, r);
	if (rc == 0 && r->last_dot)
		rc = (flags & K42_AT_REMOVEDIR) ? -K42_EINVAL : -K42_EISDIR;
	if (rc == 0)
		rc = (flags & K42_AT_REMOVEDIR) ? fs_rmdir(k42_mount(r->mount)->server, r->rel)
						: fs_unlink(k42_mount(r->mount)->server, r->rel);
	free(r);
	return (int)rc;
}

int k42_unlink(const char *path)
{
	return k42_unlinkat(K42_AT_FDCWD, path, 0);
}

int k42_rmdir(const char *path)
{
	return k42_unlinkat(K42_AT_FDCWD, path, K42_AT_REMOVEDIR);
}

/* Two paths on one mount: rename and link. */
static int two(int fromfd, const char *from, int tofd, const char *to, int is_link)
{
	struct path_result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	long rc = a && b ? 0 : -K42_ENOMEM;

	if (rc == 0)
		rc = for_change(fromfd, from, 0, a);
	if (rc == 0)
		rc = for_change(tofd, to, 1, b);
	if (rc == 0 && (a->last_dot || b->last_dot))
		rc = -K42_EINVAL;
	if (rc == 0 && a->mount != b->mount)
		rc = -K42_EXDEV;
	if (rc == 0 && b->exists && is_link)
		rc = -K42_EEXIST;
	if (rc == 0)
		rc = is_link ? fs_link(k42_mount(a->mount)->server, a->rel, b->rel)
			     : fs_rename(k42_mount(a->mount)->server, a->rel, b->rel);
	free(a);
	free(b);
	return (int)rc;
}

int k42_renameat(int fromfd, const char *from, int tofd, const char *to)
{
	return two(fromfd, from, tofd, to, 0);
}

int k42_rename(const char *from, const char *to)
{
	return two(K42_AT_FDCWD, from, K42_AT_FDCWD, to, 0);
}

int k42_link(const char *from, const char *to)
{
	return two(K42_AT_FDCWD, from, K42_AT_FDCWD, to, 1);
}

int k42_linkat(int fromfd, const char *from, int tofd, const char *to)
{
	return two(fromfd, from, tofd, to, 1);
}

int k42_symlink(const char *dest, const char *path)
{
	return k42_symlinkat(dest, K42_AT_FDCWD, path);
}

int k42_symlinkat(const char *dest, int dirfd, const char *path)
{
	struct path_result *r = malloc(sizeof(*r));
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = strlen(dest) >= K42_PATH_MAX ? -K42_ENAMETOOLONG : !dest[0] ? -K42_ENOENT : 0;
	if (rc == 0)
		rc = for_change(dirfd, path, 1, r);
	if (rc == -K42_EBUSY || (rc == 0 && r->exists))
		rc = -K42_EEXIST;
	else if (rc == 0)
		rc = fs_symlink(k42_mount(r->mount)->server, dest, r->rel);
	free(r);
	return (int)rc;
}

long k42_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	struct path_result *r = malloc(sizeof(*r));
	char *link = malloc(FS_PATH_MAX + 1);
	struct walk_ctx w;
	long rc = r && link ? 0 : -K42_ENOMEM;

	if (rc == 0)
		rc = k42_fs_resolve(dirfd, path, 0, r, &w);
	if (rc == 0 && r->kind != PK_LNK)
		rc = -K42_EINVAL;
	if (rc == 0) {
		uint32_t done;
		int32_t err;

		rc = fs_walk(k42_mount(r->mount)->server, r->rel, &done, &err, &w.st, link,
			     FS_PATH_MAX + 1);
		if (rc == 0 && err < 0)
			rc = err;
		if (rc == 0) {
			size_t len = strlen(link);

			if (len > n)
				len = n;
			memcpy(buf, link, len);
			rc = (long)len;
		}
	}
	free(r);
	free(link);
	return rc;
}

long k42_readlink(const char *path, char *buf, size_t n)
{
	return k42_readlinkat(K42_AT_FDCWD, path, buf, n);
}

int k42_chmod(const char *path, unsigned mode)
{
	return k42_fchmodat(K42_AT_FDCWD, path, mode, 0);
}

/* By the path the file was opened under (a file renamed since then is
 * not found: ENOENT). */
int k42_fchmod(int fd, unsigned mode)
{
	struct k42_stat st;
	char *p = NULL;
	int rc = k42_fstat(fd, &st);

	if (rc < 0)
		return rc;
	rc = k42_fd_path(fd, &p);
	if (rc == 0)
		rc = k42_chmod(p, mode);
	free(p);
	return rc;
}

int k42_fchmodat(int dirfd, const char *path, unsigned mode, int flags)
{
	struct path_result *r = malloc(sizeof(*r));
	struct walk_ctx w;
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = k42_fs_resolve(dirfd, path, (flags & K42_AT_SYMLINK_NOFOLLOW) ? 0 : PATH_FOLLOW, r, &w);
	if (rc == 0)
		rc = fs_chmod(k42_mount(r->mount)->server, r->rel, mode & 07777);
	free(r);
	return (int)rc;
}

int k42_utimes(const char *path, uint64_t atime_ns, uint64_t mtime_ns)
{
	return k42_utimesat(K42_AT_FDCWD, path, atime_ns, mtime_ns, 0);
}

int k42_futimes(int fd, uint64_t atime_ns, uint64_t mtime_ns)
{
	char *p = NULL;
	int rc = k42_fd_path(fd, &p);

	if (rc == 0)
		rc = k42_utimes(p, atime_ns, mtime_ns);
	free(p);
	return rc;
}

int k42_utimesat(int dirfd, const char *path, uint64_t atime_ns, uint64_t mtime_ns, int flags)
{
	struct path_result *r = malloc(sizeof(*r));
	struct walk_ctx w;
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = k42_fs_resolve(dirfd, path, (flags & K42_AT_SYMLINK_NOFOLLOW) ? 0 : PATH_FOLLOW, r, &w);
	if (rc == 0)
		rc = fs_utimes(k42_mount(r->mount)->server, r->rel, atime_ns, mtime_ns);
	free(r);
	return (int)rc;
}
