/*
 * idl/fs.idl for an ext2 file system: open-file objects (an inode, an
 * offset, the open flags, a directory cursor) behind handles bound to
 * the calling process, and each method over the operations of ops.c and
 * file.c. Calls arrive on threads (they block on the disk); one lock,
 * `fs_lock`, serializes them, so the core below needs none. A changing
 * call runs between e2_begin and e2_end, which writes its blocks before
 * the reply: a completed call is on the disk (docs/storage.md).
 * Every call by path first takes its caller's user and group ids from
 * the kernel (lock_as), which perm.c checks the modes against.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include <k42/procinfo.h>
#include <k42/sync.h>
#include <k42/thread.h>
#include <k42/server.h>
#include <k42/services.h>
#include "fs.h"
#include "ext2.h"
#include "ext2srv.h"

#define O_ACC	03
#define O_CREAT	0100
#define O_EXCL	0200
#define O_TRUNC	01000
#define O_APPEND 02000
#define O_DIR	040000

struct ofile {
	uint32_t ino, flags, refs;	/* refs: handles (share) */
	uint64_t off;
	uint32_t dindex;		/* readdir: the entry at dpos is entry dindex */
	uint64_t dpos;
	uint64_t dprev;			/* where entry dindex - 1 began (asked again) */
};

struct ext2_fs e2;
int64_t e2_epoch;
static struct k42_mutex fs_lock;

/* The write-behind flusher: a batch of writes (super.c e2_end_write)
 * reaches the disk within WRITE_BEHIND_MS of the last write even if
 * nothing else comes. */
#define WRITE_BEHIND_MS	500

static void *flusher(void *arg)
{
	(void)arg;
	for (;;) {
		k42_thread_sleep_us(WRITE_BEHIND_MS * 1000);
		k42_mutex_lock(&fs_lock);
		if (e2.deferred) {
			(void)e2_end(&e2, 0);
			if (e2.why[0]) {
				k42_printf("ext2: write-behind: %s\n", e2.why);
				e2.why[0] = 0;
			}
		}
		k42_mutex_unlock(&fs_lock);
	}
	return NULL;
}

int e2srv_write_behind(void)
{
	if (!k42_thread_create(flusher, NULL))
		return -K42_ENOMEM;
	e2.write_behind = 1;
	return 0;
}

void e2srv_init(void)
{
	k42_mutex_init(&fs_lock);
}

/* Take fs_lock for a call of the process c->pid (the kernel's caller id)
 * and make its user and group ids the current ones (perm.c). Not 0: the
 * caller has gone (done() still unlocks). */
static long lock_as(const struct k42_ipc_caller *c)
{
	uint32_t uid = UINT32_MAX, gid = UINT32_MAX;
	long rc = k42_proc_cred(c->pid, &uid, &gid);

	k42_mutex_lock(&fs_lock);
	e2.uid = uid;
	e2.gid = gid;
	return rc;
}

static long done(long rc)
{
	if (rc < 0 && e2.why[0]) {
		k42_printf("ext2: %s\n", e2.why);
		e2.why[0] = 0;
	}
	k42_mutex_unlock(&fs_lock);
	return rc;
}

/* ext2 keeps seconds since 1970; fs.idl counts nanoseconds from boot
 * (e2_epoch), as a signed number: a file older than the boot has a
 * negative time, stored two's complement in the u64. */
static uint64_t to_ns(uint32_t t)
{
	return (uint64_t)(((int64_t)t - e2_epoch) * 1000000000ll);
}

static uint32_t from_ns(uint64_t ns)
{
	int64_t s = (int64_t)ns / 1000000000ll;

	if ((int64_t)ns < 0 && (int64_t)ns % 1000000000ll)
		s--;	/* floor: -0.5 s is the second before */
	s += e2_epoch;
	return s < 0 ? 0 : s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void to_stat(uint32_t ino, const struct ext2_inode *in, struct fs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = isize(in);
	st->ino = ino;
	st->atime = to_ns(in->atime);
	st->mtime = to_ns(in->mtime);
	st->ctime = to_ns(in->ctime);
	st->mode = in->mode & 07777;
	st->nlink = in->links_count;
	st->blocks = in->blocks;	/* i_blocks: 512-byte units, indirect blocks included */
	st->uid = e2_owner(in);
	st->gid = e2_group(in);
	switch (in->mode & S_IFMT_) {
	case S_IFDIR_: st->kind = FS_KIND_DIRECTORY; break;
	case S_IFLNK_: st->kind = FS_KIND_SYMLINK; break;
	case S_IFCHR_:
		st->kind = FS_KIND_CHARDEV;
		st->rdev = in->block[0] ? in->block[0] : in->block[1];
		break;
	/* A named pipe shows as one (ls, find -type p, stat); opening
	 * it fails, as named pipes are tmpfs's (fs_fifo_impl). */
	case S_IFIFO_: st->kind = FS_KIND_FIFO; break;
	default: st->kind = FS_KIND_REGULAR; break;
	}
}

K42_SERVER_GET(get, struct ofile, 0)

long fs_walk_impl(const struct k42_ipc_caller *c, const char *path, uint32_t *done_at, int32_t *err,
		  struct fs_stat *st, char *link, uint32_t link_cap)
{
	struct ext2_inode in;
	uint32_t ino;
	int e;
	long rc;

	link[0] = 0;
	memset(st, 0, sizeof(*st));
	if ((rc = lock_as(c)) < 0)
		return done(rc);
	rc = e2_walk(&e2, path, done_at, &e, &ino, &in);
	if (rc == 0) {
		*err = e;
		if (ino) {
			to_stat(ino, &in, st);
			if ((in.mode & S_IFMT_) == S_IFLNK_)
				rc = e2_readlink(&e2, &in, link, link_cap);
		}
	}
	return done(rc < 0 ? rc : 0);
}

/* A changing call: the in-use mark, the change, then its blocks out. */
#define CHANGE(expr) do { \
	long rc_ = lock_as(c); \
	if (rc_ == 0) \
		rc_ = e2_begin(&e2); \
	if (rc_ == 0) \
		rc_ = e2_end(&e2, (expr)); \
	return done(rc_); \
} while (0)

static long open_locked(const struct k42_ipc_caller *c, const char *path, uint32_t flags,
			uint32_t mode, k42_handle_t *f, struct fs_stat *st)
{
	struct ext2_inode in;
	struct ofile *of;
	uint32_t ino, acc = flags & O_ACC;
	long rc = e2_lookup(&e2, path, &ino, &in);
	int created = 0;

	if (rc == -K42_ENOENT && (flags & O_CREAT)) {
		if ((rc = e2_begin(&e2)) < 0)
			return rc;
		rc = e2_end(&e2, e2_create(&e2, path, (uint16_t)(S_IFREG_ | (mode & 07777)), NULL, &ino));
		created = rc == 0;
		if (rc == 0)
			rc = iget(&e2, ino, &in);
	} else if (rc == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
		rc = -K42_EEXIST;
	}
	if (rc < 0)
		return rc;
	if ((in.mode & S_IFMT_) == S_IFLNK_)
		return -K42_ELOOP;
	if ((in.mode & S_IFMT_) == S_IFDIR_ && acc != 0)
		return -K42_EISDIR;
	if ((flags & O_DIR) && (in.mode & S_IFMT_) != S_IFDIR_)
		return -K42_ENOTDIR;
	if (acc == 3)
		return -K42_EINVAL;
	if (acc != 0 && e2.readonly)
		return -K42_EROFS;
	/* Reading needs r, writing (and so truncating) w; a file this call
	 * created opens whatever its mode says, as POSIX has it. */
	if (!created && (rc = e2_may(&e2, &in, (acc != 1 ? E2_MAY_R : 0) |
						  (acc != 0 ? E2_MAY_W : 0))) < 0)
		return rc;
	if ((flags & O_TRUNC) && acc != 0 && (in.mode & S_IFMT_) == S_IFREG_ && isize(&in)) {
		if ((rc = e2_begin(&e2)) < 0 || (rc = e2_end(&e2, e2_truncate(&e2, ino, &in, 0))) < 0)
			return rc;
	}
	if (!(of = calloc(1, sizeof(*of))))
		return -K42_ENOMEM;
	of->ino = ino;
	of->flags = flags;
	of->refs = 1;
	if (!(*f = k42_obj_grant(of, c->pid, FS_RIGHT_READ))) {
		free(of);
		return -K42_ENOMEM;
	}
	e2_opened(&e2, ino);
	to_stat(ino, &in, st);
	return 0;
}

long fs_open_impl(const struct k42_ipc_caller *c, const char *path, uint32_t flags, uint32_t mode,
		  k42_handle_t *f, struct fs_stat *st)
{
	long rc = lock_as(c);

	return done(rc < 0 ? rc : open_locked(c, path, flags, mode, f, st));
}

/*
 * Reads that must wait for the disk do it with fs_lock free, so the
 * server's other calls (other clients' reads that hit the cache, their
 * own reads from the disk, writes) go on meanwhile: under the lock a read
 * finds the first block it lacks and its read-ahead run (e2_read_miss),
 * notes mod_gen and lets go; the run comes from the disk into memory of
 * its own (bread_run touches no shared state); under the lock again the
 * blocks go into the cache unless some block changed meanwhile (mod_gen
 * moved: then they are dropped, being possibly stale), and the read
 * starts over from the handle, which may have been closed meanwhile.
 * Counts for the log at sync: reads done so, the most at once, dropped.
 */
static uint32_t unlocked_now, unlocked_most;
static uint64_t unlocked_reads, unlocked_dropped;

long fs_read_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t count,
		  uint8_t *data, uint32_t cap, uint32_t *len)
{
	struct ext2_inode in;
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	for (int tries = 0;; tries++) {
		uint32_t pblk = 0, n;
		uint64_t gen;
		uint8_t *buf;

		if ((rc = get(c, f, &of)) < 0)
			return done(rc);
		if ((of->flags & O_ACC) == 1)
			return done(-K42_EBADH);
		if (offset < -1)
			return done(-K42_EINVAL);
		if ((rc = iget(&e2, of->ino, &in)) < 0)
			return done(rc);
		if ((in.mode & S_IFMT_) == S_IFDIR_)
			return done(-K42_EISDIR);
		if (tries == 2)
			break;	/* the cache keeps changing under us: read under the lock */
		n = e2_read_miss(&e2, &in, offset == -1 ? of->off : (uint64_t)offset,
				 count < cap ? count : cap, &pblk);
		if (!n || !(buf = malloc((size_t)n * e2.bs)))
			break;
		gen = e2.mod_gen;
		if (++unlocked_now > unlocked_most)
			unlocked_most = unlocked_now;
		k42_mutex_unlock(&fs_lock);
		rc = bread_run(&e2, pblk, n, buf);
		k42_mutex_lock(&fs_lock);
		unlocked_now--;
		unlocked_reads++;
		if (rc == 0 && gen == e2.mod_gen)
			bfill(&e2, pblk, n, buf);
		else
			unlocked_dropped++;
		free(buf);
	}
	rc = e2_read(&e2, &in, offset == -1 ? of->off : (uint64_t)offset, data,
		     count < cap ? count : cap);
	if (rc >= 0) {
		if (offset == -1)
			of->off += (uint64_t)rc;
		*len = (uint32_t)rc;
		rc = 0;
	}
	return done(rc);
}

static long write_locked(struct ofile *of, int64_t offset, const uint8_t *data, uint32_t len,
			 uint32_t *written)
{
	struct ext2_inode in;
	uint64_t at;
	long rc;

	if ((rc = iget(&e2, of->ino, &in)) < 0)
		return rc;
	at = offset != -1 ? (uint64_t)offset : (of->flags & O_APPEND) ? isize(&in) : of->off;
	rc = e2_write(&e2, of->ino, &in, at, data, len);
	if (rc >= 0) {
		if (offset == -1)
			of->off = at + (uint64_t)rc;
		*written = (uint32_t)rc;
		rc = 0;
	}
	return rc;
}

long fs_write_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset,
		   const uint8_t *data, uint32_t len, uint32_t *written)
{
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0)
		return done(rc);
	if ((of->flags & O_ACC) == 0)
		return done(-K42_EBADH);
	if (offset < -1)
		return done(-K42_EINVAL);
	if ((rc = e2_begin_write(&e2)) < 0)
		return done(rc);
	return done(e2_end_write(&e2, write_locked(of, offset, data, len, written)));
}

long fs_seek_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t whence,
		  uint64_t *pos)
{
	struct ext2_inode in;
	struct ofile *of;
	int64_t base;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0 || (rc = iget(&e2, of->ino, &in)) < 0)
		return done(rc);
	base = whence == 0 ? 0 : whence == 1 ? (int64_t)of->off : whence == 2 ? (int64_t)isize(&in) : -1;
	if (base < 0 || base + offset < 0)
		return done(-K42_EINVAL);
	of->off = (uint64_t)(base + offset);
	*pos = of->off;
	return done(0);
}

long fs_fstat_impl(const struct k42_ipc_caller *c, k42_handle_t f, struct fs_stat *st)
{
	struct ext2_inode in;
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) == 0 && (rc = iget(&e2, of->ino, &in)) == 0)
		to_stat(of->ino, &in, st);
	return done(rc);
}

static long truncate_locked(struct ofile *of, uint64_t size)
{
	struct ext2_inode in;
	long rc = iget(&e2, of->ino, &in);

	if (rc < 0)
		return rc;
	if ((in.mode & S_IFMT_) != S_IFREG_)
		return -K42_EINVAL;
	return e2_truncate(&e2, of->ino, &in, size);
}

long fs_truncate_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t size)
{
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0)
		return done(rc);
	if ((of->flags & O_ACC) == 0)
		return done(-K42_EINVAL);
	if ((rc = e2_begin(&e2)) < 0)
		return done(rc);
	return done(e2_end(&e2, truncate_locked(of, size)));
}

long fs_fsync_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	long rc;

	/* Every call already wrote its blocks; this makes the disk keep them. */
	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) == 0)
		rc = e2_sync(&e2, 0);
	return done(rc);
}

long fs_readdir_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t index, char *name,
		     uint32_t name_cap, uint64_t *ino, fs_kind_t *kind)
{
	static const fs_kind_t kinds[] = {
		[FT_REG] = FS_KIND_REGULAR, [FT_DIR] = FS_KIND_DIRECTORY,
		[FT_CHR] = FS_KIND_CHARDEV, [FT_LNK] = FS_KIND_SYMLINK,
		[FT_FIFO] = FS_KIND_FIFO,
	};
	struct ext2_inode dir;
	struct ofile *of;
	uint32_t child;
	int ft;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0 || (rc = iget(&e2, of->ino, &dir)) < 0)
		return done(rc);
	if ((dir.mode & S_IFMT_) != S_IFDIR_)
		return done(-K42_ENOTDIR);
	if (index + 1 == of->dindex) {
		of->dpos = of->dprev;	/* the last one again */
		of->dindex = index;
	} else if (index < of->dindex) {
		of->dindex = 0;
		of->dpos = 0;
	}
	/* Entries in order; the cursor makes a listing one pass, not n^2,
	 * and goes on by position, so entries removed meanwhile (rm -r)
	 * shift none of the others. */
	rc = dir_resync(&e2, &dir, &of->dpos);
	while (rc == 0) {
		uint64_t at = of->dpos;

		rc = dir_next(&e2, &dir, &of->dpos, name, name_cap, &child, &ft);
		if (rc == 0 && of->dindex++ == index) {
			of->dprev = at;
			break;
		}
	}
	if (rc == 0) {
		*ino = child;
		*kind = ft >= 0 && ft < (int)(sizeof(kinds) / sizeof(kinds[0])) && kinds[ft] ? kinds[ft]
										      : FS_KIND_REGULAR;
	} else {
		of->dindex = 0;
		of->dpos = 0;
	}
	return done(rc);
}

long fs_close_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0)
		return done(rc);
	k42_obj_revoke(f);
	if (--of->refs == 0) {
		rc = e2_closed(&e2, of->ino);
		free(of);
	}
	return done(rc);
}

long fs_mkdir_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode)
{
	CHANGE(e2_create(&e2, path, (uint16_t)(S_IFDIR_ | (mode & 07777)), NULL, NULL));
}

long fs_unlink_impl(const struct k42_ipc_caller *c, const char *path)
{
	CHANGE(e2_unlink(&e2, path, 0));
}

long fs_rmdir_impl(const struct k42_ipc_caller *c, const char *path)
{
	CHANGE(e2_unlink(&e2, path, 1));
}

long fs_rename_impl(const struct k42_ipc_caller *c, const char *from, const char *to)
{
	CHANGE(e2_rename(&e2, from, to));
}

long fs_link_impl(const struct k42_ipc_caller *c, const char *from, const char *to)
{
	CHANGE(e2_link(&e2, from, to));
}

long fs_symlink_impl(const struct k42_ipc_caller *c, const char *dest, const char *path)
{
	if (!dest[0] || strlen(dest) >= e2.bs)
		return dest[0] ? -K42_ENAMETOOLONG : -K42_EINVAL;
	CHANGE(e2_create(&e2, path, S_IFLNK_ | 0777, dest, NULL));
}

static long setattr(const char *path, int chmod, uint32_t mode, uint64_t atime, uint64_t mtime)
{
	struct ext2_inode in;
	uint32_t ino;
	long rc = e2_lookup(&e2, path, &ino, &in);

	if (rc < 0 || (rc = e2_may_own(&e2, &in)) < 0)
		return rc;	/* only the owner (or uid 0) changes its attributes */
	if (chmod) {
		in.mode = (uint16_t)((in.mode & S_IFMT_) | (mode & 07777));
	} else {
		in.atime = from_ns(atime);
		in.mtime = from_ns(mtime);
	}
	in.ctime = e2.now();
	return iput(&e2, ino, &in);
}

long fs_chmod_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode)
{
	CHANGE(setattr(path, 1, mode, 0, 0));
}

long fs_utimes_impl(const struct k42_ipc_caller *c, const char *path, uint64_t atime,
		    uint64_t mtime)
{
	CHANGE(setattr(path, 0, 0, atime, mtime));
}

long fs_share_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t pid, k42_handle_t *g)
{
	struct ofile *of;
	long rc;

	k42_mutex_lock(&fs_lock);
	if ((rc = get(c, f, &of)) < 0)
		return done(rc);
	if (!pid || !(*g = k42_obj_grant(of, pid, FS_RIGHT_READ)))
		return done(pid ? -K42_ENOMEM : -K42_EINVAL);
	of->refs++;
	return done(0);
}

static long mknod_locked(const char *path, uint32_t mode, uint32_t rdev)
{
	struct ext2_inode in;
	uint32_t ino;
	long rc = e2_create(&e2, path, (uint16_t)(S_IFCHR_ | (mode & 07777)), NULL, &ino);

	if (rc < 0 || (rc = iget(&e2, ino, &in)) < 0)
		return rc;
	in.block[rdev < 0x10000 ? 0 : 1] = rdev;
	return iput(&e2, ino, &in);
}

long fs_mknod_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode, uint32_t rdev)
{
	if ((mode & 0170000) && (mode & 0170000) != 0020000)
		return -K42_EPERM;	/* only device nodes here: no named pipes */
	CHANGE(mknod_locked(path, mode, rdev));
}

long fs_statfs_impl(const struct k42_ipc_caller *c, uint64_t *used, uint64_t *limit,
		    uint32_t *bsize, uint64_t *reserved, uint64_t *files, uint64_t *ffree)
{
	uint64_t size;

	(void)c;
	k42_mutex_lock(&fs_lock);
	size = e2.sb.blocks_count - e2_overhead(&e2);
	*limit = size * e2.bs;
	*used = (size > e2.sb.free_blocks_count ? size - e2.sb.free_blocks_count : 0) * e2.bs;
	*bsize = e2.bs;
	*reserved = (uint64_t)e2.sb.r_blocks_count * e2.bs;
	*files = e2.sb.inodes_count;
	*ffree = e2.sb.free_inodes_count;
	return done(0);
}

/* Our parent (init, which started us), looked up once. */
static uint64_t parent_pid(void)
{
	static uint64_t parent;
	struct k42_procinfo info;

	if (!parent && k42_sc_proc_describe(k42_info(K42_INFO_PID), (uint64_t)&info) == 0)
		parent = info.parent;
	return parent;
}

long fs_sync_impl(const struct k42_ipc_caller *c)
{
	long rc;

	k42_mutex_lock(&fs_lock);
	rc = e2_reap(&e2);
	rc = rc < 0 ? rc : e2_sync(&e2, 1);
	/* The figures for storage/ext2_concurrent, at the sync init makes at
	 * power-off (init started us): a program's sync prints nothing, as
	 * on Linux, where this line was noise in its output. */
	if (unlocked_reads && c->pid == parent_pid())
		k42_printf("ext2: %lu reads from the disk with the lock free, at most %u at once, "
			   "%lu dropped (a block changed meanwhile)\n", unlocked_reads, unlocked_most,
			   unlocked_dropped);
	return done(rc);
}

long fs_map_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t *fr)
{
	/* Not yet: ext2's pages would need write-back to the disk. */
	(void)c;
	(void)f;
	(void)fr;
	return -K42_ENOSYS;
}

long fs_fifo_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t arm, uint32_t *readers,
		  uint32_t *writers, uint32_t *avail, uint32_t *room, uint32_t *since)
{
	/* Named pipes are tmpfs's only (docs/files.md): one on the disk
	 * shows as a fifo but cannot be opened for one end alone. */
	(void)c, (void)f, (void)arm, (void)readers, (void)writers, (void)avail, (void)room, (void)since;
	return -K42_ENXIO;
}
