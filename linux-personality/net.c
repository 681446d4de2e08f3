/*
 * Linux socket calls on libk42's sockets (<k42/socket.h>, docs/network.md):
 * AF_UNIX in the local socket server, AF_INET in the network server,
 * both descriptors of the file layer (so read, write, poll, dup, fork and
 * close work on them as on any file). libk42 already speaks Linux's
 * numbers and address layouts; what is here moves addresses, option
 * values and data between the program's memory and the personality with
 * checked copies (a bad pointer is EFAULT), splits large transfers, and
 * gathers sendmsg/recvmsg's vectors. Blocking happens in libk42, which
 * waits through the personality (fs.c), so a signal ends it with EINTR.
 */
#include "lx.h"
#include "lxfs.h"
#include <k42/socket.h>

/* The call's bounce buffer (fs.c): a call on its thread waits halfway
 * (entry.c) while other threads' calls run, so it has its own. */
#define NBOUNCE LX_BOUNCE
#define nbounce (lx_bounce())

#define ADDR_MAX 128
#define LX_MSG_NOSIGNAL 0x4000
#define LX_MSG_TRUNC 0x20
#define LX_MSG_CTRUNC 0x8
#define LX_SIGPIPE 13

/* A socket address from the program (len bytes at uva). */
static long addr_in(uint8_t *buf, uint64_t uva, uint64_t len)
{
	if (len > ADDR_MAX)
		return -LX_EINVAL;
	if (len && lx_copy_in(buf, uva, len) < 0)
		return -LX_EFAULT;
	return 0;
}

/* An address to the program: at most *ulen bytes of it (the rest is cut,
 * as Linux cuts it), and its whole length into *ulen. */
static long addr_out(uint64_t uva, uint64_t ulenp, const uint8_t *buf, uint32_t len)
{
	uint32_t room;

	if (!uva || !ulenp)
		return 0;
	if (lx_copy_in(&room, ulenp, sizeof(room)) < 0)
		return -LX_EFAULT;
	if ((int32_t)room < 0)
		return -LX_EINVAL;
	if (lx_copy_out(uva, buf, room < len ? room : len) < 0 ||
	    lx_copy_out(ulenp, &len, sizeof(len)) < 0)
		return -LX_EFAULT;
	return 0;
}

/* The room the program gave for an address, checked before the call
 * (so a bad length pointer fails before anything is consumed). */
static long addr_room(uint64_t uva, uint64_t ulenp)
{
	uint32_t room;

	if (!uva || !ulenp)
		return 0;
	if (lx_copy_in(&room, ulenp, sizeof(room)) < 0)
		return -LX_EFAULT;
	return (int32_t)room < 0 ? -LX_EINVAL : 0;
}

static long epipe(long rc, uint64_t flags)
{
	if (rc == -K42_EPIPE && !(flags & LX_MSG_NOSIGNAL))
		(void)lx_sig_raise_thread(0, LX_SIGPIPE);
	return lx_errno(rc);
}

long lx_sys_socket(struct lx_args *a)
{
	return lx_errno(k42_socket((int)a->a[0], (int)a->a[1], (int)a->a[2]));
}

long lx_sys_socketpair(struct lx_args *a)
{
	int fds[2];
	long rc = k42_socketpair((int)a->a[0], (int)a->a[1], (int)a->a[2], fds);

	if (rc < 0)
		return lx_errno(rc);
	if (lx_copy_out(a->a[3], fds, sizeof(fds)) < 0) {
		k42_close(fds[0]);
		k42_close(fds[1]);
		return -LX_EFAULT;
	}
	return 0;
}

long lx_sys_bind(struct lx_args *a)
{
	uint8_t addr[ADDR_MAX];
	long rc = addr_in(addr, a->a[1], a->a[2]);

	return rc < 0 ? rc : lx_errno(k42_bind((int)a->a[0], addr, (uint32_t)a->a[2]));
}

long lx_sys_connect(struct lx_args *a)
{
	uint8_t addr[ADDR_MAX];
	long rc = addr_in(addr, a->a[1], a->a[2]);

	return rc < 0 ? rc : lx_errno(k42_connect((int)a->a[0], addr, (uint32_t)a->a[2]));
}

long lx_sys_listen(struct lx_args *a)
{
	return lx_errno(k42_listen((int)a->a[0], (int)a->a[1]));
}

long lx_sys_accept4(struct lx_args *a)
{
	uint8_t addr[ADDR_MAX];
	uint32_t len = sizeof(addr);
	long rc, fd;

	if ((rc = addr_room(a->a[1], a->a[2])) < 0)
		return rc;
	fd = k42_accept4((int)a->a[0], addr, &len, (int)a->a[3]);
	if (fd < 0)
		return lx_errno(fd);
	if ((rc = addr_out(a->a[1], a->a[2], addr, len)) < 0) {
		k42_close((int)fd);
		return rc;
	}
	return fd;
}

long lx_sys_accept(struct lx_args *a)
{
	struct lx_args b = *a;

	b.a[3] = 0;
	return lx_sys_accept4(&b);
}

static long name_call(struct lx_args *a, int peer)
{
	uint8_t addr[ADDR_MAX];
	uint32_t len = sizeof(addr);
	long rc;

	if (!a->a[1] || !a->a[2])
		return -LX_EFAULT;
	if ((rc = addr_room(a->a[1], a->a[2])) < 0)
		return rc;
	rc = peer ? k42_getpeername((int)a->a[0], addr, &len) : k42_getsockname((int)a->a[0], addr, &len);
	if (rc < 0)
		return lx_errno(rc);
	return addr_out(a->a[1], a->a[2], addr, len);
}

long lx_sys_getsockname(struct lx_args *a)
{
	return name_call(a, 0);
}

long lx_sys_getpeername(struct lx_args *a)
{
	return name_call(a, 1);
}

long lx_sys_shutdown(struct lx_args *a)
{
	return lx_errno(k42_shutdown((int)a->a[0], (int)a->a[1]));
}

long lx_sys_setsockopt(struct lx_args *a)
{
	uint8_t val[64];
	uint64_t len = a->a[4];

	if (len > sizeof(val))
		return -LX_EINVAL;
	if (len && lx_copy_in(val, a->a[3], len) < 0)
		return -LX_EFAULT;
	return lx_errno(k42_setsockopt((int)a->a[0], (int)a->a[1], (int)a->a[2], val, (uint32_t)len));
}

long lx_sys_getsockopt(struct lx_args *a)
{
	uint8_t val[64];
	uint32_t room, len = sizeof(val);
	long rc;

	if (lx_copy_in(&room, a->a[4], sizeof(room)) < 0)
		return -LX_EFAULT;
	if ((int32_t)room < 0)
		return -LX_EINVAL;
	rc = k42_getsockopt((int)a->a[0], (int)a->a[1], (int)a->a[2], val, &len);
	if (rc < 0)
		return lx_errno(rc);
	if (len > room)
		len = room;
	if (lx_copy_out(a->a[3], val, len) < 0 || lx_copy_out(a->a[4], &len, sizeof(len)) < 0)
		return -LX_EFAULT;
	return 0;
}

/* Send n bytes at uva (to addr if alen): a stream goes on until all is
 * sent (short only after an error); a datagram is one piece. */
static long send_user(int fd, uint64_t uva, uint64_t n, uint64_t flags, const uint8_t *addr,
		      uint32_t alen)
{
	uint64_t done = 0;

	if ((int64_t)n < 0)
		return -LX_EINVAL;
	do {
		uint64_t k = n - done < NBOUNCE ? n - done : NBOUNCE;
		long rc;

		if (k && lx_copy_in(nbounce, uva + done, k) < 0)
			return done ? (long)done : -LX_EFAULT;
		rc = alen ? k42_sendto(fd, nbounce, k, (int)flags, addr, alen)
			  : k42_send(fd, nbounce, k, (int)flags);
		if (rc < 0)
			return done ? (long)done : epipe(rc, flags);
		done += (uint64_t)rc;
		if ((uint64_t)rc < k)
			break;
	} while (done < n);
	return (long)done;
}

/* sendto(fd, buf, len, flags, addr, alen); send is sendto without one. */
long lx_sys_sendto(struct lx_args *a)
{
	uint8_t addr[ADDR_MAX];
	long rc;

	if (a->a[4] && (rc = addr_in(addr, a->a[4], a->a[5])) < 0)
		return rc;
	return send_user((int)a->a[0], a->a[1], a->a[2], a->a[3], addr,
			 a->a[4] ? (uint32_t)a->a[5] : 0);
}

long lx_sys_send(struct lx_args *a)
{
	return send_user((int)a->a[0], a->a[1], a->a[2], a->a[3], NULL, 0);
}

/* One receive of at most NBOUNCE bytes into uva; the sender's address
 * into addr/alen when asked. */
static long recv_user(int fd, uint64_t uva, uint64_t n, uint64_t flags, uint8_t *addr,
		      uint32_t *alen)
{
	long rc;

	if ((int64_t)n < 0)
		return -LX_EINVAL;
	if (n > NBOUNCE)
		n = NBOUNCE;
	rc = addr ? k42_recvfrom(fd, nbounce, n, (int)flags, addr, alen)
		  : k42_recv(fd, nbounce, n, (int)flags);
	if (rc < 0)
		return lx_errno(rc);
	if (rc > 0 && lx_copy_out(uva, nbounce, (uint64_t)rc) < 0)
		return -LX_EFAULT;
	return rc;
}

long lx_sys_recvfrom(struct lx_args *a)
{
	uint8_t addr[ADDR_MAX];
	uint32_t alen = sizeof(addr);
	long rc, got;

	if ((rc = addr_room(a->a[4], a->a[5])) < 0)
		return rc;
	got = recv_user((int)a->a[0], a->a[1], a->a[2], a->a[3], a->a[4] ? addr : NULL, &alen);
	if (got < 0 || !a->a[4])
		return got;
	return (rc = addr_out(a->a[4], a->a[5], addr, alen)) < 0 ? rc : got;
}

long lx_sys_recv(struct lx_args *a)
{
	return recv_user((int)a->a[0], a->a[1], a->a[2], a->a[3], NULL, NULL);
}

/* struct msghdr (64-bit) and struct iovec. */
struct lx_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen;
	uint64_t control, controllen;
	int32_t flags, pad1;
};

struct lx_iovec {
	uint64_t base, len;
};

#define MSG_IOV_MAX 64

/* Gather (or, after a receive, scatter) the vector through nbounce:
 * the byte count it holds, up to NBOUNCE. */
static long iov_load(const struct lx_msghdr *m, struct lx_iovec *iov, uint64_t *total)
{
	if (m->iovlen > MSG_IOV_MAX)
		return -LX_EMSGSIZE;
	if (m->iovlen && lx_copy_in(iov, m->iov, m->iovlen * sizeof(iov[0])) < 0)
		return -LX_EFAULT;
	*total = 0;
	for (uint64_t i = 0; i < m->iovlen; i++) {
		if ((int64_t)iov[i].len < 0)
			return -LX_EINVAL;
		*total += iov[i].len;
	}
	if (*total > NBOUNCE)
		*total = NBOUNCE;
	return 0;
}

/* sendmsg(fd, msg, flags): data and an address; no ancillary data (file
 * descriptors are not passed between processes): EOPNOTSUPP. */
long lx_sys_sendmsg(struct lx_args *a)
{
	struct lx_msghdr m;
	struct lx_iovec iov[MSG_IOV_MAX];
	uint8_t addr[ADDR_MAX];
	uint64_t total, off = 0;
	long rc;

	if (lx_copy_in(&m, a->a[1], sizeof(m)) < 0)
		return -LX_EFAULT;
	if (m.controllen)
		return -LX_EOPNOTSUPP;
	if ((rc = iov_load(&m, iov, &total)) < 0)
		return rc;
	if (m.name && m.namelen && (rc = addr_in(addr, m.name, m.namelen)) < 0)
		return rc;
	for (uint64_t i = 0; i < m.iovlen && off < total; i++) {
		uint64_t k = iov[i].len < total - off ? iov[i].len : total - off;

		if (k && lx_copy_in(nbounce + off, iov[i].base, k) < 0)
			return -LX_EFAULT;
		off += k;
	}
	rc = (m.name && m.namelen) ? k42_sendto((int)a->a[0], nbounce, total, (int)a->a[2], addr, m.namelen)
				   : k42_send((int)a->a[0], nbounce, total, (int)a->a[2]);
	return rc < 0 ? epipe(rc, a->a[2]) : rc;
}

/* recvmsg(fd, msg, flags): data into the vector and the sender's
 * address; never any ancillary data (msg_controllen comes back 0). */
long lx_sys_recvmsg(struct lx_args *a)
{
	struct lx_msghdr m;
	struct lx_iovec iov[MSG_IOV_MAX];
	uint8_t addr[ADDR_MAX];
	uint32_t alen = sizeof(addr);
	uint64_t total, off = 0;
	long got;

	if (lx_copy_in(&m, a->a[1], sizeof(m)) < 0)
		return -LX_EFAULT;
	if ((got = iov_load(&m, iov, &total)) < 0)
		return got;
	got = m.name ? k42_recvfrom((int)a->a[0], nbounce, total, (int)a->a[2], addr, &alen)
		     : k42_recv((int)a->a[0], nbounce, total, (int)a->a[2]);
	if (got < 0)
		return lx_errno(got);
	for (uint64_t i = 0; i < m.iovlen && off < (uint64_t)got; i++) {
		uint64_t k = iov[i].len < (uint64_t)got - off ? iov[i].len : (uint64_t)got - off;

		if (k && lx_copy_out(iov[i].base, nbounce + off, k) < 0)
			return -LX_EFAULT;
		off += k;
	}
	if (m.name) {
		uint32_t k = alen < m.namelen ? alen : m.namelen;

		if (k && lx_copy_out(m.name, addr, k) < 0)
			return -LX_EFAULT;
		m.namelen = alen;
	}
	m.controllen = 0;
	m.flags = 0;
	if (lx_copy_out(a->a[1], &m, sizeof(m)) < 0)
		return -LX_EFAULT;
	return got;
}
