/*
 * Linux file calls, kept thin and in one place until libk42's file layer
 * (issue 14) lands and they go through it: a per-process descriptor table
 * over three kinds of open file — the console (a tty), /dev/null, and
 * files and directories of the boot archive, which is mapped read-only
 * in this process (K42_INITRD_VA) and read without IPC. Symlinks in the
 * archive (busybox applets) are followed. Nothing is writable yet except
 * the console, /dev/null and pipes (pipe.c): creating a file gives EROFS.
 * Tty ioctls, pipe2, sendfile and poll are in fs_io.c.
 */
#include <kern/cpio.h>
#include "lx.h"
#include "lxfs.h"

static struct lx_fd fds[LX_NFD];
static struct lx_file console_file = {
	.type = LX_F_CONSOLE, .refs = 1, .mode = LX_S_IFCHR | 0620, .ino = 1, .name = "dev/console",
};

void lx_fs_init(void)
{
	for (int i = 0; i < 3; i++) {
		fds[i].f = &console_file;
		console_file.refs++;
	}
	if (!lx.cwd[0])
		strcpy(lx.cwd, "/");
	lx.umask = 022;
}

struct lx_file *lx_fd_get(uint64_t fd)
{
	return fd < LX_NFD ? fds[fd].f : NULL;
}

int lx_fd_alloc(struct lx_file *f, int lowest, int cloexec)
{
	for (int i = lowest; i < LX_NFD; i++) {
		if (!fds[i].f) {
			fds[i].f = f;
			fds[i].cloexec = cloexec;
			f->refs++;
			return i;
		}
	}
	return -LX_EMFILE;
}

static void file_put(struct lx_file *f)
{
	if (--f->refs == 0 && f != &console_file) {
		if (f->pipe)
			lx_pipe_put(f->pipe, f->type == LX_F_PIPE_W);
		free(f);
	}
}

/* The child has a copy of every open file: pipe ends gain a holder. */
void lx_fs_fork(void)
{
	static uint64_t gen;

	gen++;
	for (int i = 0; i < LX_NFD; i++) {
		struct lx_file *f = fds[i].f;

		if (f && f->pipe && f->mark != gen) {
			f->mark = gen;
			lx_pipe_get(f->pipe, f->type == LX_F_PIPE_W);
		}
	}
}

/* A file that never got a descriptor. */
void lx_file_put_ref0(struct lx_file *f)
{
	f->refs = 1;
	file_put(f);
}

void lx_fs_close_all(void)
{
	for (int i = 0; i < LX_NFD; i++)
		if (fds[i].f)
			lx_fd_close((uint64_t)i);
}

long lx_fd_close(uint64_t fd)
{
	struct lx_file *f = lx_fd_get(fd);

	if (!f)
		return -LX_EBADF;
	fds[fd].f = NULL;
	file_put(f);
	return 0;
}

/* execve: descriptors marked close-on-exec go. */
void lx_fs_exec(void);
void lx_fs_exec(void)
{
	for (int i = 0; i < LX_NFD; i++)
		if (fds[i].f && fds[i].cloexec)
			lx_fd_close((uint64_t)i);
}

/* ---- paths over the archive ---- */

static long find_entry(const char *name, struct cpio_entry *e, uint64_t *ino)
{
	struct cpio_iter it;
	uint64_t n = 0;
	int rc;

	if (!name[0]) {	/* the root */
		e->name = "";
		e->data = NULL;
		e->size = 0;
		e->mode = LX_S_IFDIR | 0755;
		*ino = 1;
		return 0;
	}
	if (!k42_initrd_bytes())
		return -LX_ENOENT;
	cpio_iter_init(&it, (const void *)K42_INITRD_VA, k42_initrd_bytes());
	while ((rc = cpio_next(&it, e)) > 0) {
		n++;
		if (strcmp(e->name, name) == 0) {
			*ino = n + 1;
			return 0;
		}
	}
	return -LX_ENOENT;
}

/* Make `path` absolute against base and normalise it into out (no leading
 * slash, no "." or ".." or empty components). */
static long normalise(const char *base, const char *path, char *out, size_t outlen)
{
	char tmp[2 * LX_PATH_MAX];
	size_t o = 0, bl = strlen(base), pl = strlen(path);
	char *s, *comp;

	if (bl + pl + 2 > sizeof(tmp))
		return -LX_ENAMETOOLONG;
	tmp[0] = '\0';
	if (path[0] != '/') {
		memcpy(tmp, base, bl);
		tmp[bl] = '/';
		memcpy(tmp + bl + 1, path, pl + 1);
	} else {
		memcpy(tmp, path, pl + 1);
	}
	out[0] = '\0';
	s = tmp;
	while (*s) {
		while (*s == '/')
			s++;
		comp = s;
		while (*s && *s != '/')
			s++;
		if (*s)
			*s++ = '\0';
		if (!comp[0] || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		if (o + strlen(comp) + 2 > outlen)
			return -LX_ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, comp, strlen(comp) + 1);
		o += strlen(comp);
	}
	return 0;
}

long lx_resolve(const char *path, char *out, size_t outlen, int follow_last)
{
	char cur[LX_PATH_MAX], dir[LX_PATH_MAX + 1], target[LX_PATH_MAX];
	struct cpio_entry e;
	uint64_t ino;
	long rc;

	if (!path[0])
		return -LX_ENOENT;
	rc = normalise(lx.cwd, path, cur, sizeof(cur));
	for (int depth = 0; rc == 0 && depth < 8; depth++) {
		char *slash;

		if (find_entry(cur, &e, &ino) < 0 || (e.mode & LX_S_IFMT) != LX_S_IFLNK || !follow_last)
			break;
		if (e.size >= sizeof(target))
			return -LX_ENAMETOOLONG;
		memcpy(target, e.data, e.size);
		target[e.size] = '\0';
		dir[0] = '/';
		strcpy(dir + 1, cur);
		slash = strrchr(dir, '/');
		*slash = '\0';
		rc = normalise(dir[0] ? dir : "/", target, cur, sizeof(cur));
		if (depth == 7)
			return -LX_ELOOP;
	}
	if (rc < 0)
		return rc;
	if (strlen(cur) + 1 > outlen)
		return -LX_ENAMETOOLONG;
	strcpy(out, cur);
	return 0;
}

static int is_dev(const char *name, const char *dev)
{
	return strcmp(name, dev) == 0;
}

/* Open `name` (resolved) as a new lx_file. */
static long open_name(const char *name, struct lx_file **fp)
{
	struct cpio_entry e;
	struct lx_file *f;
	uint64_t ino;
	long rc;

	if (is_dev(name, "dev/console") || is_dev(name, "dev/tty") || is_dev(name, "dev/hvc0")) {
		*fp = &console_file;
		return 0;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -LX_ENOMEM;
	if (is_dev(name, "dev/null") || is_dev(name, "dev/zero")) {
		f->type = name[4] == 'n' ? LX_F_NULL : LX_F_ZERO;
		f->mode = LX_S_IFCHR | 0666;
		f->ino = name[4] == 'n' ? 3 : 4;
	} else {
		rc = find_entry(name, &e, &ino);
		if (rc < 0) {
			free(f);
			return rc;
		}
		f->type = (e.mode & LX_S_IFMT) == LX_S_IFDIR ? LX_F_DIR : LX_F_FILE;
		f->data = e.data;
		f->size = e.size;
		f->mode = e.mode;
		f->ino = ino;
	}
	strcpy(f->name, name);
	*fp = f;
	return 0;
}

static long user_path(uint64_t uva, char *buf)
{
	long rc = lx_copy_str(buf, uva, LX_PATH_MAX);

	return rc < 0 ? rc : 0;
}

long lx_sys_openat(struct lx_args *a)
{
	char path[LX_PATH_MAX], name[LX_PATH_MAX];
	uint64_t flags = a->a[2];
	struct lx_file *f;
	long rc, fd;

	if ((rc = user_path(a->a[1], path)) < 0)
		return rc;
	if ((int)a->a[0] != LX_AT_FDCWD && path[0] != '/') {
		struct lx_file *d = lx_fd_get(a->a[0]);
		char full[2 * LX_PATH_MAX + 2];

		if (!d)
			return -LX_EBADF;
		if (d->type != LX_F_DIR)
			return -LX_ENOTDIR;
		if (strlen(d->name) + strlen(path) + 3 > LX_PATH_MAX)
			return -LX_ENAMETOOLONG;
		full[0] = '/';
		strcpy(full + 1, d->name);
		strcat(full, "/");
		strcat(full, path);
		strcpy(path, full);
	}
	if ((rc = lx_resolve(path, name, sizeof(name), 1)) < 0)
		return rc;
	rc = open_name(name, &f);
	if (rc == -LX_ENOENT && (flags & LX_O_CREAT))
		return -LX_EROFS;
	if (rc < 0)
		return rc;
	if (f->type == LX_F_FILE || f->type == LX_F_DIR) {
		if ((flags & LX_O_ACCMODE) != 0 || (flags & LX_O_TRUNC)) {
			rc = f->type == LX_F_DIR ? -LX_EISDIR : -LX_EROFS;
			free(f);
			return rc;
		}
		if ((flags & LX_O_DIRECTORY) && f->type != LX_F_DIR) {
			free(f);
			return -LX_ENOTDIR;
		}
	}
	fd = lx_fd_alloc(f, 0, (flags & LX_O_CLOEXEC) != 0);
	if (fd < 0 && f->refs == 0)
		free(f);
	return fd;
}

long lx_sys_open(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	b.a[3] = a->a[2];
	return lx_sys_openat(&b);
}

long lx_sys_close(struct lx_args *a)
{
	return lx_fd_close(a->a[0]);
}

/* ---- console ---- */

static long console_write(uint64_t uva, uint64_t len)
{
	static char buf[4096];
	uint64_t done = 0;

	while (done < len) {
		uint64_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		long rc = lx_copy_in(buf, uva + done, n);

		if (rc < 0)
			return done ? (long)done : rc;
		k42_sc_debug_write((uint64_t)buf, n);
		done += n;
	}
	return (long)done;
}

/* Console input taken by poll but not read yet. */
static char con_pending[256];
static long con_npending;

long lx_console_poll_in(void)
{
	if (!con_npending) {
		long n = k42_sc_console_read((uint64_t)con_pending, sizeof(con_pending));

		con_npending = n > 0 ? n : 0;
	}
	return con_npending;
}

/* Wait for console input: poll the hypervisor terminal every 10 ms (the
 * console server does the same when it runs). */
static long console_read(uint64_t uva, uint64_t len)
{
	static char buf[256];
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	if (!len)
		return 0;
	for (;;) {
		long n;

		if (con_npending) {
			n = (long)(len < (uint64_t)con_npending ? len : (uint64_t)con_npending);
			memcpy(buf, con_pending, (size_t)n);
			memmove(con_pending, con_pending + n, (size_t)(con_npending - n));
			con_npending -= n;
		} else {
			n = k42_sc_console_read((uint64_t)buf, len < sizeof(buf) ? len : sizeof(buf));
		}
		if (n > 0) {
			for (long i = 0; i < n; i++)
				if (buf[i] == '\r')
					buf[i] = '\n';
			if (lx_copy_out(uva, buf, (uint64_t)n) < 0)
				return -LX_EFAULT;
			k42_sc_debug_write((uint64_t)buf, (uint64_t)n);	/* echo */
			return n;
		}
		if (lx_wait_event(hz / 100))
			return -LX_EINTR;
	}
}

/* ---- read/write ---- */

static long file_read(struct lx_file *f, uint64_t uva, uint64_t len, uint64_t *off)
{
	uint64_t n;

	switch (f->type) {
	case LX_F_CONSOLE:
		return console_read(uva, len);
	case LX_F_NULL:
		return 0;
	case LX_F_ZERO: {
		static const uint8_t zeros[4096];
		uint64_t done = 0;

		while (done < len) {
			n = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
			if (lx_copy_out(uva + done, zeros, n) < 0)
				return done ? (long)done : -LX_EFAULT;
			done += n;
		}
		return (long)done;
	}
	case LX_F_DIR:
		return -LX_EISDIR;
	case LX_F_PIPE_R:
		return lx_pipe_read(f->pipe, uva, len, f->nonblock);
	case LX_F_PIPE_W:
		return -LX_EBADF;
	case LX_F_FILE:
		if (*off >= f->size)
			return 0;
		n = f->size - *off < len ? f->size - *off : len;
		if (lx_copy_out(uva, f->data + *off, n) < 0)
			return -LX_EFAULT;
		*off += n;
		return (long)n;
	}
	return -LX_EBADF;
}

static long file_write(struct lx_file *f, uint64_t uva, uint64_t len)
{
	switch (f->type) {
	case LX_F_CONSOLE:
		return console_write(uva, len);
	case LX_F_NULL:
	case LX_F_ZERO:
		return (long)len;
	case LX_F_PIPE_W:
		return lx_pipe_write(f->pipe, uva, len, f->nonblock);
	default:
		return -LX_EBADF;
	}
}

long lx_fs_read_at(int fd, uint64_t uva, uint64_t len, uint64_t off)
{
	struct lx_file *f = lx_fd_get((uint64_t)fd);

	if (!f)
		return -LX_EBADF;
	if (f->type != LX_F_FILE)
		return -LX_EACCES;
	return file_read(f, uva, len, &off);
}

long lx_sys_read(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);

	return f ? file_read(f, a->a[1], a->a[2], &f->off) : -LX_EBADF;
}

long lx_sys_write(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);

	return f ? file_write(f, a->a[1], a->a[2]) : -LX_EBADF;
}

long lx_sys_pread64(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	uint64_t off = a->a[3];

	if (!f)
		return -LX_EBADF;
	if (f->type != LX_F_FILE)
		return -LX_ESPIPE;
	return file_read(f, a->a[1], a->a[2], &off);
}

struct lx_iovec {
	uint64_t base, len;
};

static long rw_vec(struct lx_args *a, int writing)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	struct lx_iovec iov[64];
	uint64_t n = a->a[2];
	long total = 0;

	if (!f)
		return -LX_EBADF;
	if (n > 1024)
		return -LX_EINVAL;
	while (n) {
		uint64_t k = n < 64 ? n : 64;

		if (lx_copy_in(iov, a->a[1], k * sizeof(iov[0])) < 0)
			return -LX_EFAULT;
		for (uint64_t i = 0; i < k; i++) {
			long rc;

			if (!iov[i].len)
				continue;
			rc = writing ? file_write(f, iov[i].base, iov[i].len)
				     : file_read(f, iov[i].base, iov[i].len, &f->off);
			if (rc < 0)
				return total ? total : rc;
			total += rc;
			if ((uint64_t)rc < iov[i].len)
				return total;
		}
		a->a[1] += k * sizeof(iov[0]);
		n -= k;
	}
	return total;
}

long lx_sys_writev(struct lx_args *a)
{
	return rw_vec(a, 1);
}

long lx_sys_readv(struct lx_args *a)
{
	return rw_vec(a, 0);
}

long lx_sys_lseek(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	int64_t off = (int64_t)a->a[1], base;

	if (!f)
		return -LX_EBADF;
	if (f->type == LX_F_CONSOLE || f->pipe)
		return -LX_ESPIPE;
	switch (a->a[2]) {
	case 0: base = 0; break;
	case 1: base = (int64_t)f->off; break;
	case 2: base = (int64_t)f->size; break;
	default: return -LX_EINVAL;
	}
	if (base + off < 0)
		return -LX_EINVAL;
	f->off = (uint64_t)(base + off);
	return (long)f->off;
}

/* ---- descriptors ---- */

long lx_sys_dup(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);

	return f ? lx_fd_alloc(f, 0, 0) : -LX_EBADF;
}

long lx_sys_dup3(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	uint64_t nfd = a->a[1];

	if (!f || nfd >= LX_NFD)
		return -LX_EBADF;
	if (a->a[0] == nfd)
		return a->nr == LX_NR_dup3 ? -LX_EINVAL : (long)nfd;
	if (a->a[2] & ~(uint64_t)LX_O_CLOEXEC)
		return -LX_EINVAL;
	if (fds[nfd].f)
		lx_fd_close(nfd);
	fds[nfd].f = f;
	fds[nfd].cloexec = (a->a[2] & LX_O_CLOEXEC) != 0;
	f->refs++;
	return (long)nfd;
}

long lx_sys_dup2(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[2] = 0;
	return lx_sys_dup3(&b);
}

#define LX_F_DUPFD 0
#define LX_F_GETFD 1
#define LX_F_SETFD 2
#define LX_F_GETFL 3
#define LX_F_SETFL 4
#define LX_F_DUPFD_CLOEXEC 1030

long lx_sys_fcntl(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);

	if (!f)
		return -LX_EBADF;
	switch (a->a[1]) {
	case LX_F_DUPFD:
	case LX_F_DUPFD_CLOEXEC:
		if (a->a[2] >= LX_NFD)
			return -LX_EINVAL;
		return lx_fd_alloc(f, (int)a->a[2], a->a[1] == LX_F_DUPFD_CLOEXEC);
	case LX_F_GETFD:
		return fds[a->a[0]].cloexec;
	case LX_F_SETFD:
		fds[a->a[0]].cloexec = a->a[2] & 1;
		return 0;
	case LX_F_GETFL:
		return (f->type == LX_F_CONSOLE || f->type == LX_F_NULL || f->type == LX_F_ZERO ? 2 :
			f->type == LX_F_PIPE_W ? 1 : 0) | (f->nonblock ? LX_O_NONBLOCK : 0);
	case LX_F_SETFL:
		f->nonblock = (a->a[2] & LX_O_NONBLOCK) != 0;
		return 0;
	default:
		return -LX_EINVAL;
	}
}

/* ---- stat ---- */

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

static void fill_stat(const struct lx_file *f, struct lx_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = f->type == LX_F_FILE || f->type == LX_F_DIR ? 0x42 : 5;
	st->st_ino = f->ino;
	st->st_nlink = (f->mode & LX_S_IFMT) == LX_S_IFDIR ? 2 : 1;
	st->st_mode = f->mode;
	st->st_rdev = f->type == LX_F_CONSOLE ? (5u << 8 | 1) : f->type == LX_F_NULL ? (1u << 8 | 3) :
		      f->type == LX_F_ZERO ? (1u << 8 | 5) : 0;
	st->st_size = f->type == LX_F_FILE ? (int64_t)f->size : 0;
	st->st_blksize = 4096;
	st->st_blocks = (f->size + 511) / 512;
}

long lx_sys_fstat(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	struct lx_stat st;

	if (!f)
		return -LX_EBADF;
	fill_stat(f, &st);
	return lx_copy_out(a->a[1], &st, sizeof(st));
}

long lx_sys_newfstatat(struct lx_args *a)
{
	char path[LX_PATH_MAX], name[LX_PATH_MAX];
	struct lx_file *f;
	struct lx_stat st;
	long rc;

	if ((rc = user_path(a->a[1], path)) < 0)
		return rc;
	if (!path[0] && (a->a[3] & LX_AT_EMPTY_PATH)) {
		struct lx_args b = *a;

		b.a[1] = a->a[2];
		return lx_sys_fstat(&b);
	}
	if ((int)a->a[0] != LX_AT_FDCWD && path[0] != '/') {
		struct lx_file *d = lx_fd_get(a->a[0]);
		char full[2 * LX_PATH_MAX + 2];

		if (!d)
			return -LX_EBADF;
		if (strlen(d->name) + strlen(path) + 3 > LX_PATH_MAX)
			return -LX_ENAMETOOLONG;
		full[0] = '/';
		strcpy(full + 1, d->name);
		strcat(full, "/");
		strcat(full, path);
		strcpy(path, full);
	}
	if ((rc = lx_resolve(path, name, sizeof(name), !(a->a[3] & LX_AT_SYMLINK_NOFOLLOW))) < 0)
		return rc;
	if ((rc = open_name(name, &f)) < 0)
		return rc;
	fill_stat(f, &st);
	if (f->refs == 0)
		free(f);
	return lx_copy_out(a->a[2], &st, sizeof(st));
}

long lx_sys_stat(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	b.a[3] = a->nr == LX_NR_lstat ? LX_AT_SYMLINK_NOFOLLOW : 0;
	return lx_sys_newfstatat(&b);
}

long lx_sys_lstat(struct lx_args *a)
{
	return lx_sys_stat(a);
}

long lx_sys_faccessat(struct lx_args *a)
{
	char path[LX_PATH_MAX], name[LX_PATH_MAX];
	struct lx_file *f;
	long rc;

	if ((rc = user_path(a->a[1], path)) < 0)
		return rc;
	if ((rc = lx_resolve(path, name, sizeof(name), 1)) < 0)
		return rc;
	if ((rc = open_name(name, &f)) < 0)
		return rc;
	if ((a->a[2] & 2) && (f->type == LX_F_FILE || f->type == LX_F_DIR))
		rc = -LX_EROFS;
	else if ((a->a[2] & 1) && !(f->mode & 0111))
		rc = -LX_EACCES;
	if (f->refs == 0)
		free(f);
	return rc;
}

long lx_sys_access(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = a->a[1];
	return lx_sys_faccessat(&b);
}

long lx_sys_faccessat2(struct lx_args *a)
{
	return lx_sys_faccessat(a);
}

long lx_sys_readlinkat(struct lx_args *a)
{
	char path[LX_PATH_MAX], name[LX_PATH_MAX];
	struct cpio_entry e;
	uint64_t ino, n;
	long rc;

	if ((rc = user_path(a->a[1], path)) < 0)
		return rc;
	if (strcmp(path, "/proc/self/exe") == 0) {
		n = strlen(lx.exe);
		n = n < a->a[3] ? n : a->a[3];
		return lx_copy_out(a->a[2], lx.exe, n) < 0 ? -LX_EFAULT : (long)n;
	}
	if ((rc = lx_resolve(path, name, sizeof(name), 0)) < 0)
		return rc;
	if ((rc = find_entry(name, &e, &ino)) < 0)
		return rc;
	if ((e.mode & LX_S_IFMT) != LX_S_IFLNK)
		return -LX_EINVAL;
	n = e.size < a->a[3] ? e.size : a->a[3];
	return lx_copy_out(a->a[2], e.data, n) < 0 ? -LX_EFAULT : (long)n;
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

/* The directory's entries are the archive names directly under it; the
 * file offset counts entries handed out. */
long lx_sys_getdents64(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	static uint8_t buf[4096];
	struct cpio_iter it;
	struct cpio_entry e;
	uint64_t cap = a->a[2] < sizeof(buf) ? a->a[2] : sizeof(buf), used = 0, idx = 0, ino = 1;
	size_t dl;

	if (!f)
		return -LX_EBADF;
	if (f->type != LX_F_DIR)
		return -LX_ENOTDIR;
	dl = strlen(f->name);
	cpio_iter_init(&it, (const void *)K42_INITRD_VA, k42_initrd_bytes());
	while (cpio_next(&it, &e) > 0) {
		const char *rest;
		size_t nl, rec;

		ino++;
		if (dl) {
			if (strncmp(e.name, f->name, dl) != 0 || e.name[dl] != '/')
				continue;
			rest = e.name + dl + 1;
		} else {
			rest = e.name;
		}
		if (!rest[0] || strchr(rest, '/') || strcmp(e.name, ".") == 0)
			continue;
		if (idx++ < f->off)
			continue;
		nl = strlen(rest);
		rec = (19 + nl + 1 + 7) & ~7ul;
		if (used + rec > cap) {
			if (!used)
				return -LX_EINVAL;
			break;
		}
		memset(buf + used, 0, rec);
		memcpy(buf + used, &ino, 8);
		{
			uint64_t next = idx;
			uint16_t rl = (uint16_t)rec;
			uint8_t type = (uint8_t)((e.mode & LX_S_IFMT) >> 12);

			memcpy(buf + used + 8, &next, 8);
			memcpy(buf + used + 16, &rl, 2);
			buf[used + 18] = type;
		}
		memcpy(buf + used + 19, rest, nl);
		used += rec;
		f->off = idx;
	}
	if (used && lx_copy_out(a->a[1], buf, used) < 0)
		return -LX_EFAULT;
	return (long)used;
}

long lx_sys_getcwd(struct lx_args *a)
{
	uint64_t n = strlen(lx.cwd) + 1;

	if (a->a[1] < n)
		return -LX_ERANGE;
	return lx_copy_out(a->a[0], lx.cwd, n) < 0 ? -LX_EFAULT : (long)n;
}

long lx_sys_chdir(struct lx_args *a)
{
	char path[LX_PATH_MAX], name[LX_PATH_MAX];
	struct lx_file *f;
	long rc;

	if ((rc = user_path(a->a[0], path)) < 0)
		return rc;
	if ((rc = lx_resolve(path, name, sizeof(name) - 1, 1)) < 0)
		return rc;
	if ((rc = open_name(name, &f)) < 0)
		return rc;
	rc = f->type == LX_F_DIR ? 0 : -LX_ENOTDIR;
	if (f->refs == 0)
		free(f);
	if (rc == 0) {
		lx.cwd[0] = '/';
		strcpy(lx.cwd + 1, name);
	}
	return rc;
}

long lx_sys_umask(struct lx_args *a)
{
	uint32_t old = lx.umask;

	lx.umask = (uint32_t)a->a[0] & 0777;
	return old;
}
