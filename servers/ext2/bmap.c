/*
 * Block mapping: a file's logical block to its disk block through the
 * inode's 12 direct pointers and its single, double and triple indirect
 * blocks; linking a new block in (index blocks allocated on the way); and
 * truncation, which frees data and index blocks past a point. Every
 * pointer read from disk is checked against the file system's size.
 */
#include <string.h>
#include "ext2.h"

/* Where lblk lives: the inode slot of the tree's root, the tree's depth
 * (0: a direct pointer) and the index inside that tree. */
static long locate(const struct ext2_fs *fs, uint64_t lblk, int *slot, int *depth, uint64_t *rel)
{
	uint64_t a = fs->apb;

	if (lblk < EXT2_NDIR) {
		*slot = (int)lblk, *depth = 0, *rel = 0;
		return 0;
	}
	lblk -= EXT2_NDIR;
	if (lblk < a) {
		*slot = EXT2_IND, *depth = 1, *rel = lblk;
		return 0;
	}
	lblk -= a;
	if (lblk < a * a) {
		*slot = EXT2_DIND, *depth = 2, *rel = lblk;
		return 0;
	}
	lblk -= a * a;
	if (lblk < a * a * a) {
		*slot = EXT2_TIND, *depth = 3, *rel = lblk;
		return 0;
	}
	return -K42_EFBIG;
}

uint64_t bmap_max(const struct ext2_fs *fs)
{
	uint64_t a = fs->apb;

	return EXT2_NDIR + a + a * a + a * a * a;
}

static uint64_t span(const struct ext2_fs *fs, int depth)
{
	uint64_t s = 1;

	while (depth-- > 0)
		s *= fs->apb;
	return s;
}

long bmap(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk, uint32_t *pblk)
{
	int slot, depth;
	uint64_t rel;
	uint32_t cur;
	long rc = locate(fs, lblk, &slot, &depth, &rel);

	if (rc < 0)
		return rc;
	cur = in->block[slot];
	for (int d = depth; d > 0 && cur; d--) {
		struct buf *b;
		uint32_t idx = (uint32_t)(rel / span(fs, d - 1) % fs->apb);

		if (!blk_ok(fs, cur))
			return e2_fail(fs, -K42_EIO, "index block %u past the end", cur);
		if ((rc = bread(fs, cur, &b)) < 0)
			return rc;
		memcpy(&cur, b->data + 4 * idx, 4);
		brelse(fs, b);
	}
	if (cur && !blk_ok(fs, cur))
		return e2_fail(fs, -K42_EIO, "block pointer %u past the end", cur);
	*pblk = cur;
	return 0;
}

long bmap_set(struct ext2_fs *fs, struct ext2_inode *in, uint64_t lblk, uint32_t pblk)
{
	int slot, depth;
	uint64_t rel;
	struct buf *parent = NULL;
	uint32_t *ptr;
	long rc = locate(fs, lblk, &slot, &depth, &rel);

	if (rc < 0)
		return rc;
	ptr = &in->block[slot];
	for (int d = depth; d > 0; d--) {
		uint32_t cur, idx = (uint32_t)(rel / span(fs, d - 1) % fs->apb);
		struct buf *b;

		memcpy(&cur, ptr, 4);
		if (!cur) {
			/* A new index block: zeroed and written before anything points at it. */
			if ((rc = balloc(fs, pblk, &cur)) < 0 || (rc = bzero_new(fs, cur, &b)) < 0)
				goto out;
			bdirty(fs, b, B_ALLOC);
			in->blocks += fs->spb;
			memcpy(ptr, &cur, 4);
			if (parent)
				bdirty(fs, parent, B_NORMAL);
		} else if (!blk_ok(fs, cur)) {
			rc = e2_fail(fs, -K42_EIO, "index block %u past the end", cur);
			goto out;
		} else if ((rc = bread(fs, cur, &b)) < 0) {
			goto out;
		}
		brelse(fs, parent);
		parent = b;
		ptr = (uint32_t *)(b->data + 4 * idx);
	}
	memcpy(ptr, &pblk, 4);
	if (parent)
		bdirty(fs, parent, B_NORMAL);
	rc = 0;
out:
	brelse(fs, parent);
	return rc;
}

/* Free what *p maps at logical blocks >= from; *p maps span(depth)
 * blocks from base. */
static long trunc_ptr(struct ext2_fs *fs, struct ext2_inode *in, uint32_t *p, int depth,
		      uint64_t base, uint64_t from, int *changed)
{
	uint64_t child = depth ? span(fs, depth - 1) : 0;
	struct buf *b;
	int dirty = 0;
	long rc;

	if (!*p || base + span(fs, depth) <= from)
		return 0;
	if (!blk_ok(fs, *p))
		return e2_fail(fs, -K42_EIO, "block pointer %u past the end", *p);
	if (depth) {
		if ((rc = bread(fs, *p, &b)) < 0)
			return rc;
		for (uint32_t i = 0; i < fs->apb; i++) {
			uint32_t q;
			int ch = 0;

			if (base + (i + 1) * child <= from)
				continue;
			memcpy(&q, b->data + 4 * i, 4);
			if ((rc = trunc_ptr(fs, in, &q, depth - 1, base + i * child, from, &ch)) < 0) {
				brelse(fs, b);
				return rc;
			}
			if (ch) {
				memcpy(b->data + 4 * i, &q, 4);
				dirty = 1;
			}
		}
		/* Kept in part: it no longer points at what was freed. */
		if (dirty && from > base)
			bdirty(fs, b, B_NORMAL);
		brelse(fs, b);
		if (from > base)
			return 0;
	}
	if ((rc = bfree(fs, *p)) < 0)
		return rc;
	in->blocks -= fs->spb;
	*p = 0;
	*changed = 1;
	return 0;
}

long btrunc(struct ext2_fs *fs, struct ext2_inode *in, uint64_t keep)
{
	static const int slots[] = { EXT2_IND, EXT2_DIND, EXT2_TIND };
	uint64_t base = EXT2_NDIR;
	int ch;
	long rc;

	for (uint32_t i = 0; i < EXT2_NDIR; i++)
		if (i >= keep && (rc = trunc_ptr(fs, in, &in->block[i], 0, i, keep, &ch)) < 0)
			return rc;
	for (int d = 1; d <= 3; d++) {
		if ((rc = trunc_ptr(fs, in, &in->block[slots[d - 1]], d, base, keep, &ch)) < 0)
			return rc;
		base += span(fs, d);
	}
	return 0;
}
