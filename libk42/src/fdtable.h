/*
 * A descriptor table, pure (host-tested in tests/libk42/test_fdtable.c):
 * descriptor number -> open-file object and its close-on-exec flag. The
 * lowest free number is always chosen, as POSIX requires. Reference
 * counts of the objects are the caller's (fs.c).
 */
#ifndef LIBK42_FDTABLE_H
#define LIBK42_FDTABLE_H

#include <k42/fs.h>

struct fdtab {
	void *f[K42_FD_MAX];
	unsigned char cloexec[K42_FD_MAX];
	int limit;		/* new descriptors stay below it, */
	unsigned char limited;	/* if set (else below K42_FD_MAX) */
};

/* The bound new descriptors stay below: limit if set, or K42_FD_MAX. */
int fdt_limit(const struct fdtab *t);

/* The lowest free descriptor >= from below the limit, now holding f;
 * -K42_EMFILE if none, -K42_EINVAL if from is out of range (F_DUPFD
 * checks the limit itself: EINVAL). Descriptors already open above a
 * lowered limit stay usable, as on Linux. */
int fdt_alloc(struct fdtab *t, int from, void *f, int cloexec);
/* The object at fd, or NULL (a bad or closed descriptor: EBADF). */
void *fdt_get(const struct fdtab *t, int fd);
/* Empty fd; *old gets what it held. -K42_EBADF if it held nothing. */
int fdt_close(struct fdtab *t, int fd, void **old);
/* Make `to` refer to fd's object (dup2/dup3). *displaced gets what `to`
 * held before (NULL if nothing); the same fd is a no-op returning it.
 * -K42_EBADF if `to` is at or above the limit. */
int fdt_dup2(struct fdtab *t, int fd, int to, int cloexec, void **displaced);

#endif
