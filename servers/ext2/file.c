/*
 * File contents: reading (holes read as zeros), writing (a new block is
 * filled and written before the pointer to it, and the size follows the
 * data), truncation, and symlink targets (in the inode when shorter than
 * 60 bytes, else in one block).
 */
#include <string.h>
#include "ext2.h"

/* Logical block lblk (at pblk) is not cached: read it together with the
 * file's next blocks, as far as they follow it on the disk and are not
 * cached, up to E2_IO_SLOTS * E2_IO_MAX bytes, in E2_IO_MAX pieces that go
 * to the device at once (read-ahead). */
static long read_ahead(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk,
		       uint32_t pblk)
{
	uint64_t end = (isize(in) + fs->bs - 1) / fs->bs;
	uint32_t n = 1, max = E2_IO_SLOTS * E2_IO_MAX / fs->bs, p;

	while (n < max && lblk + n < end && bmap(fs, in, lblk + n, &p) == 0 && p == pblk + n &&
	       !bcached(fs, p))
		n++;
	return n > 1 ? bread_ahead(fs, pblk, n) : 0;
}

uint32_t e2_read_miss(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t off, uint32_t n,
		      uint32_t *pblk)
{
	uint64_t size = isize(in), end = (size + fs->bs - 1) / fs->bs, lblk, last;
	uint32_t max = E2_IO_SLOTS * E2_IO_MAX / fs->bs, k = 1, p;

	if (off >= size || !n)
		return 0;
	last = (off + (n < size - off ? n : size - off) - 1) / fs->bs;
	for (lblk = off / fs->bs; lblk <= last; lblk++) {
		if (bmap(fs, in, lblk, pblk) < 0)
			return 0;	/* e2_read reports it, under the lock */
		if (*pblk && !bcached(fs, *pblk))
			break;
	}
	if (lblk > last)
		return 0;
	while (k < max && lblk + k < end && bmap(fs, in, lblk + k, &p) == 0 && p == *pblk + k &&
	       !bcached(fs, p))
		k++;
	return bread_ahead_len(fs, *pblk, k);
}

long e2_read(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t off, void *buf, uint32_t n)
{
	uint64_t size = isize(in);
	uint32_t done = 0;
	long rc;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = (uint32_t)(size - off);
	while (done < n) {
		uint64_t at = off + done;
		uint32_t in_blk = (uint32_t)(at % fs->bs), chunk = fs->bs - in_blk, pblk;
		struct buf *b;

		if (chunk > n - done)
			chunk = n - done;
		if ((rc = bmap(fs, in, at / fs->bs, &pblk)) < 0)
			return rc;
		if (!pblk) {
			memset((uint8_t *)buf + done, 0, chunk);
		} else {
			if (!bcached(fs, pblk) && (rc = read_ahead(fs, in, at / fs->bs, pblk)) < 0)
				return rc;
			if ((rc = bread(fs, pblk, &b)) < 0)
				return rc;
			memcpy((uint8_t *)buf + done, b->data + in_blk, chunk);
			brelse(fs, b);
		}
		done += chunk;
	}
	return done;
}

long e2_write(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
		const void *buf, uint32_t n)
{
	uint32_t done = 0, goal = 0;
	long rc = 0;

	if (off + n < off || (off + n + fs->bs - 1) / fs->bs > bmap_max(fs))
		return -K42_EFBIG;
	if (!(fs->sb.feature_ro_compat & EXT2_RO_LARGE_FILE) && off + n > 0x7fffffffu)
		return -K42_EFBIG;
	while (done < n) {
		uint64_t at = off + done, lblk = at / fs->bs;
		uint32_t in_blk = (uint32_t)(at % fs->bs), chunk = fs->bs - in_blk, pblk;
		struct buf *b;

		if (chunk > n - done)
			chunk = n - done;
		if ((rc = bmap(fs, in, lblk, &pblk)) < 0)
			break;
		if (pblk) {
			if ((rc = bread(fs, pblk, &b)) < 0)
				break;
			memcpy(b->data + in_blk, (const uint8_t *)buf + done, chunk);
			bdirty(fs, b, B_NORMAL);
			brelse(fs, b);
		} else {
			if (!goal && lblk && bmap(fs, in, lblk - 1, &goal) < 0)
				goal = 0;
			if ((rc = balloc(fs, goal, &pblk)) < 0)
				break;
			if ((rc = bzero_new(fs, pblk, &b)) < 0) {
				(void)bfree(fs, pblk);
				break;
			}
			memcpy(b->data + in_blk, (const uint8_t *)buf + done, chunk);
			bdirty(fs, b, B_ALLOC);
			brelse(fs, b);
			in->blocks += fs->spb;
			if ((rc = bmap_set(fs, in, lblk, pblk)) < 0) {
				in->blocks -= fs->spb;
				(void)bfree(fs, pblk);
				break;
			}
			goal = pblk;
		}
		done += chunk;
	}
	if (done) {
		if (off + done > isize(in))
			iset_size(in, off + done);
		in->mtime = in->ctime = fs->now();
	}
	if (done || rc == 0) {
		long w = iput(fs, ino, in);

		if (w < 0)
			return w;
	}
	return done ? (long)done : rc;
}

long e2_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size)
{
	uint64_t old = isize(in);
	long rc;

	if ((size + fs->bs - 1) / fs->bs > bmap_max(fs))
		return -K42_EFBIG;
	if (size < old) {
		uint32_t pblk;
		struct buf *b;

		/* The smaller size first: a crash then leaves blocks past it, not a size past them. */
		iset_size(in, size);
		if ((rc = iput(fs, ino, in)) < 0)
			return rc;
		if ((rc = btrunc(fs, in, (size + fs->bs - 1) / fs->bs)) < 0)
			return rc;
		/* The tail of the last block reads as zeros if the file grows again. */
		if (size % fs->bs && bmap(fs, in, size / fs->bs, &pblk) == 0 && pblk &&
		    bread(fs, pblk, &b) == 0) {
			memset(b->data + size % fs->bs, 0, fs->bs - size % fs->bs);
			bdirty(fs, b, B_NORMAL);
			brelse(fs, b);
		}
	}
	iset_size(in, size);
	in->mtime = in->ctime = fs->now();
	return iput(fs, ino, in);
}

long e2_readlink(struct ext2_fs *fs, const struct ext2_inode *in, char *buf, size_t cap)
{
	uint32_t len = in->size;
	long rc;

	if (len >= cap)
		return -K42_ENAMETOOLONG;
	if (in->blocks == (in->file_acl ? fs->spb : 0u)) {
		if (len >= sizeof(in->block))
			return e2_fail(fs, -K42_EIO, "fast symlink of %u bytes", len);
		memcpy(buf, in->block, len);
	} else if ((rc = e2_read(fs, in, 0, buf, len)) != (long)len) {
		return rc < 0 ? rc : -K42_EIO;
	}
	buf[len] = 0;
	return len;
}
