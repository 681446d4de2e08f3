/*
 * Linux descriptor calls beyond open/read/write (fs.c): tty ioctls, pipe2
 * over shared memory (pipe.c), sendfile, _llseek and poll.
 */
#include <kern/cpio.h>
#include "lx.h"
#include "lxfs.h"

/* ---- ttys ---- */

#define LX_TCGETS 0x402c7413
#define LX_TCSETS 0x802c7414
#define LX_TCSETSW 0x802c7415
#define LX_TCSETSF 0x802c7416
#define LX_TIOCGWINSZ 0x40087468
#define LX_TIOCSWINSZ 0x80087467
#define LX_TIOCGPGRP 0x40047477
#define LX_TIOCSPGRP 0x80047476

/* struct termios of Linux powerpc: NCCS = 19, c_line after c_cc. */
struct lx_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_cc[19];
	uint8_t c_line;
	uint32_t c_ispeed, c_ospeed;
};
_Static_assert(sizeof(struct lx_termios) == 44, "Linux powerpc termios is 44 bytes");

static struct lx_termios console_tio = {
	.c_iflag = 0x500,	/* ICRNL | IXON */
	.c_oflag = 0x5,		/* OPOST | ONLCR */
	.c_cflag = 0xbf | 0x800 | 0x300,	/* B38400 | CS8 | CREAD */
	.c_lflag = 0x2 | 0x8 | 0x80 | 0x10 | 0x20 | 0x40 | 0x400,	/* ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL... */
	.c_cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16 },
	.c_ispeed = 38400, .c_ospeed = 38400,
};

long lx_sys_ioctl(struct lx_args *a)
{
	struct lx_file *f = lx_fd_get(a->a[0]);
	static const uint16_t winsz[4] = { 24, 80, 0, 0 };
	uint32_t pgrp;

	if (!f)
		return -LX_EBADF;
	if (f->type != LX_F_CONSOLE)
		return -LX_ENOTTY;
	switch (a->a[1] & 0xffffffffu) {
	case LX_TCGETS:
		return lx_copy_out(a->a[2], &console_tio, sizeof(console_tio));
	case LX_TCSETS:
	case LX_TCSETSW:
	case LX_TCSETSF:
		return lx_copy_in(&console_tio, a->a[2], sizeof(console_tio));
	case LX_TIOCGWINSZ:
		return lx_copy_out(a->a[2], winsz, sizeof(winsz));
	case LX_TIOCSWINSZ:
		return 0;
	case LX_TIOCGPGRP:
		pgrp = (uint32_t)lx.pid;
		return lx_copy_out(a->a[2], &pgrp, sizeof(pgrp));
	case LX_TIOCSPGRP:
		return 0;
	default:
		return -LX_ENOTTY;
	}
}

/* ---- pipes ---- */

long lx_sys_pipe2(struct lx_args *a)
{
	struct lx_file *r, *w;
	struct lx_pipe *p;
	int32_t pair[2];
	long rc;

	if (a->a[1] & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK))
		return -LX_EINVAL;
	r = calloc(1, sizeof(*r));
	w = calloc(1, sizeof(*w));
	if (!r || !w || (rc = lx_pipe_create(&p)) < 0) {
		free(r);
		free(w);
		return r && w ? rc : -LX_ENOMEM;
	}
	r->type = LX_F_PIPE_R;
	w->type = LX_F_PIPE_W;
	r->pipe = w->pipe = p;
	r->mode = w->mode = LX_S_IFIFO | 0600;
	r->ino = w->ino = 0x10000 + ((uint64_t)p - LX_PIPE_BASE) / K42_PAGE_SIZE;
	r->nonblock = w->nonblock = (a->a[1] & LX_O_NONBLOCK) != 0;
	lx_pipe_get(p, 0);
	lx_pipe_get(p, 1);
	pair[0] = lx_fd_alloc(r, 0, (a->a[1] & LX_O_CLOEXEC) != 0);
	pair[1] = pair[0] < 0 ? -1 : lx_fd_alloc(w, 0, (a->a[1] & LX_O_CLOEXEC) != 0);
	if (pair[1] < 0) {
		if (pair[0] >= 0)
			lx_fd_close((uint64_t)pair[0]);
		else
			lx_file_put_ref0(r);
		lx_file_put_ref0(w);
		return -LX_EMFILE;
	}
	if (lx_copy_out(a->a[0], pair, sizeof(pair)) < 0) {
		lx_fd_close((uint64_t)pair[0]);
		lx_fd_close((uint64_t)pair[1]);
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

/* sendfile(out, in, *off, count): through a buffer here. */
long lx_sys_sendfile(struct lx_args *a)
{
	struct lx_file *out = lx_fd_get(a->a[0]), *in = lx_fd_get(a->a[1]);
	static uint8_t buf[4096];
	uint64_t count = a->a[3], done = 0, off, *pos;

	if (!out || !in)
		return -LX_EBADF;
	/* Only file to console or null here; callers fall back to read and
	 * write on EINVAL, as they do on Linux for unsupported pairs. */
	if (in->type != LX_F_FILE || (out->type != LX_F_CONSOLE && out->type != LX_F_NULL))
		return -LX_EINVAL;
	if (a->a[2]) {
		if (lx_copy_in(&off, a->a[2], sizeof(off)) < 0)
			return -LX_EFAULT;
		pos = &off;
	} else {
		pos = &in->off;
	}
	while (done < count && *pos < in->size) {
		uint64_t n = in->size - *pos;

		n = n < sizeof(buf) ? n : sizeof(buf);
		n = n < count - done ? n : count - done;
		memcpy(buf, in->data + *pos, n);
		if (out->type == LX_F_CONSOLE)
			k42_sc_debug_write((uint64_t)buf, n);
		*pos += n;
		done += n;
	}
	if (a->a[2] && lx_copy_out(a->a[2], &off, sizeof(off)) < 0)
		return -LX_EFAULT;
	return (long)done;
}

/* _llseek(fd, high, low, *result, whence): the 32-bit form, which busybox
 * still calls on ppc64. */
long lx_sys__llseek(struct lx_args *a)
{
	struct lx_args b = *a;
	long rc;
	int64_t res;

	b.a[1] = (a->a[1] << 32) | (a->a[2] & 0xffffffffu);
	b.a[2] = a->a[4];
	rc = lx_sys_lseek(&b);
	if (rc < 0)
		return rc;
	res = rc;
	return lx_copy_out(a->a[3], &res, sizeof(res)) < 0 ? -LX_EFAULT : 0;
}

/* ---- poll ---- */

#define LX_POLLIN 0x1
#define LX_POLLOUT 0x4
#define LX_POLLERR 0x8
#define LX_POLLHUP 0x10
#define LX_POLLNVAL 0x20

struct lx_pollfd {
	int32_t fd;
	int16_t events, revents;
};

static int16_t poll_one(int32_t fd, int16_t events)
{
	struct lx_file *f = fd < 0 ? NULL : lx_fd_get((uint64_t)fd);
	int16_t r = 0;

	if (fd < 0)
		return 0;
	if (!f)
		return LX_POLLNVAL;
	switch (f->type) {
	case LX_F_CONSOLE:
		r = LX_POLLOUT | (lx_console_poll_in() ? LX_POLLIN : 0);
		break;
	case LX_F_PIPE_R:
		r = (lx_pipe_avail(f->pipe, 0) ? LX_POLLIN : 0) |
		    (lx_pipe_ends(f->pipe, 1) == 0 ? LX_POLLHUP : 0);
		break;
	case LX_F_PIPE_W:
		r = lx_pipe_ends(f->pipe, 0) == 0 ? LX_POLLERR :
		    lx_pipe_avail(f->pipe, 1) ? LX_POLLOUT : 0;
		break;
	default:
		r = LX_POLLIN | LX_POLLOUT;
		break;
	}
	return (int16_t)(r & (events | LX_POLLERR | LX_POLLHUP | LX_POLLNVAL));
}

/* Wait (disabled, in the kernel) until a descriptor is ready or the
 * deadline passes; pipes wake us, the console is polled every 10 ms. */
static long do_poll(uint64_t ufds, uint64_t nfds, int64_t timeout_ns)
{
	static struct lx_pollfd pfd[LX_NFD];
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), deadline = 0;

	if (nfds > LX_NFD)
		return -LX_EINVAL;
	if (lx_copy_in(pfd, ufds, nfds * sizeof(pfd[0])) < 0)
		return -LX_EFAULT;
	if (timeout_ns > 0)
		deadline = k42_timebase() + (uint64_t)timeout_ns / 1000 * hz / 1000000;
	for (;;) {
		long ready = 0;

		for (uint64_t i = 0; i < nfds; i++) {
			pfd[i].revents = poll_one(pfd[i].fd, pfd[i].events);
			if (pfd[i].revents)
				ready++;
		}
		if (ready || timeout_ns == 0 || (deadline && k42_timebase() >= deadline)) {
			if (lx_copy_out(ufds, pfd, nfds * sizeof(pfd[0])) < 0)
				return -LX_EFAULT;
			return ready;
		}
		for (uint64_t i = 0; i < nfds; i++) {
			struct lx_file *f = pfd[i].fd < 0 ? NULL : lx_fd_get((uint64_t)pfd[i].fd);

			if (f && f->pipe)
				lx_pipe_wait_on(f->pipe, f->type == LX_F_PIPE_W);
		}
		if (lx_wait_event(deadline && deadline - k42_timebase() < hz / 100 ?
				  deadline - k42_timebase() : hz / 100))
			return -LX_EINTR;
	}
}

long lx_sys_poll(struct lx_args *a)
{
	int64_t ms = (int32_t)a->a[2];

	return do_poll(a->a[0], a->a[1], ms < 0 ? -1 : ms * 1000000);
}

long lx_sys_ppoll(struct lx_args *a)
{
	int64_t ts[2];

	if (!a->a[2])
		return do_poll(a->a[0], a->a[1], -1);
	if (lx_copy_in(ts, a->a[2], sizeof(ts)) < 0)
		return -LX_EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -LX_EINVAL;
	return do_poll(a->a[0], a->a[1], ts[0] * 1000000000 + ts[1]);
}
