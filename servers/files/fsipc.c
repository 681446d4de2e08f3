/*
 * The boot archive as the root file system: idl/fs.idl served read-only
 * (docs/files.md), registered as "mnt" (the mount at "/"). Open files
 * keep their offset here so descriptors shared with children share it.
 * Every change is -K42_EROFS. Runs on the upcall stack like ipc.c.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include "files.h"
#include "fs.h"

struct ofile {
	int node;
	uint64_t off;
	uint32_t refs;
};

static void to_stat(const struct node *n, struct fs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = n->size;
	st->ino = n->st.ino ? n->st.ino : (uint64_t)(n - archive_node(0)) + 1;
	st->mtime = st->atime = st->ctime = n->st.mtime * 1000000000ull;
	st->mode = n->st.mode & 07777;
	st->nlink = n->st.nlink ? n->st.nlink : 1;
	st->kind = (fs_kind_t)n->st.kind;
	/* A regular file's data in whole pages, as Linux's initramfs (tmpfs) */
	if (st->kind == FS_KIND_REGULAR)
		st->blocks = (n->size + 4095) / 4096 * 8;
}

long fs_walk_impl(const struct k42_ipc_caller *c, const char *path, uint32_t *done, int32_t *err,
		  struct fs_stat *st, char *link, uint32_t link_cap)
{
	char prefix[FS_PATH_MAX + 1];
	struct node *n = archive_node(0);
	size_t pos = 0;

	(void)c;
	*err = 0;
	link[0] = 0;
	memset(st, 0, sizeof(*st));
	while (path[pos]) {
		size_t start = pos;
		int i;

		while (path[pos] && path[pos] != '/')
			pos++;
		if (n->st.kind != FILE_KIND_DIRECTORY) {
			*done = (uint32_t)start;
			*err = -K42_ENOTDIR;
			return 0;
		}
		memcpy(prefix, path, pos);
		prefix[pos] = 0;
		if ((i = archive_lookup(prefix)) < 0) {
			*done = (uint32_t)start;
			*err = -K42_ENOENT;
			return 0;
		}
		n = archive_node(i);
		if (path[pos] == '/')
			pos++;
		if (n->st.kind == FILE_KIND_SYMLINK) {
			if (n->size < link_cap) {
				memcpy(link, n->data, n->size);
				link[n->size] = 0;
			}
			break;
		}
	}
	*done = (uint32_t)pos;
	to_stat(n, st);
	return 0;
}

static long get(const struct k42_ipc_caller *c, k42_handle_t h, struct ofile **of, struct node **n)
{
	void *obj;
	long rc = k42_obj_check(h, c->pid, 0, NULL, &obj);

	if (rc < 0)
		return rc;
	*of = obj;
	*n = archive_node((*of)->node);
	return 0;
}

long fs_open_impl(const struct k42_ipc_caller *c, const char *path, uint32_t flags, uint32_t mode,
		  k42_handle_t *f, struct fs_stat *st)
{
	int i = archive_lookup(path);
	struct ofile *of;

	(void)mode;
	if (i < 0)
		return (flags & 0100) ? -K42_EROFS : i;
	if ((flags & 03) || (flags & 01000))
		return -K42_EROFS;
	if ((flags & 040000) && archive_node(i)->st.kind != FILE_KIND_DIRECTORY)
		return -K42_ENOTDIR;
	if (!(of = malloc(sizeof(*of))))
		return -K42_ENOMEM;
	of->node = i;
	of->off = 0;
	of->refs = 1;
	if (!(*f = k42_obj_grant(of, c->pid, FS_RIGHT_READ))) {
		free(of);
		return -K42_ENOMEM;
	}
	to_stat(archive_node(i), st);
	return 0;
}

long fs_read_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t count,
		  uint8_t *data, uint32_t cap, uint32_t *len)
{
	struct ofile *of;
	struct node *n;
	long rc = get(c, f, &of, &n);
	uint64_t at, k;

	if (rc < 0)
		return rc;
	if (n->st.kind == FILE_KIND_DIRECTORY)
		return -K42_EISDIR;
	if (offset < -1)
		return -K42_EINVAL;
	at = offset == -1 ? of->off : (uint64_t)offset;
	k = at >= n->size ? 0 : n->size - at;
	if (k > count)
		k = count;
	if (k > cap)
		k = cap;
	memcpy(data, n->data + at, k);
	if (offset == -1)
		of->off = at + k;
	*len = (uint32_t)k;
	return 0;
}

long fs_write_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset,
		   const uint8_t *data, uint32_t len, uint32_t *written)
{
	(void)c, (void)f, (void)offset, (void)data, (void)len, (void)written;
	return -K42_EROFS;
}

long fs_seek_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t whence,
		  uint64_t *pos)
{
	struct ofile *of;
	struct node *n;
	long rc = get(c, f, &of, &n);
	int64_t base;

	if (rc < 0)
		return rc;
	base = whence == 0 ? 0 : whence == 1 ? (int64_t)of->off : whence == 2 ? (int64_t)n->size : -1;
	if (base < 0 || base + offset < 0)
		return -K42_EINVAL;
	of->off = (uint64_t)(base + offset);
	*pos = of->off;
	return 0;
}

long fs_fstat_impl(const struct k42_ipc_caller *c, k42_handle_t f, struct fs_stat *st)
{
	struct ofile *of;
	struct node *n;
	long rc = get(c, f, &of, &n);

	if (rc == 0)
		to_stat(n, st);
	return rc;
}

long fs_truncate_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t size)
{
	(void)c, (void)f, (void)size;
	return -K42_EROFS;
}

long fs_fsync_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	struct node *n;

	return get(c, f, &of, &n);
}

long fs_readdir_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t index, char *name,
		     uint32_t name_cap, uint64_t *ino, fs_kind_t *kind)
{
	struct ofile *of;
	struct node *n, *e;
	long rc = get(c, f, &of, &n);
	int i;

	if (rc < 0)
		return rc;
	if (n->st.kind != FILE_KIND_DIRECTORY)
		return -K42_ENOTDIR;
	if (index < 2) {
		const char *s = index ? ".." : ".";

		memcpy(name, s, strlen(s) + 1);
		*ino = (uint64_t)of->node + 1;
		*kind = FS_KIND_DIRECTORY;
		return 0;
	}
	if ((i = archive_child(of->node, index - 2)) < 0)
		return i;
	e = archive_node(i);
	if (strlen(e->base) >= name_cap)
		return -K42_E2BIG;
	memcpy(name, e->base, strlen(e->base) + 1);
	*ino = e->st.ino ? e->st.ino : (uint64_t)i + 1;
	*kind = (fs_kind_t)e->st.kind;
	return 0;
}

long fs_close_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	struct node *n;
	long rc = get(c, f, &of, &n);

	if (rc < 0)
		return rc;
	k42_obj_revoke(f);
	if (--of->refs == 0)
		free(of);
	return 0;
}

long fs_share_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t pid, k42_handle_t *g)
{
	struct ofile *of;
	struct node *n;
	long rc = get(c, f, &of, &n);

	if (rc < 0)
		return rc;
	if (!pid || !(*g = k42_obj_grant(of, pid, FS_RIGHT_READ)))
		return pid ? -K42_ENOMEM : -K42_EINVAL;
	of->refs++;
	return 0;
}

long fs_mkdir_impl(const struct k42_ipc_caller *c, const char *p, uint32_t m)
{
	(void)c, (void)p, (void)m;
	return -K42_EROFS;
}

long fs_unlink_impl(const struct k42_ipc_caller *c, const char *p)
{
	(void)c, (void)p;
	return -K42_EROFS;
}

long fs_rmdir_impl(const struct k42_ipc_caller *c, const char *p)
{
	(void)c, (void)p;
	return -K42_EROFS;
}

long fs_rename_impl(const struct k42_ipc_caller *c, const char *a, const char *b)
{
	(void)c, (void)a, (void)b;
	return -K42_EROFS;
}

long fs_link_impl(const struct k42_ipc_caller *c, const char *a, const char *b)
{
	(void)c, (void)a, (void)b;
	return -K42_EROFS;
}

long fs_symlink_impl(const struct k42_ipc_caller *c, const char *a, const char *b)
{
	(void)c, (void)a, (void)b;
	return -K42_EROFS;
}

long fs_chmod_impl(const struct k42_ipc_caller *c, const char *p, uint32_t m)
{
	(void)c, (void)p, (void)m;
	return -K42_EROFS;
}

long fs_utimes_impl(const struct k42_ipc_caller *c, const char *p, uint64_t a, uint64_t m)
{
	(void)c, (void)p, (void)a, (void)m;
	return -K42_EROFS;
}

long fs_mknod_impl(const struct k42_ipc_caller *c, const char *p, uint32_t m, uint32_t r)
{
	(void)c, (void)p, (void)m, (void)r;
	return -K42_EROFS;
}

long fs_statfs_impl(const struct k42_ipc_caller *c, uint64_t *used, uint64_t *limit,
		    uint32_t *bsize, uint64_t *reserved, uint64_t *files, uint64_t *ffree)
{
	(void)c;
	*used = k42_initrd_bytes();
	*limit = 0;
	*bsize = 4096;	/* pages */
	*reserved = *files = *ffree = 0;
	return 0;
}

long fs_sync_impl(const struct k42_ipc_caller *c)
{
	/* Nothing is kept anywhere but here: there is nothing to write. */
	(void)c;
	return 0;
}

long fs_map_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t *fr)
{
	/* The archive's files are mapped read-only through file.idl's map;
	 * the writable mapping protocol is tmpfs's. */
	(void)c;
	(void)f;
	(void)fr;
	return -K42_ENOSYS;
}

long fs_fifo_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t arm, uint32_t *readers,
		  uint32_t *writers, uint32_t *avail, uint32_t *room, uint32_t *since)
{
	/* The archive holds no named pipes. */
	(void)c, (void)f, (void)arm, (void)readers, (void)writers, (void)avail, (void)room, (void)since;
	return -K42_ENOSYS;
}
