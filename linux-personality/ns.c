/*
 * Namespaces (unshare, setns) answered as a Linux kernel built without
 * them: every Linux process here shares k42's one set of names, mounts,
 * pids and network. unshare of what a single process owns alone anyway
 * (its files table, working directory, System V undo list; its memory,
 * signal handlers and thread group while it has one thread) succeeds and
 * changes nothing; a new namespace is EINVAL, as from such a kernel.
 * setns takes a namespace's or a process's descriptor, which nothing here
 * gives out: EINVAL for any open descriptor, EBADF for another.
 */
#include "lx.h"
#include <k42/fs.h>

#define LX_CLONE_VM 0x100ull
#define LX_CLONE_FS 0x200ull
#define LX_CLONE_FILES 0x400ull
#define LX_CLONE_SIGHAND 0x800ull
#define LX_CLONE_NEWTIME 0x80ull
#define LX_CLONE_THREAD 0x10000ull
#define LX_CLONE_NEWNS 0x20000ull
#define LX_CLONE_SYSVSEM 0x40000ull
#define LX_CLONE_NEWCGROUP 0x2000000ull
#define LX_CLONE_NEWUTS 0x4000000ull
#define LX_CLONE_NEWIPC 0x8000000ull
#define LX_CLONE_NEWUSER 0x10000000ull
#define LX_CLONE_NEWPID 0x20000000ull
#define LX_CLONE_NEWNET 0x40000000ull

#define LX_CLONE_NEW_ANY (LX_CLONE_NEWTIME | LX_CLONE_NEWNS | LX_CLONE_NEWCGROUP | LX_CLONE_NEWUTS | \
			  LX_CLONE_NEWIPC | LX_CLONE_NEWUSER | LX_CLONE_NEWPID | LX_CLONE_NEWNET)
#define LX_UNSHARE_KNOWN (LX_CLONE_NEW_ANY | LX_CLONE_VM | LX_CLONE_FS | LX_CLONE_FILES | \
			  LX_CLONE_SIGHAND | LX_CLONE_THREAD | LX_CLONE_SYSVSEM)

long lx_sys_unshare(struct lx_args *a)
{
	uint64_t flags = a->a[0] & 0xffffffffull;

	if (flags & ~LX_UNSHARE_KNOWN)
		return -LX_EINVAL;
	/* Linux: the thread group, handlers and memory only alone. */
	if ((flags & (LX_CLONE_THREAD | LX_CLONE_SIGHAND | LX_CLONE_VM)) && lx_nthreads > 1)
		return -LX_EINVAL;
	if (flags & LX_CLONE_NEW_ANY)
		return -LX_EINVAL;
	return 0;
}

long lx_sys_setns(struct lx_args *a)
{
	int fd = (int)a->a[0];

	if (fd < 0 || k42_fcntl(fd, K42_F_GETFD, 0) < 0)
		return -LX_EBADF;
	return -LX_EINVAL;
}
