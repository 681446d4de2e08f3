/*
 * Linux poll, ppoll, select, pselect6 and _newselect on libk42's poll
 * (docs/files.md): Linux's struct pollfd is k42's, its POLLRDNORM and
 * POLLWRNORM are mapped onto POLLIN and POLLOUT and back, and select's
 * bit sets are turned into a pollfd array. Each call copies what it needs
 * into its own stack (it may wait on its own thread, entry.c); a signal
 * ends the wait with EINTR.
 */
#include "lx.h"
#include "lxfs.h"

#define LX_POLLRDNORM 0x40
#define LX_POLLWRNORM 0x100

/* Linux's struct pollfd is k42's (int fd, short events, short revents). */
static long do_poll(uint64_t ufds, uint64_t nfds, int64_t timeout_ms)
{
	struct k42_pollfd pfd[K42_FD_MAX];	/* its own: it may wait on its thread */
	int16_t asked[K42_FD_MAX];
	long rc;

	if (nfds > K42_FD_MAX)
		return -LX_EINVAL;
	if (lx_copy_in(pfd, ufds, nfds * sizeof(pfd[0])) < 0)
		return -LX_EFAULT;
	for (uint64_t i = 0; i < nfds; i++) {
		asked[i] = pfd[i].events;
		if (pfd[i].events & LX_POLLRDNORM)
			pfd[i].events |= K42_POLLIN;
		if (pfd[i].events & LX_POLLWRNORM)
			pfd[i].events |= K42_POLLOUT;
	}
	if (timeout_ms > 0x7fffffff)
		timeout_ms = 0x7fffffff;
	rc = k42_poll(pfd, (unsigned)nfds, (int)timeout_ms);
	if (rc < 0)
		return lx_errno(rc);
	for (uint64_t i = 0; i < nfds; i++) {
		if ((pfd[i].revents & K42_POLLIN) && (asked[i] & LX_POLLRDNORM))
			pfd[i].revents |= LX_POLLRDNORM;
		if ((pfd[i].revents & K42_POLLOUT) && (asked[i] & LX_POLLWRNORM))
			pfd[i].revents |= LX_POLLWRNORM;
		pfd[i].events = asked[i];
	}
	if (lx_copy_out(ufds, pfd, nfds * sizeof(pfd[0])) < 0)
		return -LX_EFAULT;
	return rc;
}

long lx_sys_poll(struct lx_args *a)
{
	int64_t ms = (int32_t)a->a[2];

	return do_poll(a->a[0], a->a[1], ms < 0 ? -1 : ms);
}

/* A timespec as poll's milliseconds (rounded up); -1 for none. */
static long ts_ms(uint64_t uts, int64_t *ms)
{
	int64_t ts[2];

	if (!uts) {
		*ms = -1;
		return 0;
	}
	if (lx_copy_in(ts, uts, sizeof(ts)) < 0)
		return -LX_EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -LX_EINVAL;
	*ms = ts[0] > 1000000000 ? 0x7fffffff : ts[0] * 1000 + (ts[1] + 999999) / 1000000;
	return 0;
}

long lx_sys_ppoll(struct lx_args *a)
{
	int64_t ms;
	long rc = ts_ms(a->a[2], &ms);

	return rc < 0 ? rc : do_poll(a->a[0], a->a[1], ms);
}

/* select over poll: fd_sets of up to K42_FD_MAX bits. */
static long do_select(uint64_t n, uint64_t urd, uint64_t uwr, uint64_t uex, int64_t ms)
{
	struct k42_pollfd pfd[K42_FD_MAX];
	uint64_t sets[3][K42_FD_MAX / 64], out[3][K42_FD_MAX / 64];
	uint64_t uset[3] = { urd, uwr, uex }, bytes;
	unsigned np = 0;
	long rc, ready = 0;

	if ((int64_t)n < 0 || n > 1024)
		return -LX_EINVAL;
	if (n > K42_FD_MAX)
		n = K42_FD_MAX;
	bytes = (n + 63) / 64 * 8;
	memset(sets, 0, sizeof(sets));
	memset(out, 0, sizeof(out));
	for (int s = 0; s < 3; s++)
		if (uset[s] && lx_copy_in(sets[s], uset[s], bytes) < 0)
			return -LX_EFAULT;
	for (uint64_t fd = 0; fd < n; fd++) {
		short ev = 0;

		if (sets[0][fd / 64] >> (fd % 64) & 1)
			ev |= K42_POLLIN;
		if (sets[1][fd / 64] >> (fd % 64) & 1)
			ev |= K42_POLLOUT;
		if (sets[2][fd / 64] >> (fd % 64) & 1)
			ev |= K42_POLLPRI;
		if (ev) {
			pfd[np].fd = (int)fd;
			pfd[np].events = ev;
			np++;
		}
	}
	rc = k42_poll(pfd, np, (int)(ms > 0x7fffffff ? 0x7fffffff : ms));
	if (rc < 0)
		return lx_errno(rc);
	for (unsigned i = 0; i < np; i++) {
		uint64_t fd = (uint64_t)pfd[i].fd, bit = 1ull << (fd % 64);

		if (pfd[i].revents & K42_POLLNVAL)
			return -LX_EBADF;
		if ((pfd[i].events & K42_POLLIN) && (pfd[i].revents & (K42_POLLIN | K42_POLLHUP | K42_POLLERR))) {
			out[0][fd / 64] |= bit;
			ready++;
		}
		if ((pfd[i].events & K42_POLLOUT) && (pfd[i].revents & (K42_POLLOUT | K42_POLLERR))) {
			out[1][fd / 64] |= bit;
			ready++;
		}
		if ((pfd[i].events & K42_POLLPRI) && (pfd[i].revents & K42_POLLPRI)) {
			out[2][fd / 64] |= bit;
			ready++;
		}
	}
	for (int s = 0; s < 3; s++)
		if (uset[s] && lx_copy_out(uset[s], out[s], bytes) < 0)
			return -LX_EFAULT;
	return ready;
}

long lx_sys_pselect6(struct lx_args *a)
{
	int64_t ms;
	long rc = ts_ms(a->a[4], &ms);

	return rc < 0 ? rc : do_select(a->a[0], a->a[1], a->a[2], a->a[3], ms);
}

/* select(n, rd, wr, ex, struct timeval *) */
long lx_sys__newselect(struct lx_args *a)
{
	int64_t tv[2], ms = -1;

	if (a->a[4]) {
		if (lx_copy_in(tv, a->a[4], sizeof(tv)) < 0)
			return -LX_EFAULT;
		if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
			return -LX_EINVAL;
		ms = tv[0] > 1000000000 ? 0x7fffffff : tv[0] * 1000 + (tv[1] + 999) / 1000;
	}
	return do_select(a->a[0], a->a[1], a->a[2], a->a[3], ms);
}

long lx_sys_select(struct lx_args *a)
{
	return lx_sys__newselect(a);
}
