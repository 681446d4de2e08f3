/*
 * fork and the file layer (docs/files.md): before the copy, every open
 * object is shared with the child (a server handle of its own, a hold on
 * each pipe end); the child then takes the shared handles as its own. A
 * fork that fails gives the pipe holds back.
 */
#include <k42/k42.h>
#include <k42/fs.h>
#include "internal.h"
#include "fsint.h"
#include "fs.h"		/* idl/fs.idl client stubs */

static int fork_share_one(struct kfile *f, uint64_t pid)
{
	f->fork_handle = 0;
	if (f->ops == &k42_mapped_ops || f->map_va)
		(void)k42_mapped_detach(f);	/* the child shares the offset: the server's */
	if (f->ops == &k42_remote_ops || f->ops == &k42_fifo_ops) {
		f->map_try = 0;
		long rc = fs_share(f->server, f->handle, pid, &f->fork_handle);

		return rc < 0 ? (int)rc : 0;
	}
	if (f->ops == &k42_sock_ops)
		return k42_sock_fork_share(f, pid);
	return 0;
}

static int fork_pipe_one(struct kfile *f, uint64_t pid)
{
	if (f->ops == &k42_pipe_ops)
		pipebuf_hold(f->pipe, (uint32_t)pid, f->pipe_write, 1);
	return 0;
}

int k42_fs_fork_prepare(uint64_t pid)
{
	int rc = k42_fs_each_open(fork_share_one, pid);

	if (rc < 0)
		return rc;
	return k42_fs_each_open(fork_pipe_one, pid);
}

static int fork_abort_one(struct kfile *f, uint64_t pid)
{
	/* A handle shared to a child that never ran stays in the server
	 * (as a dead process's handles do; docs/files.md). */
	if (f->ops == &k42_pipe_ops)
		pipebuf_hold(f->pipe, (uint32_t)pid, f->pipe_write, -1);
	return 0;
}

void k42_fs_fork_abort(uint64_t pid)
{
	(void)k42_fs_each_open(fork_abort_one, pid);
}

static int forked_one(struct kfile *f, uint64_t pid)
{
	(void)pid;
	if (f->ops == &k42_remote_ops || f->ops == &k42_sock_ops || f->ops == &k42_fifo_ops)
		f->handle = f->fork_handle;
	return 0;
}

void k42_fs_forked(void)
{
	k42_fs_self_pid_forget();
	(void)k42_fs_each_open(forked_one, 0);
}
