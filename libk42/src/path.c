/*
 * Path resolution (see path.h). The resolved prefix `abs` never holds a
 * symlink, so ".." is simply "drop the last component" and stays
 * physically right. Each normal component costs one walk of its mount;
 * a symlink restarts resolution with its target spliced in front of the
 * rest of the path.
 */
#include <string.h>
#include <k42/errno.h>
#include "path.h"

/* The mount containing abs: the longest prefix that is a mount point. */
static int mount_of(const struct path_ops *ops, void *ctx, char *abs, size_t alen,
		    size_t *plen)
{
	size_t n = alen;

	for (;;) {
		char save = abs[n];
		int m;

		abs[n] = 0;
		m = ops->mount_at(ctx, n ? abs : "/");
		abs[n] = save;
		if (m >= 0) {
			*plen = n ? n : 1;
			return m;
		}
		if (n <= 1)
			return -K42_ENOENT;	/* no root mount */
		while (n > 1 && abs[n - 1] != '/')
			n--;
		if (n > 1)
			n--;	/* drop the slash too, except the root's */
	}
}

static const char *rel_of(const char *abs, size_t plen)
{
	const char *r = abs + plen;

	return *r == '/' ? r + 1 : r;
}

long path_resolve(const struct path_ops *ops, void *ctx, const char *cwd, const char *path,
		  int flags, struct path_result *r)
{
	char todo[K42_PATH_MAX], link[K42_PATH_MAX];
	size_t alen, plen = 1, len = strlen(path), pos = 0;
	unsigned nlinks = 0;
	int m;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return -K42_ENOENT;
	if (len >= K42_PATH_MAX)
		return -K42_ENAMETOOLONG;
	memcpy(todo, path, len + 1);
	r->trailing_slash = path[len - 1] == '/';
	if (path[0] == '/') {
		path_strcpy(r->abs, "/");
	} else {
		if (strlen(cwd) >= K42_PATH_MAX || cwd[0] != '/')
			return -K42_EINVAL;
		path_strcpy(r->abs, cwd);
	}
	alen = strlen(r->abs);
	if ((m = mount_of(ops, ctx, r->abs, alen, &plen)) < 0)
		return m;
	r->kind = PK_DIR;
	r->exists = 1;
	for (;;) {
		size_t start, clen;
		int is_last, err = 0;
		uint32_t done = 0;
		enum path_kind kind = PK_NONE;
		long rc;

		while (todo[pos] == '/')
			pos++;
		if (!todo[pos])
			break;
		start = pos;
		while (todo[pos] && todo[pos] != '/')
			pos++;
		clen = pos - start;
		if (clen > K42_NAME_MAX)
			return -K42_ENAMETOOLONG;
		{
			size_t q = pos;

			while (todo[q] == '/')
				q++;
			is_last = !todo[q];
		}
		if (!r->exists)
			return -K42_ENOENT;	/* unreachable: a missing one is last */
		if (r->kind != PK_DIR)
			return -K42_ENOTDIR;
		r->last_dot = 0;
		if (clen == 1 && todo[start] == '.') {
			r->last_dot = is_last;
			continue;
		}
		if (clen == 2 && todo[start] == '.' && todo[start + 1] == '.') {
			r->last_dot = is_last;
			if (alen > 1) {
				while (alen > 1 && r->abs[alen - 1] != '/')
					alen--;
				if (alen > 1)
					alen--;
				r->abs[alen] = 0;
				if ((m = mount_of(ops, ctx, r->abs, alen, &plen)) < 0)
					return m;
			}
			continue;
		}
		if (alen + 1 + clen >= K42_PATH_MAX)
			return -K42_ENAMETOOLONG;
		if (alen > 1)
			r->abs[alen++] = '/';
		memcpy(r->abs + alen, todo + start, clen);
		alen += clen;
		r->abs[alen] = 0;
		{
			int mm = ops->mount_at(ctx, r->abs);

			if (mm >= 0) {
				m = mm;
				plen = alen;
				r->kind = PK_DIR;
				continue;
			}
		}
		rc = ops->walk(ctx, m, rel_of(r->abs, plen), &done, &err, &kind, link,
			       sizeof(link));
		if (rc < 0)
			return rc;
		if (err < 0) {
			if (err == -K42_ENOENT && is_last && (flags & PATH_PARENT)) {
				r->exists = 0;
				r->kind = PK_NONE;
				break;
			}
			return err;
		}
		if (kind == PK_LNK && (!is_last || (flags & PATH_FOLLOW) || r->trailing_slash)) {
			size_t llen = strnlen(link, sizeof(link)), rest = strlen(todo + pos);

			if (++nlinks > K42_SYMLOOP_MAX)
				return -K42_ELOOP;
			if (llen == 0)
				return -K42_ENOENT;
			if (llen + 1 + rest >= K42_PATH_MAX)
				return -K42_ENAMETOOLONG;
			/* Drop the link's own component, then resolve its target
			 * followed by the rest. */
			alen -= clen;
			if (alen > 1)
				alen--;
			r->abs[alen] = 0;
			memmove(todo + llen, todo + pos, rest + 1);
			memcpy(todo, link, llen);
			pos = 0;
			if (link[0] == '/') {
				path_strcpy(r->abs, "/");
				alen = 1;
			}
			if ((m = mount_of(ops, ctx, r->abs, alen, &plen)) < 0)
				return m;
			r->kind = PK_DIR;
			continue;
		}
		r->kind = kind;
	}
	if (r->exists && r->trailing_slash && r->kind != PK_DIR)
		return -K42_ENOTDIR;
	r->mount = m;
	r->mount_root = alen == plen || (alen == 1 && plen == 1);
	r->rel = rel_of(r->abs, plen);
	{
		const char *s = strrchr(r->abs, '/');

		r->last = s ? s + 1 : r->abs;
	}
	return 0;
}
