/*
 * The superblock and the group descriptors: mounting checks every field
 * the rest of the server relies on, so a corrupt or hostile image is
 * refused with a reason instead of being trusted (docs/storage.md, "Bad
 * images"); marking the file system in use and cleanly unmounted; and
 * the end of every changing operation (e2_end), which writes its blocks.
 */
#include <stdarg.h>
#include <string.h>
#include "ext2.h"

long e2_fail(struct ext2_fs *fs, long err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	e2_vsnprintf(fs->why, sizeof(fs->why), fmt, ap);
	va_end(ap);
	return err;
}

int blk_ok(const struct ext2_fs *fs, uint32_t blk)
{
	return blk >= fs->sb.first_data_block && blk < fs->sb.blocks_count;
}

void sb_dirty(struct ext2_fs *fs, enum bclass cls)
{
	struct buf *b;

	if (bread(fs, 1024 / fs->bs, &b) < 0)
		return;
	memcpy(b->data + 1024 % fs->bs, &fs->sb, sizeof(fs->sb));
	bdirty(fs, b, cls);
	brelse(fs, b);
}

void gd_dirty(struct ext2_fs *fs, uint32_t g, enum bclass cls)
{
	uint64_t off = (uint64_t)g * sizeof(struct ext2_gd);
	struct buf *b;

	if (bread(fs, fs->sb.first_data_block + 1 + off / fs->bs, &b) < 0)
		return;
	memcpy(b->data + off % fs->bs, &fs->gd[g], sizeof(fs->gd[g]));
	bdirty(fs, b, cls);
	brelse(fs, b);
}

void counts_dirty(struct ext2_fs *fs, uint32_t g)
{
	fs->gd_stale[g] = 1;
	fs->counts_stale = 1;
}

/* The free counts kept in memory, into their blocks. */
static void write_counts(struct ext2_fs *fs)
{
	if (!fs->counts_stale)
		return;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		if (fs->gd_stale[g])
			gd_dirty(fs, g, B_NORMAL);
		fs->gd_stale[g] = 0;
	}
	sb_dirty(fs, B_NORMAL);
	fs->counts_stale = 0;
}

static long check_super(struct ext2_fs *fs, int *rw)
{
	struct ext2_super *s = &fs->sb;
	uint64_t groups;

	if (s->magic != EXT2_MAGIC)
		return e2_fail(fs, -K42_EINVAL, "no ext2 file system (magic 0x%04x, not 0xef53)", s->magic);
	if (s->rev_level > 1)
		return e2_fail(fs, -K42_EINVAL, "revision %u is not 0 or 1", s->rev_level);
	if (s->log_block_size > 2)
		return e2_fail(fs, -K42_EINVAL, "block size 1024<<%u is not 1, 2 or 4 KiB",
			       s->log_block_size);
	fs->bs = 1024u << s->log_block_size;
	fs->spb = fs->bs / 512;
	fs->apb = fs->bs / 4;
	if (s->rev_level == 0) {
		s->inode_size = 128;
		s->first_ino = 11;
		s->feature_compat = s->feature_incompat = s->feature_ro_compat = 0;
	}
	if (s->first_data_block != (fs->bs == 1024 ? 1u : 0u))
		return e2_fail(fs, -K42_EINVAL, "first data block %u is wrong for %u-byte blocks",
			       s->first_data_block, fs->bs);
	if (s->blocks_per_group < 8 || s->blocks_per_group > 8 * fs->bs)
		return e2_fail(fs, -K42_EINVAL, "%u blocks per group (8..%u)", s->blocks_per_group,
			       8 * fs->bs);
	if (s->inodes_per_group < 1 || s->inodes_per_group > 8 * fs->bs)
		return e2_fail(fs, -K42_EINVAL, "%u inodes per group (1..%u)", s->inodes_per_group,
			       8 * fs->bs);
	if (s->inode_size < 128 || s->inode_size > fs->bs || (s->inode_size & (s->inode_size - 1)))
		return e2_fail(fs, -K42_EINVAL, "inode size %u", s->inode_size);
	if (s->blocks_count <= s->first_data_block + 1)
		return e2_fail(fs, -K42_EINVAL, "%u blocks is too few", s->blocks_count);
	if ((uint64_t)s->blocks_count * fs->spb > fs->dev.sectors)
		return e2_fail(fs, -K42_EINVAL, "the file system (%u blocks of %u) is larger than the disk "
			       "(%lu sectors)", s->blocks_count, fs->bs, (unsigned long)fs->dev.sectors);
	groups = (s->blocks_count - s->first_data_block + s->blocks_per_group - 1) / s->blocks_per_group;
	if (!s->inodes_count || s->inodes_count > groups * s->inodes_per_group)
		return e2_fail(fs, -K42_EINVAL, "%u inodes do not fit %lu groups of %u",
			       s->inodes_count, (unsigned long)groups, s->inodes_per_group);
	if (s->first_ino < 11 || s->first_ino >= s->inodes_count)
		return e2_fail(fs, -K42_EINVAL, "first inode %u", s->first_ino);
	fs->ngroups = (uint32_t)groups;
	fs->gdt_blocks = (uint32_t)((groups * sizeof(struct ext2_gd) + fs->bs - 1) / fs->bs);
	fs->itable_blocks = (s->inodes_per_group * s->inode_size + fs->bs - 1) / fs->bs;
	if (s->first_data_block + 1 + fs->gdt_blocks > s->blocks_count)
		return e2_fail(fs, -K42_EINVAL, "the group descriptors do not fit");
	if (s->feature_incompat & EXT3_INCOMPAT_RECOVER)
		return e2_fail(fs, -K42_EINVAL, "ext3 journal needs recovery (not cleanly unmounted): "
			       "run e2fsck to replay it, then mount again");
	if (s->feature_incompat & ~(uint32_t)EXT2_INCOMPAT_FILETYPE)
		return e2_fail(fs, -K42_EINVAL, "unsupported incompatible features 0x%x (ext3/ext4?)",
			       s->feature_incompat & ~(uint32_t)EXT2_INCOMPAT_FILETYPE);
	if (*rw && (s->feature_ro_compat & ~(uint32_t)(EXT2_RO_SPARSE_SUPER | EXT2_RO_LARGE_FILE))) {
		e2_fail(fs, 0, "unsupported read-only-compatible features 0x%x: mounted read-only",
			s->feature_ro_compat & ~(uint32_t)(EXT2_RO_SPARSE_SUPER | EXT2_RO_LARGE_FILE));
		*rw = 0;
	}
	return 0;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ext3 (a journal, compat has_journal) is written as ext2 — as Linux's
 * ext2 driver does — only when that is safe: the journal is in an inode
 * of this file system and empty (its superblock's s_start is 0: nothing
 * to replay, which a clean unmount leaves), and no orphan inodes wait
 * for cleanup. The journal itself is never touched, so e2fsck and
 * Linux's ext3 find it as it was. Otherwise read-only, saying why. */
static void check_journal(struct ext2_fs *fs, int *rw)
{
	const uint8_t *r = fs->sb.rest;
	uint32_t jino = le32_at(r + EXT3_SB_JOURNAL_INUM), jblk;
	struct ext2_inode in;
	struct buf *b;
	uint32_t magic, start;

	if (!*rw || !(fs->sb.feature_compat & EXT2_COMPAT_JOURNAL))
		return;
	*rw = 0;
	if (!jino || le32_at(r + EXT3_SB_JOURNAL_DEV)) {
		e2_fail(fs, 0, "ext3 with an external journal: mounted read-only");
		return;
	}
	if (le32_at(r + EXT3_SB_LAST_ORPHAN)) {
		e2_fail(fs, 0, "ext3 with orphan inodes to clean up: mounted read-only (run e2fsck)");
		return;
	}
	if (jino >= fs->sb.inodes_count || iget(fs, jino, &in) < 0 || bmap(fs, &in, 0, &jblk) < 0 ||
	    !jblk || !blk_ok(fs, jblk) || bread(fs, jblk, &b) < 0) {
		e2_fail(fs, 0, "ext3 journal (inode %u) unreadable: mounted read-only", jino);
		return;
	}
	magic = be32_at(b->data);
	start = be32_at(b->data + 28);
	brelse(fs, b);
	if (magic != 0xc03b3998u) {
		e2_fail(fs, 0, "ext3 journal (inode %u) has no journal superblock: mounted read-only",
			jino);
		return;
	}
	if (start != 0) {
		e2_fail(fs, 0, "ext3 journal holds transactions to replay: mounted read-only "
			"(run e2fsck)");
		return;
	}
	e2_fail(fs, 0, "ext3 with an empty journal: mounted read-write as ext2 (the journal is "
		"left alone)");
	*rw = 1;
}

static long check_groups(struct ext2_fs *fs)
{
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		const struct ext2_gd *d = &fs->gd[g];

		if (!blk_ok(fs, d->block_bitmap) || !blk_ok(fs, d->inode_bitmap) ||
		    !blk_ok(fs, d->inode_table) ||
		    (uint64_t)d->inode_table + fs->itable_blocks > fs->sb.blocks_count)
			return e2_fail(fs, -K42_EINVAL, "group %u: bitmaps %u, %u or inode table %u "
				       "past the end (%u blocks)", g, d->block_bitmap, d->inode_bitmap,
				       d->inode_table, fs->sb.blocks_count);
	}
	return 0;
}

long e2_mount(struct ext2_fs *fs, const struct ext2_dev *dev, int rw, uint32_t (*now)(void))
{
	uint8_t raw[1024];
	long rc;

	memset(fs, 0, sizeof(*fs));
	fs->dev = *dev;
	fs->now = now;
	if (dev->sectors < 4)
		return e2_fail(fs, -K42_EINVAL, "the disk (%lu sectors) is too small",
			       (unsigned long)dev->sectors);
	if ((rc = dev->read(dev->ctx, 2, 2, raw)) < 0)
		return e2_fail(fs, rc, "cannot read the superblock");
	memcpy(&fs->sb, raw, sizeof(fs->sb));
	if ((rc = check_super(fs, &rw)) < 0)
		return rc;
	fs->readonly = !rw;
	if ((rc = cache_init(fs, 4u << 20)) < 0)
		return rc;
	if (!(fs->gd = calloc(fs->ngroups, sizeof(*fs->gd))) ||
	    !(fs->gd_stale = calloc(fs->ngroups, 1))) {
		rc = -K42_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		struct buf *b;
		uint64_t at = (uint64_t)i * fs->bs, len = (uint64_t)fs->ngroups * sizeof(*fs->gd) - at;

		if ((rc = bread(fs, fs->sb.first_data_block + 1 + i, &b)) < 0)
			goto out;
		memcpy((uint8_t *)fs->gd + at, b->data, len < fs->bs ? len : fs->bs);
		brelse(fs, b);
	}
	if ((rc = check_groups(fs)) < 0)
		goto out;
	check_journal(fs, &rw);
	fs->readonly = !rw;
	if (!(fs->sb.state & EXT2_VALID_FS) || (fs->sb.state & EXT2_ERROR_FS))
		e2_fail(fs, 0, "the file system was not cleanly unmounted (state %u): run e2fsck",
			fs->sb.state);
	return 0;
out:
	e2_unmount(fs);
	return rc;
}

/* Before a change: the write-behind batch goes out first, so the blocks
 * of a change that is not a plain write never join a batch. */
long e2_begin(struct ext2_fs *fs)
{
	long rc;

	if (fs->deferred && (rc = e2_end(fs, 0)) < 0)
		return rc;
	return e2_begin_write(fs);
}

long e2_begin_write(struct ext2_fs *fs)
{
	if (fs->readonly)
		return -K42_EROFS;
	if (!fs->dirty_on_disk) {
		/* In use: a crash from here on leaves it marked for e2fsck. */
		fs->sb.state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.mnt_count++;
		fs->sb.mtime = fs->sb.wtime = fs->now();
		sb_dirty(fs, B_ALLOC);
		fs->dirty_on_disk = 1;
	}
	return 0;
}

long e2_end(struct ext2_fs *fs, long rc)
{
	long w = bflush(fs);

	fs->deferred = 0;
	fs->freed = 0;
	if (w < 0) {
		/* The disk and memory disagree now: stop writing (as errors=remount-ro). */
		fs->readonly = 1;
		if (!fs->wb_err)
			fs->wb_err = w;
		if (!fs->why[0])
			e2_fail(fs, w, "a write failed");
		return rc < 0 ? rc : -K42_EIO;
	}
	return rc;
}

long e2_end_write(struct ext2_fs *fs, long rc)
{
	/* Write-behind: a batch of writes holds only allocations and changes
	 * (no block or inode freed), and bflush writes all its allocations
	 * before any block that points at them; it is bounded in size. */
	if (rc >= 0 && fs->write_behind && !fs->freed && fs->ndirty < fs->maxbufs / 4) {
		fs->deferred = fs->ndirty > 0;
		return rc;
	}
	return e2_end(fs, rc);
}

long e2_sync(struct ext2_fs *fs, int clean)
{
	long rc;

	if (fs->deferred && (rc = e2_end(fs, 0)) < 0)
		return rc;
	if (fs->wb_err)
		return fs->wb_err;	/* a write-behind batch failed: what was written is lost */
	if (!fs->readonly)
		write_counts(fs);
	rc = bflush(fs);

	if (rc == 0 && clean && !fs->readonly && fs->dirty_on_disk) {
		fs->sb.state |= EXT2_VALID_FS;
		fs->sb.wtime = fs->now();
		sb_dirty(fs, B_NORMAL);
		if ((rc = bflush(fs)) == 0)
			fs->dirty_on_disk = 0;
	}
	if (rc == 0 && fs->dev.flush)
		rc = fs->dev.flush(fs->dev.ctx);
	return rc;
}

/* Does group g hold a copy of the superblock and group descriptors?
 * All do, or with sparse_super groups 0, 1 and the powers of 3, 5, 7. */
static int has_super(const struct ext2_fs *fs, uint32_t g)
{
	if (!(fs->sb.feature_ro_compat & EXT2_RO_SPARSE_SUPER) || g <= 1)
		return 1;
	for (uint32_t b = 3; b <= 7; b += 2) {
		uint64_t p = b;

		while (p < g)
			p *= b;
		if (p == g)
			return 1;
	}
	return 0;
}

/* Blocks the file system's own structures take, which Linux's statfs
 * leaves out of the size (df): the blocks before the first group, in
 * every group holding a superblock that copy, the group descriptors and
 * the blocks reserved for their growth (resize_inode), each group's two
 * bitmaps and inode table, and an internal ext3 journal. */
uint64_t e2_overhead(struct ext2_fs *fs)
{
	uint16_t rgdt;
	uint64_t n = fs->sb.first_data_block;
	uint32_t jino = 0;
	struct ext2_inode in;

	memcpy(&rgdt, fs->sb.rest + EXT2_SB_RESERVED_GDT, sizeof(rgdt));
	for (uint32_t g = 0; g < fs->ngroups; g++)
		if (has_super(fs, g))
			n += 1 + fs->gdt_blocks + rgdt;
	n += (uint64_t)fs->ngroups * (2 + fs->itable_blocks);
	if (fs->sb.feature_compat & EXT2_COMPAT_JOURNAL)
		memcpy(&jino, fs->sb.rest + EXT3_SB_JOURNAL_INUM, sizeof(jino));
	if (jino && jino < fs->sb.inodes_count && iget(fs, jino, &in) == 0)
		n += in.size / fs->bs;
	return n < fs->sb.blocks_count ? n : fs->sb.blocks_count;
}

void e2_unmount(struct ext2_fs *fs)
{
	cache_free(fs);
	free(fs->gd);
	free(fs->gd_stale);
	free(fs->open);
	fs->gd_stale = NULL;
	fs->gd = NULL;
	fs->open = NULL;
}
