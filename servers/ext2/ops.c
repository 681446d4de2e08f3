/*
 * Operations on paths inside the mount (libk42 resolved ".", ".." and
 * symlinks before sending them): walking, creating, removing, renaming
 * and linking, each ordered so that a crash in the middle leaves only
 * what e2fsck repairs without losing a completed operation: a new inode
 * is written before the entry naming it, an entry is removed before its
 * inode is freed, and rename adds the new name before removing the old
 * (docs/storage.md, "Ordering"). Also the inodes held open, so a file
 * unlinked while open lives until its last close.
 */
#include <string.h>
#include "ext2.h"

#define LINK_MAX_ 65000

static int is_dir(const struct ext2_inode *in)
{
	return (in->mode & S_IFMT_) == S_IFDIR_;
}

long e2_walk(struct ext2_fs *fs, const char *path, uint32_t *done, int *err, uint32_t *ino,
	     struct ext2_inode *in)
{
	size_t pos = 0;
	long rc;

	*err = 0;
	*ino = EXT2_ROOT_INO;
	if ((rc = iget(fs, *ino, in)) < 0)
		return rc;
	while (path[pos]) {
		size_t start = pos;
		uint32_t child;

		while (path[pos] && path[pos] != '/')
			pos++;
		if (!is_dir(in) || pos == start) {
			*done = (uint32_t)start;
			*err = pos == start ? -K42_EINVAL : -K42_ENOTDIR;
			*ino = 0;
			return 0;
		}
		rc = e2_may(fs, in, E2_MAY_X);	/* searching a directory */
		if (rc == 0)
			rc = dir_lookup(fs, in, path + start, pos - start, &child);
		if (rc == -K42_ENOENT || rc == -K42_EACCES) {
			*done = (uint32_t)start;
			*err = rc;
			*ino = 0;
			return 0;
		}
		if (rc < 0 || (rc = iget(fs, child, in)) < 0)
			return rc;
		*ino = child;
		if (path[pos] == '/')
			pos++;
		if ((in->mode & S_IFMT_) == S_IFLNK_)
			break;
	}
	*done = (uint32_t)pos;
	return 0;
}

long e2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino, struct ext2_inode *in)
{
	uint32_t done;
	int err;
	long rc = e2_walk(fs, path, &done, &err, ino, in);

	if (rc < 0)
		return rc;
	if (err < 0)
		return err;
	return path[done] ? -K42_ELOOP : 0;	/* a symlink inside: the client resolves those */
}

/* The directory holding path's last component, and that component. */
static long parent_of(struct ext2_fs *fs, const char *path, uint32_t *dino, struct ext2_inode *dir,
		      const char **name, size_t *len)
{
	const char *slash = strrchr(path, '/');
	char buf[1024];
	long rc;

	if (!path[0])
		return -K42_EBUSY;	/* the root itself */
	if (!slash) {
		buf[0] = 0;
		*name = path;
	} else {
		size_t pl = (size_t)(slash - path);

		if (pl >= sizeof(buf))
			return -K42_ENAMETOOLONG;
		memcpy(buf, path, pl);
		buf[pl] = 0;
		*name = slash + 1;
	}
	*len = strlen(*name);
	if (*len > EXT2_NAME_MAX)
		return -K42_ENAMETOOLONG;
	if (*len == 0)
		return -K42_EINVAL;
	if ((rc = e2_lookup(fs, buf, dino, dir)) < 0)
		return rc;
	if (!is_dir(dir))
		return -K42_ENOTDIR;
	if (!dir->links_count)
		return -K42_ENOENT;	/* removed while someone stood in it */
	/* Every caller changes this directory: write and search. */
	return e2_may(fs, dir, E2_MAY_W | E2_MAY_X);
}

static struct ext2_open *find_open(struct ext2_fs *fs, uint32_t ino)
{
	for (uint32_t i = 0; i < fs->nopen; i++)
		if (fs->open[i].ino == ino)
			return &fs->open[i];
	return NULL;
}

void e2_opened(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_open *o = find_open(fs, ino);

	if (o) {
		o->count++;
		return;
	}
	if (fs->nopen == fs->open_cap) {
		uint32_t cap = fs->open_cap ? fs->open_cap * 2 : 16;
		struct ext2_open *n = realloc(fs->open, cap * sizeof(*n));

		if (!n)
			return;	/* not tracked: an unlink frees it at once */
		fs->open = n;
		fs->open_cap = cap;
	}
	fs->open[fs->nopen++] = (struct ext2_open){ ino, 1, 0 };
}

static long free_orphan(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode in;
	long rc = e2_begin(fs);

	if (rc == 0 && (rc = iget(fs, ino, &in)) == 0 && !in.links_count)
		rc = ifree_all(fs, ino, &in);
	return e2_end(fs, rc);
}

long e2_closed(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_open *o = find_open(fs, ino);
	int orphan;

	if (!o || --o->count)
		return 0;
	orphan = o->orphan;
	*o = fs->open[--fs->nopen];
	return orphan ? free_orphan(fs, ino) : 0;
}

long e2_reap(struct ext2_fs *fs)
{
	long rc = 0;

	for (uint32_t i = 0; i < fs->nopen; i++) {
		if (fs->open[i].orphan) {
			long r = free_orphan(fs, fs->open[i].ino);

			fs->open[i].orphan = 0;
			if (r < 0)
				rc = r;
		}
	}
	return rc;
}

/* One link of ino is gone; free it when none is left and nobody has it open. */
static long drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	struct ext2_open *o;

	if (is_dir(in) || in->links_count <= 1)
		in->links_count = 0;
	else
		in->links_count--;
	in->ctime = fs->now();
	if (in->links_count)
		return iput(fs, ino, in);
	if ((o = find_open(fs, ino))) {
		o->orphan = 1;
		return iput(fs, ino, in);
	}
	return ifree_all(fs, ino, in);
}

long e2_create(struct ext2_fs *fs, const char *path, uint16_t mode, const char *target,
	       uint32_t *out)
{
	struct ext2_inode dir, in;
	uint32_t dino, ino, existing, t = fs->now();
	const char *name;
	size_t len;
	int isdir = (mode & S_IFMT_) == S_IFDIR_;
	long rc;

	if ((rc = parent_of(fs, path, &dino, &dir, &name, &len)) < 0)
		return rc == -K42_EBUSY ? -K42_EEXIST : rc;
	if ((rc = dir_lookup(fs, &dir, name, len, &existing)) != -K42_ENOENT)
		return rc < 0 ? rc : -K42_EEXIST;
	if (isdir && dir.links_count >= LINK_MAX_)
		return -K42_EMLINK;
	if ((rc = ialloc(fs, dino, isdir, &ino)) < 0)
		return rc;
	memset(&in, 0, sizeof(in));
	in.mode = mode;
	e2_set_owner(&in, fs->uid, fs->gid);	/* the caller's (0 for the host tests) */
	in.atime = in.ctime = in.mtime = t;
	in.links_count = isdir ? 2 : 1;
	if (isdir || (target && strlen(target) >= sizeof(in.block))) {
		/* The first block: "." and "..", or the symlink's target. */
		uint32_t blk;
		struct buf *b;

		if ((rc = balloc(fs, fs->gd[(ino - 1) / fs->sb.inodes_per_group].inode_table, &blk)) < 0)
			goto undo_inode;
		if ((rc = bzero_new(fs, blk, &b)) < 0) {
			(void)bfree(fs, blk);
			goto undo_inode;
		}
		if (isdir) {
			struct ext2_dirent *e = (struct ext2_dirent *)b->data;

			e->inode = ino, e->rec_len = 12, e->name_len = 1, e->file_type = FT_DIR;
			e->name[0] = '.';
			e = (struct ext2_dirent *)(b->data + 12);
			e->inode = dino, e->rec_len = (uint16_t)(fs->bs - 12), e->name_len = 2;
			e->file_type = FT_DIR;
			memcpy(e->name, "..", 2);
			in.size = fs->bs;
		} else {
			in.size = (uint32_t)strlen(target);
			memcpy(b->data, target, in.size);
		}
		if (!(fs->sb.feature_incompat & EXT2_INCOMPAT_FILETYPE) && isdir) {
			((struct ext2_dirent *)b->data)->file_type = 0;
			((struct ext2_dirent *)(b->data + 12))->file_type = 0;
		}
		bdirty(fs, b, B_ALLOC);
		brelse(fs, b);
		in.block[0] = blk;
		in.blocks = fs->spb;
	} else if (target) {
		in.size = (uint32_t)strlen(target);
		memcpy(in.block, target, in.size);
	}
	if ((rc = inew(fs, ino, &in)) < 0 ||
	    (rc = dir_add(fs, dino, &dir, name, len, ino, ftype_of(mode))) < 0)
		goto undo_all;
	if (isdir) {
		dir.links_count++;
		if ((rc = iput(fs, dino, &dir)) < 0)
			return rc;
	}
	if (out)
		*out = ino;
	return 0;
undo_all:
	in.links_count = 0;
	return ifree_all(fs, ino, &in) < 0 ? -K42_EIO : rc;
undo_inode:
	(void)ifree(fs, ino, isdir);
	return rc;
}

long e2_unlink(struct ext2_fs *fs, const char *path, int want_dir)
{
	struct ext2_inode dir, in;
	uint32_t dino, ino;
	const char *name;
	size_t len;
	long rc;

	if ((rc = parent_of(fs, path, &dino, &dir, &name, &len)) < 0)
		return rc;
	if ((rc = dir_lookup(fs, &dir, name, len, &ino)) < 0 || (rc = iget(fs, ino, &in)) < 0)
		return rc;
	if (want_dir && !is_dir(&in))
		return -K42_ENOTDIR;
	if (!want_dir && is_dir(&in))
		return -K42_EISDIR;
	if (want_dir && (rc = dir_empty(fs, &in)) <= 0)
		return rc < 0 ? rc : -K42_ENOTEMPTY;
	if ((rc = dir_remove(fs, dino, &dir, name, len)) < 0)
		return rc;
	if (want_dir) {
		if (dir.links_count > 2)
			dir.links_count--;
		if ((rc = iput(fs, dino, &dir)) < 0)
			return rc;
	}
	return drop_link(fs, ino, &in);
}

long e2_rename(struct ext2_fs *fs, const char *from, const char *to)
{
	struct ext2_inode fdir, tdir, in, old, *td = &tdir;
	uint32_t fdino, tdino, ino, oino;
	const char *fname, *tname;
	size_t fl, tl, froml = strlen(from);
	long rc;

	if ((rc = parent_of(fs, from, &fdino, &fdir, &fname, &fl)) < 0 ||
	    (rc = parent_of(fs, to, &tdino, &tdir, &tname, &tl)) < 0)
		return rc;
	if (tdino == fdino)
		td = &fdir;	/* one directory: one copy of its inode */
	if ((rc = dir_lookup(fs, &fdir, fname, fl, &ino)) < 0 || (rc = iget(fs, ino, &in)) < 0)
		return rc;
	if (is_dir(&in) && strncmp(to, from, froml) == 0 && (to[froml] == '/' || !to[froml]))
		return to[froml] ? -K42_EINVAL : 0;	/* into its own subtree */
	rc = dir_lookup(fs, td, tname, tl, &oino);
	if (rc < 0 && rc != -K42_ENOENT)
		return rc;
	if (rc == 0) {
		if (oino == ino)
			return 0;	/* the same file: nothing happens */
		if ((rc = iget(fs, oino, &old)) < 0)
			return rc;
		if (is_dir(&in) && !is_dir(&old))
			return -K42_ENOTDIR;
		if (!is_dir(&in) && is_dir(&old))
			return -K42_EISDIR;
		if (is_dir(&old) && (rc = dir_empty(fs, &old)) <= 0)
			return rc < 0 ? rc : -K42_ENOTEMPTY;
		/* The new name points at the file before the old name goes. */
		if ((rc = dir_retarget(fs, tdino, td, tname, tl, ino, ftype_of(in.mode))) < 0)
			return rc;
		if (is_dir(&old) && td->links_count > 2)
			td->links_count--;
		if ((rc = drop_link(fs, oino, &old)) < 0)
			return rc;
	} else if ((rc = dir_add(fs, tdino, td, tname, tl, ino, ftype_of(in.mode))) < 0) {
		return rc;
	}
	if ((rc = dir_remove(fs, fdino, &fdir, fname, fl)) < 0)
		return rc;
	if (is_dir(&in) && fdino != tdino) {
		if ((rc = dir_retarget(fs, ino, &in, "..", 2, tdino, FT_DIR)) < 0)
			return rc;
		if (fdir.links_count > 2)
			fdir.links_count--;
		td->links_count++;
		if ((rc = iput(fs, fdino, &fdir)) < 0)
			return rc;
	}
	if ((rc = iput(fs, tdino, td)) < 0)
		return rc;
	in.ctime = fs->now();
	return iput(fs, ino, &in);
}

long e2_link(struct ext2_fs *fs, const char *from, const char *to)
{
	struct ext2_inode dir, in;
	uint32_t dino, ino, existing;
	const char *name;
	size_t len;
	long rc;

	if ((rc = e2_lookup(fs, from, &ino, &in)) < 0)
		return rc;
	if (is_dir(&in))
		return -K42_EPERM;
	if (in.links_count >= LINK_MAX_)
		return -K42_EMLINK;
	if ((rc = parent_of(fs, to, &dino, &dir, &name, &len)) < 0)
		return rc == -K42_EBUSY ? -K42_EEXIST : rc;
	if ((rc = dir_lookup(fs, &dir, name, len, &existing)) != -K42_ENOENT)
		return rc < 0 ? rc : -K42_EEXIST;
	/* The count first: a crash then leaves a count too high, which e2fsck lowers. */
	in.links_count++;
	in.ctime = fs->now();
	if ((rc = iput(fs, ino, &in)) < 0)
		return rc;
	return dir_add(fs, dino, &dir, name, len, ino, ftype_of(in.mode));
}
