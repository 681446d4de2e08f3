/* The descriptor table (see fdtable.h). */
#include <k42/errno.h>
#include "fdtable.h"

#define K42_EBADF K42_EBADH	/* the same number as Linux's EBADF */

int fdt_limit(const struct fdtab *t)
{
	return t->limited && t->limit >= 0 && t->limit < K42_FD_MAX ? t->limit : K42_FD_MAX;
}

int fdt_alloc(struct fdtab *t, int from, void *f, int cloexec)
{
	int lim = fdt_limit(t);

	if (from < 0 || from >= K42_FD_MAX)
		return -K42_EINVAL;
	for (int i = from; i < lim; i++) {
		if (!t->f[i]) {
			t->f[i] = f;
			t->cloexec[i] = cloexec != 0;
			return i;
		}
	}
	return -K42_EMFILE;
}

void *fdt_get(const struct fdtab *t, int fd)
{
	if (fd < 0 || fd >= K42_FD_MAX)
		return NULL;
	return t->f[fd];
}

int fdt_close(struct fdtab *t, int fd, void **old)
{
	if (!fdt_get(t, fd))
		return -K42_EBADF;
	*old = t->f[fd];
	t->f[fd] = NULL;
	t->cloexec[fd] = 0;
	return 0;
}

int fdt_dup2(struct fdtab *t, int fd, int to, int cloexec, void **displaced)
{
	*displaced = NULL;
	if (!fdt_get(t, fd) || to < 0 || to >= fdt_limit(t))
		return -K42_EBADF;
	if (fd == to)
		return to;
	*displaced = t->f[to];
	t->f[to] = t->f[fd];
	t->cloexec[to] = cloexec != 0;
	return to;
}
