/*
 * Files served by a file-system server over idl/fs.idl (docs/files.md):
 * the open file (its offset included) lives in the server, so processes
 * that share it after a spawn share the offset as POSIX wants. Data moves
 * a PPC page (4 KiB) per call.
 */
#include <string.h>
#include <k42/k42.h>
#include "fsint.h"
#include "fs.h"

static long rw(struct kfile *f, void *buf, size_t n, int64_t off, int write)
{
	size_t done = 0;

	while (done < n) {
		uint32_t k = n - done < FS_IO_MAX ? (uint32_t)(n - done) : FS_IO_MAX, got = 0;
		long rc;

		if (write)
			rc = fs_write(f->server, f->handle, off, (const uint8_t *)buf + done, k, &got);
		else
			rc = fs_read(f->server, f->handle, off, k, (uint8_t *)buf + done, k, &got);
		if (rc < 0)
			return done ? (long)done : rc;
		done += got;
		if (off >= 0)
			off += got;
		if (got < k)
			break;
	}
	return (long)done;
}

/*
 * When a remote regular file goes over to the mapped implementation
 * (fs_mapped.c). A mapping costs calls of its own (map, seek, page-ins,
 * and a page-back at close), so it is made only for a file that has
 * shown it would use it: after a read that got all it asked for, or a
 * write inside the file (the mapping serves neither a read that hits the
 * end nor a write that grows the file). Until then the offset the server
 * keeps is shadowed here (f->pos; nobody else has this open file) and
 * the size as far as we know it (f->size_hint).
 */
static int go_mapped(struct kfile *f)
{
	/* Mapped before, until another open file came: back once it went
	 * (a load from the kept window's meta page until then). */
	if (f->map_watch)
		return k42_mapped_reattach(f) == 0;
	if (!f->map_try || !f->io_calls)
		return 0;
	f->map_try = 0;
	return k42_mapped_attach(f) == 0;
}

static long io(struct kfile *f, void *buf, size_t n, int64_t off, int write)
{
	uint64_t at = off >= 0 ? (uint64_t)off : f->pos;
	long rc = rw(f, buf, n, off, write);

	if (!f->map_try || rc < 0)
		return rc;
	if (off < 0)
		f->pos += (uint64_t)rc;
	if (write ? at + (uint64_t)rc <= f->size_hint : (uint64_t)rc == n && n)
		f->io_calls++;
	if (write && at + (uint64_t)rc > f->size_hint)
		f->size_hint = at + (uint64_t)rc;
	return rc;
}

static long r_read(struct kfile *f, void *buf, size_t n)
{
	if (go_mapped(f))
		return f->ops->read(f, buf, n);
	return io(f, buf, n, -1, 0);
}

static long r_write(struct kfile *f, const void *buf, size_t n)
{
	if (go_mapped(f))
		return f->ops->write(f, buf, n);
	return io(f, (void *)buf, n, -1, 1);
}

static long r_pread(struct kfile *f, void *buf, size_t n, int64_t off)
{
	if (go_mapped(f))
		return f->ops->pread(f, buf, n, off);
	return io(f, buf, n, off, 0);
}

static long r_pwrite(struct kfile *f, const void *buf, size_t n, int64_t off)
{
	if (go_mapped(f))
		return f->ops->pwrite(f, buf, n, off);
	return io(f, (void *)buf, n, off, 1);
}

static int64_t r_lseek(struct kfile *f, int64_t off, int whence)
{
	uint64_t pos;
	long rc;

	/* A directory's offset is its listing's next index (the d_off of
	 * the Linux personality's records): SEEK_SET starts the listing
	 * there (rewinddir, seekdir), SEEK_CUR tells it (telldir). */
	if (f->dirpath) {
		int64_t at = whence == K42_SEEK_SET ? off
			     : whence == K42_SEEK_CUR ? (int64_t)f->cursor + off : -1;

		if (at < 0 || at > (int64_t)UINT32_MAX)
			return -K42_EINVAL;
		f->cursor = (uint32_t)at;
		return at;
	}
	rc = fs_seek(f->server, f->handle, off, (uint32_t)whence, &pos);

	if (rc < 0)
		return rc;
	f->pos = pos;
	return (int64_t)pos;
}

static int r_fstat(struct kfile *f, struct k42_stat *st)
{
	struct fs_stat s;
	long rc = fs_fstat(f->server, f->handle, &s);

	if (rc == 0)
		k42_stat_from_fs(f->mount, &s, st);
	return (int)rc;
}

static int r_truncate(struct kfile *f, uint64_t size)
{
	long rc = fs_truncate(f->server, f->handle, size);

	if (rc == 0)
		f->size_hint = size;
	return (int)rc;
}

static int r_fsync(struct kfile *f)
{
	return (int)fs_fsync(f->server, f->handle);
}

static long r_getdents(struct kfile *f, void *buf, size_t n)
{
	static const uint8_t dt[] = { 0, 8, 4, 10, 2, 1 };
	uint8_t *out = buf;
	size_t used = 0;
	char name[FS_NAME_MAX + 1];

	for (;;) {
		uint64_t ino;
		fs_kind_t kind;
		long rc;

		/* Ask for an entry only when the longest name would fit: one
		 * taken and not returned must be asked for again, and a
		 * listing may have removed entries meanwhile (rm -r), which
		 * a server may then count differently. */
		if (used && used + ((sizeof(struct k42_dirent) + FS_NAME_MAX + 1 + 7) & ~7ul) > n)
			break;
		rc = fs_readdir(f->server, f->handle, f->cursor, name, sizeof(name), &ino, &kind);
		size_t reclen;
		struct k42_dirent *d;

		if (rc == -K42_ENOENT)
			break;
		if (rc < 0)
			return used ? (long)used : rc;
		reclen = (sizeof(struct k42_dirent) + strlen(name) + 1 + 7) & ~7ul;
		if (used + reclen > n)
			return used ? (long)used : -K42_EINVAL;
		d = (struct k42_dirent *)(out + used);
		d->ino = ino;
		d->reclen = (uint16_t)reclen;
		d->type = kind < 6 ? dt[kind] : 0;
		path_strcpy(d->name, name);
		used += reclen;
		f->cursor++;
	}
	return (long)used;
}

static int r_poll(struct kfile *f, int events, int arm)
{
	(void)f;
	(void)arm;
	/* Regular files and directories are always ready (POSIX). */
	return events & (K42_POLLIN | K42_POLLOUT);
}

static int r_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	uint64_t h;
	long rc;

	/* Shared with a child: the offset stays on the server for good. */
	f->map_try = 0;
	if (f->map_va)
		(void)k42_mapped_detach(f);
	if ((rc = fs_share(f->server, f->handle, pid, &h)) < 0)
		return (int)rc;
	e->kind = FDX_REMOTE;
	e->aux = f->mount;
	e->server = f->server;
	e->handle = h;
	return 0;
}

long k42_remote_import(struct kfile *f, const struct fd_export *e)
{
	f->mount = e->aux;
	f->server = e->server;
	f->handle = e->handle;
	return 0;
}

static void r_release(struct kfile *f)
{
	k42_mapped_release(f);	/* a window left from before a detach */
	if (fs_close(f->server, f->handle) < 0) {
		/* nothing to do about it */
	}
}

const struct kfile_ops k42_remote_ops = {
	.read = r_read,
	.write = r_write,
	.pread = r_pread,
	.pwrite = r_pwrite,
	.lseek = r_lseek,
	.fstat = r_fstat,
	.truncate = r_truncate,
	.fsync = r_fsync,
	.getdents = r_getdents,
	.poll = r_poll,
	.export = r_export,
	.release = r_release,
};
