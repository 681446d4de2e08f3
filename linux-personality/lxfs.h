/*
 * The Linux personality's file calls over libk42's file layer
 * (<k42/fs.h>, docs/files.md): descriptors, paths, pipes and poll are
 * libk42's, so a Linux program sees every mount (the boot archive at /,
 * tmpfs at /tmp and /dev, any file system registered later). What is
 * here only moves bytes between the program's memory and the layer
 * (checked copies) and turns layouts into Linux's (stat, dirents,
 * termios). fs.c holds the descriptor calls, names.c the path calls.
 */
#ifndef LX_FS_H
#define LX_FS_H

#include <stdint.h>
#include <k42/fs.h>

#define LX_AT_FDCWD (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR 0x200
#define LX_AT_EMPTY_PATH 0x1000
#define LX_O_CLOEXEC 02000000
#define LX_O_NONBLOCK 04000

/* A libk42 result as a Linux one: its codes are Linux's errno numbers;
 * a few of k42's own (a dead server ...) become EIO. */
long lx_errno(long k42rc);
/* The path at uva into buf (K42_PATH_MAX bytes): 0 or -LX_E*. */
long lx_user_path(uint64_t uva, char *buf);
/* chroot (fs.c): the root, and a program's path made real under it. */
extern char lx_root[];
extern size_t lx_root_len;
long lx_root_path(const char *in, char *out);
/* Linux's struct stat (ppc64) from k42's, into user memory. */
long lx_put_stat(uint64_t uva, const struct k42_stat *st);

/* /proc (procfs.c): paths under /proc are answered there. lx_proc_path
 * gives (dirfd, path)'s absolute /proc path, or NULL if it is not one. */
const char *lx_proc_path(int64_t dirfd, const char *path);
void lx_proc_cwd_changed(void);
long lx_proc_open(const char *path, int flags);
long lx_proc_stat(const char *path, int nofollow, struct k42_stat *st);
long lx_proc_readlink(const char *path, char *buf, size_t n);

/* Mounted file systems (mounts.c): point, server, kind. */
#define LX_MOUNTS_MAX 16
struct lx_mount {
	char point[64];
	uint64_t server;
	char type[16];
	uint64_t magic;
	int ro;
};
int lx_mounts(struct lx_mount *m, int max);
int lx_path_readonly(int64_t dirfd, const char *path);

#endif
