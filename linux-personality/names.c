/*
 * Linux calls that name files by path, on libk42's file layer (lxfs.h):
 * the stat family (stat, newfstatat, statx), access, readlink,
 * getdents64, the current directory, mkdir, unlink, rename, link,
 * symlink, chmod, chown, utimensat, truncate and umask. File times on
 * k42 count from boot; Linux sees them from LX_BOOT_EPOCH (the clock's
 * time at boot), as its clock.
 */
#include "lx.h"
#include "lxfs.h"

static char path[K42_PATH_MAX], path2[K42_PATH_MAX];	/* disabled: not reentered */

/* struct stat of Linux ppc64 (arch/powerpc/include/uapi/asm/stat.h). */
struct lx_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad;
	uint64_t st_rdev;
	int64_t st_size;
	uint64_t st_blksize, st_blocks;
	uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	uint64_t unused[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "Linux ppc64 struct stat is 144 bytes");

/* libk42's device numbers (its /dev nodes) as Linux's major, minor. */
static void rdev_of(uint32_t dev, uint32_t *major, uint32_t *minor)
{
	static const uint8_t maj[] = { 0, 1, 1, 1, 1, 5, 5, 1 }, min[] = { 0, 3, 5, 7, 9, 0, 1, 8 };

	*major = dev < 8 ? maj[dev] : 0;
	*minor = dev < 8 ? min[dev] : 0;
}

/* k42's times are nanoseconds since boot, signed (a file older than the
 * boot, on a disk, has a negative time): Linux's are seconds since 1970. */
static void ns_split(uint64_t ns, uint64_t *sec, uint64_t *nsec)
{
	int64_t s = (int64_t)ns / 1000000000ll, n = (int64_t)ns % 1000000000ll;

	if (n < 0) {
		n += 1000000000ll;
		s--;
	}
	*sec = (uint64_t)(s + LX_BOOT_EPOCH);
	*nsec = (uint64_t)n;
}

long lx_put_stat(uint64_t uva, const struct k42_stat *s)
{
	struct lx_stat st;
	uint32_t maj, min;

	memset(&st, 0, sizeof(st));
	st.st_dev = s->dev;
	st.st_ino = s->ino;
	st.st_nlink = s->nlink ? s->nlink : 1;
	st.st_mode = s->mode;
	st.st_uid = s->uid;	/* the file server's owner (a disk's files keep theirs) */
	st.st_gid = s->gid;
	rdev_of(s->rdev, &maj, &min);
	st.st_rdev = (uint64_t)maj << 8 | min;
	st.st_size = (int64_t)s->size;
	st.st_blksize = 4096;
	st.st_blocks = s->blocks;	/* the file server's count: holes hold none */
	ns_split(s->atime_ns, &st.st_atime, &st.st_atime_nsec);
	ns_split(s->mtime_ns, &st.st_mtime, &st.st_mtime_nsec);
	ns_split(s->ctime_ns, &st.st_ctime, &st.st_ctime_nsec);
	return lx_copy_out(uva, &st, sizeof(st));
}

/* stat of (dirfd, path, flags), AT_EMPTY_PATH meaning the descriptor. */
static long stat_at(uint64_t dirfd, uint64_t upath, uint64_t flags, struct k42_stat *st)
{
	const char *ppath;
	long rc;

	if (flags & ~(uint64_t)(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | 0x800 /* NO_AUTOMOUNT */ |
				0x6000 /* AT_STATX_SYNC_TYPE */))
		return -LX_EINVAL;
	if ((rc = lx_user_path(upath, path)) < 0)
		return rc;
	if (!path[0]) {
		if (!(flags & LX_AT_EMPTY_PATH))
			return -LX_ENOENT;
		return lx_errno(k42_fstat((int)dirfd, st));
	}
	if ((ppath = lx_proc_path((int64_t)dirfd, path)) != NULL)
		return lx_proc_stat(ppath, (flags & LX_AT_SYMLINK_NOFOLLOW) != 0, st);
	return lx_errno(k42_fstatat((int)dirfd, path, st, (flags & LX_AT_SYMLINK_NOFOLLOW) ?
							    K42_AT_SYMLINK_NOFOLLOW : 0));
}

/* A change refused on a read-only mount is EROFS, as on Linux (the
 * archive's server answers EACCES). */
static long ro_errno(long rc, uint64_t dirfd, const char *p)
{
	if (rc == -LX_EACCES && lx_path_readonly((int64_t)dirfd, p))
		return -LX_EROFS;
	return rc;
}

long lx_sys_fstat(struct lx_args *a)
{
	struct k42_stat st;
	long rc = k42_fstat((int)a->a[0], &st);

	return rc < 0 ? lx_errno(rc) : lx_put_stat(a->a[1], &st);
}

long lx_sys_newfstatat(struct lx_args *a)
{
	struct k42_stat st;
	long rc = stat_at(a->a[0], a->a[1], a->a[3], &st);

	return rc < 0 ? rc : lx_put_stat(a->a[2], &st);
}

long lx_sys_stat(struct lx_args *a)
{
	struct k42_stat st;
	long rc = stat_at((uint64_t)(int64_t)LX_AT_FDCWD, a->a[0], 0, &st);

	return rc < 0 ? rc : lx_put_stat(a->a[1], &st);
}

long lx_sys_lstat(struct lx_args *a)
{
	struct k42_stat st;
	long rc = stat_at((uint64_t)(int64_t)LX_AT_FDCWD, a->a[0], LX_AT_SYMLINK_NOFOLLOW, &st);

	return rc < 0 ? rc : lx_put_stat(a->a[1], &st);
}

/* statx(dirfd, path, flags, mask, buf): every basic field is filled. */
struct lx_statx_ts {
	int64_t sec;
	uint32_t nsec;
	int32_t pad;
};
struct lx_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct lx_statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct lx_statx) == 256, "Linux struct statx is 256 bytes");

static void statx_ts(uint64_t ns, struct lx_statx_ts *t)
{
	uint64_t s, n;

	ns_split(ns, &s, &n);
	t->sec = (int64_t)s;
	t->nsec = (uint32_t)n;
}

long lx_sys_statx(struct lx_args *a)
{
	struct k42_stat st;
	struct lx_statx x;
	long rc = stat_at(a->a[0], a->a[1], a->a[2], &st);

	if (rc < 0)
		return rc;
	memset(&x, 0, sizeof(x));
	x.mask = 0x7ff;		/* STATX_BASIC_STATS */
	x.blksize = 4096;
	x.nlink = st.nlink ? st.nlink : 1;
	x.mode = (uint16_t)st.mode;
	x.uid = st.uid;
	x.gid = st.gid;
	x.ino = st.ino;
	x.size = st.size;
	x.blocks = st.blocks;
	statx_ts(st.atime_ns, &x.atime);
	statx_ts(st.mtime_ns, &x.mtime);
	statx_ts(st.ctime_ns, &x.ctime);
	rdev_of(st.rdev, &x.rdev_major, &x.rdev_minor);
	x.dev_minor = (uint32_t)st.dev;
	return lx_copy_out(a->a[4], &x, sizeof(x));
}

/* access: one user, root, may do anything the file system allows;
 * execute needs an x bit (or a directory). */
long lx_sys_faccessat(struct lx_args *a)
{
	struct k42_stat st;
	long rc = stat_at(a->a[0], a->a[1], 0, &st);

	if (rc < 0)
		return rc;
	if (a->a[2] & ~7ull)
		return -LX_EINVAL;
	if ((a->a[2] & 1) && (st.mode & K42_S_IFMT) != K42_S_IFDIR && !(st.mode & 0111))
		return -LX_EACCES;
	return 0;
}

long lx_sys_faccessat2(struct lx_args *a)
{
	struct k42_stat st;
	long rc;

	if (a->a[3] & ~(uint64_t)(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | 0x200 /* EACCESS */))
		return -LX_EINVAL;
	rc = stat_at(a->a[0], a->a[1], a->a[3] & ~0x200ull, &st);
	if (rc < 0)
		return rc;
	if ((a->a[2] & 1) && (st.mode & K42_S_IFMT) != K42_S_IFDIR && !(st.mode & 0111))
		return -LX_EACCES;
	return 0;
}

long lx_sys_access(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	return lx_sys_faccessat(&b);
}

long lx_sys_readlinkat(struct lx_args *a)
{
	const char *ppath;
	long rc, n;

	if ((rc = lx_user_path(a->a[1], path)) < 0)
		return rc;
	if ((int64_t)a->a[3] <= 0)
		return -LX_EINVAL;
	if ((ppath = lx_proc_path((int64_t)a->a[0], path)) != NULL) {
		n = lx_proc_readlink(ppath, path2, sizeof(path2));
		if (n < 0)
			return n;
	} else {
		n = k42_readlinkat((int)a->a[0], path, path2, sizeof(path2));
		if (n < 0)
			return lx_errno(n);
	}
	if ((uint64_t)n > a->a[3])
		n = (long)a->a[3];
	return lx_copy_out(a->a[2], path2, (uint64_t)n) < 0 ? -LX_EFAULT : n;
}

long lx_sys_readlink(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	b.a[3] = a->a[2];
	return lx_sys_readlinkat(&b);
}

/* ---- directories ---- */

/* getdents64: k42's records (16-byte header) become Linux's (19 bytes),
 * each at most 8 bytes longer; asking for 3/4 of the room always fits.
 * Each record's d_off is the directory's offset after it, which lseek
 * takes back (seekdir, rewinddir): a server's directory counts entries
 * (libk42's fs_remote.c), one made in memory (/proc) bytes of records;
 * which, the offset after the call tells. */
long lx_sys_getdents64(struct lx_args *a)
{
	static uint8_t in[16384], out[sizeof(in) * 4 / 3 + 64];
	uint64_t cap = a->a[2] < sizeof(out) ? a->a[2] : sizeof(out), used = 0, at = 0, n = 0;
	int fd = (int)a->a[0];
	int64_t start = k42_lseek(fd, 0, K42_SEEK_CUR), end;
	int by_index;
	long got;

	if (cap < 24)
		return -LX_EINVAL;
	got = k42_getdents(fd, in, cap * 3 / 4 < sizeof(in) ? cap * 3 / 4 : sizeof(in));
	if (got < 0)
		return lx_errno(got);
	for (uint64_t i = 0; i < (uint64_t)got; n++) {
		uint16_t r = ((const struct k42_dirent *)(in + i))->reclen;

		i += r ? r : (uint64_t)got;
	}
	end = k42_lseek(fd, 0, K42_SEEK_CUR);
	if (start < 0 || end < start)
		start = end = 0;
	by_index = (uint64_t)(end - start) == n;
	while (at < (uint64_t)got) {
		const struct k42_dirent *d = (const struct k42_dirent *)(in + at);
		size_t nl = strnlen(d->name, d->reclen - offsetof(struct k42_dirent, name));
		uint16_t rec = (uint16_t)((19 + nl + 1 + 7) & ~7ul);
		uint64_t off;

		if (d->reclen == 0 || used + rec > cap)
			break;
		at += d->reclen;
		start += by_index ? 1 : d->reclen;
		off = (uint64_t)start;
		memset(out + used, 0, rec);
		memcpy(out + used, &d->ino, 8);
		memcpy(out + used + 8, &off, 8);
		memcpy(out + used + 16, &rec, 2);
		out[used + 18] = d->type;
		memcpy(out + used + 19, d->name, nl);
		used += rec;
	}
	if (used && lx_copy_out(a->a[1], out, used) < 0)
		return -LX_EFAULT;
	return (long)used;
}

/* The working directory as the program sees it (inside its root), in
 * path; its length with the NUL, or a Linux error. */
static long cwd_seen(void)
{
	long n = k42_getcwd(path, sizeof(path));

	if (n < 0)
		return lx_errno(n);
	if (lx_root_len && strncmp(path, lx_root, lx_root_len) == 0 &&
	    (path[lx_root_len] == '/' || path[lx_root_len] == '\0')) {
		size_t k = strlen(path + lx_root_len);

		if (!k)
			memcpy(path, "/", 2);
		else
			memmove(path, path + lx_root_len, k + 1);
	}
	return (long)strlen(path) + 1;
}

long lx_cwd(char *buf, size_t cap)
{
	long n = cwd_seen();

	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -LX_ERANGE;
	memcpy(buf, path, (size_t)n);
	return n;
}

long lx_sys_getcwd(struct lx_args *a)
{
	long n = cwd_seen();

	if (n < 0)
		return n;
	if (a->a[1] < (uint64_t)n)
		return -LX_ERANGE;
	return lx_copy_out(a->a[0], path, (uint64_t)n) < 0 ? -LX_EFAULT : n;
}

long lx_sys_chdir(struct lx_args *a)
{
	long rc = lx_user_path(a->a[0], path);

	if (rc < 0 || (rc = lx_errno(k42_chdir(path))) < 0)
		return rc;
	lx_proc_cwd_changed();
	return 0;
}

long lx_sys_fchdir(struct lx_args *a)
{
	long rc = lx_errno(k42_fchdir((int)a->a[0]));

	if (rc == 0)
		lx_proc_cwd_changed();
	return rc;
}

long lx_sys_mkdirat(struct lx_args *a)
{
	long rc = lx_user_path(a->a[1], path);
	const char *ppath;
	struct k42_stat st;

	/* /proc makes no directories: EEXIST for its names, else ENOENT. */
	if (rc >= 0 && (ppath = lx_proc_path((int64_t)a->a[0], path)) != NULL)
		return lx_proc_stat(ppath, 1, &st) == 0 ? -LX_EEXIST : -LX_ENOENT;
	return rc < 0 ? rc : ro_errno(lx_errno(k42_mkdirat((int)a->a[0], path,
							   (unsigned)a->a[2] & ~lx.umask & 07777)),
				      a->a[0], path);
}

/* Named pipes (tmpfs's, docs/files.md) and empty regular files; device
 * and socket nodes are refused as for a process without CAP_MKNOD. */
long lx_sys_mknodat(struct lx_args *a)
{
	unsigned mode = (unsigned)a->a[2], perm = mode & ~lx.umask & 07777;
	long rc;
	int fd;

	switch (mode & K42_S_IFMT) {
	case 0:
	case K42_S_IFREG:
	case K42_S_IFIFO:
		break;
	case K42_S_IFCHR:
	case 0060000:	/* S_IFBLK */
	case 0140000:	/* S_IFSOCK */
	case K42_S_IFDIR:
		return -LX_EPERM;
	default:
		return -LX_EINVAL;
	}
	if ((rc = lx_user_path(a->a[1], path)) < 0)
		return rc;
	if ((mode & K42_S_IFMT) == K42_S_IFIFO)
		return lx_errno(k42_mkfifoat((int)a->a[0], path, perm));
	fd = k42_openat((int)a->a[0], path, K42_O_WRONLY | K42_O_CREAT | K42_O_EXCL | K42_O_NOFOLLOW,
			perm);
	if (fd < 0)
		return lx_errno(fd);
	(void)k42_close(fd);
	return 0;
}

long lx_sys_mknod(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	b.a[3] = a->a[2];
	return lx_sys_mknodat(&b);
}

long lx_sys_mkdir(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	return lx_sys_mkdirat(&b);
}

long lx_sys_unlinkat(struct lx_args *a)
{
	long rc;

	if (a->a[2] & ~(uint64_t)LX_AT_REMOVEDIR)
		return -LX_EINVAL;
	if ((rc = lx_user_path(a->a[1], path)) < 0)
		return rc;
	return ro_errno(lx_errno(k42_unlinkat((int)a->a[0], path, (int)a->a[2])), a->a[0], path);
}

long lx_sys_unlink(struct lx_args *a)
{
	long rc = lx_user_path(a->a[0], path);

	return rc < 0 ? rc : ro_errno(lx_errno(k42_unlink(path)), (uint64_t)(int64_t)LX_AT_FDCWD, path);
}

long lx_sys_rmdir(struct lx_args *a)
{
	long rc = lx_user_path(a->a[0], path);

	return rc < 0 ? rc : ro_errno(lx_errno(k42_rmdir(path)), (uint64_t)(int64_t)LX_AT_FDCWD, path);
}

#define LX_RENAME_NOREPLACE 1

long lx_sys_renameat2(struct lx_args *a)
{
	struct k42_stat st;
	long rc;

	if (a->a[4] & ~(uint64_t)LX_RENAME_NOREPLACE)
		return -LX_EINVAL;
	if ((rc = lx_user_path(a->a[1], path)) < 0 || (rc = lx_user_path(a->a[3], path2)) < 0)
		return rc;
	/* A trailing slash on either name asks for a directory: renaming
	 * anything else so is ENOTDIR, as Linux (mv f dir/ with no dir). */
	if (((path[0] && path[strlen(path) - 1] == '/') || (path2[0] && path2[strlen(path2) - 1] == '/')) &&
	    k42_fstatat((int)a->a[0], path, &st, K42_AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.mode & K42_S_IFMT) != K42_S_IFDIR)
		return -LX_ENOTDIR;
	if ((a->a[4] & LX_RENAME_NOREPLACE) &&
	    k42_fstatat((int)a->a[2], path2, &st, K42_AT_SYMLINK_NOFOLLOW) == 0)
		return -LX_EEXIST;
	return ro_errno(lx_errno(k42_renameat((int)a->a[0], path, (int)a->a[2], path2)), a->a[0], path);
}

long lx_sys_renameat(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[4] = 0;
	return lx_sys_renameat2(&b);
}

long lx_sys_rename(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[3] = a->a[1];
	b.a[4] = 0;
	return lx_sys_renameat2(&b);
}

long lx_sys_linkat(struct lx_args *a)
{
	long rc;

	if (a->a[4] & ~0x400ull)	/* AT_SYMLINK_FOLLOW: links are never to symlinks here */
		return -LX_EINVAL;
	if ((rc = lx_user_path(a->a[1], path)) < 0 || (rc = lx_user_path(a->a[3], path2)) < 0)
		return rc;
	return ro_errno(lx_errno(k42_linkat((int)a->a[0], path, (int)a->a[2], path2)), a->a[2], path2);
}

long lx_sys_link(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[3] = a->a[1];
	b.a[4] = 0;
	return lx_sys_linkat(&b);
}

long lx_sys_symlinkat(struct lx_args *a)
{
	long rc;

	/* The target is stored as given (not a path of ours to make real). */
	if ((rc = lx_copy_str(path, a->a[0], K42_PATH_MAX)) < 0 || (rc = lx_user_path(a->a[2], path2)) < 0)
		return rc;
	return ro_errno(lx_errno(k42_symlinkat(path, (int)a->a[1], path2)), a->a[1], path2);
}

long lx_sys_symlink(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = a->a[0];
	b.a[1] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[2] = a->a[1];
	return lx_sys_symlinkat(&b);
}

long lx_sys_fchmodat(struct lx_args *a)
{
	long rc = lx_user_path(a->a[1], path);

	return rc < 0 ? rc : lx_errno(k42_fchmodat((int)a->a[0], path, (unsigned)a->a[2] & 07777, 0));
}

long lx_sys_chmod(struct lx_args *a)
{
	long rc = lx_user_path(a->a[0], path);

	return rc < 0 ? rc : lx_errno(k42_chmod(path, (unsigned)a->a[1] & 07777));
}

/* chown: one user (root) owns everything; only the file must exist. */
long lx_sys_fchownat(struct lx_args *a)
{
	struct k42_stat st;

	return stat_at(a->a[0], a->a[1], a->a[4], &st);
}

long lx_sys_chown(struct lx_args *a)
{
	struct k42_stat st;

	return stat_at((uint64_t)(int64_t)LX_AT_FDCWD, a->a[0], 0, &st);
}

long lx_sys_lchown(struct lx_args *a)
{
	struct k42_stat st;

	return stat_at((uint64_t)(int64_t)LX_AT_FDCWD, a->a[0], LX_AT_SYMLINK_NOFOLLOW, &st);
}

long lx_sys_fchown(struct lx_args *a)
{
	struct k42_stat st;

	return lx_errno(k42_fstat((int)a->a[0], &st));
}

/* ---- times ---- */

#define LX_UTIME_NOW ((1l << 30) - 1)
#define LX_UTIME_OMIT ((1l << 30) - 2)

static uint64_t now_ns(void)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), tb = k42_timebase();

	return tb / hz * 1000000000ull + tb % hz * 1000000000ull / hz;
}

/* A Linux time (seconds since 1970) as k42's (ns since boot, negative
 * before the boot; clamped to what an int64 holds). */
static uint64_t k42_ns(int64_t sec, int64_t nsec)
{
	int64_t s = sec - LX_BOOT_EPOCH;

	if (s < -9000000000ll)
		s = -9000000000ll;
	if (s > 9000000000ll)
		s = 9000000000ll;
	return (uint64_t)(s * 1000000000ll + nsec);
}

/* The new times from ts[] (LX_UTIME_NOW / LX_UTIME_OMIT per time). */
static void new_times(const int64_t ts[4], const struct k42_stat *st, uint64_t *at, uint64_t *mt)
{
	*at = ts[1] == LX_UTIME_NOW ? now_ns() : ts[1] == LX_UTIME_OMIT ? st->atime_ns : k42_ns(ts[0], ts[1]);
	*mt = ts[3] == LX_UTIME_NOW ? now_ns() : ts[3] == LX_UTIME_OMIT ? st->mtime_ns : k42_ns(ts[2], ts[3]);
}

/* futimens: the times of what fd is open on, by the path it was opened
 * under (as fchmod), which is what libk42 keeps of it. */
static long set_times_fd(int fd, const int64_t ts[4])
{
	struct k42_stat st;
	uint64_t at, mt;
	long rc = k42_fstat(fd, &st);

	if (rc < 0)
		return lx_errno(rc);
	new_times(ts, &st, &at, &mt);
	rc = k42_futimes(fd, at, mt);
	return lx_errno(rc);
}

static long set_times(uint64_t dirfd, uint64_t upath, const int64_t ts[4], uint64_t flags)
{
	struct k42_stat st;
	uint64_t at, mt;
	long rc = stat_at(dirfd, upath, flags, &st);

	if (rc < 0)
		return rc;
	if (!path[0])		/* AT_EMPTY_PATH: dirfd itself */
		return set_times_fd((int)dirfd, ts);
	new_times(ts, &st, &at, &mt);
	return lx_errno(k42_utimesat((int)dirfd, path, at, mt,
				     (flags & LX_AT_SYMLINK_NOFOLLOW) ? K42_AT_SYMLINK_NOFOLLOW : 0));
}

/* utimensat(dirfd, path, times[2] or NULL (now), flags); path NULL is
 * futimens(dirfd, times) */
long lx_sys_utimensat(struct lx_args *a)
{
	int64_t ts[4] = { 0, LX_UTIME_NOW, 0, LX_UTIME_NOW };

	if (a->a[2]) {
		if (lx_copy_in(ts, a->a[2], sizeof(ts)) < 0)
			return -LX_EFAULT;
		for (int i = 1; i < 4; i += 2)
			if ((ts[i] < 0 || ts[i] >= 1000000000) && ts[i] != LX_UTIME_NOW &&
			    ts[i] != LX_UTIME_OMIT)
				return -LX_EINVAL;
	}
	if (!a->a[1]) {
		if (a->a[3] & ~(uint64_t)LX_AT_SYMLINK_NOFOLLOW)
			return -LX_EINVAL;
		return set_times_fd((int)a->a[0], ts);
	}
	return set_times(a->a[0], a->a[1], ts, a->a[3]);
}

/* futimesat(dirfd, path, timeval[2] or NULL) */
long lx_sys_futimesat(struct lx_args *a)
{
	int64_t tv[4], ts[4] = { 0, LX_UTIME_NOW, 0, LX_UTIME_NOW };

	if (a->a[2]) {
		if (lx_copy_in(tv, a->a[2], sizeof(tv)) < 0)
			return -LX_EFAULT;
		if (tv[1] < 0 || tv[1] >= 1000000 || tv[3] < 0 || tv[3] >= 1000000)
			return -LX_EINVAL;
		ts[0] = tv[0];
		ts[1] = tv[1] * 1000;
		ts[2] = tv[2];
		ts[3] = tv[3] * 1000;
	}
	return set_times(a->a[0], a->a[1], ts, 0);
}

/* utimes(path, timeval[2] or NULL) */
long lx_sys_utimes(struct lx_args *a)
{
	struct lx_args b = { .a = { (uint64_t)(int64_t)LX_AT_FDCWD, a->a[0], a->a[1] } };

	return lx_sys_futimesat(&b);
}

/* ---- sizes, the mask ---- */

long lx_sys_truncate(struct lx_args *a)
{
	long rc, fd;

	if ((int64_t)a->a[1] < 0)
		return -LX_EINVAL;
	if ((rc = lx_user_path(a->a[0], path)) < 0)
		return rc;
	fd = k42_open(path, K42_O_WRONLY, 0);
	if (fd < 0)
		return lx_errno(fd);
	rc = k42_ftruncate((int)fd, a->a[1]);
	k42_close((int)fd);
	return lx_errno(rc);
}

long lx_sys_umask(struct lx_args *a)
{
	uint32_t old = lx.umask;

	lx.umask = (uint32_t)a->a[0] & 0777;
	return old;
}

long lx_sys_fchmod(struct lx_args *a)
{
	return lx_errno(k42_fchmod((int)a->a[0], (unsigned)a->a[1] & 07777));
}
