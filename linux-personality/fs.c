/*
 * Linux descriptor calls on libk42's file layer (lxfs.h): open, read and
 * write (plain, vectored, positioned), lseek, dup, fcntl, pipes, tty
 * ioctls, sendfile, truncate and sync (poll and select: poll.c). The program's
 * bytes pass through a bounce buffer with checked copies, so a bad
 * pointer is EFAULT. Blocking (pipes, poll) happens in libk42, which
 * waits through lx_io_wait here: a signal ends the wait with EINTR.
 */
#include "lx.h"
#include "lxfs.h"

#define BOUNCE LX_BOUNCE
static uint8_t handler_bounce[BOUNCE];	/* one dispatcher, disabled: not reentered */

/* A call that runs on its thread (entry.c) may wait halfway through a
 * transfer while other threads' calls run: it has its own buffer. */
uint8_t *lx_bounce(void)
{
	struct lx_tcall *tc = lx_tcall_active();

	return tc ? tc->bounce : handler_bounce;
}
#define bounce (lx_bounce())

long lx_errno(long rc)
{
	if (rc >= 0)
		return rc;
	/* k42's own codes (an old interface version, a dead or disabled
	 * server) mean nothing to Linux; the others are Linux's numbers. */
	if (rc == -K42_EVERSION || rc == -K42_EDEAD || rc == -K42_EDISABLED || rc < -133)
		return -LX_EIO;
	return rc;
}

static int block_untimed(void);

/* libk42 waits here when a pipe or poll must sleep: until an event,
 * the deadline, or a signal (then -K42_EINTR). A wait with no deadline
 * (a blocking read or write, poll with no timeout: a pipe's round trip)
 * sets no timer: every way a signal arrives wakes the kernel's block (a
 * soft interrupt from a kill or a timer, a message, a child's end). A
 * deadline's waits are bounded (100 ms) as before. */
static int lx_io_wait(uint64_t deadline)
{
	uint64_t now, tick;

	if (!deadline && !lx_tcall_active())
		return block_untimed() ? -K42_EINTR : 0;
	now = k42_timebase();
	tick = k42_info(K42_INFO_TIMEBASE_HZ) / 10;
	if (deadline && deadline <= now)
		return 0;
	if (deadline && deadline - now < tick)
		tick = deadline - now;
	return lx_wait_event(tick) ? -K42_EINTR : 0;
}

/* The same for a call that runs on its thread (libk42 blocks the thread
 * alone): a signal ends the wait, which is bounded likewise. */
static int lx_thread_check(uint64_t *deadline)
{
	lx_sigmask_load();	/* this thread's mask (another's call ran) */
	if (lx_sig_deliverable())
		return 1;
	if (deadline) {
		uint64_t cap = k42_timebase() + k42_info(K42_INFO_TIMEBASE_HZ) / 10;

		if (!*deadline || *deadline > cap)
			*deadline = cap;
	}
	return 0;
}

void lx_fs_init(void)
{
	lx.umask = 022;
	k42_io_set_handler_wait(lx_io_wait);
	k42_io_set_thread_check(lx_thread_check);
}

static void wait_timer_fired(struct k42_timer *t)
{
	(void)t;	/* its only job was to end the block */
}

/* Sleep in the kernel until a soft interrupt (handler context: no
 * thread of ours to switch to), as libk42's wait_in_kernel: the usual
 * wake-up, the I/O doorbell alone, is taken here as the drain would take
 * it; anything else goes through the drain. 1 if a signal is now due. */
static int block_untimed(void)
{
	uint64_t *pending = (uint64_t *)&k42_disp()->pending, io = K42_SOFTINTR_IO;

	if (lx_sig_deliverable())
		return 1;
	k42_sc_block();
	if (__atomic_compare_exchange_n(pending, &io, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		k42_io_event();
	else
		k42_drain();
	return lx_sig_deliverable();
}

/* The deadline goes through libk42's timers (one kernel timer per
 * dispatcher, shared with futex timeouts). */
int lx_wait_event(uint64_t ticks)
{
	struct k42_timer tm = { .deadline = k42_timebase() + ticks, .fn = wait_timer_fired };

	if (lx_tcall_active()) {
		/* On its thread: that thread alone waits, for an event
		 * (a signal raises one), the deadline or the bound. */
		(void)k42_io_wait_gen(k42_io_generation(), tm.deadline);
		return lx_sig_deliverable();
	}
	k42_timer_add(&tm);
	k42_sc_block();
	k42_drain();
	k42_timer_cancel(&tm);
	return lx_sig_deliverable();
}

void lx_fs_exec(void)
{
	k42_fs_close_cloexec();
}

void lx_fs_close_all(void)
{
	k42_fs_close_all();
}

/* ---- open, close ---- */

#define LX_O_KNOWN (K42_O_ACCMODE | K42_O_CREAT | K42_O_EXCL | K42_O_NOCTTY | K42_O_TRUNC | \
		    K42_O_APPEND | K42_O_NONBLOCK | K42_O_DIRECTORY | K42_O_NOFOLLOW | K42_O_CLOEXEC)

/* The /proc path a symbolic link on a mounted file system names (ln -s
 * /proc/self/fd/1 out; echo x > out), or NULL: the file layer follows
 * links only within its mounts, where /proc is the archive's empty
 * directory, so a link whose target is a /proc (or /dev/fd, /dev/stdout)
 * path is followed here, up to 8 links deep; relative targets are taken
 * from the link's directory. Not when chrooted (paths there are the
 * chroot's, chroot.c). */
static const char *proc_link_target(int dirfd, const char *path)
{
	static char cur[K42_PATH_MAX], link[K42_PATH_MAX], abs[K42_PATH_MAX];
	size_t len = strlen(path);

	if (lx_root_len || len >= sizeof(cur))
		return NULL;
	memcpy(cur, path, len + 1);
	for (int hop = 0; hop < 8; hop++) {
		long n = k42_readlinkat(dirfd, cur, link, sizeof(link) - 1);
		const char *pp;

		if (n <= 0)
			return NULL;
		link[n] = '\0';
		if (link[0] != '/') {	/* relative: from the link's directory */
			char *slash = strrchr(cur, '/');
			size_t dir = slash ? (size_t)(slash - cur) + 1 : 0;

			if (dir + (size_t)n >= sizeof(cur))
				return NULL;
			memmove(cur + dir, link, (size_t)n + 1);
		} else {
			memcpy(cur, link, (size_t)n + 1);
			dirfd = LX_AT_FDCWD;
		}
		/* made absolute (from the working directory), "." and ".." taken */
		if (dirfd == LX_AT_FDCWD && lx_root_path(cur, abs) == 0)
			pp = lx_proc_path(LX_AT_FDCWD, abs);
		else
			pp = lx_proc_path(dirfd, cur);
		if (pp)
			return pp;
	}
	return NULL;
}

long lx_sys_openat(struct lx_args *a)
{
	static char path[K42_PATH_MAX];
	const char *ppath;
	int flags = (int)a->a[2];
	long rc;

	if ((rc = lx_user_path(a->a[1], path)) < 0)
		return rc;
	if ((flags & K42_O_ACCMODE) == 3)
		return -LX_EINVAL;
	/* O_LARGEFILE, O_NOATIME, O_DSYNC, O_SYNC ... change nothing here. */
	flags &= LX_O_KNOWN;
	if ((ppath = lx_proc_path((int64_t)a->a[0], path)) != NULL)
		return lx_proc_open(ppath, flags);
	rc = k42_openat((int)a->a[0], path, flags, (unsigned)a->a[3] & ~lx.umask & 07777);
	if (rc == -K42_ENOENT && !(flags & K42_O_NOFOLLOW) &&
	    (ppath = proc_link_target((int)a->a[0], path)) != NULL)
		return lx_proc_open(ppath, flags);
	return lx_errno(rc);
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

long lx_sys_creat(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[0] = (uint64_t)(int64_t)LX_AT_FDCWD;
	b.a[1] = a->a[0];
	b.a[2] = K42_O_WRONLY | K42_O_CREAT | K42_O_TRUNC;
	b.a[3] = a->a[1];
	return lx_sys_openat(&b);
}

long lx_sys_close(struct lx_args *a)
{
	return lx_errno(k42_close((int)a->a[0]));
}

/* close_range(first, last, flags): CLOSE_RANGE_CLOEXEC (4) marks instead. */
long lx_sys_close_range(struct lx_args *a)
{
	uint64_t first = a->a[0], last = a->a[1];

	if (first > last || (a->a[2] & ~4ull))
		return -LX_EINVAL;
	for (uint64_t fd = first; fd <= last && fd < K42_FD_MAX; fd++) {
		if (a->a[2] & 4)
			(void)k42_fcntl((int)fd, K42_F_SETFD, K42_FD_CLOEXEC);
		else
			(void)k42_close((int)fd);
	}
	return 0;
}

/* ---- read, write ---- */

/* RLIMIT_FSIZE: how much of a write of len at off (< 0: the file
 * offset, or the end with O_APPEND) a regular file takes; at the limit
 * SIGXFSZ and EFBIG, as Linux. */
static long fsize_cut(int fd, uint64_t len, int64_t off)
{
	struct k42_stat st;
	uint64_t pos;

	if (k42_fstat(fd, &st) < 0 || (st.mode & K42_S_IFMT) != K42_S_IFREG)
		return (long)len;
	if (off >= 0)
		pos = (uint64_t)off;
	else if (k42_fcntl(fd, K42_F_GETFL, 0) & K42_O_APPEND)
		pos = st.size;
	else
		pos = (uint64_t)k42_lseek(fd, 0, K42_SEEK_CUR);
	if (pos >= lx_fsize_limit) {
		(void)lx_sig_raise_thread(0, 25);	/* SIGXFSZ */
		return -LX_EFBIG;
	}
	return (long)(len < lx_fsize_limit - pos ? len : lx_fsize_limit - pos);
}

/* One transfer of up to BOUNCE bytes; off < 0: at the file offset. */
static long xfer(int fd, uint64_t uva, uint64_t len, int64_t off, int writing)
{
	long rc;

	if (len > BOUNCE)
		len = BOUNCE;
	if (writing && len && lx_fsize_limit != ~0ull) {
		if ((rc = fsize_cut(fd, len, off)) < 0)
			return rc;
		len = (uint64_t)rc;
	}
	if (writing) {
		if (lx_copy_in(bounce, uva, len) < 0)
			return -LX_EFAULT;
		rc = off < 0 ? k42_write(fd, bounce, len) : k42_pwrite(fd, bounce, len, off);
		if (rc == -K42_EPIPE)
			(void)lx_sig_raise_thread(0, 13);	/* SIGPIPE: the writer's */
		return lx_errno(rc);
	}
	rc = off < 0 ? k42_read(fd, bounce, len) : k42_pread(fd, bounce, len, off);
	if (rc < 0) {
		struct k42_stat st;

		/* Linux: reading a directory is EISDIR (cmp, cat on one). */
		if (k42_fstat(fd, &st) == 0 && (st.mode & K42_S_IFMT) == K42_S_IFDIR)
			return -LX_EISDIR;
	}
	if (rc > 0 && lx_copy_out(uva, bounce, (uint64_t)rc) < 0) {
		/* As on Linux, a read into a bad buffer moves no offset
		 * (bytes taken from a pipe or the tty are lost). */
		if (off < 0)
			(void)k42_lseek(fd, -rc, K42_SEEK_CUR);
		return -LX_EFAULT;
	}
	return lx_errno(rc);
}

/* Reads of regular files and devices like /dev/zero go on while the
 * layer fills each piece, as Linux's return all that was asked for; a
 * pipe, socket or the tty gives what one read gave. */
static int read_fills(int fd)
{
	struct k42_stat st;
	uint32_t t;

	if (k42_fstat(fd, &st) < 0)
		return 0;
	t = st.mode & K42_S_IFMT;
	return t == K42_S_IFREG || (t == K42_S_IFCHR && !k42_isatty(fd));
}

/* A whole transfer: writes go on until done (short only on an error or
 * a full device); a read returns what one read of the layer gave, but
 * for files and devices (read_fills). */
static long xfer_all(int fd, uint64_t uva, uint64_t len, int64_t off, int writing)
{
	uint64_t done = 0;
	int fills = -1;

	if ((int64_t)len < 0)
		return -LX_EINVAL;
	if (!len)
		return lx_errno(writing ? k42_write(fd, bounce, 0) : k42_read(fd, bounce, 0));
	while (done < len) {
		uint64_t want = len - done < BOUNCE ? len - done : BOUNCE;
		long rc = xfer(fd, uva + done, want, off < 0 ? -1 : off + (int64_t)done, writing);

		if (rc < 0)
			return done ? (long)done : rc;
		done += (uint64_t)rc;
		if ((uint64_t)rc < want)
			break;
		if (!writing && done < len && fills < 0)
			fills = read_fills(fd);
		if (!writing && fills <= 0)
			break;
	}
	return (long)done;
}

long lx_sys_read(struct lx_args *a)
{
	return xfer_all((int)a->a[0], a->a[1], a->a[2], -1, 0);
}

long lx_sys_write(struct lx_args *a)
{
	return xfer_all((int)a->a[0], a->a[1], a->a[2], -1, 1);
}

long lx_sys_pread64(struct lx_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -LX_EINVAL;
	return xfer_all((int)a->a[0], a->a[1], a->a[2], (int64_t)a->a[3], 0);
}

long lx_sys_pwrite64(struct lx_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -LX_EINVAL;
	return xfer_all((int)a->a[0], a->a[1], a->a[2], (int64_t)a->a[3], 1);
}

/* File data into the program's memory (private file mappings). */
long lx_fs_read_at(int fd, uint64_t uva, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	while (done < len) {
		long rc = xfer(fd, uva + done, len - done, (int64_t)(off + done), 0);

		if (rc < 0)
			return rc == -LX_ESPIPE ? -LX_ENODEV : rc;
		if (rc == 0)
			break;
		done += (uint64_t)rc;
	}
	return (long)done;
}

struct lx_iovec {
	uint64_t base, len;
};

static long rw_vec(int fd, uint64_t uiov, uint64_t n, int64_t off, int writing)
{
	struct lx_iovec iov[64];
	long total = 0;

	if (n > 1024)
		return -LX_EINVAL;
	while (n) {
		uint64_t k = n < 64 ? n : 64;

		if (lx_copy_in(iov, uiov, k * sizeof(iov[0])) < 0)
			return -LX_EFAULT;
		for (uint64_t i = 0; i < k; i++) {
			long rc;

			if (!iov[i].len)
				continue;
			rc = xfer_all(fd, iov[i].base, iov[i].len, off < 0 ? -1 : off + total, writing);
			if (rc < 0)
				return total ? total : rc;
			total += rc;
			if ((uint64_t)rc < iov[i].len)
				return total;
		}
		uiov += k * sizeof(iov[0]);
		n -= k;
	}
	return total;
}

long lx_sys_readv(struct lx_args *a)
{
	return rw_vec((int)a->a[0], a->a[1], a->a[2], -1, 0);
}

long lx_sys_writev(struct lx_args *a)
{
	return rw_vec((int)a->a[0], a->a[1], a->a[2], -1, 1);
}

long lx_sys_preadv(struct lx_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -LX_EINVAL;
	return rw_vec((int)a->a[0], a->a[1], a->a[2], (int64_t)a->a[3], 0);
}

long lx_sys_pwritev(struct lx_args *a)
{
	if ((int64_t)a->a[3] < 0)
		return -LX_EINVAL;
	return rw_vec((int)a->a[0], a->a[1], a->a[2], (int64_t)a->a[3], 1);
}

long lx_sys_lseek(struct lx_args *a)
{
	return lx_errno(k42_lseek((int)a->a[0], (int64_t)a->a[1], (int)a->a[2]));
}

/* _llseek(fd, high, low, *result, whence): the 32-bit form, which busybox
 * still calls on ppc64. */
long lx_sys__llseek(struct lx_args *a)
{
	int64_t res = k42_lseek((int)a->a[0], (int64_t)((a->a[1] << 32) | (a->a[2] & 0xffffffffu)),
				(int)a->a[4]);

	if (res < 0)
		return lx_errno(res);
	return lx_copy_out(a->a[3], &res, sizeof(res)) < 0 ? -LX_EFAULT : 0;
}

/* sendfile(out, in, *off, count): through the bounce buffer. */
long lx_sys_sendfile(struct lx_args *a)
{
	int out = (int)a->a[0], in = (int)a->a[1];
	uint64_t count = a->a[3], done = 0;
	int64_t off = -1;
	int fills = -1;

	if (a->a[2]) {
		if (lx_copy_in(&off, a->a[2], sizeof(off)) < 0)
			return -LX_EFAULT;
		if (off < 0)
			return -LX_EINVAL;
	}
	while (done < count) {
		uint64_t want = count - done < BOUNCE ? count - done : BOUNCE;
		long got = off < 0 ? k42_read(in, bounce, want) : k42_pread(in, bounce, want, off);
		long put;

		if (got <= 0) {
			if (got < 0 && !done)
				return lx_errno(got);
			break;
		}
		put = k42_write(out, bounce, (size_t)got);
		if (put < got && off < 0)
			/* Linux's moves the input on by what was sent only:
			 * cat to /dev/full then read the file again and said
			 * "write error" there; ours had consumed it, and said
			 * nothing (a pipe's bytes cannot be put back). */
			(void)k42_lseek(in, -(int64_t)(got - (put > 0 ? put : 0)), K42_SEEK_CUR);
		if (put < 0) {
			if (put == -K42_EPIPE)
				(void)lx_sig_raise_thread(0, 13);
			if (!done)
				return lx_errno(put);
			break;
		}
		done += (uint64_t)put;
		if (off >= 0)
			off += put;
		if (put < got)
			break;
		/* From a pipe, socket or the tty: what one read gave, as
		 * Linux's splice does (more would wait for input, and ^D
		 * would only end this piece). */
		if (fills < 0)
			fills = read_fills(in);
		if (!fills)
			break;
	}
	if (a->a[2] && lx_copy_out(a->a[2], &off, sizeof(off)) < 0)
		return -LX_EFAULT;
	return (long)done;
}

/* ---- descriptors ---- */

long lx_sys_dup(struct lx_args *a)
{
	return lx_errno(k42_dup((int)a->a[0]));
}

long lx_sys_dup2(struct lx_args *a)
{
	return lx_errno(k42_dup2((int)a->a[0], (int)a->a[1]));
}

long lx_sys_dup3(struct lx_args *a)
{
	if (a->a[2] & ~(uint64_t)LX_O_CLOEXEC)
		return -LX_EINVAL;
	return lx_errno(k42_dup3((int)a->a[0], (int)a->a[1], (int)a->a[2]));
}

#define LX_F_GETLK 5
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_SETOWN 8
#define LX_F_GETOWN 9
#define LX_F_GETPIPE_SZ 1032
#define LX_F_UNLCK 2

long lx_sys_fcntl(struct lx_args *a)
{
	int fd = (int)a->a[0];
	struct k42_stat st;
	int16_t type;

	switch (a->a[1]) {
	case K42_F_DUPFD:
	case K42_F_DUPFD_CLOEXEC:
	case K42_F_GETFD:
	case K42_F_SETFD:
	case K42_F_GETFL:
	case K42_F_SETFL:
		return lx_errno(k42_fcntl(fd, (int)a->a[1], (long)a->a[2]));
	case LX_F_GETLK:
		/* One process holds a lock only against others, and nobody
		 * else locks here: always "unlocked". */
		if (k42_fstat(fd, &st) < 0)
			return -LX_EBADF;
		type = LX_F_UNLCK;
		return lx_copy_out(a->a[2], &type, sizeof(type));
	case LX_F_SETLK:
	case LX_F_SETLKW:
		return k42_fstat(fd, &st) < 0 ? -LX_EBADF : 0;
	case LX_F_GETOWN:
	case LX_F_SETOWN:
		return k42_fstat(fd, &st) < 0 ? -LX_EBADF : 0;
	case LX_F_GETPIPE_SZ:
		if (k42_fstat(fd, &st) < 0)
			return -LX_EBADF;
		return (st.mode & K42_S_IFMT) == K42_S_IFIFO ? 65536 : -LX_EBADF;
	default:
		return -LX_EINVAL;
	}
}

long lx_sys_flock(struct lx_args *a)
{
	struct k42_stat st;

	/* Advisory locks between processes are not kept: granted. */
	return k42_fstat((int)a->a[0], &st) < 0 ? -LX_EBADF : 0;
}

long lx_sys_fadvise64(struct lx_args *a)
{
	struct k42_stat st;

	return k42_fstat((int)a->a[0], &st) < 0 ? -LX_EBADF : 0;
}

long lx_sys_ftruncate(struct lx_args *a)
{
	if ((int64_t)a->a[1] < 0)
		return -LX_EINVAL;
	return lx_errno(k42_ftruncate((int)a->a[0], a->a[1]));
}

/* fallocate(fd, mode, offset, len): mode 0 (and KEEP_SIZE) reserve
 * nothing on k42's file systems, which allocate as they write; without
 * KEEP_SIZE the file grows to offset + len as Linux's would. */
#define LX_FALLOC_FL_KEEP_SIZE 1
long lx_sys_fallocate(struct lx_args *a)
{
	int64_t off = (int64_t)a->a[2], len = (int64_t)a->a[3];
	struct k42_stat st;
	long rc;

	if (a->a[1] & ~(uint64_t)LX_FALLOC_FL_KEEP_SIZE)
		return -LX_EOPNOTSUPP;
	if (off < 0 || len <= 0 || off + len < off)
		return -LX_EINVAL;
	if ((rc = k42_fstat((int)a->a[0], &st)) < 0)
		return lx_errno(rc);
	if ((st.mode & 0170000) != 0100000)
		return (st.mode & 0170000) == 0040000 ? -LX_EISDIR : -LX_ENODEV;
	if ((a->a[1] & LX_FALLOC_FL_KEEP_SIZE) || (uint64_t)(off + len) <= st.size)
		return 0;
	return lx_errno(k42_ftruncate((int)a->a[0], (uint64_t)(off + len)));
}

long lx_sys_fsync(struct lx_args *a)
{
	return lx_errno(k42_fsync((int)a->a[0]));
}

long lx_sys_fdatasync(struct lx_args *a)
{
	return lx_sys_fsync(a);
}

long lx_sys_syncfs(struct lx_args *a)
{
	return lx_sys_fsync(a);
}

long lx_sys_sync(struct lx_args *a)
{
	(void)a;
	for (int fd = 0; fd < K42_FD_MAX; fd++)
		(void)k42_fsync(fd);
	return 0;
}

/* ---- pipes ---- */

long lx_sys_pipe2(struct lx_args *a)
{
	int32_t pair[2];
	int fds[2];
	long rc;

	if (a->a[1] & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK))
		return -LX_EINVAL;
	rc = k42_pipe2(fds, (int)a->a[1]);
	if (rc < 0)
		return rc == -K42_ENOMEM ? -LX_ENFILE : lx_errno(rc);
	pair[0] = fds[0];
	pair[1] = fds[1];
	if (lx_copy_out(a->a[0], pair, sizeof(pair)) < 0) {
		k42_close(fds[0]);
		k42_close(fds[1]);
		return -LX_EFAULT;
	}
	return 0;
}

long lx_sys_pipe(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[1] = 0;
	return lx_sys_pipe2(&b);
}

/* ---- ttys ---- */

#define LX_TCGETS 0x402c7413
#define LX_TCSETS 0x802c7414
#define LX_TCSETSW 0x802c7415
#define LX_TCSETSF 0x802c7416
#define LX_TIOCGWINSZ 0x40087468
#define LX_TIOCSWINSZ 0x80087467
#define LX_TIOCGPGRP 0x40047477
#define LX_TIOCSPGRP 0x80047476
#define LX_FIONREAD 0x4004667f
#define LX_FIONBIO 0x8004667e
#define LX_FIOCLEX 0x20006601
#define LX_FIONCLEX 0x20006602

/* struct termios of Linux powerpc: NCCS = 19, c_line after c_cc. */
struct lx_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_cc[19];
	uint8_t c_line;
	uint32_t c_ispeed, c_ospeed;
};
_Static_assert(sizeof(struct lx_termios) == 44, "Linux powerpc termios is 44 bytes");

/* The console's modes as the program set them (the console server does
 * its own line editing; these are kept for TCGETS): ICANON, ECHO and ISIG
 * are the console's own (k42_tcgetattr/tcsetattr: Linux powerpc's bits),
 * so a program that edits lines itself (busybox sh) turns the console's
 * echo off and reads bytes as typed, and is not echoed twice. */
static struct lx_termios console_tio = {
	.c_iflag = 0x500,	/* ICRNL | IXON */
	.c_oflag = 0x5,		/* OPOST | ONLCR */
	.c_cflag = 0xbf | 0x800 | 0x300,	/* B38400 | CS8 | CREAD */
	.c_lflag = 0x2 | 0x8 | 0x80 | 0x100 | 0x20 | 0x40 | 0x400,	/* ECHOE ECHO ISIG ICANON ECHOPRT ECHOCTL IEXTEN */
	.c_cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16 },
	.c_ispeed = 38400, .c_ospeed = 38400,
};

#define TTY_LFLAGS (K42_ISIG | K42_ICANON | K42_ECHO)

long lx_sys_ioctl(struct lx_args *a)
{
	static const uint16_t winsz[4] = { 24, 80, 0, 0 };
	int fd = (int)a->a[0], tty = k42_isatty(fd);
	uint32_t cmd = (uint32_t)a->a[1], pgrp;
	int32_t on;

	if (tty < 0)
		return -LX_EBADF;
	switch (cmd) {
	case LX_FIOCLEX:
	case LX_FIONCLEX:
		return lx_errno(k42_fcntl(fd, K42_F_SETFD, cmd == LX_FIOCLEX ? K42_FD_CLOEXEC : 0));
	case LX_FIONBIO: {
		long fl = k42_fcntl(fd, K42_F_GETFL, 0);

		if (lx_copy_in(&on, a->a[2], sizeof(on)) < 0)
			return -LX_EFAULT;
		fl = on ? (fl | K42_O_NONBLOCK) : (fl & ~K42_O_NONBLOCK);
		return lx_errno(k42_fcntl(fd, K42_F_SETFL, fl));
	}
	}
	if (!tty)
		return -LX_ENOTTY;
	switch (cmd) {
	case LX_TCGETS: {
		struct k42_termios kt;

		if (k42_tcgetattr(fd, &kt) == 0)
			console_tio.c_lflag = (console_tio.c_lflag & ~TTY_LFLAGS) | (kt.lflag & TTY_LFLAGS);
		return lx_copy_out(a->a[2], &console_tio, sizeof(console_tio));
	}
	case LX_TCSETS:
	case LX_TCSETSW:
	case LX_TCSETSF: {
		struct lx_termios t;
		struct k42_termios kt = { 0 };

		if (lx_copy_in(&t, a->a[2], sizeof(t)) < 0)
			return -LX_EFAULT;
		/* ^C and ^D stay the console's (VINTR and VEOF are fixed). */
		kt.lflag = t.c_lflag & TTY_LFLAGS;
		kt.cc[K42_VINTR] = 3;
		kt.cc[K42_VEOF] = 4;
		if (k42_tcsetattr(fd, &kt) < 0)
			return -LX_EIO;
		console_tio = t;
		return 0;
	}
	case LX_TIOCGWINSZ:
		return lx_copy_out(a->a[2], winsz, sizeof(winsz));
	case LX_TIOCSWINSZ:
		return 0;
	case LX_TIOCGPGRP:
		pgrp = (uint32_t)lx.pgid;
		return lx_copy_out(a->a[2], &pgrp, sizeof(pgrp));
	case LX_TIOCSPGRP:
		return 0;
	default:
		return -LX_ENOTTY;
	}
}
