/*
 * Sockets behind descriptors (docs/network.md): each socket is an object in
 * the server of its address family (AF_UNIX: "sock/unix", AF_INET:
 * "sock/inet"), reached over idl/sock.idl. The server never blocks: a
 * call that cannot proceed answers -K42_EAGAIN and, when asked to
 * (`arm`), raises K42_SOFTINTR_IO on this process when the socket
 * changes; a blocking call here then sleeps in iowait.c and retries.
 * Registration and the answer come in the same call, so no wake-up is
 * lost between them.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/socket.h>
#include "fsint.h"
#include "sock.h"

/* ---- which server serves a family ---- */

static const struct {
	int family;
	const char *name;
} families[] = {
	{ K42_AF_UNIX, "sock/unix" },
	{ K42_AF_INET, "sock/inet" },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))
static uint64_t family_server[NFAMILIES];

/* The server of `family`; `fresh` looks it up again (it may have been
 * restarted under a new pid). */
static long server_of(int family, int fresh)
{
	for (unsigned i = 0; i < NFAMILIES; i++) {
		uint64_t pid;
		long rc;

		if (families[i].family != family)
			continue;
		if (family_server[i] && !fresh)
			return (long)family_server[i];
		rc = k42_name_lookup(families[i].name, &pid, NULL);
		if (rc < 0)
			return rc == -K42_ENOENT ? -K42_EAFNOSUPPORT : rc;
		family_server[i] = pid;
		return (long)pid;
	}
	return -K42_EAFNOSUPPORT;
}

static int dead(long rc)
{
	return rc == -K42_EDEAD || rc == -K42_ESRCH;
}

/* ---- waiting ---- */

static uint64_t deadline_after(uint64_t us)
{
	uint64_t hz;

	if (!us)
		return 0;
	hz = (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ);
	return k42_timebase() + us * (hz / 1000000) + 1;
}

/* Sleep until an I/O event after generation gen; -K42_EAGAIN once the
 * deadline (0: none) has passed, -K42_EINTR for a Linux signal. A server that dies sends no event, so
 * a blocked call wakes at least once a second and asks again: a call
 * to a dead server fails, and the caller learns it. */
static long await(uint64_t gen, uint64_t deadline)
{
	uint64_t now = k42_timebase(), liveness;

	if (deadline && now >= deadline)
		return -K42_EAGAIN;
	liveness = now + (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ);
	/* A Linux signal (the personality's wait or check) ends the call. */
	if (k42_io_wait(gen, deadline && deadline < liveness ? deadline : liveness) == -K42_EINTR)
		return -K42_EINTR;
	if (deadline && k42_timebase() >= deadline)
		return -K42_EAGAIN;
	return 0;
}

static int nonblocking(struct kfile *f, int flags)
{
	return (f->flags & K42_O_NONBLOCK) || (flags & K42_MSG_DONTWAIT);
}

static struct kfile *sock_get(int fd, long *rc)
{
	struct kfile *f = k42_fs_get(fd);

	*rc = 0;
	if (!f)
		*rc = -K42_EBADH;
	else if (f->ops != &k42_sock_ops) {
		k42_fs_put(f);
		f = NULL;
		*rc = -K42_ENOTSOCK;
	}
	return f;
}

/* ---- creating ---- */

static struct kfile *sock_new(long server, uint64_t h, int family, int type, int flags)
{
	struct kfile *f = k42_kfile_new(&k42_sock_ops, K42_O_RDWR | (flags & K42_O_NONBLOCK));

	if (!f) {
		if (sock_close((uint64_t)server, h) < 0) {
			/* the server is gone, and the socket with it */
		}
		return NULL;
	}
	f->server = (uint64_t)server;
	f->handle = h;
	f->family = family;
	f->socktype = type;
	return f;
}

int k42_socket(int family, int type, int protocol)
{
	int flags = type & (K42_SOCK_NONBLOCK | K42_SOCK_CLOEXEC);
	long server = server_of(family, 0), rc;
	uint64_t h;
	struct kfile *f;

	type &= ~(K42_SOCK_NONBLOCK | K42_SOCK_CLOEXEC);
	if (server < 0 || protocol < 0)
		return server < 0 ? (int)server : -K42_EINVAL;
	rc = sock_socket((uint64_t)server, (uint32_t)family, (uint32_t)type, (uint32_t)protocol, &h);
	if (dead(rc) && (server = server_of(family, 1)) >= 0)
		rc = sock_socket((uint64_t)server, (uint32_t)family, (uint32_t)type,
				 (uint32_t)protocol, &h);
	if (rc < 0)
		return (int)rc;
	if (!(f = sock_new(server, h, family, type, flags)))
		return -K42_ENOMEM;
	return k42_fs_install(f, flags & K42_SOCK_CLOEXEC);
}

int k42_socketpair(int family, int type, int protocol, int fds[2])
{
	int flags = type & (K42_SOCK_NONBLOCK | K42_SOCK_CLOEXEC), a, b;
	long server = server_of(family, 0), rc;
	uint64_t ha, hb;
	struct kfile *fa, *fb;

	type &= ~(K42_SOCK_NONBLOCK | K42_SOCK_CLOEXEC);
	if (server < 0)
		return (int)server;
	if (family != K42_AF_UNIX)
		return -K42_EOPNOTSUPP;
	if (protocol != 0)
		return -K42_EPROTONOSUPPORT;
	rc = sock_pair((uint64_t)server, (uint32_t)type, &ha, &hb);
	if (dead(rc) && (server = server_of(family, 1)) >= 0)
		rc = sock_pair((uint64_t)server, (uint32_t)type, &ha, &hb);
	if (rc < 0)
		return (int)rc;
	fa = sock_new(server, ha, family, type, flags);
	fb = sock_new(server, hb, family, type, flags);
	if (!fa || !fb) {
		if (fa)
			k42_fs_put(fa);
		if (fb)
			k42_fs_put(fb);
		return -K42_ENOMEM;
	}
	if ((a = k42_fs_install(fa, flags & K42_SOCK_CLOEXEC)) < 0) {
		k42_fs_put(fb);
		return a;
	}
	if ((b = k42_fs_install(fb, flags & K42_SOCK_CLOEXEC)) < 0) {
		k42_close(a);
		return b;
	}
	fds[0] = a;
	fds[1] = b;
	return 0;
}

/* ---- addresses and options ---- */

int k42_bind(int fd, const void *addr, uint32_t len)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	rc = len > SOCK_ADDR_MAX ? -K42_EINVAL : sock_bind(f->server, f->handle, addr, len);
	k42_fs_put(f);
	return (int)rc;
}

int k42_listen(int fd, int backlog)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	rc = sock_listen(f->server, f->handle, backlog < 0 ? 0 : (uint32_t)backlog);
	k42_fs_put(f);
	return (int)rc;
}

/* Copy a server's address out the way the socket calls do: truncated to
 * the caller's room, *len set to the full length. */
static void addr_out(const uint8_t *a, uint32_t alen, void *addr, uint32_t *len)
{
	if (!addr || !len)
		return;
	memcpy(addr, a, alen < *len ? alen : *len);
	*len = alen;
}

static int getname(int fd, int peer, void *addr, uint32_t *len)
{
	uint8_t a[SOCK_ADDR_MAX];
	uint32_t alen = 0;
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	if (!addr || !len)
		rc = -K42_EFAULT;
	else
		rc = sock_getname(f->server, f->handle, peer, a, sizeof(a), &alen);
	if (rc == 0)
		addr_out(a, alen, addr, len);
	k42_fs_put(f);
	return (int)rc;
}

int k42_getsockname(int fd, void *addr, uint32_t *len)
{
	return getname(fd, 0, addr, len);
}

int k42_getpeername(int fd, void *addr, uint32_t *len)
{
	return getname(fd, 1, addr, len);
}

static uint64_t timeval_us(const void *val, uint32_t len, long *rc)
{
	struct k42_timeval tv;

	if (len < sizeof(tv)) {
		*rc = -K42_EINVAL;
		return 0;
	}
	memcpy(&tv, val, sizeof(tv));
	if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000) {
		*rc = -K42_EINVAL;
		return 0;
	}
	*rc = 0;
	return (uint64_t)tv.sec * 1000000 + (uint64_t)tv.usec;
}

int k42_setsockopt(int fd, int level, int name, const void *val, uint32_t len)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	if (!val && len)
		rc = -K42_EFAULT;
	else if (level == K42_SOL_SOCKET && name == K42_SO_RCVTIMEO)
		f->rcvtimeo_us = timeval_us(val, len, &rc);	/* kept here: the waiting is ours */
	else if (level == K42_SOL_SOCKET && name == K42_SO_SNDTIMEO)
		f->sndtimeo_us = timeval_us(val, len, &rc);
	else
		rc = sock_setopt(f->server, f->handle, (uint32_t)level, (uint32_t)name, val,
				 len > SOCK_OPT_MAX ? SOCK_OPT_MAX : len);
	k42_fs_put(f);
	return (int)rc;
}

int k42_getsockopt(int fd, int level, int name, void *val, uint32_t *len)
{
	uint8_t v[SOCK_OPT_MAX];
	uint32_t vlen = 0;
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	if (!val || !len) {
		rc = -K42_EFAULT;
	} else if (level == K42_SOL_SOCKET && (name == K42_SO_RCVTIMEO || name == K42_SO_SNDTIMEO)) {
		uint64_t us = name == K42_SO_RCVTIMEO ? f->rcvtimeo_us : f->sndtimeo_us;
		struct k42_timeval tv = { (int64_t)(us / 1000000), (int64_t)(us % 1000000) };

		memcpy(v, &tv, sizeof(tv));
		vlen = sizeof(tv);
		rc = 0;
	} else {
		rc = sock_getopt(f->server, f->handle, (uint32_t)level, (uint32_t)name, v, sizeof(v),
				 &vlen);
	}
	if (rc == 0)
		addr_out(v, vlen, val, len);
	k42_fs_put(f);
	return (int)rc;
}

int k42_shutdown(int fd, int how)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return (int)rc;
	rc = how < 0 || how > 2 ? -K42_EINVAL : sock_shutdown(f->server, f->handle, (uint32_t)how);
	k42_fs_put(f);
	return (int)rc;
}

/* ---- connections ---- */

int k42_accept4(int fd, void *addr, uint32_t *len, int flags)
{
	uint8_t a[SOCK_ADDR_MAX];
	uint32_t alen = 0;
	uint64_t h = 0, deadline;
	long rc;
	struct kfile *f = sock_get(fd, &rc), *c;

	if (!f)
		return (int)rc;
	if (flags & ~(K42_SOCK_NONBLOCK | K42_SOCK_CLOEXEC)) {
		k42_fs_put(f);
		return -K42_EINVAL;
	}
	deadline = deadline_after(f->rcvtimeo_us);
	for (;;) {
		uint64_t gen = k42_io_gen;
		int nb = nonblocking(f, 0);

		rc = sock_accept(f->server, f->handle, !nb, &h, a, sizeof(a), &alen);
		if (rc != -K42_EAGAIN || nb || (rc = await(gen, deadline)) < 0)
			break;
	}
	if (rc == 0) {
		c = sock_new((long)f->server, h, f->family, f->socktype, flags);
		rc = c ? k42_fs_install(c, flags & K42_SOCK_CLOEXEC) : -K42_ENOMEM;
		if (rc >= 0)
			addr_out(a, alen, addr, len);
	}
	k42_fs_put(f);
	return (int)rc;
}

int k42_accept(int fd, void *addr, uint32_t *len)
{
	return k42_accept4(fd, addr, len, 0);
}

static int s_poll(struct kfile *f, int events, int arm);

int k42_connect(int fd, const void *addr, uint32_t len)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);
	uint64_t deadline;

	if (!f)
		return (int)rc;
	if (len > SOCK_ADDR_MAX || (!addr && len)) {
		k42_fs_put(f);
		return -K42_EINVAL;
	}
	deadline = deadline_after(f->sndtimeo_us);
	for (;;) {
		uint64_t gen = k42_io_gen;
		int nb = nonblocking(f, 0);

		rc = sock_connect(f->server, f->handle, addr, len, !nb);
		if (rc == -K42_EINPROGRESS && !nb) {
			/* Wait for the outcome: writable (or failed), then SO_ERROR. */
			for (rc = 0;;) {
				uint64_t g = k42_io_gen;

				if (s_poll(f, K42_POLLOUT, 1) & (K42_POLLOUT | K42_POLLERR | K42_POLLHUP))
					break;
				if ((rc = await(g, deadline)) < 0)
					break;
			}
			if (rc == 0) {
				int32_t err = 0;
				uint32_t el = 0;

				rc = sock_getopt(f->server, f->handle, K42_SOL_SOCKET, K42_SO_ERROR,
						 (uint8_t *)&err, sizeof(err), &el);
				if (rc == 0)
					rc = err > 0 ? -err : err;
			} else {
				rc = -K42_ETIMEDOUT;
			}
			break;
		}
		if (rc != -K42_EAGAIN || nb || (rc = await(gen, deadline)) < 0)
			break;
	}
	k42_fs_put(f);
	return (int)rc;
}

/* ---- data ---- */

static long do_send(struct kfile *f, const void *buf, size_t n, int flags, const void *addr,
		    uint32_t alen, int to)
{
	uint64_t deadline = deadline_after(f->sndtimeo_us);
	int nb = nonblocking(f, flags);
	uint32_t wire = (uint32_t)flags & ~(K42_MSG_DONTWAIT | K42_MSG_NOSIGNAL);
	size_t done = 0;

	if (alen > SOCK_ADDR_MAX || (!addr && alen))
		return -K42_EINVAL;
	if (to && f->socktype == K42_SOCK_DGRAM && n > SOCK_DGRAM_MAX)
		return -K42_EMSGSIZE;
	do {
		uint64_t gen = k42_io_gen;
		uint32_t k = n - done < SOCK_IO_MAX ? (uint32_t)(n - done) : SOCK_IO_MAX, sent = 0;
		long rc;

		if (!to && f->socktype == K42_SOCK_STREAM && n - done > SOCK_IO_MAX) {
			/* More than a page: by reference, up to bulk_max a call. */
			k = n - done < SOCK_BULK_MAX ? (uint32_t)(n - done) : SOCK_BULK_MAX;
			k42_ipc_grant((const uint8_t *)buf + done, k, K42_PROT_READ);
			rc = sock_send_bulk(f->server, f->handle, k, wire, !nb, &sent);
		} else if (to)
			rc = sock_sendto(f->server, f->handle, (const uint8_t *)buf + done,
					 k > SOCK_DGRAM_MAX ? SOCK_DGRAM_MAX : k, addr, alen, wire,
					 !nb, &sent);
		else
			rc = sock_send(f->server, f->handle, (const uint8_t *)buf + done, k, wire,
				       !nb, &sent);
		if (rc == -K42_EAGAIN && !nb && (rc = await(gen, deadline)) == 0)
			continue;
		if (rc < 0)
			return done ? (long)done : rc;
		done += sent;
		if (f->socktype == K42_SOCK_DGRAM)
			break;
	} while (done < n);
	return (long)done;
}

static long do_recv(struct kfile *f, void *buf, size_t n, int flags, void *addr, uint32_t *alen)
{
	uint64_t deadline = deadline_after(f->rcvtimeo_us);
	int nb = nonblocking(f, flags);
	uint32_t wire = (uint32_t)flags & ~(K42_MSG_DONTWAIT | K42_MSG_NOSIGNAL);
	size_t done = 0;

	for (;;) {
		uint64_t gen = k42_io_gen;
		uint32_t k = n - done < SOCK_IO_MAX ? (uint32_t)(n - done) : SOCK_IO_MAX, got = 0;
		uint8_t a[SOCK_ADDR_MAX];
		uint32_t al = 0;
		long rc;

		if (!addr && f->socktype == K42_SOCK_STREAM && n - done > SOCK_IO_MAX) {
			/* More than a page: by reference, up to bulk_max a call. */
			k = n - done < SOCK_BULK_MAX ? (uint32_t)(n - done) : SOCK_BULK_MAX;
			k42_ipc_grant((uint8_t *)buf + done, k, K42_PROT_WRITE);
			rc = sock_recv_bulk(f->server, f->handle, k, wire, !nb && !done, &got);
		} else if (addr || f->socktype == K42_SOCK_DGRAM) {
			if (k > SOCK_DGRAM_MAX)
				k = SOCK_DGRAM_MAX;
			rc = sock_recvfrom(f->server, f->handle, k, wire, !nb && !done,
					   (uint8_t *)buf + done, k, &got, a, sizeof(a), &al);
		} else {
			rc = sock_recv(f->server, f->handle, k, wire, !nb && !done,
				       (uint8_t *)buf + done, k, &got);
		}
		if (rc == -K42_EAGAIN && done)
			break;	/* what came so far is the answer */
		if (rc == -K42_EAGAIN && !nb && (rc = await(gen, deadline)) == 0)
			continue;
		if (rc < 0)
			return rc;
		if (!done)
			addr_out(a, al, addr, alen);
		done += got;
		/* A full chunk of a stream: take what else is there already. */
		if (got < k || f->socktype == K42_SOCK_DGRAM || (wire & K42_MSG_PEEK) || done == n)
			break;
		nb = 1;
	}
	return (long)done;
}

long k42_send(int fd, const void *buf, size_t n, int flags)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return rc;
	rc = do_send(f, buf, n, flags, NULL, 0, f->socktype == K42_SOCK_DGRAM);
	k42_fs_put(f);
	return rc;
}

long k42_recv(int fd, void *buf, size_t n, int flags)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return rc;
	rc = do_recv(f, buf, n, flags, NULL, NULL);
	k42_fs_put(f);
	return rc;
}

long k42_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, uint32_t len)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return rc;
	if (f->socktype == K42_SOCK_STREAM)
		rc = do_send(f, buf, n, flags, NULL, 0, 0);	/* the address is ignored */
	else
		rc = do_send(f, buf, n, flags, addr, addr ? len : 0, 1);
	k42_fs_put(f);
	return rc;
}

long k42_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, uint32_t *len)
{
	long rc;
	struct kfile *f = sock_get(fd, &rc);

	if (!f)
		return rc;
	rc = do_recv(f, buf, n, flags, addr && len ? addr : NULL, len);
	k42_fs_put(f);
	return rc;
}

/* ---- the descriptor's operations ---- */

static long s_read(struct kfile *f, void *buf, size_t n)
{
	return do_recv(f, buf, n, 0, NULL, NULL);
}

static long s_write(struct kfile *f, const void *buf, size_t n)
{
	return do_send(f, buf, n, 0, NULL, 0, f->socktype == K42_SOCK_DGRAM);
}

static int s_fstat(struct kfile *f, struct k42_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = K42_S_IFSOCK | 0777;
	st->ino = f->handle;
	st->dev = f->server;
	st->nlink = 1;
	return 0;
}

static int s_poll(struct kfile *f, int events, int arm)
{
	uint32_t rev = 0;
	long rc = sock_poll(f->server, f->handle, (uint32_t)events, arm != 0, &rev);

	if (rc < 0)
		return K42_POLLERR | K42_POLLHUP;	/* the server is gone */
	return (int)rev;
}

static int s_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	uint64_t h;
	long rc = sock_share(f->server, f->handle, pid, &h);

	if (rc < 0)
		return (int)rc;
	e->kind = FDX_SOCK;
	e->aux = f->family | f->socktype << 16;
	e->server = f->server;
	e->handle = h;
	return 0;
}

int k42_sock_fork_share(struct kfile *f, uint64_t pid)
{
	long rc = sock_share(f->server, f->handle, pid, &f->fork_handle);

	return rc < 0 ? (int)rc : 0;
}

long k42_sock_import(struct kfile *f, const struct fd_export *e)
{
	f->server = e->server;
	f->handle = e->handle;
	f->family = e->aux & 0xffff;
	f->socktype = e->aux >> 16;
	return 0;
}

static void s_release(struct kfile *f)
{
	if (sock_close(f->server, f->handle) < 0) {
		/* the server is gone, and the socket with it */
	}
}

const struct kfile_ops k42_sock_ops = {
	.read = s_read,
	.write = s_write,
	.fstat = s_fstat,
	.poll = s_poll,
	.export = s_export,
	.release = s_release,
};
