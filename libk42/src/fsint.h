/*
 * Private interfaces of libk42's file layer (docs/files.md): the open-file
 * object every descriptor points at, its per-kind operations (fs_remote.c,
 * fs_pipe.c, fs_fifo.c, fs_dev.c), the mount table (fs.c) and event waiting
 * (iowait.c). All of it runs enabled, in threads; a process's descriptor
 * table is guarded by fs_lock (a k42_mutex; order: fs_lock, then nothing
 * else of the file layer).
 */
#ifndef LIBK42_FSINT_H
#define LIBK42_FSINT_H

#include <stdint.h>
#include <k42/fs.h>
#include "pipebuf.h"
#include "path.h"

struct kfile;

/* Inherited-descriptor record (the startup block's fds section). */
enum { FDX_REMOTE = 1, FDX_PIPE = 2, FDX_DEV = 3, FDX_SOCK = 4, FDX_FIFO = 5 };
struct fd_export {
	int32_t fd;
	int32_t kind;		/* FDX_* */
	int32_t flags;		/* open flags (O_ACCMODE, O_APPEND, O_NONBLOCK) */
	int32_t aux;		/* pipe: 1 = write end; dev: the device; remote: mount;
				 * socket: family | type << 16 */
	uint64_t server, handle;	/* remote, socket */
	uint64_t va;		/* pipe: where the buffer is mapped in the child */
	uint32_t pathlen;	/* a directory's absolute path follows, NUL included */
	uint32_t reclen;	/* bytes of this record, path included, 8-aligned */
};

struct kfile_ops {
	long (*read)(struct kfile *f, void *buf, size_t n);
	long (*write)(struct kfile *f, const void *buf, size_t n);
	long (*pread)(struct kfile *f, void *buf, size_t n, int64_t off);
	long (*pwrite)(struct kfile *f, const void *buf, size_t n, int64_t off);
	int64_t (*lseek)(struct kfile *f, int64_t off, int whence);
	int (*fstat)(struct kfile *f, struct k42_stat *st);
	int (*truncate)(struct kfile *f, uint64_t size);
	int (*fsync)(struct kfile *f);
	long (*getdents)(struct kfile *f, void *buf, size_t n);
	/* Ready events now (K42_POLL*); with arm, also register to be woken
	 * when that changes (K42_SOFTINTR_IO). */
	int (*poll)(struct kfile *f, int events, int arm);
	/* Describe f for child `pid` (granting it whatever it needs). */
	int (*export)(struct kfile *f, uint64_t pid, struct fd_export *e);
	/* The last descriptor of this process on f went away. */
	void (*release)(struct kfile *f);
	int tty;
};

struct kfile {
	const struct kfile_ops *ops;
	int refs;		/* descriptors of this process (atomic: kfile_ref, put) */
	int flags;		/* O_ACCMODE | O_APPEND | O_NONBLOCK */
	/* remote */
	int mount;
	uint64_t server, handle;
	uint32_t cursor;	/* next readdir index */
	char *dirpath;		/* a directory's absolute path (fchdir, *at) */
	char *path;		/* a file's absolute path when opened (fchmod) */
	/* pipe */
	struct pipebuf *pipe;
	int pipe_write;
	uint64_t peer_epoch;	/* k42_peer_epoch when dead holders were last reaped */
	/* dev */
	int dev;
	/* memory (fs_mem.c) */
	void *priv;
	/* fork (k42_fs_fork_prepare): the child's handle on the same open file */
	uint64_t fork_handle;
	uint64_t fork_gen;
	/* regular file: mapped (fs_mapped.c) while ops is k42_mapped_ops */
	uint64_t map_va;	/* the window, 0: none */
	uint64_t map_fr;	/* the FR mapped there */
	int map_watch;		/* remote, window kept: its meta page says when we are alone again */
	int map_switch;		/* a thread is taking the mapped form back (k42_mapped_reattach) */
	uint64_t pos;		/* the offset while mapped (shadowed while map_try) */
	uint64_t size_hint;	/* the size as far as we know, while map_try */
	int map_busy;		/* accesses inside the window right now */
	int map_try;		/* a regular file that may be mapped */
	int io_calls;		/* calls a mapping would have served, while map_try */
	/* socket (server, handle above) */
	int family, socktype;
	uint64_t rcvtimeo_us, sndtimeo_us;	/* 0: wait for ever */
};

/* One more reference to f (the table's lock held by whoever found f in
 * it, so that a close cannot free f first); dropped by k42_fs_put, which
 * takes no lock. */
static inline void kfile_ref(struct kfile *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

extern const struct kfile_ops k42_remote_ops, k42_pipe_ops, k42_dev_ops, k42_sock_ops,
	k42_mapped_ops, k42_fifo_ops;
/* fs_fifo.c: a fifo just opened (server, handle, flags set) waits for the
 * other side as POSIX says: 0, -K42_EINTR, or the server's error. */
int k42_fifo_open_wait(struct kfile *f);
/* fs_mapped.c: the switch between a regular file's two implementations.
 * attach: remote -> mapped (0, or -K42_E* and f stays remote); detach:
 * mapped -> remote for good, window given up (f is remote afterwards
 * whatever it returns). */
int k42_mapped_attach(struct kfile *f);
int k42_mapped_detach(struct kfile *f);
/* A remote file whose window was kept when another open file came: back
 * to the mapped form once the meta page says it went (0), else -K42_E*. */
int k42_mapped_reattach(struct kfile *f);
/* A remote file that was mapped before lets go of its window. */
void k42_mapped_release(struct kfile *f);

struct kfile *k42_kfile_new(const struct kfile_ops *ops, int flags);
/* Device numbers of /dev's nodes (fs.idl's rdev). */
enum { DEV_NULL = 1, DEV_ZERO = 2, DEV_FULL = 3, DEV_URANDOM = 4, DEV_TTY = 5, DEV_CONSOLE = 6,
       DEV_RANDOM = 7 };
struct kfile *k42_dev_open(int dev, int flags);
/* fs_dev.c: the console's mode as termios. */
int k42_tty_getattr(struct k42_termios *t);
int k42_tty_setattr(const struct k42_termios *t);
long k42_remote_import(struct kfile *f, const struct fd_export *e);
long k42_pipe_import(struct kfile *f, const struct fd_export *e);
long k42_sock_import(struct kfile *f, const struct fd_export *e);
/* fork: a handle for child `pid` on the same socket, into f->fork_handle. */
int k42_sock_fork_share(struct kfile *f, uint64_t pid);
/* Pipe slots: where pipe buffers are mapped (K42_PIPE_VA window). */
uint64_t k42_pipe_slot_va(int slot);
void k42_pipe_slot_used(uint64_t va);
extern int k42_export_slot;
uint32_t k42_fs_self_pid(void);
void k42_fs_self_pid_forget(void);	/* a forked child is someone else */
/* fs.c: does another open object of this process use f's pipe mapping? */
int k42_pipe_mapped_elsewhere(struct kfile *f);

/* iowait.c */
extern volatile uint64_t k42_io_gen;
/* Bumped when a process sharing memory with us ends (K42_SOFTINTR_PEER). */
extern volatile uint64_t k42_peer_epoch;
int k42_io_wait(uint64_t gen, uint64_t deadline_tb);	/* 0, -K42_ETIMEDOUT or -K42_EINTR */

/* fs.c: the mount table. */
struct mount {
	char point[256];
	uint64_t server;
	int readonly;
};
const struct mount *k42_mount(int m);
void k42_stat_from_fs(int mount, const void *fs_stat, struct k42_stat *st);

/* fs.c, for the other kinds' calls (fs_sock.c): take a reference on
 * fd's object (NULL: EBADF), drop one, and install a new object at the
 * lowest free descriptor (the object's reference is consumed even on
 * failure). */
struct kfile *k42_fs_get(int fd);
void k42_fs_put(struct kfile *f);
int k42_fs_install(struct kfile *f, int cloexec);

/* poll one descriptor (fs_poll.c): 0 or -EBADF. */
int k42_fs_poll_one(int fd, int events, int arm, int *revents);

/* The path fd was opened under (a malloc'd copy): 0, -EBADF, -EINVAL
 * (a pipe or device), -ENOMEM. */
int k42_fd_path(int fd, char **out);

/* spawn.c asks for the descriptor table to pass to a child. */
long k42_fs_export(uint64_t pid, void **blob, uint64_t *len);

/* fs_inherit.c: fn(f, pid) on each distinct open object once (fs_fork.c). */
int k42_fs_each_open(int (*fn)(struct kfile *f, uint64_t pid), uint64_t pid);
/* fs.c's table for fs_inherit.c: k42_fs_table and k42_fs_cwd are read
 * and written under k42_fs_lock (or before any thread can race, at start);
 * k42_fs_stdio_default(0) gives a table the tty on 0..2 if nothing was
 * inherited, (1) records that the parent's table was. */
struct fdtab;
void k42_fs_lock(void);
void k42_fs_unlock(void);
struct fdtab *k42_fs_table(void);
char *k42_fs_cwd(void);
void k42_fs_stdio_default(int inherited);

#endif
