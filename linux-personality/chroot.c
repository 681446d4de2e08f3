/*
 * chroot for the Linux personality (lx_sys_chroot): the process's root,
 * a directory of the real tree. Paths the program gives are made real
 * here: an absolute one, or a relative one while the working directory
 * is inside the root, is resolved lexically ("." and "..", never above
 * the root) and put under the root. A relative one while the working
 * directory is outside the root stays as it is, as Linux lets it (the
 * classic way out). Symbolic
 * links are followed by the file layer from the real root, and paths
 * relative to a directory descriptor are not confined (docs/linux.md).
 */
#include "lx.h"
#include "lxfs.h"

char lx_root[K42_PATH_MAX];
size_t lx_root_len;	/* 0: the real root */

long lx_root_path(const char *in, char *out)
{
	static char virt[K42_PATH_MAX * 2 + 2];
	char cwd[K42_PATH_MAX];
	size_t n = 0, o;
	const char *p;

	if (in[0] != '/') {
		long c = k42_getcwd(cwd, sizeof(cwd));

		if (c < 0 || strncmp(cwd, lx_root, lx_root_len) != 0 ||
		    (cwd[lx_root_len] != '/' && cwd[lx_root_len] != '\0')) {
			if (strlen(in) >= K42_PATH_MAX)
				return -LX_ENAMETOOLONG;
			strcpy(out, in);	/* outside the root: not confined */
			return 0;
		}
		strcpy(virt, cwd + lx_root_len);
		strcat(virt, "/");
		strcat(virt, in);
	} else {
		strcpy(virt, in);
	}
	/* out = root + the normalized virtual path */
	memcpy(out, lx_root, lx_root_len);
	o = lx_root_len;
	for (p = virt; *p;) {
		const char *c;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (c = p; *c && *c != '/'; c++)
			;
		n = (size_t)(c - p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > lx_root_len && out[o - 1] != '/')
				o--;
			if (o > lx_root_len)
				o--;	/* the slash */
		} else {
			if (o + 1 + n + 1 > K42_PATH_MAX)
				return -LX_ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = c;
	}
	if (o == lx_root_len)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

long lx_user_path(uint64_t uva, char *buf)
{
	static char real[K42_PATH_MAX];
	long rc = lx_copy_str(buf, uva, K42_PATH_MAX);

	if (rc < 0)
		return rc;
	if (!lx_root_len || !buf[0])
		return 0;
	if ((rc = lx_root_path(buf, real)) < 0)
		return rc;
	strcpy(buf, real);
	return 0;
}

/* chroot(path): path (through the current root) must be a directory. */
long lx_sys_chroot(struct lx_args *a)
{
	static char p[K42_PATH_MAX];
	struct k42_stat st;
	long rc = lx_user_path(a->a[0], p);
	size_t n;

	if (rc < 0)
		return rc;
	if ((rc = k42_stat(p, &st)) < 0)
		return lx_errno(rc);
	if ((st.mode & K42_S_IFMT) != K42_S_IFDIR)
		return -LX_ENOTDIR;
	if (p[0] != '/') {	/* relative to a working directory outside the root */
		char cwd[K42_PATH_MAX];
		long c = k42_getcwd(cwd, sizeof(cwd));

		if (c < 0 || strlen(cwd) + 1 + strlen(p) >= K42_PATH_MAX)
			return -LX_ENAMETOOLONG;
		strcat(cwd, "/");
		strcat(cwd, p);
		size_t old = lx_root_len;

		lx_root_len = 0;	/* normalize as a path of the real tree */
		if ((rc = lx_root_path(cwd, p)) < 0) {
			lx_root_len = old;
			return rc;
		}
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1)
		n = 0;	/* the real root again */
	memcpy(lx_root, p, n);
	lx_root[n] = '\0';
	lx_root_len = n;
	return 0;
}
