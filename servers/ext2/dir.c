/*
 * Directories: linear lists of variable-length entries in the
 * directory's blocks (ext2's format, with the filetype feature). Lookup,
 * iteration, adding an entry (in a gap, or in a new block), removing one
 * (merged into the entry before it) and pointing one elsewhere (rename).
 * Every entry read is checked: a record length that is too small, not
 * aligned or runs past its block, a name longer than its record, or an
 * inode number out of range is corruption, reported as -K42_EIO. A
 * directory that htree indexed (dir_index) is still a valid linear list;
 * the index flag is cleared when the list changes, as e2fsck expects.
 */
#include <string.h>
#include "ext2.h"

#define REC(n)	((8u + (n) + 3u) & ~3u)

static long bad(struct ext2_fs *fs, uint32_t blk, uint32_t off, const char *what)
{
	return e2_fail(fs, -K42_EIO, "directory block %u, offset %u: %s", blk, off, what);
}

/* The entry at off in the directory block b (checked). */
static long entry(struct ext2_fs *fs, const struct buf *b, uint32_t off, struct ext2_dirent **out)
{
	struct ext2_dirent *e;

	if (off + 8 > fs->bs)
		return bad(fs, (uint32_t)b->blk, off, "entry header past the block");
	e = (struct ext2_dirent *)(b->data + off);
	if (e->rec_len < 8 || e->rec_len % 4 || off + e->rec_len > fs->bs)
		return bad(fs, (uint32_t)b->blk, off, "bad record length");
	if (e->inode && 8u + e->name_len > e->rec_len)
		return bad(fs, (uint32_t)b->blk, off, "name longer than its record");
	if (e->inode > fs->sb.inodes_count)
		return bad(fs, (uint32_t)b->blk, off, "inode number out of range");
	*out = e;
	return 0;
}

static uint64_t nblocks(const struct ext2_fs *fs, const struct ext2_inode *dir)
{
	return (isize(dir) + fs->bs - 1) / fs->bs;
}

/* Find name: its block (pinned), offset, and the offset of the entry
 * before it in the block (~0u if first). -K42_ENOENT if absent. */
static long find(struct ext2_fs *fs, const struct ext2_inode *dir, const char *name, size_t len,
		 struct buf **bp, uint32_t *offp, uint32_t *prevp)
{
	uint64_t n = nblocks(fs, dir);
	long rc;

	for (uint64_t l = 0; l < n; l++) {
		uint32_t pblk, off = 0, prev = ~0u;
		struct buf *b;

		if ((rc = bmap(fs, dir, l, &pblk)) < 0)
			return rc;
		if (!pblk)
			continue;
		if ((rc = bread(fs, pblk, &b)) < 0)
			return rc;
		while (off < fs->bs) {
			struct ext2_dirent *e;

			if ((rc = entry(fs, b, off, &e)) < 0) {
				brelse(fs, b);
				return rc;
			}
			if (e->inode && e->name_len == len && memcmp(e->name, name, len) == 0) {
				*bp = b;
				*offp = off;
				*prevp = prev;
				return 0;
			}
			prev = off;
			off += e->rec_len;
		}
		brelse(fs, b);
	}
	return -K42_ENOENT;
}

long dir_lookup(struct ext2_fs *fs, const struct ext2_inode *dir, const char *name, size_t len,
		uint32_t *ino)
{
	struct buf *b;
	uint32_t off, prev;
	long rc = find(fs, dir, name, len, &b, &off, &prev);

	if (rc < 0)
		return rc;
	*ino = ((struct ext2_dirent *)(b->data + off))->inode;
	brelse(fs, b);
	return 0;
}

/* A listing's position may fall inside a record since it was kept: a
 * removed entry merges into the one before it, and an added one may
 * split a record. Walk its block from the start to the first boundary at
 * or after it. */
long dir_resync(struct ext2_fs *fs, const struct ext2_inode *dir, uint64_t *pos)
{
	uint32_t off = (uint32_t)(*pos % fs->bs), at = 0, pblk;
	struct buf *b;
	long rc;

	if (!off || *pos >= isize(dir))
		return 0;
	if ((rc = bmap(fs, dir, *pos / fs->bs, &pblk)) < 0)
		return rc;
	if (!pblk)
		return 0;	/* a hole: dir_next steps over it */
	if ((rc = bread(fs, pblk, &b)) < 0)
		return rc;
	while (at < off) {
		struct ext2_dirent *e;

		if ((rc = entry(fs, b, at, &e)) < 0) {
			brelse(fs, b);
			return rc;
		}
		at += e->rec_len;
	}
	brelse(fs, b);
	*pos += at - off;
	return 0;
}

long dir_next(struct ext2_fs *fs, const struct ext2_inode *dir, uint64_t *pos, char *name,
	      size_t cap, uint32_t *ino, int *ftype)
{
	uint64_t size = isize(dir);
	long rc;

	while (*pos < size) {
		uint32_t pblk, off = (uint32_t)(*pos % fs->bs);
		struct ext2_dirent *e;
		struct buf *b;

		if ((rc = bmap(fs, dir, *pos / fs->bs, &pblk)) < 0)
			return rc;
		if (!pblk) {
			*pos += fs->bs - off;	/* a hole holds no entries */
			continue;
		}
		if ((rc = bread(fs, pblk, &b)) < 0)
			return rc;
		if ((rc = entry(fs, b, off, &e)) < 0) {
			brelse(fs, b);
			return rc;
		}
		*pos += e->rec_len;
		if (e->inode) {
			if (e->name_len >= cap) {
				brelse(fs, b);
				return -K42_E2BIG;
			}
			memcpy(name, e->name, e->name_len);
			name[e->name_len] = 0;
			*ino = e->inode;
			*ftype = (fs->sb.feature_incompat & EXT2_INCOMPAT_FILETYPE) ? e->file_type : 0;
			brelse(fs, b);
			return 0;
		}
		brelse(fs, b);
	}
	return -K42_ENOENT;
}

static void fill(struct ext2_fs *fs, struct ext2_dirent *e, const char *name, size_t len,
		 uint32_t ino, int ftype)
{
	e->inode = ino;
	e->name_len = (uint8_t)len;
	e->file_type = (fs->sb.feature_incompat & EXT2_INCOMPAT_FILETYPE) ? (uint8_t)ftype : 0;
	memcpy(e->name, name, len);
}

static long changed(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir)
{
	dir->flags &= ~(uint32_t)EXT2_INDEX_FL;
	dir->mtime = dir->ctime = fs->now();
	return iput(fs, dino, dir);
}

long dir_add(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name, size_t len,
	     uint32_t ino, int ftype)
{
	uint64_t n = nblocks(fs, dir);
	uint32_t need = REC(len), pblk, last = 0;
	struct ext2_dirent *e;
	struct buf *b;
	long rc;

	if (len == 0 || len > EXT2_NAME_MAX)
		return len ? -K42_ENAMETOOLONG : -K42_EINVAL;
	for (uint64_t l = 0; l < n; l++) {
		uint32_t off = 0;

		if ((rc = bmap(fs, dir, l, &pblk)) < 0)
			return rc;
		if (!pblk)
			continue;
		last = pblk;
		if ((rc = bread(fs, pblk, &b)) < 0)
			return rc;
		while (off < fs->bs) {
			uint32_t used;

			if ((rc = entry(fs, b, off, &e)) < 0) {
				brelse(fs, b);
				return rc;
			}
			used = e->inode ? REC(e->name_len) : 0;
			if (e->rec_len - used >= need) {
				if (used) {
					struct ext2_dirent *ne = (struct ext2_dirent *)(b->data + off + used);

					ne->rec_len = (uint16_t)(e->rec_len - used);
					e->rec_len = (uint16_t)used;
					e = ne;
				}
				fill(fs, e, name, len, ino, ftype);
				bdirty(fs, b, B_NORMAL);
				brelse(fs, b);
				return changed(fs, dino, dir);
			}
			off += e->rec_len;
		}
		brelse(fs, b);
	}
	/* No room: a new block holding just this entry, written before it is linked. */
	if ((rc = balloc(fs, last, &pblk)) < 0 || (rc = bzero_new(fs, pblk, &b)) < 0)
		return rc;
	e = (struct ext2_dirent *)b->data;
	e->rec_len = (uint16_t)fs->bs;
	fill(fs, e, name, len, ino, ftype);
	bdirty(fs, b, B_ALLOC);
	brelse(fs, b);
	dir->blocks += fs->spb;
	if ((rc = bmap_set(fs, dir, n, pblk)) < 0)
		return rc;
	iset_size(dir, (n + 1) * fs->bs);
	return changed(fs, dino, dir);
}

long dir_remove(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name,
		size_t len)
{
	struct buf *b;
	uint32_t off, prev;
	long rc = find(fs, dir, name, len, &b, &off, &prev);
	struct ext2_dirent *e;

	if (rc < 0)
		return rc;
	e = (struct ext2_dirent *)(b->data + off);
	/* Merged into the entry before it, and emptied too, so a listing
	 * that kept its position (dir_resync) does not see it again. */
	e->inode = 0;
	if (prev != ~0u)
		((struct ext2_dirent *)(b->data + prev))->rec_len += e->rec_len;
	bdirty(fs, b, B_NORMAL);
	brelse(fs, b);
	return changed(fs, dino, dir);
}

long dir_retarget(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name,
		  size_t len, uint32_t ino, int ftype)
{
	struct buf *b;
	uint32_t off, prev;
	long rc = find(fs, dir, name, len, &b, &off, &prev);
	struct ext2_dirent *e;

	if (rc < 0)
		return rc;
	e = (struct ext2_dirent *)(b->data + off);
	e->inode = ino;
	e->file_type = (fs->sb.feature_incompat & EXT2_INCOMPAT_FILETYPE) ? (uint8_t)ftype : 0;
	bdirty(fs, b, B_NORMAL);
	brelse(fs, b);
	return changed(fs, dino, dir);
}

long dir_empty(struct ext2_fs *fs, const struct ext2_inode *dir)
{
	uint64_t pos = 0;
	char name[EXT2_NAME_MAX + 1];
	uint32_t ino;
	int ft;
	long rc;

	while ((rc = dir_next(fs, dir, &pos, name, sizeof(name), &ino, &ft)) == 0)
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			return 0;
	return rc == -K42_ENOENT ? 1 : rc;
}
