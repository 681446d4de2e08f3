/*
 * /dev's devices, served inside the process (docs/files.md): the device
 * node in the /dev file system names the device (its rdev); null, zero,
 * full and urandom need nobody else; the tty and the console write to
 * the console directly and read from the console server (a line with its
 * newline in cooked mode, raw bytes in raw mode; termios sets the mode).
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/services.h>
#include "fsint.h"
#include "console.h"

static uint64_t rnd_state;

/* What the last console read gave and the tty's readers have not taken
 * yet (one tty per process): poll reports it readable. */
static uint8_t tty_line[CONSOLE_WRITE_MAX];
static size_t tty_have, tty_at;

static long d_read(struct kfile *f, void *buf, size_t n)
{
	uint8_t *out = buf;

	switch (f->dev) {
	case DEV_NULL:
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		memset(buf, 0, n);
		return (long)n;
	case DEV_URANDOM:
	case DEV_RANDOM:
		/* xorshift64*, seeded from the timebase: not for cryptography. */
		if (!rnd_state)
			rnd_state = k42_timebase() | 1;
		for (size_t i = 0; i < n; i++) {
			rnd_state ^= rnd_state >> 12;
			rnd_state ^= rnd_state << 25;
			rnd_state ^= rnd_state >> 27;
			out[i] = (uint8_t)((rnd_state * 0x2545F4914F6CDD1Dull) >> 56);
		}
		return (long)n;
	default: {
		/* The tty: what one console read gave (a line with its
		 * newline, or raw bytes); none at all is end of file (^D). */
		uint8_t *line = tty_line;
		size_t have = tty_have, at = tty_at;
		uint64_t con;
		uint32_t len = 0;
		long rc;

		if (at == have) {
			if ((rc = k42_name_lookup("console", &con, NULL)) < 0)
				return rc;
			if ((rc = console_read(con, line, sizeof(tty_line), &len)) < 0)
				return rc;
			tty_have = have = len;
			tty_at = at = 0;
			if (!len)
				return 0;
		}
		if (n > have - at)
			n = have - at;
		memcpy(buf, line + at, n);
		tty_at = at + n;
		return (long)n;
	}
	}
}

static long d_write(struct kfile *f, const void *buf, size_t n)
{
	switch (f->dev) {
	case DEV_NULL:
	case DEV_ZERO:
	case DEV_URANDOM:
	case DEV_RANDOM:
		return (long)n;
	case DEV_FULL:
		return -K42_ENOSPC;
	default:
		k42_sc_debug_write((uint64_t)buf, n);
		return (long)n;
	}
}

static long d_pread(struct kfile *f, void *buf, size_t n, int64_t off)
{
	(void)off;
	return f->dev == DEV_TTY || f->dev == DEV_CONSOLE ? -K42_ESPIPE : d_read(f, buf, n);
}

static long d_pwrite(struct kfile *f, const void *buf, size_t n, int64_t off)
{
	(void)off;
	return f->dev == DEV_TTY || f->dev == DEV_CONSOLE ? -K42_ESPIPE : d_write(f, buf, n);
}

static int64_t d_lseek(struct kfile *f, int64_t off, int whence)
{
	(void)off;
	(void)whence;
	return f->dev == DEV_TTY || f->dev == DEV_CONSOLE ? -K42_ESPIPE : 0;
}

static int d_fstat(struct kfile *f, struct k42_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = K42_S_IFCHR | 0666;
	st->rdev = (uint32_t)f->dev;
	st->nlink = 1;
	return 0;
}

static int d_poll(struct kfile *f, int events, int arm);

static int d_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	(void)pid;
	e->kind = FDX_DEV;
	e->aux = f->dev;
	return 0;
}

const struct kfile_ops k42_dev_ops = {
	.read = d_read,
	.write = d_write,
	.pread = d_pread,
	.pwrite = d_pwrite,
	.lseek = d_lseek,
	.fstat = d_fstat,
	.poll = d_poll,
	.export = d_export,
};

static const struct kfile_ops tty_ops = {
	.read = d_read,
	.write = d_write,
	.pread = d_pread,
	.pwrite = d_pwrite,
	.lseek = d_lseek,
	.fstat = d_fstat,
	.poll = d_poll,
	.export = d_export,
	.tty = 1,
};

static int d_poll(struct kfile *f, int events, int arm)
{
	uint64_t con;
	uint32_t lines = 0;

	if (f->dev != DEV_TTY && f->dev != DEV_CONSOLE)
		return events & (K42_POLLIN | K42_POLLOUT);
	if (tty_at < tty_have)	/* bytes of a read not taken yet (a line read byte by byte) */
		return events & (K42_POLLIN | K42_POLLOUT);
	/* The console server raises K42_SOFTINTR_IO on us when a line comes. */
	if (k42_name_lookup("console", &con, NULL) < 0)
		return K42_POLLERR;
	if (console_pending(con, arm ? k42_sc_sys_info(K42_INFO_PID) : 0, &lines) < 0)
		return K42_POLLERR;
	return (events & K42_POLLOUT) | (lines ? events & K42_POLLIN : 0);
}

int k42_tty_getattr(struct k42_termios *t)
{
	console_mode_t mode;
	uint64_t con;
	bool echo;
	long rc;

	if ((rc = k42_name_lookup("console", &con, NULL)) < 0 ||
	    (rc = console_get_mode(con, &mode, &echo)) < 0)
		return (int)rc;
	memset(t, 0, sizeof(*t));
	t->lflag = (mode == CONSOLE_MODE_COOKED ? K42_ICANON | K42_ISIG : 0) | (echo ? K42_ECHO : 0);
	t->cc[K42_VINTR] = 3;
	t->cc[K42_VEOF] = 4;
	return 0;
}

int k42_tty_setattr(const struct k42_termios *t)
{
	uint64_t con;
	long rc;

	if (t->cc[K42_VINTR] != 3 || t->cc[K42_VEOF] != 4)
		return -K42_EINVAL;
	if ((rc = k42_name_lookup("console", &con, NULL)) < 0)
		return (int)rc;
	return (int)console_set_mode(con, t->lflag & K42_ICANON ? CONSOLE_MODE_COOKED : CONSOLE_MODE_RAW,
				     (t->lflag & K42_ECHO) != 0);
}

struct kfile *k42_dev_open(int dev, int flags)
{
	struct kfile *f;

	if (dev < DEV_NULL || dev > DEV_RANDOM)
		return NULL;
	f = k42_kfile_new(dev == DEV_TTY || dev == DEV_CONSOLE ? &tty_ops : &k42_dev_ops, flags);
	if (f)
		f->dev = dev;
	return f;
}
