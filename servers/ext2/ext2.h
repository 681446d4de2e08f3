/*
 * ext2 revision 1 as this server keeps it (docs/storage.md): the on-disk
 * structures, the mounted file system, and the functions each file of
 * servers/ext2 offers the others. The core (everything but ipc.c and
 * main.c) is plain C over a block-device callback, so the host tests run
 * it on images made by mke2fs. ext2 is little-endian on disk, as k42
 * (ppc64le) is: structures are read in place.
 */
#ifndef EXT2_H
#define EXT2_H

#include <stddef.h>
#include <stdint.h>
#include <k42/errno.h>

/* The same core builds in k42 (libk42's allocator, the kernel's
 * formatter) and on the host for tests/host/test_ext2.c. */
#if __has_include(<k42/alloc.h>)
#include <stdarg.h>
#include <k42/alloc.h>
#include <lib/fmt.h>
#define e2_vsnprintf k_vsnprintf
#else
#include <stdio.h>
#include <stdlib.h>
#define e2_vsnprintf vsnprintf
#endif

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ext2 structures are read in place");

#define EXT2_MAGIC		0xef53
#define EXT2_ROOT_INO		2
#define EXT2_NDIR		12	/* direct pointers in an inode */
#define EXT2_IND		12
#define EXT2_DIND		13
#define EXT2_TIND		14
#define EXT2_NAME_MAX		255
#define EXT2_VALID_FS		1
#define EXT2_ERROR_FS		2

/* Features we understand. Any other incompat feature refuses the mount;
 * any other ro_compat one (or a journal) mounts read-only. */
#define EXT2_COMPAT_OK		(0x0008 | 0x0010 | 0x0020 | 0x0001 | 0x0002)	/* ext_attr resize_inode dir_index dir_prealloc imagic */
#define EXT2_INCOMPAT_FILETYPE	0x0002
#define EXT2_RO_SPARSE_SUPER	0x0001
#define EXT2_RO_LARGE_FILE	0x0002
#define EXT2_COMPAT_JOURNAL	0x0004
#define EXT3_INCOMPAT_RECOVER	0x0004	/* the journal holds transactions to replay */
#define EXT3_INCOMPAT_JOURNAL_DEV 0x0008
/* ext3's superblock fields past last_mounted (offsets into rest[]). */
#define EXT3_SB_JOURNAL_INUM	(0xe0 - 200)
#define EXT2_SB_RESERVED_GDT	(0xce - 200)	/* u16: blocks kept for the descriptors' growth */
#define EXT3_SB_JOURNAL_DEV	(0xe4 - 200)
#define EXT3_SB_LAST_ORPHAN	(0xe8 - 200)
#define EXT2_INDEX_FL		0x1000

#define S_IFMT_	0170000
#define S_IFSOCK_ 0140000
#define S_IFLNK_ 0120000
#define S_IFREG_ 0100000
#define S_IFBLK_ 0060000
#define S_IFDIR_ 0040000
#define S_IFCHR_ 0020000
#define S_IFIFO_ 0010000

/* Directory entry file types (the filetype feature). */
enum { FT_UNKNOWN, FT_REG, FT_DIR, FT_CHR, FT_BLK, FT_FIFO, FT_SOCK, FT_LNK };

struct ext2_super {
	uint32_t inodes_count, blocks_count, r_blocks_count, free_blocks_count;
	uint32_t free_inodes_count, first_data_block, log_block_size, log_frag_size;
	uint32_t blocks_per_group, frags_per_group, inodes_per_group;
	uint32_t mtime, wtime;
	uint16_t mnt_count;
	int16_t max_mnt_count;
	uint16_t magic, state, errors, minor_rev_level;
	uint32_t lastcheck, checkinterval, creator_os, rev_level;
	uint16_t def_resuid, def_resgid;
	uint32_t first_ino;
	uint16_t inode_size, block_group_nr;
	uint32_t feature_compat, feature_incompat, feature_ro_compat;
	uint8_t uuid[16];
	char volume_name[16];
	char last_mounted[64];
	uint8_t rest[1024 - 200];
};
_Static_assert(sizeof(struct ext2_super) == 1024, "superblock");

struct ext2_gd {
	uint32_t block_bitmap, inode_bitmap, inode_table;
	uint16_t free_blocks_count, free_inodes_count, used_dirs_count, flags;
	uint8_t reserved[12];
};
_Static_assert(sizeof(struct ext2_gd) == 32, "group descriptor");

struct ext2_inode {
	uint16_t mode, uid;
	uint32_t size, atime, ctime, mtime, dtime;
	uint16_t gid, links_count;
	uint32_t blocks;	/* 512-byte units */
	uint32_t flags, osd1;
	uint32_t block[15];
	uint32_t generation, file_acl, size_high, faddr;
	uint8_t osd2[12];
};
_Static_assert(sizeof(struct ext2_inode) == 128, "inode");

struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len, file_type;
	char name[];
};

/* One transfer of several (ext2_dev.rw_many). */
struct ext2_io {
	uint64_t sector;
	uint32_t count;
	void *buf;
};

/* The disk, as the server reaches it: whole 512-byte sectors. rw_many
 * (optional; else one transfer after another) runs n independent
 * transfers of at most E2_IO_MAX bytes each, in any order and at once if
 * it can, and returns 0 or the first error once all are done. */
struct ext2_dev {
	long (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
	long (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
	long (*flush)(void *ctx);
	void *ctx;
	uint64_t sectors;
	long (*rw_many)(void *ctx, int write, const struct ext2_io *io, uint32_t n);
};

/* A cached block. Pinned while a caller holds it; dirty ones stay until
 * the operation's end writes them (cache.c). */
enum bclass { B_ALLOC, B_NORMAL, B_FREE };
struct buf {
	uint64_t blk;
	uint8_t *data;
	uint32_t pins;
	uint8_t dirty, cls;
	struct buf *hnext, *prev, *next;	/* hash chain; LRU list */
};

/* An inode kept in memory while open (or unlinked while open). */
struct ext2_open {
	uint32_t ino, count;
	int orphan;		/* no links left: freed at the last close */
};

struct ext2_fs {
	struct ext2_dev dev;
	uint32_t bs, spb, apb;	/* block size, sectors and pointers per block */
	uint32_t ngroups, gdt_blocks, itable_blocks;
	struct ext2_super sb;
	struct ext2_gd *gd;
	uint8_t *gd_stale;	/* per group: its counts changed since e2_sync */
	int readonly, dirty_on_disk, counts_stale;
	/* Write-behind (super.c e2_end_write): on when write_behind is set;
	 * deferred while a batch of writes' blocks is in the cache only;
	 * freed once the current operation freed a block or an inode; wb_err
	 * the error of a batch that could not be written (fsync reports it). */
	int write_behind, deferred, freed;
	long wb_err;
	uint32_t (*now)(void);	/* seconds since 1970 */
	char why[160];		/* the last error, for the log */
	/* cache.c */
	struct buf **hash;
	struct buf lru;		/* list head: most recent first */
	uint32_t nbufs, maxbufs;
	struct buf **dirty;
	uint32_t ndirty, dirty_cap;
	uint8_t *io;		/* E2_IO_SLOTS * E2_IO_MAX bytes for multi-block transfers */
	uint64_t mod_gen;	/* counts bdirty calls: a read done outside the lock
				 * fills the cache only if nothing changed meanwhile */
	/* open inodes */
	struct ext2_open *open;
	uint32_t nopen, open_cap;
	/* The current operation's caller (perm.c): checked when enforce is set. */
	uint32_t uid, gid;
	int enforce;
};

/* super.c: record why (fs->why) and return err. */
long e2_fail(struct ext2_fs *fs, long err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cache.c */
long cache_init(struct ext2_fs *fs, uint32_t bytes);
void cache_free(struct ext2_fs *fs);
long bread(struct ext2_fs *fs, uint64_t blk, struct buf **out) __attribute__((warn_unused_result));
long bzero_new(struct ext2_fs *fs, uint64_t blk, struct buf **out) __attribute__((warn_unused_result));
void brelse(struct ext2_fs *fs, struct buf *b);
void bdirty(struct ext2_fs *fs, struct buf *b, enum bclass cls);
long bflush(struct ext2_fs *fs);		/* write this operation's blocks, in order */
void bdrop(struct ext2_fs *fs);			/* forget them (after a failure) */
long dev_rw(struct ext2_fs *fs, uint64_t blk, void *data, int write);
/* Most bytes read or written in one device call (the block server's
 * bulk_max), and how many such calls go to the device at once. */
#define E2_IO_MAX	65536u
#define E2_IO_SLOTS	4u
int bcached(struct ext2_fs *fs, uint64_t blk);
/* Read blocks blk..blk+n-1 (none cached yet) into the cache, at most
 * E2_IO_SLOTS * E2_IO_MAX bytes, in E2_IO_MAX pieces at once; 0 or the
 * device's error. */
long bread_ahead(struct ext2_fs *fs, uint64_t blk, uint32_t n);
/* The same in two halves, for a read done while the server's lock is
 * free (ipc.c): how many of blocks blk.. bread_ahead would read (the
 * clamps; 0: none), under the lock; the device transfer into buf
 * (n * bs bytes), which touches nothing of the cache and may run without
 * the lock; and, under the lock again, the blocks not cached meanwhile
 * into the cache. */
uint32_t bread_ahead_len(struct ext2_fs *fs, uint64_t blk, uint32_t n);
long bread_run(struct ext2_fs *fs, uint64_t blk, uint32_t n, uint8_t *buf);
void bfill(struct ext2_fs *fs, uint64_t blk, uint32_t n, const uint8_t *buf);

/* super.c */
long e2_mount(struct ext2_fs *fs, const struct ext2_dev *dev, int rw, uint32_t (*now)(void));
long e2_begin(struct ext2_fs *fs);		/* before a change: mark the fs in use */
long e2_end(struct ext2_fs *fs, long rc);	/* after it: write it out */
/* A plain write: begins without flushing the batch, ends adding to it. */
long e2_begin_write(struct ext2_fs *fs);
long e2_end_write(struct ext2_fs *fs, long rc);
long e2_sync(struct ext2_fs *fs, int clean);	/* flush; clean: mark cleanly unmounted */
void e2_unmount(struct ext2_fs *fs);
uint64_t e2_overhead(struct ext2_fs *fs);	/* metadata blocks (statfs leaves them out) */
void sb_dirty(struct ext2_fs *fs, enum bclass cls);
void gd_dirty(struct ext2_fs *fs, uint32_t group, enum bclass cls);
void counts_dirty(struct ext2_fs *fs, uint32_t group);	/* written by e2_sync */
int blk_ok(const struct ext2_fs *fs, uint32_t blk);

/* alloc.c */
long balloc(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
long bfree(struct ext2_fs *fs, uint32_t blk);
long ialloc(struct ext2_fs *fs, uint32_t parent, int dir, uint32_t *out);
long ifree(struct ext2_fs *fs, uint32_t ino, int dir);

/* inode.c */
long iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
long iput(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
long inew(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
uint64_t isize(const struct ext2_inode *in);
void iset_size(struct ext2_inode *in, uint64_t size);
long ifree_all(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
int ftype_of(uint16_t mode);

/* bmap.c */
long bmap(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk, uint32_t *pblk);
long bmap_set(struct ext2_fs *fs, struct ext2_inode *in, uint64_t lblk, uint32_t pblk);
long btrunc(struct ext2_fs *fs, struct ext2_inode *in, uint64_t keep);
uint64_t bmap_max(const struct ext2_fs *fs);

/* dir.c */
long dir_lookup(struct ext2_fs *fs, const struct ext2_inode *dir, const char *name, size_t len,
		uint32_t *ino);
long dir_add(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name, size_t len,
	     uint32_t ino, int ftype);
long dir_remove(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name,
		size_t len);
long dir_retarget(struct ext2_fs *fs, uint32_t dino, struct ext2_inode *dir, const char *name,
		  size_t len, uint32_t ino, int ftype);
long dir_empty(struct ext2_fs *fs, const struct ext2_inode *dir);
/* Move a position kept between calls to the first entry boundary at or
 * after it (the directory may have changed since). */
long dir_resync(struct ext2_fs *fs, const struct ext2_inode *dir, uint64_t *pos);
long dir_next(struct ext2_fs *fs, const struct ext2_inode *dir, uint64_t *pos, char *name,
	      size_t cap, uint32_t *ino, int *ftype);

/* file.c */
long e2_read(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t off, void *buf, uint32_t n);
/* The first block e2_read(off, n) would have to read from the disk, and
 * how many blocks from it read-ahead would take with it: *pblk and the
 * count, 0 if every block it needs is cached (or a hole). */
uint32_t e2_read_miss(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t off, uint32_t n,
		      uint32_t *pblk);
long e2_write(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
		const void *buf, uint32_t n);
long e2_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size);
long e2_readlink(struct ext2_fs *fs, const struct ext2_inode *in, char *buf, size_t cap);

/* perm.c: an inode's owner and group (32 bits, the high halves in osd2);
 * may the current caller (fs->uid, fs->gid) read, write, search (E2_MAY_*)
 * it: 0 or -K42_EACCES; is it the owner (chmod, utimes): 0 or -K42_EPERM. */
#define E2_MAY_R 4u
#define E2_MAY_W 2u
#define E2_MAY_X 1u
uint32_t e2_owner(const struct ext2_inode *in);
uint32_t e2_group(const struct ext2_inode *in);
void e2_set_owner(struct ext2_inode *in, uint32_t uid, uint32_t gid);
long e2_may(const struct ext2_fs *fs, const struct ext2_inode *in, unsigned want);
long e2_may_own(const struct ext2_fs *fs, const struct ext2_inode *in);

/* ops.c: paths inside the mount (no leading '/', no "." or ".."). */
long e2_walk(struct ext2_fs *fs, const char *path, uint32_t *done, int *err, uint32_t *ino,
	     struct ext2_inode *in);
long e2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino, struct ext2_inode *in);
long e2_create(struct ext2_fs *fs, const char *path, uint16_t mode, const char *target,
	       uint32_t *ino);
long e2_unlink(struct ext2_fs *fs, const char *path, int dir);
long e2_rename(struct ext2_fs *fs, const char *from, const char *to);
long e2_link(struct ext2_fs *fs, const char *from, const char *to);
void e2_opened(struct ext2_fs *fs, uint32_t ino);
long e2_closed(struct ext2_fs *fs, uint32_t ino);
long e2_reap(struct ext2_fs *fs);	/* free inodes unlinked while open */

#endif
