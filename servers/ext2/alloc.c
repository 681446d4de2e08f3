/*
 * Block and inode allocation: the bitmaps of the block groups and the
 * free counts in the group descriptors and the superblock. A bitmap block
 * that gains a bit is written before anything that points at the block
 * or inode (class B_ALLOC); one that loses a bit after everything that
 * stopped pointing at it (B_FREE). Bitmaps that contradict the metadata
 * (a "free" inode table block, a block freed twice) are reported, never
 * followed. The free counts in the group descriptors and the superblock
 * are kept in memory and written by e2_sync (fsync of nothing else, and
 * at power-off): they are summaries e2fsck recomputes after a crash, and
 * not writing them on every allocation halves the writes of an append.
 */
#include <string.h>
#include "ext2.h"

static int is_meta(const struct ext2_fs *fs, uint32_t g, uint32_t blk)
{
	const struct ext2_gd *d = &fs->gd[g];

	return blk <= fs->sb.first_data_block + fs->gdt_blocks || blk == d->block_bitmap ||
	       blk == d->inode_bitmap ||
	       (blk >= d->inode_table && blk < d->inode_table + fs->itable_blocks);
}

static uint32_t blocks_in(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t left = fs->sb.blocks_count - fs->sb.first_data_block - g * fs->sb.blocks_per_group;

	return left < fs->sb.blocks_per_group ? left : fs->sb.blocks_per_group;
}

/* First clear bit of bm in [from, n), then [0, from); -1 if none. */
static long find_zero(const uint8_t *bm, uint32_t n, uint32_t from)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (from + k) % n;

		if (bm[i / 8] == 0xff) {
			k += 7 - i % 8;
			continue;
		}
		if (!(bm[i / 8] & (1u << (i % 8))))
			return i;
	}
	return -1;
}

long balloc(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	uint32_t bpg = fs->sb.blocks_per_group, g0 = 0, from = 0;

	if (!fs->sb.free_blocks_count)
		return -K42_ENOSPC;
	if (blk_ok(fs, goal)) {
		g0 = (goal - fs->sb.first_data_block) / bpg;
		from = (goal - fs->sb.first_data_block) % bpg;
	}
	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (g0 + k) % fs->ngroups, blk;
		struct buf *b;
		long i, rc;

		if (!fs->gd[g].free_blocks_count)
			continue;
		if ((rc = bread(fs, fs->gd[g].block_bitmap, &b)) < 0)
			return rc;
		i = find_zero(b->data, blocks_in(fs, g), g == g0 ? from : 0);
		if (i < 0) {
			brelse(fs, b);
			continue;	/* the count was wrong; e2fsck will say so */
		}
		blk = fs->sb.first_data_block + g * bpg + (uint32_t)i;
		if (is_meta(fs, g, blk)) {
			brelse(fs, b);
			return e2_fail(fs, -K42_EIO, "group %u: block bitmap marks metadata block %u free",
				       g, blk);
		}
		b->data[i / 8] |= (uint8_t)(1u << (i % 8));
		bdirty(fs, b, B_ALLOC);
		brelse(fs, b);
		fs->gd[g].free_blocks_count--;
		fs->sb.free_blocks_count--;
		counts_dirty(fs, g);
		*out = blk;
		return 0;
	}
	return -K42_ENOSPC;
}

long bfree(struct ext2_fs *fs, uint32_t blk)
{
	uint32_t g, i;
	struct buf *b;
	long rc;

	if (!blk_ok(fs, blk))
		return e2_fail(fs, -K42_EIO, "freeing block %u, past the end", blk);
	g = (blk - fs->sb.first_data_block) / fs->sb.blocks_per_group;
	i = (blk - fs->sb.first_data_block) % fs->sb.blocks_per_group;
	if (is_meta(fs, g, blk))
		return e2_fail(fs, -K42_EIO, "freeing metadata block %u", blk);
	if ((rc = bread(fs, fs->gd[g].block_bitmap, &b)) < 0)
		return rc;
	if (!(b->data[i / 8] & (1u << (i % 8)))) {
		brelse(fs, b);
		return e2_fail(fs, -K42_EIO, "block %u freed but already free", blk);
	}
	b->data[i / 8] &= (uint8_t)~(1u << (i % 8));
	bdirty(fs, b, B_FREE);
	fs->freed = 1;
	brelse(fs, b);
	fs->gd[g].free_blocks_count++;
	fs->sb.free_blocks_count++;
	counts_dirty(fs, g);
	return 0;
}

long ialloc(struct ext2_fs *fs, uint32_t parent, int dir, uint32_t *out)
{
	uint32_t ipg = fs->sb.inodes_per_group, g0 = 0;

	if (!fs->sb.free_inodes_count)
		return -K42_ENOSPC;
	if (parent >= 1 && parent <= fs->sb.inodes_count)
		g0 = (parent - 1) / ipg;
	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (g0 + k) % fs->ngroups, ino, n = ipg;
		struct buf *b;
		long i, rc;

		if (!fs->gd[g].free_inodes_count)
			continue;
		if ((uint64_t)(g + 1) * ipg > fs->sb.inodes_count)
			n = fs->sb.inodes_count - g * ipg;
		if ((rc = bread(fs, fs->gd[g].inode_bitmap, &b)) < 0)
			return rc;
		i = find_zero(b->data, n, g == 0 ? fs->sb.first_ino - 1 : 0);
		if (i < 0 || (g == 0 && (uint32_t)i < fs->sb.first_ino - 1)) {
			brelse(fs, b);
			continue;
		}
		ino = g * ipg + (uint32_t)i + 1;
		b->data[i / 8] |= (uint8_t)(1u << (i % 8));
		bdirty(fs, b, B_ALLOC);
		brelse(fs, b);
		fs->gd[g].free_inodes_count--;
		if (dir)
			fs->gd[g].used_dirs_count++;
		fs->sb.free_inodes_count--;
		counts_dirty(fs, g);
		*out = ino;
		return 0;
	}
	return -K42_ENOSPC;
}

long ifree(struct ext2_fs *fs, uint32_t ino, int dir)
{
	uint32_t g = (ino - 1) / fs->sb.inodes_per_group, i = (ino - 1) % fs->sb.inodes_per_group;
	struct buf *b;
	long rc;

	if (ino < fs->sb.first_ino || ino > fs->sb.inodes_count)
		return e2_fail(fs, -K42_EIO, "freeing inode %u", ino);
	if ((rc = bread(fs, fs->gd[g].inode_bitmap, &b)) < 0)
		return rc;
	if (!(b->data[i / 8] & (1u << (i % 8)))) {
		brelse(fs, b);
		return e2_fail(fs, -K42_EIO, "inode %u freed but already free", ino);
	}
	b->data[i / 8] &= (uint8_t)~(1u << (i % 8));
	bdirty(fs, b, B_FREE);
	fs->freed = 1;
	brelse(fs, b);
	fs->gd[g].free_inodes_count++;
	if (dir && fs->gd[g].used_dirs_count)
		fs->gd[g].used_dirs_count--;
	fs->sb.free_inodes_count++;
	counts_dirty(fs, g);
	return 0;
}
