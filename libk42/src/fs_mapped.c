/*
 * Unshared regular files, mapped (docs/files.md, "Mapped files"): the
 * paper's fast path. A file whose only open file is ours is mapped
 * through its FR (fs.idl `map`, `mem_map_file`) into a window of this
 * process; read, write, pread, pwrite and lseek then copy to and from
 * that memory and keep the offset here, with no call to the server. The
 * server keeps the window's last page (the meta page: size, shared)
 * current and takes the pages we dirty back on fsync, close and eviction.
 *
 * The switch point between the two implementations of an open regular
 * file is the ops pointer of its kfile: k42_remote_ops (shared: data and
 * offset on the server) or k42_mapped_ops (unshared: here).
 * This is a hot swap of the open file object between its unshared and
 * shared implementations (docs/hot-swap.md, "The file layer"):
 *  - k42_mapped_attach: remote -> mapped, tried once a remote regular
 *    file has made a call a mapping would serve (fs_remote.c);
 *  - to_shared: mapped -> remote when the meta page says another open
 *    file came; the window stays (map_watch), so its meta page says when
 *    the other went, and k42_mapped_reattach (at the next remote read or
 *    write) takes the mapped form back;
 *  - k42_mapped_detach: mapped -> remote for good, window given up (the
 *    descriptor shared with a child, or an access that leaves the window).
 * Nothing else in the file layer knows which one a file uses. Threads of
 * the process may use the file meanwhile: an access inside the window
 * counts itself (map_busy) before it looks at the meta page, and the
 * window goes only once no access is inside it. Data stays coherent in
 * either form, as the FCM's pages are the file's cache: the server
 * writes what it is sent into them and takes back what we dirtied
 * before it reads for anyone. What moves at a switch is the offset.
 *
 * Writes that would grow the file go to the server (it charges the space
 * and may say ENOSPC), which also writes them into our resident pages.
 */
#include <string.h>
#include <k42/k42.h>
#include "fsint.h"
#include "fs.h"

/* Windows: FS_MAP_WINDOW bytes each, in the range the Linux personality
 * keeps from programs with the pipe buffers (lx.h LX_PIPES_*). */
#define MAP_VA     0x0000084000000000ul
#define MAP_SLOTS  64
#define META_OFF   (FS_MAP_WINDOW - K42_PAGE_SIZE)

static uint64_t slot_bits;	/* one bit per window */
static uint64_t nomap_mounts;	/* mounts that answered ENOSYS to map */

static uint64_t slot_get(void)
{
	for (int i = 0; i < MAP_SLOTS; i++) {
		uint64_t bit = 1ull << i;

		if (!(__atomic_fetch_or(&slot_bits, bit, __ATOMIC_ACQ_REL) & bit))
			return MAP_VA + (uint64_t)i * FS_MAP_WINDOW;
	}
	return 0;
}

static void slot_put(uint64_t va)
{
	__atomic_fetch_and(&slot_bits, ~(1ull << ((va - MAP_VA) / FS_MAP_WINDOW)), __ATOMIC_ACQ_REL);
}

static const volatile struct fs_map_meta *meta(struct kfile *f)
{
	return (const volatile struct fs_map_meta *)(f->map_va + META_OFF);
}

static void unmap(struct kfile *f)
{
	f->map_watch = 0;
	if (!f->map_va)
		return;
	(void)k42_sc_mem_unmap(k42_fs_self_pid(), f->map_va, FS_MAP_WINDOW);
	slot_put(f->map_va);
	f->map_va = 0;
}

/* An access inside the window begins or ends. The last one out unmaps a
 * window that was given up meanwhile. */
static void enter(struct kfile *f)
{
	__atomic_add_fetch(&f->map_busy, 1, __ATOMIC_ACQ_REL);
}

static void leave(struct kfile *f)
{
	if (__atomic_sub_fetch(&f->map_busy, 1, __ATOMIC_ACQ_REL) == 0 &&
	    f->ops != &k42_mapped_ops && !f->map_watch)
		unmap(f);	/* detached while we were copying */
}

int k42_mapped_attach(struct kfile *f)
{
	uint64_t fr, va;
	unsigned prot = K42_PROT_READ;
	long rc;

	if (f->mount >= 0 && f->mount < 64 && (nomap_mounts >> f->mount & 1))
		return -K42_ENOSYS;
	rc = fs_map(f->server, f->handle, &fr);
	if (rc == -K42_ENOSYS && f->mount >= 0 && f->mount < 64)
		nomap_mounts |= 1ull << f->mount;
	if (rc < 0)
		return (int)rc;
	if (!(va = slot_get()))
		return -K42_ENOMEM;
	if ((f->flags & K42_O_ACCMODE) != K42_O_RDONLY)
		prot |= K42_PROT_WRITE;
	if ((rc = k42_sc_mem_map_file(k42_fs_self_pid(), va, FS_MAP_WINDOW, prot, fr)) < 0) {
		slot_put(va);
		return (int)rc;
	}
	/* The offset moves here: f->pos already shadows the server's (fs_remote.c). */
	f->map_va = va;
	f->map_fr = fr;
	f->ops = &k42_mapped_ops;
	return 0;
}

int k42_mapped_detach(struct kfile *f)
{
	uint64_t pos;
	long rc = 0;

	if (f->ops == &k42_mapped_ops) {
		/* The offset goes back to the server; what we wrote is
		 * already in the server's cache, and it takes it back before
		 * anyone reads it. */
		rc = fs_seek(f->server, f->handle, (int64_t)f->pos, 0, &pos);
		f->ops = &k42_remote_ops;
	}
	f->map_watch = 0;
	if (!__atomic_load_n(&f->map_busy, __ATOMIC_ACQUIRE))
		unmap(f);	/* else when the last access in it is over, or at close */
	return rc < 0 ? (int)rc : 0;
}

/* Another open file of the file came: the server's form from now on (the
 * offset goes there), and the window stays to watch the meta page. */
static void to_shared(struct kfile *f)
{
	uint64_t pos;

	if (f->ops != &k42_mapped_ops)
		return;
	if (fs_seek(f->server, f->handle, (int64_t)f->pos, 0, &pos) < 0) {
		(void)k42_mapped_detach(f);	/* the server's offset is unknown: stay there */
		return;
	}
	f->map_watch = 1;
	f->ops = &k42_remote_ops;
}

int k42_mapped_reattach(struct kfile *f)
{
	uint64_t fr, pos;
	long rc;

	if (!f->map_watch)
		return -K42_EBUSY;
	/* One thread switches; the others go on through the server. Counted
	 * as an access, so the window stays while we read its meta page. */
	if (__atomic_exchange_n(&f->map_switch, 1, __ATOMIC_ACQUIRE))
		return -K42_EBUSY;
	enter(f);
	rc = -K42_EBUSY;
	if (!f->map_watch || f->ops != &k42_remote_ops || meta(f)->shared)
		goto out;
	/* The server agrees only while ours is the file's one open file
	 * and not shared with a child; it then clears `shared` itself. */
	rc = fs_map(f->server, f->handle, &fr);
	if (rc == 0 && fr != f->map_fr)
		rc = -K42_EXDEV;	/* another FR: not the pages we map */
	if (rc == 0)
		rc = fs_seek(f->server, f->handle, 0, 1, &pos);
	if (rc < 0) {
		/* Refused: someone opened it again meanwhile (the meta page
		 * will say so) or it cannot be mapped any more (for good). */
		if (rc != -K42_EBUSY)
			(void)k42_mapped_detach(f);
		goto out;
	}
	f->pos = pos;
	f->map_watch = 0;
	f->ops = &k42_mapped_ops;
out:
	leave(f);
	__atomic_store_n(&f->map_switch, 0, __ATOMIC_RELEASE);
	return (int)rc;
}

void k42_mapped_release(struct kfile *f)
{
	unmap(f);
}

int k42_fs_mapped(int fd)
{
	struct kfile *f = k42_fs_get(fd);
	int rc;

	if (!f)
		return -K42_EBADH;
	rc = f->ops == &k42_mapped_ops;
	k42_fs_put(f);
	return rc;
}

/* Still mapped, ours alone, and [off, off + n) inside the window's
 * data? Called inside enter/leave (the window cannot go meanwhile). */
static int usable(struct kfile *f, uint64_t off, uint64_t n)
{
	if (f->ops != &k42_mapped_ops)
		return 0;	/* another thread switched it */
	if (meta(f)->shared) {
		to_shared(f);
		return 0;
	}
	if (off > META_OFF || n > META_OFF - off) {
		(void)k42_mapped_detach(f);
		return 0;
	}
	return 1;
}

static int usable_now(struct kfile *f, uint64_t off, uint64_t n)
{
	int ok;

	enter(f);
	ok = usable(f, off, n);
	leave(f);
	return ok;
}

static long m_pread(struct kfile *f, void *buf, size_t n, int64_t off)
{
	uint64_t size;

	if (off < 0)
		return -K42_EINVAL;
	enter(f);
	if (!usable(f, (uint64_t)off, n)) {
		leave(f);
		return f->ops->pread(f, buf, n, off);
	}
	size = meta(f)->size;
	if ((uint64_t)off >= size)
		n = 0;
	else if (n > size - (uint64_t)off)
		n = size - (uint64_t)off;
	memcpy(buf, (const void *)(f->map_va + (uint64_t)off), n);
	leave(f);
	return (long)n;
}

static long m_pwrite(struct kfile *f, const void *buf, size_t n, int64_t off)
{
	if (off < 0)
		return -K42_EINVAL;
	enter(f);
	if (!usable(f, (uint64_t)off, n)) {
		leave(f);
		return f->ops->pwrite(f, buf, n, off);
	}
	if ((uint64_t)off + n > meta(f)->size) {
		leave(f);
		return k42_remote_ops.pwrite(f, buf, n, off);	/* growth: the server's */
	}
	memcpy((void *)(f->map_va + (uint64_t)off), buf, n);
	leave(f);
	return (long)n;
}

static long m_read(struct kfile *f, void *buf, size_t n)
{
	long rc;

	if (!usable_now(f, f->pos, n))
		return f->ops->read(f, buf, n);
	rc = m_pread(f, buf, n, (int64_t)f->pos);
	if (rc > 0)
		f->pos += (uint64_t)rc;
	return rc;
}

static long m_write(struct kfile *f, const void *buf, size_t n)
{
	long rc;

	if (!usable_now(f, f->pos, n))
		return f->ops->write(f, buf, n);
	rc = m_pwrite(f, buf, n, (int64_t)f->pos);
	if (rc > 0)
		f->pos += (uint64_t)rc;
	return rc;
}

static int64_t m_lseek(struct kfile *f, int64_t off, int whence)
{
	int64_t base, size;

	enter(f);
	if (!usable(f, 0, 0)) {
		leave(f);
		return f->ops->lseek(f, off, whence);
	}
	size = (int64_t)meta(f)->size;
	leave(f);
	base = whence == 0 ? 0 : whence == 1 ? (int64_t)f->pos : whence == 2 ? size : -1;
	if (base < 0 || base + off < 0)
		return -K42_EINVAL;
	f->pos = (uint64_t)(base + off);
	return (int64_t)f->pos;
}

static int m_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	/* A child shares the open file, and so its offset: the server's. */
	(void)k42_mapped_detach(f);
	return k42_remote_ops.export(f, pid, e);
}

static void m_release(struct kfile *f)
{
	unmap(f);
	k42_remote_ops.release(f);	/* the server takes the dirty pages back */
}

/* fstat, truncate and fsync are the server's either way: it has the
 * size, and fsync is where it takes our dirty pages back. */
static int m_fstat(struct kfile *f, struct k42_stat *st)
{
	return k42_remote_ops.fstat(f, st);
}

static int m_truncate(struct kfile *f, uint64_t size)
{
	return k42_remote_ops.truncate(f, size);
}

static int m_fsync(struct kfile *f)
{
	return k42_remote_ops.fsync(f);
}

static int m_poll(struct kfile *f, int events, int arm)
{
	return k42_remote_ops.poll(f, events, arm);
}

const struct kfile_ops k42_mapped_ops = {
	.read = m_read,
	.write = m_write,
	.pread = m_pread,
	.pwrite = m_pwrite,
	.lseek = m_lseek,
	.fstat = m_fstat,
	.truncate = m_truncate,
	.fsync = m_fsync,
	.poll = m_poll,
	.export = m_export,
	.release = m_release,
};
