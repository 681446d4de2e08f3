/*
 * Inodes in the inode tables: reading and writing the 128-byte base of
 * an inode in its cached table block, a new inode's full record, sizes
 * (with large_file's high word), and freeing an inode with its blocks
 * and extended-attribute block.
 */
#include <string.h>
#include "ext2.h"

static long locate(struct ext2_fs *fs, uint32_t ino, uint64_t *blk, uint32_t *off)
{
	uint32_t g, i;
	uint64_t byte;

	if (ino < 1 || ino > fs->sb.inodes_count)
		return e2_fail(fs, -K42_EIO, "inode number %u is out of range (1..%u)", ino,
			       fs->sb.inodes_count);
	g = (ino - 1) / fs->sb.inodes_per_group;
	i = (ino - 1) % fs->sb.inodes_per_group;
	byte = (uint64_t)i * fs->sb.inode_size;
	*blk = fs->gd[g].inode_table + byte / fs->bs;
	*off = (uint32_t)(byte % fs->bs);
	return 0;
}

long iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint64_t blk;
	uint32_t off;
	struct buf *b;
	long rc;

	if ((rc = locate(fs, ino, &blk, &off)) < 0 || (rc = bread(fs, blk, &b)) < 0)
		return rc;
	memcpy(in, b->data + off, sizeof(*in));
	brelse(fs, b);
	return 0;
}

static long put(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in, int whole)
{
	uint64_t blk;
	uint32_t off;
	struct buf *b;
	long rc;

	if ((rc = locate(fs, ino, &blk, &off)) < 0 || (rc = bread(fs, blk, &b)) < 0)
		return rc;
	if (whole) {
		/* A new inode: clear what an earlier one left in the extra space. */
		memset(b->data + off, 0, fs->sb.inode_size);
		if (fs->sb.inode_size > 128) {
			uint16_t extra = 32;	/* i_extra_isize: the fields through crtime */

			if (fs->sb.inode_size < 128 + 32)
				extra = 0;
			memcpy(b->data + off + 128, &extra, 2);
		}
	}
	memcpy(b->data + off, in, sizeof(*in));
	bdirty(fs, b, B_NORMAL);
	brelse(fs, b);
	return 0;
}

long iput(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	return put(fs, ino, in, 0);
}

long inew(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	return put(fs, ino, in, 1);
}

uint64_t isize(const struct ext2_inode *in)
{
	uint64_t s = in->size;

	if ((in->mode & S_IFMT_) == S_IFREG_)
		s |= (uint64_t)in->size_high << 32;
	return s;
}

void iset_size(struct ext2_inode *in, uint64_t size)
{
	in->size = (uint32_t)size;
	if ((in->mode & S_IFMT_) == S_IFREG_)
		in->size_high = (uint32_t)(size >> 32);
}

int ftype_of(uint16_t mode)
{
	switch (mode & S_IFMT_) {
	case S_IFREG_: return FT_REG;
	case S_IFDIR_: return FT_DIR;
	case S_IFCHR_: return FT_CHR;
	case S_IFBLK_: return FT_BLK;
	case S_IFIFO_: return FT_FIFO;
	case S_IFSOCK_: return FT_SOCK;
	case S_IFLNK_: return FT_LNK;
	}
	return FT_UNKNOWN;
}

/* The inode has no links and no opener left: give back everything. */
long ifree_all(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int dir = (in->mode & S_IFMT_) == S_IFDIR_;
	int fast_link = (in->mode & S_IFMT_) == S_IFLNK_ &&
			in->blocks == (in->file_acl ? fs->spb : 0);
	long rc;

	/* Marked deleted first, so a crash never leaves a live inode without blocks. */
	in->dtime = fs->now();
	in->links_count = 0;
	if (!fast_link && (rc = btrunc(fs, in, 0)) < 0)
		return rc;
	if (fast_link)
		memset(in->block, 0, sizeof(in->block));
	if (in->file_acl) {
		uint32_t ea = in->file_acl;
		struct buf *b;

		in->file_acl = 0;
		in->blocks -= fs->spb;
		if (blk_ok(fs, ea) && bread(fs, ea, &b) == 0) {
			uint32_t refs;

			memcpy(&refs, b->data + 4, 4);	/* h_refcount */
			if (refs > 1) {
				refs--;
				memcpy(b->data + 4, &refs, 4);
				bdirty(fs, b, B_NORMAL);
				brelse(fs, b);
			} else {
				brelse(fs, b);
				if ((rc = bfree(fs, ea)) < 0)
					return rc;
			}
		}
	}
	iset_size(in, 0);
	if ((rc = iput(fs, ino, in)) < 0)
		return rc;
	return ifree(fs, ino, dir);
}
