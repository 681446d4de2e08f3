/*
 * The Linux personality's open files and descriptor table, shared by
 * fs.c (open, read, write, stat, directories) and fs_io.c (tty ioctls,
 * pipes, sendfile, poll).
 */
#ifndef LX_FS_H
#define LX_FS_H

#include <stdint.h>

#define LX_NFD 256
#define LX_AT_FDCWD (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_EMPTY_PATH 0x1000
#define LX_O_ACCMODE 3
#define LX_O_CREAT 0100
#define LX_O_TRUNC 01000
#define LX_O_APPEND 02000
#define LX_O_DIRECTORY 040000
#define LX_O_NONBLOCK 04000
#define LX_S_IFIFO 0010000
#define LX_O_CLOEXEC 02000000
#define LX_S_IFMT 0170000
#define LX_S_IFDIR 0040000
#define LX_S_IFCHR 0020000
#define LX_S_IFLNK 0120000
#define LX_S_IFREG 0100000
#define LX_PATH_MAX 256

enum lx_ftype { LX_F_CONSOLE = 1, LX_F_NULL, LX_F_ZERO, LX_F_FILE, LX_F_DIR, LX_F_PIPE_R, LX_F_PIPE_W };

struct lx_file {
	enum lx_ftype type;
	int refs;
	const uint8_t *data;		/* archive bytes (file) */
	uint64_t size, off;
	uint32_t mode;
	uint64_t ino;
	struct lx_pipe *pipe;		/* LX_F_PIPE_* */
	int nonblock;
	uint64_t mark;			/* fork's walk: counted once */
	char name[LX_PATH_MAX];		/* archive name (no leading slash) */
};

struct lx_fd {
	struct lx_file *f;
	int cloexec;
};

/* The open file behind fd, or NULL. */
struct lx_file *lx_fd_get(uint64_t fd);
/* The lowest free descriptor >= lowest, now holding f (a new reference); or -LX_EMFILE. */
int lx_fd_alloc(struct lx_file *f, int lowest, int cloexec);
long lx_fd_close(uint64_t fd);
/* Free f once its last reference has gone. */
void lx_file_put_ref0(struct lx_file *f);
/* Bytes of console input ready (poll). */
long lx_console_poll_in(void);

#endif
