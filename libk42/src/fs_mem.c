/*
 * Files made of bytes this process holds (docs/files.md): a read-only,
 * seekable snapshot behind a descriptor, made by k42_open_memory. The
 * Linux personality's /proc files are these. A directory's bytes are
 * struct k42_dirent records, which getdents hands out in order. fork
 * copies them with the rest of the memory; spawn does not pass them on.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/alloc.h>
#include "fsint.h"

struct memfile {
	uint8_t *data;
	uint64_t len, off, ino;
	uint32_t mode;
};

static struct memfile *mf(struct kfile *f)
{
	return f->priv;
}

static long m_pread(struct kfile *f, void *buf, size_t n, int64_t off)
{
	struct memfile *m = mf(f);

	if ((m->mode & K42_S_IFMT) == K42_S_IFDIR)
		return -K42_EISDIR;
	if (off < 0)
		return -K42_EINVAL;
	if ((uint64_t)off >= m->len)
		return 0;
	if (n > m->len - (uint64_t)off)
		n = m->len - (uint64_t)off;
	memcpy(buf, m->data + off, n);
	return (long)n;
}

static long m_read(struct kfile *f, void *buf, size_t n)
{
	long rc = m_pread(f, buf, n, (int64_t)mf(f)->off);

	if (rc > 0)
		mf(f)->off += (uint64_t)rc;
	return rc;
}

static long m_write(struct kfile *f, const void *buf, size_t n)
{
	(void)f, (void)buf, (void)n;
	return -K42_EBADH;	/* opened read-only */
}

static int64_t m_lseek(struct kfile *f, int64_t off, int whence)
{
	struct memfile *m = mf(f);
	int64_t base = whence == K42_SEEK_SET ? 0 : whence == K42_SEEK_CUR ? (int64_t)m->off :
		       whence == K42_SEEK_END ? (int64_t)m->len : -1;

	if (base < 0 || base + off < 0)
		return -K42_EINVAL;
	m->off = (uint64_t)(base + off);
	return (int64_t)m->off;
}

static int m_fstat(struct kfile *f, struct k42_stat *st)
{
	struct memfile *m = mf(f);
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), tb = k42_timebase();

	memset(st, 0, sizeof(*st));
	st->mode = m->mode;
	st->ino = m->ino;
	st->nlink = (m->mode & K42_S_IFMT) == K42_S_IFDIR ? 2 : 1;
	st->size = (m->mode & K42_S_IFMT) == K42_S_IFDIR ? 0 : m->len;
	st->atime_ns = st->mtime_ns = st->ctime_ns = tb / hz * 1000000000ull + tb % hz * 1000000000ull / hz;
	return 0;
}

/* Whole records from the offset, as many as fit in n. */
static long m_getdents(struct kfile *f, void *buf, size_t n)
{
	struct memfile *m = mf(f);
	uint64_t at = m->off, end = m->off;

	if ((m->mode & K42_S_IFMT) != K42_S_IFDIR)
		return -K42_ENOTDIR;
	while (end < m->len) {
		const struct k42_dirent *d = (const struct k42_dirent *)(m->data + end);

		if (d->reclen == 0 || end + d->reclen > m->len || end + d->reclen - at > n)
			break;
		end += d->reclen;
	}
	if (end == at && at < m->len)
		return -K42_EINVAL;	/* the next record does not fit */
	memcpy(buf, m->data + at, end - at);
	m->off = end;
	return (long)(end - at);
}

static int m_poll(struct kfile *f, int events, int arm)
{
	(void)f, (void)arm;
	return events & (K42_POLLIN | K42_POLLOUT);
}

static void m_release(struct kfile *f)
{
	free(mf(f)->data);
	free(mf(f));
}

static const struct kfile_ops mem_ops = {
	.read = m_read,
	.write = m_write,
	.pread = m_pread,
	.lseek = m_lseek,
	.fstat = m_fstat,
	.getdents = m_getdents,
	.poll = m_poll,
	.release = m_release,
};

int k42_open_memory(const void *data, size_t len, uint32_t mode, uint64_t ino, int flags)
{
	struct memfile *m = calloc(1, sizeof(*m));
	struct kfile *f;

	if (!m || !(m->data = malloc(len ? len : 1))) {
		free(m);
		return -K42_ENOMEM;
	}
	memcpy(m->data, data, len);
	m->len = len;
	m->mode = mode;
	m->ino = ino;
	f = k42_kfile_new(&mem_ops, K42_O_RDONLY);
	if (!f) {
		free(m->data);
		free(m);
		return -K42_ENOMEM;
	}
	f->priv = m;
	return k42_fs_install(f, flags & K42_O_CLOEXEC);	/* on failure, released */
}
