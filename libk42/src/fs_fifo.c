/*
 * Named pipes (docs/files.md, "Named pipes"): a fifo is a node of its
 * file system (tmpfs), and its buffer and counts live in that server,
 * because any process that can name it may open it (an anonymous pipe's
 * buffer is shared only down a fork tree, fs_pipe.c). The server never
 * blocks: a read of an empty fifo, a write with no room, or the state
 * asked with `arm` registers this process, which sleeps in iowait.c and
 * gets K42_SOFTINTR_IO at the fifo's next change; registration and the
 * answer come in one call, so no wake-up is lost between them. Opening
 * waits as POSIX says: a reader for a writer, a writer for a reader.
 */
#include <k42/k42.h>
#include "fsint.h"
#include "fs.h"

/* A server that dies sends no event: wake at least once a second and ask
 * again (a call to a dead server fails, and the caller learns it). */
static int await(uint64_t gen)
{
	uint64_t hz = (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ);

	return k42_io_wait(gen, k42_timebase() + hz) == -K42_EINTR ? -K42_EINTR : 0;
}

int k42_fifo_open_wait(struct kfile *f)
{
	int acc = f->flags & K42_O_ACCMODE;

	if (acc == K42_O_RDWR || (f->flags & K42_O_NONBLOCK))
		return 0;
	for (int arm = 1;; ) {
		uint64_t gen = k42_io_gen;
		uint32_t readers, writers, avail, room, since;
		long rc = fs_fifo(f->server, f->handle, arm, &readers, &writers, &avail, &room, &since);

		if (rc < 0)
			return (int)rc;
		if (since || (acc == K42_O_RDONLY ? writers : readers))
			return 0;
		if (!arm)
			return -K42_EINTR;
		/* A signal ends the wait, unless the partner came meanwhile
		 * (Linux's wait_for_partner: the open then succeeds and the
		 * signal waits for the way back): ask once more, unarmed. A
		 * writer that opened, wrote and exited before we woke made
		 * the shell's SIGCHLD race our open before. */
		if (await(gen) < 0)
			arm = 0;
	}
}

static long fi_read(struct kfile *f, void *buf, size_t n)
{
	size_t done = 0;

	if (!n)
		return 0;
	for (;;) {
		uint64_t gen = k42_io_gen;
		uint32_t k = n - done < FS_IO_MAX ? (uint32_t)(n - done) : FS_IO_MAX, got = 0;
		long rc = fs_read(f->server, f->handle, -1, k, (uint8_t *)buf + done, k, &got);

		if (rc == 0) {
			done += got;
			/* More only while it is there without waiting. */
			if (got < k || done == n)
				return (long)done;
			continue;
		}
		if (done)
			return (long)done;
		if (rc != -K42_EAGAIN || (f->flags & K42_O_NONBLOCK))
			return rc;
		if (await(gen) < 0)
			return -K42_EINTR;
	}
}

/* Pieces of up to PIPE_BUF (fs.io_max): each goes in whole or waits. */
static long fi_write(struct kfile *f, const void *buf, size_t n)
{
	size_t done = 0;

	do {
		uint64_t gen = k42_io_gen;
		uint32_t k = n - done < FS_IO_MAX ? (uint32_t)(n - done) : FS_IO_MAX, put = 0;
		long rc = fs_write(f->server, f->handle, -1, (const uint8_t *)buf + done, k, &put);

		if (rc == 0) {
			done += put;
			continue;
		}
		if (rc != -K42_EAGAIN || (f->flags & K42_O_NONBLOCK))
			return done ? (long)done : rc;
		if (await(gen) < 0)
			return done ? (long)done : -K42_EINTR;
	} while (done < n);
	return (long)done;
}

static int fi_fstat(struct kfile *f, struct k42_stat *st)
{
	struct fs_stat s;
	long rc = fs_fstat(f->server, f->handle, &s);

	if (rc == 0)
		k42_stat_from_fs(f->mount, &s, st);
	return (int)rc;
}

static int fi_poll(struct kfile *f, int events, int arm)
{
	uint32_t readers, writers, avail, room, since;
	int acc = f->flags & K42_O_ACCMODE, rev = 0;

	if (fs_fifo(f->server, f->handle, arm != 0, &readers, &writers, &avail, &room, &since) < 0)
		return K42_POLLERR;
	if (acc != K42_O_WRONLY) {
		if (avail)
			rev |= events & K42_POLLIN;
		/* Hang-up once a writer came and went (Linux's rule: a
		 * reader that never had a writer is just not ready). */
		if (!writers && (since || acc == K42_O_RDWR))
			rev |= K42_POLLHUP;
	}
	if (acc != K42_O_RDONLY) {
		if (room >= FS_IO_MAX)
			rev |= events & K42_POLLOUT;
		if (!readers)
			rev |= K42_POLLERR;
	}
	return rev;
}

static int fi_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	uint64_t h;
	long rc = fs_share(f->server, f->handle, pid, &h);

	if (rc < 0)
		return (int)rc;
	e->kind = FDX_FIFO;
	e->aux = f->mount;
	e->server = f->server;
	e->handle = h;
	return 0;
}

static void fi_release(struct kfile *f)
{
	if (fs_close(f->server, f->handle) < 0) {
		/* the server is gone, and the fifo with it */
	}
}

const struct kfile_ops k42_fifo_ops = {
	.read = fi_read,
	.write = fi_write,
	.fstat = fi_fstat,
	.poll = fi_poll,
	.export = fi_export,
	.release = fi_release,
};
