/*
 * The file layer (docs/files.md): per-process file descriptors, path
 * resolution over mounted file systems found through the name server,
 * pipes in memory shared between the two ends, /dev devices, and poll.
 * POSIX-shaped: int descriptors, Linux's numeric O_* / S_* / F_* values
 * (powerpc64), and 0 or a count on success, a negative -K42_E* code
 * (the same numbers as Linux's errno) on failure.
 */
#ifndef K42_FS_H
#define K42_FS_H

#include <stddef.h>
#include <stdint.h>

#define K42_O_RDONLY    00
#define K42_O_WRONLY    01
#define K42_O_RDWR      02
#define K42_O_ACCMODE   03
#define K42_O_CREAT     0100
#define K42_O_EXCL      0200
#define K42_O_NOCTTY    0400
#define K42_O_TRUNC     01000
#define K42_O_APPEND    02000
#define K42_O_NONBLOCK  04000
#define K42_O_DIRECTORY 040000		/* powerpc values */
#define K42_O_NOFOLLOW  0100000
#define K42_O_CLOEXEC   02000000

#define K42_AT_FDCWD            (-100)
#define K42_AT_SYMLINK_NOFOLLOW 0x100
#define K42_AT_REMOVEDIR        0x200

#define K42_F_DUPFD    0
#define K42_F_GETFD    1
#define K42_F_SETFD    2
#define K42_F_GETFL    3
#define K42_F_SETFL    4
#define K42_F_DUPFD_CLOEXEC 1030
#define K42_FD_CLOEXEC 1

#define K42_SEEK_SET 0
#define K42_SEEK_CUR 1
#define K42_SEEK_END 2

#define K42_S_IFMT   0170000
#define K42_S_IFDIR  0040000
#define K42_S_IFCHR  0020000
#define K42_S_IFREG  0100000
#define K42_S_IFLNK  0120000
#define K42_S_IFIFO  0010000

#define K42_PATH_MAX 4096	/* a whole path, with its NUL */
#define K42_NAME_MAX 255	/* one component */
#define K42_PIPE_BUF 4096	/* pipe writes up to this size are atomic */
#define K42_SYMLOOP_MAX 40
#define K42_FD_MAX   256	/* descriptors per process */

struct k42_stat {
	uint64_t dev;		/* which mount (an index in this process) */
	uint64_t ino;
	uint32_t mode;		/* K42_S_IF* | permission bits */
	uint32_t nlink;
	uint64_t size;
	uint32_t rdev;
	uint64_t atime_ns, mtime_ns, ctime_ns;
	uint64_t blocks;	/* storage held, 512-byte units (holes hold none) */
	uint32_t uid, gid;	/* owner and group, as the file server says */
};

/* One directory entry from k42_getdents: records of reclen bytes. */
struct k42_dirent {
	uint64_t ino;
	uint16_t reclen;
	uint8_t type;		/* DT_*: 4 dir, 8 reg, 10 lnk, 2 chr, 1 fifo */
	char name[];
};

#define K42_POLLIN   0x001
#define K42_POLLPRI  0x002
#define K42_POLLOUT  0x004
#define K42_POLLERR  0x008
#define K42_POLLHUP  0x010
#define K42_POLLNVAL 0x020

struct k42_pollfd {
	int fd;
	short events;
	short revents;
};

int k42_open(const char *path, int flags, unsigned mode);
int k42_openat(int dirfd, const char *path, int flags, unsigned mode);
int k42_close(int fd);
long k42_read(int fd, void *buf, size_t n);
long k42_write(int fd, const void *buf, size_t n);
long k42_pread(int fd, void *buf, size_t n, int64_t off);
long k42_pwrite(int fd, const void *buf, size_t n, int64_t off);
int64_t k42_lseek(int fd, int64_t off, int whence);
int k42_dup(int fd);
int k42_dup2(int fd, int to);
int k42_dup3(int fd, int to, int flags);		/* flags: K42_O_CLOEXEC */
int k42_fcntl(int fd, int cmd, long arg);
/* New descriptors (open, dup, pipe, sockets, F_DUPFD, dup2's target)
 * stay below n (< 0 or >= K42_FD_MAX: the table's whole K42_FD_MAX):
 * the Linux personality's RLIMIT_NOFILE. Open ones above stay open. */
void k42_fd_set_limit(int n);
int k42_fstat(int fd, struct k42_stat *st);
int k42_ftruncate(int fd, uint64_t size);
int k42_fsync(int fd);
int k42_isatty(int fd);
/* 1 if fd is a regular file this process has mapped (docs/files.md, "Mapped
 * files": its data and offset are kept here), 0 if not, -EBADF. */
int k42_fs_mapped(int fd);

/* The tty's modes (termios basics; Linux's powerpc numbers). ICANON on:
 * the console edits lines, ^C (VINTR) interrupts the foreground job and
 * ^D (VEOF) ends a read (on an empty line: end of file); off: raw bytes.
 * ECHO: typed bytes are echoed. ISIG follows ICANON; VINTR and VEOF are
 * fixed at ^C and ^D. The console has one mode for all its readers. */
#define K42_ISIG   0x00000080
#define K42_ICANON 0x00000100
#define K42_ECHO   0x00000008
#define K42_VINTR  0
#define K42_VEOF   4
#define K42_NCCS   19
struct k42_termios {
	uint32_t lflag;
	uint8_t cc[K42_NCCS];
};
/* -ENOTTY unless fd is the tty or the console. */
int k42_tcgetattr(int fd, struct k42_termios *t);
/* ICANON and ECHO take effect; -EINVAL if VINTR or VEOF is changed. */
int k42_tcsetattr(int fd, const struct k42_termios *t);
/* The window size: the hypervisor console reports none, so 24 x 80. */
int k42_tty_winsize(int fd, uint16_t *rows, uint16_t *cols);

int k42_stat(const char *path, struct k42_stat *st);
int k42_lstat(const char *path, struct k42_stat *st);
int k42_fstatat(int dirfd, const char *path, struct k42_stat *st, int flags);
int k42_mkdir(const char *path, unsigned mode);
int k42_mkdirat(int dirfd, const char *path, unsigned mode);
/* A named pipe (tmpfs; docs/files.md "Named pipes"). */
int k42_mkfifo(const char *path, unsigned mode);
int k42_mkfifoat(int dirfd, const char *path, unsigned mode);
int k42_rmdir(const char *path);
int k42_unlink(const char *path);
int k42_unlinkat(int dirfd, const char *path, int flags);
int k42_rename(const char *from, const char *to);
int k42_renameat(int fromfd, const char *from, int tofd, const char *to);
int k42_link(const char *from, const char *to);
int k42_symlink(const char *dest, const char *path);
long k42_readlink(const char *path, char *buf, size_t n);
long k42_readlinkat(int dirfd, const char *path, char *buf, size_t n);
int k42_chmod(const char *path, unsigned mode);
int k42_utimes(const char *path, uint64_t atime_ns, uint64_t mtime_ns);
int k42_futimes(int fd, uint64_t atime_ns, uint64_t mtime_ns);	/* by the path fd was opened under */
/* The path fd was opened under, malloc'd into *out (free it); -EINVAL
 * for a descriptor with none (a pipe, a socket, an inherited tty). */
int k42_fd_path(int fd, char **out);
/* The same relative to a directory descriptor (or K42_AT_FDCWD); flags:
 * K42_AT_SYMLINK_NOFOLLOW where it applies. */
int k42_linkat(int fromfd, const char *from, int tofd, const char *to);
int k42_symlinkat(const char *dest, int dirfd, const char *path);
int k42_fchmodat(int dirfd, const char *path, unsigned mode, int flags);
int k42_fchmod(int fd, unsigned mode);	/* by the path fd was opened under */
int k42_utimesat(int dirfd, const char *path, uint64_t atime_ns, uint64_t mtime_ns, int flags);
/* A read-only descriptor on a snapshot of len bytes (copied): a regular
 * file, or with mode K42_S_IFDIR a directory whose bytes are struct
 * k42_dirent records (fs_mem.c; the Linux personality's /proc). flags:
 * K42_O_CLOEXEC. fork keeps it; spawn does not pass it on. */
int k42_open_memory(const void *data, size_t len, uint32_t mode, uint64_t ino, int flags);

/* Fill buf with struct k42_dirent records; 0 at the end. */
long k42_getdents(int fd, void *buf, size_t n);

int k42_chdir(const char *path);
int k42_fchdir(int fd);
long k42_getcwd(char *buf, size_t n);	/* length with the NUL */

int k42_pipe(int fds[2]);
int k42_pipe2(int fds[2], int flags);	/* K42_O_NONBLOCK, K42_O_CLOEXEC */

/* Wait until one of fds is ready or timeout_ms passes (-1: forever);
 * returns how many have revents. Blocks on events, never by polling. */
int k42_poll(struct k42_pollfd *fds, unsigned n, int timeout_ms);

/* How often a thread of this process slept for an I/O event and woke. */
extern uint64_t k42_io_wakeups;

/* Waiting for I/O events in a server of one's own (the network server
 * waits for its driver this way): read the generation, check the
 * condition, and if it does not hold wait until the generation moves or
 * the timebase passes deadline_tb (0: no deadline): 0 or -K42_ETIMEDOUT. */
uint64_t k42_io_generation(void);
int k42_io_wait_gen(uint64_t gen, uint64_t deadline_tb);

/* Wake process pid's threads waiting for I/O (read, write, poll): a
 * server whose state changed calls this for each process that asked to
 * be told (docs/files.md). */
long k42_io_notify(uint64_t pid);

/* ^C at the console while this process is in the foreground job: fn runs
 * (in handler context: it must not block). Without one the process ends
 * with status 130. */
void k42_on_interrupt(void (*fn)(void));

/* A signal sent by process `from` with ioevent.signal (idl/ioevent.idl):
 * fn runs in handler context and decides whether to accept it. Without
 * one the message is dropped. */
void k42_on_signal(void (*fn)(uint64_t from, uint32_t sig));
/* Send it (one-way; the receiver may drop it). */
long k42_send_signal(uint64_t pid, uint32_t sig);

/* Re-read the mount table from the name server (names "mnt/..."). */
void k42_fs_remount(void);
/* Close every descriptor (process exit does this). */
void k42_fs_close_all(void);
/* Close the descriptors marked close-on-exec (an exec in place). */
void k42_fs_close_cloexec(void);

/* fork as a copy of the whole process (the Linux personality, with
 * mem_cow_all): before the memory is copied, prepare(pid) gives child
 * pid its own handle on each open server file (sharing the offset) and
 * counts the child's pipe ends; the child calls k42_fs_forked() before
 * anything else. abort() undoes prepare() when the child never runs. */
int k42_fs_fork_prepare(uint64_t pid);
void k42_fs_fork_abort(uint64_t pid);
void k42_fs_forked(void);

/* Code outside threads (the Linux personality's system calls) waits for
 * I/O events with fn: it sleeps until an event or deadline_tb (0: none)
 * and returns 0, or -K42_EINTR to end a blocking read, write or poll. */
void k42_io_set_handler_wait(int (*fn)(uint64_t deadline_tb));
/* Threads waiting for I/O events ask fn before sleeping (it may lower
 * *deadline_tb, 0 meaning none) and again on waking (deadline_tb NULL);
 * non-zero ends the wait with -K42_EINTR. k42_io_event wakes every such
 * waiter to re-check (a signal arrived, say). */
void k42_io_set_thread_check(int (*fn)(uint64_t *deadline_tb));
void k42_io_event(void);

#endif
