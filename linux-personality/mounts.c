/*
 * Mounted file systems as Linux sees them: the mount table (the name
 * server's "mnt" names, as libk42's file layer reads them) with each
 * file system's kind taken from its server's name, for /proc/mounts
 * (procfs.c), and statfs/fstatfs from the server's own figures
 * (fs.statfs: bytes used, the size without the file system's own
 * structures, the block size, root's reserve and the inodes).
 */
#include "lx.h"
#include "lxfs.h"
#include <k42/procinfo.h>
#include <k42/services.h>
#include "fs.h"		/* idl/fs.idl client stubs */

#define LX_TMPFS_MAGIC 0x01021994
#define LX_EXT2_MAGIC 0xEF53
#define LX_RAMFS_MAGIC 0x858458f6
#define LX_PROC_MAGIC 0x9fa0
#define LX_ST_RDONLY 1

int lx_mounts(struct lx_mount *m, int max)
{
	uint32_t cursor = 0;
	char name[128];
	uint64_t pid;
	int n = 0;

	while (n < max && k42_name_list(&cursor, name, sizeof(name), &pid) == 0) {
		struct k42_procinfo info;
		const char *srv;

		if (strcmp(name, "mnt") == 0)
			strcpy(m[n].point, "/");
		else if (strncmp(name, "mnt/", 4) == 0 && name[4] && strlen(name) < sizeof(m[n].point))
			strcpy(m[n].point, name + 3);
		else
			continue;
		m[n].server = pid;
		srv = k42_sc_proc_describe(pid, (uint64_t)&info) == 0 ? info.name : "";
		if (strcmp(srv, "files") == 0) {
			strcpy(m[n].type, "rootfs");
			m[n].magic = LX_RAMFS_MAGIC;
			m[n].ro = 1;
		} else if (strcmp(srv, "ext2") == 0) {
			strcpy(m[n].type, "ext2");
			m[n].magic = LX_EXT2_MAGIC;
			m[n].ro = 0;
		} else {
			strcpy(m[n].type, "tmpfs");
			m[n].magic = LX_TMPFS_MAGIC;
			m[n].ro = 0;
		}
		n++;
	}
	return n;
}

/* The mount holding absolute path p: the longest matching point. */
static int mount_of(const struct lx_mount *m, int n, const char *p)
{
	int best = -1;
	size_t blen = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(m[i].point);

		if (strcmp(m[i].point, "/") == 0)
			l = 0;
		if (strncmp(p, m[i].point, l) == 0 && (p[l] == '/' || p[l] == '\0') && (best < 0 || l > blen)) {
			best = i;
			blen = l;
		}
	}
	return best;
}

struct lx_statfs {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct lx_statfs) == 120, "Linux ppc64 struct statfs is 120 bytes");

/* The mount holding path (absolute, or relative to the working
 * directory), with m filled by lx_mounts: its index in m, or
 * -LX_ENAMETOOLONG (the absolute path is too long), -LX_ENOENT. */
static int mount_of_path(struct lx_mount *m, const char *path)
{
	static char abs[K42_PATH_MAX];
	int i;

	if (path[0] != '/') {
		long l = k42_getcwd(abs, sizeof(abs));

		if (l < 0 || (size_t)l + strlen(path) + 1 >= sizeof(abs))
			return -LX_ENAMETOOLONG;
		strcat(abs, "/");
		strcat(abs, path);
	} else {
		strcpy(abs, path);
	}
	i = mount_of(m, lx_mounts(m, LX_MOUNTS_MAX), abs);
	return i < 0 ? -LX_ENOENT : i;
}

static long put_statfs(const struct lx_mount *m, uint64_t uva)
{
	struct lx_statfs s;
	uint64_t used = 0, limit = 0, reserved = 0, files = 0, ffree = 0;
	uint32_t bs = 0;

	memset(&s, 0, sizeof(s));
	if (fs_statfs(m->server, &used, &limit, &bs, &reserved, &files, &ffree) < 0)
		used = limit = reserved = files = ffree = 0;
	if (!bs)
		bs = 4096;
	if (!limit)
		limit = used;	/* no limit (the archive): full */
	if (used > limit)
		used = limit;
	s.type = (int64_t)m->magic;
	s.bsize = s.frsize = bs;
	s.blocks = (limit + bs - 1) / bs;
	s.bfree = (limit - used) / bs;
	s.bavail = s.bfree > reserved / bs ? s.bfree - reserved / bs : 0;
	s.files = files;
	s.ffree = ffree;
	s.fsid[0] = (int32_t)m->server;
	s.namelen = 255;
	s.flags = m->ro ? LX_ST_RDONLY : 0;
	return lx_copy_out(uva, &s, sizeof(s)) < 0 ? -LX_EFAULT : 0;
}

static long statfs_path(uint64_t upath, uint64_t uva)
{
	static char path[K42_PATH_MAX];
	struct lx_mount m[LX_MOUNTS_MAX];
	struct k42_stat st;
	int i;
	long rc;

	if ((rc = lx_user_path(upath, path)) < 0)
		return rc;
	if (lx_proc_path(LX_AT_FDCWD, path)) {
		struct lx_statfs ps;

		memset(&ps, 0, sizeof(ps));
		ps.type = LX_PROC_MAGIC;
		ps.bsize = ps.frsize = 4096;
		ps.namelen = 255;
		return lx_copy_out(uva, &ps, sizeof(ps)) < 0 ? -LX_EFAULT : 0;
	}
	if ((rc = k42_stat(path, &st)) < 0)
		return lx_errno(rc);
	if ((i = mount_of_path(m, path)) < 0)
		return i;
	return put_statfs(&m[i], uva);
}

long lx_sys_statfs(struct lx_args *a)
{
	return statfs_path(a->a[0], a->a[1]);
}

long lx_sys_statfs64(struct lx_args *a)
{
	if (a->a[1] != sizeof(struct lx_statfs))
		return -LX_EINVAL;
	return statfs_path(a->a[0], a->a[2]);
}

/* fstatfs: the descriptor's mount, by the index its stat gives (libk42
 * numbers mounts in the name server's order, as lx_mounts reads them). */
static long statfs_fd(int fd, uint64_t uva)
{
	struct lx_mount m[LX_MOUNTS_MAX];
	struct k42_stat st;
	long rc = k42_fstat(fd, &st);
	int n;

	if (rc < 0)
		return lx_errno(rc);
	n = lx_mounts(m, LX_MOUNTS_MAX);
	if (st.dev >= (uint64_t)n)
		return -LX_ENOSYS;	/* a pipe, a socket, a device of the process */
	return put_statfs(&m[st.dev], uva);
}

long lx_sys_fstatfs(struct lx_args *a)
{
	return statfs_fd((int)a->a[0], a->a[1]);
}

long lx_sys_fstatfs64(struct lx_args *a)
{
	if (a->a[1] != sizeof(struct lx_statfs))
		return -LX_EINVAL;
	return statfs_fd((int)a->a[0], a->a[2]);
}

/* Does a change at path (relative to dirfd) fall on a read-only mount?
 * The archive's server refuses changes with EACCES; Linux says EROFS.
 * Only asked on that error's way back (it lists the mounts). */
int lx_path_readonly(int64_t dirfd, const char *path)
{
	static struct lx_mount m[LX_MOUNTS_MAX];
	static char abs[K42_PATH_MAX * 2 + 2];
	char *base = NULL;
	int n, i;

	if (path[0] == '/') {
		strcpy(abs, path);
	} else {
		if (dirfd == LX_AT_FDCWD) {
			if (k42_getcwd(abs, K42_PATH_MAX) < 0)
				return 0;
		} else {
			if (k42_fd_path((int)dirfd, &base) < 0 || !base)
				return 0;
			strcpy(abs, base);
			free(base);
		}
		strcat(abs, "/");
		strcat(abs, path);
	}
	n = lx_mounts(m, LX_MOUNTS_MAX);
	i = mount_of(m, n, abs);
	return i >= 0 && m[i].ro;
}

/* mount, umount: the mounts are the name server's, made by init from the
 * boot configuration, not a program's to change. Linux's answers for
 * the path come first (ENOENT, ENOTDIR; umount of what is not a mount
 * point: EINVAL); then EPERM, as for a process without CAP_SYS_ADMIN. */
static long mount_target(uint64_t upath, int *is_point)
{
	static char path[K42_PATH_MAX];
	struct lx_mount m[LX_MOUNTS_MAX];
	struct k42_stat st;
	int n;
	long rc;

	if ((rc = lx_user_path(upath, path)) < 0)
		return rc;
	if (lx_proc_path(LX_AT_FDCWD, path)) {
		*is_point = strcmp(path, "/proc") == 0 || strcmp(path, "/proc/") == 0;
		return 0;
	}
	if ((rc = k42_stat(path, &st)) < 0)
		return lx_errno(rc);
	if ((st.mode & K42_S_IFMT) != K42_S_IFDIR)
		return -LX_ENOTDIR;
	*is_point = 0;
	n = lx_mounts(m, LX_MOUNTS_MAX);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(path);

		while (l > 1 && path[l - 1] == '/')
			path[--l] = '\0';
		if (strcmp(m[i].point, path) == 0)
			*is_point = 1;
	}
	return 0;
}

long lx_sys_mount(struct lx_args *a)
{
	int point;
	long rc = mount_target(a->a[1], &point);

	return rc < 0 ? rc : -LX_EPERM;
}

long lx_sys_umount2(struct lx_args *a)
{
	int point;
	long rc;

	if (a->a[1] & ~(uint64_t)0xf)
		return -LX_EINVAL;
	if ((rc = mount_target(a->a[0], &point)) < 0)
		return rc == -LX_ENOTDIR ? -LX_EINVAL : rc;
	return point ? -LX_EPERM : -LX_EINVAL;
}

/* swapon/swapoff, as Linux answers root: paging is the kernel's and its
 * file servers' (docs/memory.md), so no Linux swap area ever exists.
 * swapon: after the path's own errors (a directory: EISDIR, as Linux's
 * open for writing), what Linux refuses with EINVAL
 * (neither a regular file nor a block device; no mkswap signature at the
 * end of the first page; a file on tmpfs, which cannot be swapped to),
 * else EPERM, as mount. swapoff: EINVAL (not a swap area). */
#define LX_SWAP_MAGIC "SWAPSPACE2"
#define LX_S_IFBLK 0060000

static long swap_check(uint64_t upath, int on)
{
	static char path[K42_PATH_MAX];
	struct lx_mount m[LX_MOUNTS_MAX];
	struct k42_stat st;
	char magic[10];
	long rc = lx_user_path(upath, path);
	int fd, i;

	if (rc < 0)
		return rc;
	if ((rc = k42_stat(path, &st)) < 0)
		return lx_errno(rc);
	if ((st.mode & K42_S_IFMT) == K42_S_IFDIR)
		return -LX_EISDIR;	/* Linux opens it for writing first */
	if (!on)
		return -LX_EINVAL;
	if ((st.mode & K42_S_IFMT) != K42_S_IFREG)
		return (st.mode & K42_S_IFMT) == LX_S_IFBLK ? -LX_EPERM : -LX_EINVAL;
	fd = k42_open(path, K42_O_RDONLY, 0);
	if (fd < 0)
		return lx_errno(fd);
	rc = k42_pread(fd, magic, sizeof(magic), K42_PAGE_SIZE - (int64_t)sizeof(magic));
	k42_close(fd);
	if (rc != (long)sizeof(magic) || memcmp(magic, LX_SWAP_MAGIC, sizeof(magic)) != 0)
		return -LX_EINVAL;
	if ((i = mount_of_path(m, path)) == -LX_ENAMETOOLONG)
		return i;
	return i >= 0 && m[i].magic == LX_TMPFS_MAGIC ? -LX_EINVAL : -LX_EPERM;
}

long lx_sys_swapon(struct lx_args *a)
{
	return swap_check(a->a[0], 1);
}

long lx_sys_swapoff(struct lx_args *a)
{
	return swap_check(a->a[0], 0);
}

long lx_sys_umount(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[1] = 0;
	return lx_sys_umount2(&b);
}
