/*
 * The file layer's descriptor calls (docs/files.md): the per-process
 * descriptor table, the current directory, the mount table read from the
 * name server ("mnt" is "/", "mnt/tmp" is "/tmp"), and the POSIX calls,
 * which resolve paths (path.c) and hand the object to its kind's
 * operations (the calls that take only a path are in fs_names.c, fork's
 * sharing of open objects in fs_fork.c). Lock: fs_lock guards the table, cwd and mounts; it is never
 * held across a call to a server or a wait.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/services.h>
#include "internal.h"
#include "fsint.h"
#include "fdtable.h"
#include "path.h"
#include "fs_resolve.h"

#define EBADF K42_EBADH
#define MOUNTS_MAX 16

static struct k42_mutex fs_lock;
static struct fdtab fdt;
static char cwd[K42_PATH_MAX] = "/";
static struct mount mounts[MOUNTS_MAX];
static int nmounts = -1;	/* -1: not read yet */

static int tried_stdio;

/* ---- mounts ---- */

void k42_fs_remount(void)
{
	uint32_t cursor = 0;
	char name[128];
	uint64_t pid;
	int n = 0;

	while (n < MOUNTS_MAX && k42_name_list(&cursor, name, sizeof(name), &pid) == 0) {
		if (strcmp(name, "mnt") == 0) {
			path_strcpy(mounts[n].point, "/");
		} else if (strncmp(name, "mnt/", 4) == 0 && name[4]) {
			mounts[n].point[0] = '/';
			path_strcpy(mounts[n].point + 1, name + 4);
		} else {
			continue;
		}
		mounts[n].server = pid;
		mounts[n].readonly = 0;
		n++;
	}
	nmounts = n;
}

const struct mount *k42_mount(int m)
{
	return m >= 0 && m < nmounts ? &mounts[m] : NULL;
}

static int mount_at(void *ctx, const char *abs)
{
	(void)ctx;
	for (int i = 0; i < nmounts; i++)
		if (strcmp(mounts[i].point, abs) == 0)
			return i;
	return -1;
}

static long walk(void *ctx, int m, const char *rel, uint32_t *done, int *err,
		 enum path_kind *kind, char *link, size_t link_cap)
{
	struct walk_ctx *w = ctx;
	int32_t e = 0;
	long rc;

	/* Longer than a server takes (fs.idl's path_max): the stub's E2BIG
	 * said "Argument list too long" for a deep mkdir -p. */
	if (strlen(rel) > FS_PATH_MAX)
		return -K42_ENAMETOOLONG;
	rc = fs_walk(mounts[m].server, rel, done, &e, &w->st, link, (uint32_t)link_cap);
	if (rc < 0)
		return rc;
	*err = e;
	*kind = (enum path_kind)w->st.kind;
	return 0;
}

static const struct path_ops ops = { mount_at, walk };

void k42_stat_from_fs(int mount, const void *p, struct k42_stat *st)
{
	const struct fs_stat *s = p;
	static const uint32_t fmt[] = { 0, K42_S_IFREG, K42_S_IFDIR, K42_S_IFLNK, K42_S_IFCHR,
					 K42_S_IFIFO };

	memset(st, 0, sizeof(*st));
	st->dev = (uint64_t)mount + 1;
	st->ino = s->ino;
	st->mode = (s->kind < 6 ? fmt[s->kind] : 0) | (s->mode & 07777);
	st->nlink = s->nlink;
	st->size = s->size;
	st->rdev = s->rdev;
	st->atime_ns = s->atime;
	st->mtime_ns = s->mtime;
	st->ctime_ns = s->ctime;
	st->blocks = s->blocks;
	st->uid = s->uid;
	st->gid = s->gid;
}

/* ---- descriptors ---- */

static void lock(void)
{
	k42_mutex_lock(&fs_lock);
}

static void unlock(void)
{
	k42_mutex_unlock(&fs_lock);
}

struct kfile *k42_kfile_new(const struct kfile_ops *o, int flags)
{
	struct kfile *f = calloc(1, sizeof(*f));

	if (f) {
		f->ops = o;
		f->refs = 1;
		f->flags = flags;
		f->mount = -1;
	}
	return f;
}

static void put(struct kfile *f)
{
	/* The last reference: no table holds f, nobody else can find it. */
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		if (f->ops->release)
			f->ops->release(f);
		free(f->dirpath);
		free(f->path);
		free(f);
	}
}

/* A process with no inherited table starts with the tty on 0, 1, 2. */
static void stdio_default(void)
{
	if (tried_stdio)
		return;
	tried_stdio = 1;
	for (int fd = 0; fd < 3; fd++) {
		if (fdt_get(&fdt, fd))
			continue;
		struct kfile *f = k42_dev_open(DEV_TTY, fd ? K42_O_WRONLY : K42_O_RDONLY);

		if (f)
			fdt.f[fd] = f;
	}
}

/* Take a reference on fd's object. */
static struct kfile *get(int fd)
{
	struct kfile *f;

	lock();
	stdio_default();
	f = fdt_get(&fdt, fd);
	if (f)
		kfile_ref(f);
	unlock();
	return f;
}

static int install(struct kfile *f, int from, int cloexec)
{
	int fd;

	lock();
	stdio_default();
	fd = fdt_alloc(&fdt, from, f, cloexec);
	unlock();
	if (fd < 0)
		put(f);
	return fd;
}

struct kfile *k42_fs_get(int fd)
{
	return get(fd);
}

void k42_fs_put(struct kfile *f)
{
	put(f);
}

int k42_fs_install(struct kfile *f, int cloexec)
{
	return install(f, 0, cloexec);
}

/* For fs_inherit.c: the table's state, under k42_fs_lock. */
void k42_fs_lock(void)
{
	lock();
}

void k42_fs_unlock(void)
{
	unlock();
}

void k42_fd_set_limit(int n)
{
	lock();
	fdt.limited = n >= 0 && n < K42_FD_MAX;
	fdt.limit = fdt.limited ? n : K42_FD_MAX;
	unlock();
}

struct fdtab *k42_fs_table(void)
{
	return &fdt;
}

char *k42_fs_cwd(void)
{
	return cwd;
}

void k42_fs_stdio_default(int inherited)
{
	if (inherited)
		tried_stdio = 1;
	else
		stdio_default();
}

/* ---- resolution ---- */

long k42_fs_resolve(int dirfd, const char *path, int flags, struct path_result *r,
		    struct walk_ctx *w)
{
	char base[K42_PATH_MAX];
	long rc;

	if (!path)
		return -K42_EFAULT;
	if (dirfd == K42_AT_FDCWD || path[0] == '/') {
		lock();
		path_strcpy(base, cwd);
		unlock();
	} else {
		struct kfile *d = get(dirfd);

		if (!d)
			return EBADF == 0 ? 0 : -EBADF;
		if (!d->dirpath) {
			put(d);
			return -K42_ENOTDIR;
		}
		path_strcpy(base, d->dirpath);
		put(d);
	}
	if (nmounts < 0)
		k42_fs_remount();
	memset(w, 0, sizeof(*w));
	rc = path_resolve(&ops, w, base, path, flags, r);
	if (rc == -K42_ENOENT || rc == -K42_EDEAD) {
		/* A mount may have appeared (or its server restarted). */
		k42_fs_remount();
		memset(w, 0, sizeof(*w));
		rc = path_resolve(&ops, w, base, path, flags, r);
	}
	return rc;
}

/* ---- the calls ---- */

int k42_openat(int dirfd, const char *path, int flags, unsigned mode)
{
	struct path_result *r = malloc(sizeof(*r));
	struct walk_ctx w;
	struct kfile *f = NULL;
	struct fs_stat st;
	uint64_t h;
	int acc = flags & K42_O_ACCMODE;
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = k42_fs_resolve(dirfd, path, ((flags & K42_O_NOFOLLOW) ? 0 : PATH_FOLLOW) |
			 ((flags & K42_O_CREAT) ? PATH_PARENT : 0), r, &w);
	if (rc < 0)
		goto out;
	if (r->exists && (flags & K42_O_CREAT) && (flags & K42_O_EXCL)) {
		rc = -K42_EEXIST;
		goto out;
	}
	if (r->exists && r->kind == PK_LNK) {
		rc = -K42_ELOOP;
		goto out;
	}
	if (!r->exists && r->trailing_slash) {
		rc = -K42_EISDIR;
		goto out;
	}
	if (r->exists && r->kind == PK_CHR && !r->mount_root) {
		f = k42_dev_open((int)w.st.rdev, flags & (K42_O_ACCMODE | K42_O_NONBLOCK | K42_O_APPEND));
		rc = f ? 0 : -K42_ENXIO;
		if (f && (f->path = malloc(strlen(r->abs) + 1)) != NULL)
			path_strcpy(f->path, r->abs);	/* k42_fd_path: /dev/null */
		goto out;
	}
	if (r->exists && r->kind == PK_DIR && acc != K42_O_RDONLY) {
		rc = -K42_EISDIR;
		goto out;
	}
	if ((flags & K42_O_DIRECTORY) && r->exists && r->kind != PK_DIR) {
		rc = -K42_ENOTDIR;
		goto out;
	}
	rc = fs_open(mounts[r->mount].server, r->rel,
		     (uint32_t)(flags & (K42_O_ACCMODE | K42_O_CREAT | K42_O_EXCL | K42_O_TRUNC |
					 K42_O_APPEND | K42_O_DIRECTORY |
					 (r->exists && r->kind == PK_FIFO ? K42_O_NONBLOCK : 0))),
		     mode & 07777, &h, &st);
	if (rc < 0)
		goto out;
	f = k42_kfile_new(st.kind == FS_KIND_FIFO ? &k42_fifo_ops : &k42_remote_ops,
			  flags & (K42_O_ACCMODE | K42_O_APPEND | K42_O_NONBLOCK));
	if (!f) {
		if (fs_close(mounts[r->mount].server, h) < 0) {
		/* nothing to do about it */
	}
		rc = -K42_ENOMEM;
		goto out;
	}
	f->mount = r->mount;
	f->server = mounts[r->mount].server;
	f->handle = h;
	if (st.kind == FS_KIND_FIFO && (rc = k42_fifo_open_wait(f)) < 0) {
		f->ops->release(f);
		free(f);
		f = NULL;
		goto out;
	}
	if (st.kind == FS_KIND_DIRECTORY) {
		f->dirpath = malloc(strlen(r->abs) + 1);
		if (f->dirpath)
			path_strcpy(f->dirpath, r->abs);
	} else {
		f->path = malloc(strlen(r->abs) + 1);
		if (f->path)
			path_strcpy(f->path, r->abs);
		/* Appends go through the server (it owns the end of file). */
		f->map_try = st.kind == FS_KIND_REGULAR && !(flags & K42_O_APPEND);
		f->size_hint = st.size;
	}
out:
	free(r);
	if (rc < 0)
		return (int)rc;
	return install(f, 0, flags & K42_O_CLOEXEC);
}

int k42_open(const char *path, int flags, unsigned mode)
{
	return k42_openat(K42_AT_FDCWD, path, flags, mode);
}

int k42_close(int fd)
{
	void *old;
	int rc;

	lock();
	stdio_default();
	rc = fdt_close(&fdt, fd, &old);
	unlock();
	if (rc < 0)
		return rc;
	put(old);
	return 0;
}

void k42_fs_close_all(void)
{
	for (int fd = 0; fd < K42_FD_MAX; fd++)
		if (fdt.f[fd])
			(void)k42_close(fd);
}

#define CALL(fd, expr_if_missing, call)				\
	do {							\
		struct kfile *f = get(fd);			\
		long r_;					\
		if (!f)						\
			return -EBADF;				\
		r_ = (call);					\
		put(f);						\
		return r_;					\
	} while (0)

static int can_read(struct kfile *f)
{
	return (f->flags & K42_O_ACCMODE) != K42_O_WRONLY;
}

static int can_write(struct kfile *f)
{
	return (f->flags & K42_O_ACCMODE) != K42_O_RDONLY;
}

long k42_read(int fd, void *buf, size_t n)
{
	CALL(fd, 0, !can_read(f) ? -EBADF : f->ops->read ? f->ops->read(f, buf, n) : -K42_EINVAL);
}

long k42_write(int fd, const void *buf, size_t n)
{
	CALL(fd, 0, !can_write(f) ? -EBADF : f->ops->write ? f->ops->write(f, buf, n) : -K42_EINVAL);
}

long k42_pread(int fd, void *buf, size_t n, int64_t off)
{
	CALL(fd, 0, !can_read(f) ? -EBADF : off < 0 ? -K42_EINVAL :
		    f->ops->pread ? f->ops->pread(f, buf, n, off) : -K42_ESPIPE);
}

long k42_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
	CALL(fd, 0, !can_write(f) ? -EBADF : off < 0 ? -K42_EINVAL :
		    f->ops->pwrite ? f->ops->pwrite(f, buf, n, off) : -K42_ESPIPE);
}

int64_t k42_lseek(int fd, int64_t off, int whence)
{
	CALL(fd, 0, whence < 0 || whence > 2 ? -K42_EINVAL :
		    f->ops->lseek ? f->ops->lseek(f, off, whence) : -K42_ESPIPE);
}

int k42_fstat(int fd, struct k42_stat *st)
{
	CALL(fd, 0, f->ops->fstat ? f->ops->fstat(f, st) : -K42_EINVAL);
}

int k42_ftruncate(int fd, uint64_t size)
{
	CALL(fd, 0, !can_write(f) ? -K42_EINVAL :
		    f->ops->truncate ? f->ops->truncate(f, size) : -K42_EINVAL);
}

int k42_fsync(int fd)
{
	CALL(fd, 0, f->ops->fsync ? f->ops->fsync(f) : 0);
}

long k42_getdents(int fd, void *buf, size_t n)
{
	CALL(fd, 0, f->ops->getdents ? f->ops->getdents(f, buf, n) : -K42_ENOTDIR);
}

int k42_isatty(int fd)
{
	CALL(fd, 0, f->ops->tty ? 1 : 0);
}

int k42_tcgetattr(int fd, struct k42_termios *t)
{
	CALL(fd, 0, f->ops->tty ? k42_tty_getattr(t) : -K42_ENOTTY);
}

int k42_tcsetattr(int fd, const struct k42_termios *t)
{
	CALL(fd, 0, f->ops->tty ? k42_tty_setattr(t) : -K42_ENOTTY);
}

int k42_tty_winsize(int fd, uint16_t *rows, uint16_t *cols)
{
	*rows = 24;
	*cols = 80;
	CALL(fd, 0, f->ops->tty ? 0 : -K42_ENOTTY);
}

int k42_dup(int fd)
{
	struct kfile *f = get(fd);

	if (!f)
		return -EBADF;
	return install(f, 0, 0);
}

int k42_dup3(int fd, int to, int flags)
{
	void *displaced;
	struct kfile *f;
	int rc;

	if (fd == to || (flags & ~K42_O_CLOEXEC))
		return -K42_EINVAL;
	if (!(f = get(fd)))
		return -EBADF;
	lock();
	rc = fdt_dup2(&fdt, fd, to, flags & K42_O_CLOEXEC, &displaced);
	unlock();
	if (rc < 0)
		put(f);
	else if (displaced)
		put(displaced);
	return rc;
}

int k42_dup2(int fd, int to)
{
	if (fd == to) {
		struct kfile *f = get(fd);

		if (!f)
			return -EBADF;
		put(f);
		return to;
	}
	return k42_dup3(fd, to, 0);
}

int k42_fcntl(int fd, int cmd, long arg)
{
	struct kfile *f = get(fd);
	int rc = 0;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case K42_F_DUPFD:
	case K42_F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= fdt_limit(&fdt)) {
			put(f);
			return -K42_EINVAL;
		}
		return install(f, (int)arg, cmd == K42_F_DUPFD_CLOEXEC);
	case K42_F_GETFD:
		lock();
		rc = fdt.cloexec[fd] ? K42_FD_CLOEXEC : 0;
		unlock();
		break;
	case K42_F_SETFD:
		lock();
		fdt.cloexec[fd] = (arg & K42_FD_CLOEXEC) != 0;
		unlock();
		break;
	case K42_F_GETFL:
		rc = f->flags;
		break;
	case K42_F_SETFL:
		f->flags = (f->flags & K42_O_ACCMODE) | (int)(arg & (K42_O_APPEND | K42_O_NONBLOCK));
		break;
	default:
		rc = -K42_EINVAL;
	}
	put(f);
	return rc;
}

int k42_chdir(const char *path)
{
	struct path_result *r = malloc(sizeof(*r));
	struct walk_ctx w;
	long rc;

	if (!r)
		return -K42_ENOMEM;
	rc = k42_fs_resolve(K42_AT_FDCWD, path, PATH_FOLLOW, r, &w);
	if (rc == 0 && r->kind != PK_DIR)
		rc = -K42_ENOTDIR;
	if (rc == 0) {
		lock();
		path_strcpy(cwd, r->abs);
		unlock();
	}
	free(r);
	return (int)rc;
}

int k42_fchdir(int fd)
{
	struct kfile *f = get(fd);
	int rc = 0;

	if (!f)
		return -EBADF;
	if (!f->dirpath)
		rc = -K42_ENOTDIR;
	else {
		lock();
		path_strcpy(cwd, f->dirpath);
		unlock();
	}
	put(f);
	return rc;
}

long k42_getcwd(char *buf, size_t n)
{
	long rc;

	lock();
	rc = strlen(cwd) + 1 > n ? -K42_ERANGE : (long)strlen(cwd) + 1;
	if (rc > 0)
		memcpy(buf, cwd, (size_t)rc);
	unlock();
	return rc;
}

/* ---- pipes ---- */

int k42_pipe2(int fds[2], int flags)
{
	struct kfile *r, *w;
	struct pipebuf *p = NULL;
	uint64_t va = 0;
	int a, b;

	if (flags & ~(K42_O_NONBLOCK | K42_O_CLOEXEC))
		return -K42_EINVAL;
	for (int slot = 0; slot < 4096 && !p; slot++) {
		va = k42_pipe_slot_va(slot);
		if (va && k42_sc_mem_map_anon(k42_fs_self_pid(), va, PIPEBUF_BYTES,
					      K42_PROT_READ | K42_PROT_WRITE | K42_MAP_SHARED) == 0)
			p = (struct pipebuf *)va;
	}
	if (!p)
		return -K42_ENOMEM;
	k42_pipe_slot_used(va);
	pipebuf_init(p);
	pipebuf_hold(p, k42_fs_self_pid(), 0, 1);
	pipebuf_hold(p, k42_fs_self_pid(), 1, 1);
	r = k42_kfile_new(&k42_pipe_ops, K42_O_RDONLY | (flags & K42_O_NONBLOCK));
	w = k42_kfile_new(&k42_pipe_ops, K42_O_WRONLY | (flags & K42_O_NONBLOCK));
	if (!r || !w) {
		free(r);
		free(w);
		k42_sc_mem_unmap(k42_fs_self_pid(), va, PIPEBUF_BYTES);
		return -K42_ENOMEM;
	}
	r->pipe = w->pipe = p;
	w->pipe_write = 1;
	a = install(r, 0, flags & K42_O_CLOEXEC);
	if (a < 0) {
		/* install released r, and with it the pipe's page (no other
		 * end was in the table): w must not touch it. */
		free(w);
		return a;
	}
	b = install(w, 0, flags & K42_O_CLOEXEC);
	if (b < 0) {
		k42_close(a);
		return b;
	}
	fds[0] = a;
	fds[1] = b;
	return 0;
}

int k42_pipe(int fds[2])
{
	return k42_pipe2(fds, 0);
}

int k42_pipe_mapped_elsewhere(struct kfile *f)
{
	int found = 0;

	lock();
	for (int fd = 0; fd < K42_FD_MAX && !found; fd++) {
		struct kfile *g = fdt.f[fd];

		found = g && g != f && g->ops == &k42_pipe_ops && g->pipe == f->pipe;
	}
	unlock();
	return found;
}

int k42_fd_path(int fd, char **out)
{
	struct kfile *f = get(fd);
	const char *p;
	int rc = 0;

	*out = NULL;
	if (!f)
		return -EBADF;
	p = f->dirpath ? f->dirpath : f->path;
	if (!p)
		rc = -K42_EINVAL;
	else if (!(*out = malloc(strlen(p) + 1)))
		rc = -K42_ENOMEM;
	else
		path_strcpy(*out, p);
	put(f);
	return rc;
}

int k42_fs_poll_one(int fd, int events, int arm, int *revents)
{
	struct kfile *f = get(fd);

	if (!f)
		return -EBADF;
	*revents = f->ops->poll ? f->ops->poll(f, events, arm) : (events & (K42_POLLIN | K42_POLLOUT));
	put(f);
	return 0;
}
