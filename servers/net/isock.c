/*
 * AF_INET sockets of the network server (docs/network.md), the client's side
 * (lwIP's callbacks and a socket's life are in isock_pcb.c): idl/sock.idl over
 * lwIP's raw API. A TCP socket copies what lwIP hands it into a ring as
 * big as the receive window and reopens the window only as the client
 * reads (tcp_recved), so the ring never overflows; sends go straight into
 * lwIP's send buffer (tcp_write with copy). No call blocks: EAGAIN, and
 * the caller's pid among the socket's waiters when it asked (`arm`),
 * woken with ioevent.event when lwIP reports progress. Runs as net.h
 * says: one entry into lwIP at a time, so no locks.
 *
 * Lifetimes: a socket lives while handles (or a listen queue) hold it
 * (refs). Its pcb pointer is cleared when lwIP frees the pcb (the err
 * callback) or when the socket closes it; lwIP's callbacks reach the
 * socket through tcp_arg, which teardown clears before closing the pcb.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include <k42/fs.h>
#include <k42/server.h>
#include "sock.h"
#include "net.h"
#include "isock.h"

/* ---- addresses ---- */

struct sin {
	uint16_t family, port;	/* port in network order */
	uint32_t addr;		/* network order */
	uint8_t zero[8];
};

static int addr_in(const uint8_t *a, uint32_t len, ip_addr_t *ip, u16_t *port)
{
	struct sin sin;

	if (len < sizeof(sin))
		return -K42_EINVAL;
	memcpy(&sin, a, sizeof(sin));
	if (sin.family != AF_INET)
		return -K42_EAFNOSUPPORT;
	ip_addr_set_ip4_u32(ip, sin.addr);
	*port = lwip_ntohs(sin.port);
	return 0;
}

static void addr_out(const ip_addr_t *ip, u16_t port, uint8_t *out, uint32_t *len)
{
	struct sin sin;

	memset(&sin, 0, sizeof(sin));
	sin.family = AF_INET;
	sin.port = lwip_htons(port);
	sin.addr = ip ? ip_addr_get_ip4_u32(ip) : 0;
	memcpy(out, &sin, sizeof(sin));
	*len = sizeof(sin);
}

/* ---- the calls ---- */

K42_SERVER_GET(get, struct isock, SOCK_RIGHT_USE)
/* A handle for pid on s, taking over one reference (dropped on failure). */
K42_SERVER_GRANT(grant, struct isock, SOCK_RIGHT_USE, isock_unref)

static int take_err(struct isock *s)
{
	int e = s->err;

	s->err = 0;
	return e;
}

long sock_socket_impl(const struct k42_ipc_caller *c, uint32_t family, uint32_t type,
		      uint32_t protocol, k42_handle_t *h)
{
	struct isock *s;

	if (family != AF_INET)
		return -K42_EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -K42_EINVAL;
	if (protocol && protocol != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -K42_EPROTONOSUPPORT;
	if (!(s = isock_new((int)type)))
		return -K42_ENOMEM;
	if (type == SOCK_STREAM) {
		if (!(s->tcp = tcp_new()))
			goto nomem;
		isock_hook(s, s->tcp);
	} else {
		if (!(s->udp = udp_new()))
			goto nomem;
		udp_recv(s->udp, isock_on_udp, s);
	}
	return grant(s, c->pid, h);
nomem:
	isock_unref(s);
	return -K42_ENOMEM;
}

long sock_pair_impl(const struct k42_ipc_caller *c, uint32_t type, k42_handle_t *a,
		    k42_handle_t *b)
{
	(void)c;
	(void)type;
	(void)a;
	(void)b;
	return -K42_EOPNOTSUPP;
}

long sock_bind_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *addr,
		    uint32_t len)
{
	struct isock *s;
	ip_addr_t ip;
	u16_t port;
	err_t e;
	long rc = get(c, h, &s);

	if (rc < 0 || (rc = addr_in(addr, len, &ip, &port)) < 0)
		return rc;
	if (s->tcp && s->state == IS_NEW) {
		if (s->reuseaddr)
			ip_set_option(s->tcp, SOF_REUSEADDR);
		e = tcp_bind(s->tcp, &ip, port);
	} else if (s->udp) {
		if (s->reuseaddr)
			ip_set_option(s->udp, SOF_REUSEADDR);
		e = udp_bind(s->udp, &ip, port);
	} else {
		return -K42_EINVAL;
	}
	return e == ERR_OK ? 0 : e == ERR_USE ? -K42_EADDRINUSE : -K42_EINVAL;
}

long sock_listen_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t backlog)
{
	struct isock *s;
	struct tcp_pcb *l;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (s->type != SOCK_STREAM)
		return -K42_EOPNOTSUPP;
	if (backlog < 1)
		backlog = 1;
	if (backlog > BACKLOG_MAX)
		backlog = BACKLOG_MAX;
	if (s->state == IS_LISTEN) {
		s->backlog = backlog;
		tcp_backlog_set(s->tcp, (u8_t)backlog);
		return 0;
	}
	if (s->state != IS_NEW || !s->tcp)
		return -K42_EINVAL;
	if (!s->q && !(s->q = calloc(BACKLOG_MAX, sizeof(*s->q))))
		return -K42_ENOMEM;
	if (s->tcp->local_port == 0 && tcp_bind(s->tcp, IP_ANY_TYPE, 0) != ERR_OK)
		return -K42_EADDRINUSE;
	/* lwIP counts connections being set up and those queued here
	 * (tcp_backlog_delayed in isock_on_accept) against the backlog, and
	 * drops a SYN beyond it, so the client retries, as Linux does,
	 * instead of getting a reset. */
	if (!(l = tcp_listen_with_backlog(s->tcp, (u8_t)backlog)))
		return -K42_ENOMEM;
	s->tcp = l;	/* the old pcb is freed */
	tcp_arg(l, s);
	tcp_accept(l, isock_on_accept);
	s->backlog = backlog;
	s->state = IS_LISTEN;
	return 0;
}

long sock_accept_impl(const struct k42_ipc_caller *c, k42_handle_t h, bool arm, k42_handle_t *ch,
		      uint8_t *peer, uint32_t cap, uint32_t *plen)
{
	struct isock *s, *n;
	long rc = get(c, h, &s);

	(void)cap;
	if (rc < 0)
		return rc;
	if (s->state != IS_LISTEN)
		return -K42_EINVAL;
	if (!s->qn) {
		isock_wait_add(s, k42_server_waiter(c, arm));
		return -K42_EAGAIN;
	}
	n = s->q[0];
	memmove(s->q, s->q + 1, (s->qn - 1) * sizeof(*s->q));
	s->qn--;
	if (n->tcp)
		tcp_backlog_accepted(n->tcp);
	if (n->tcp)
		addr_out(&n->tcp->remote_ip, n->tcp->remote_port, peer, plen);
	else
		addr_out(NULL, 0, peer, plen);
	return grant(n, c->pid, ch);
}

long sock_connect_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *addr,
		       uint32_t len, bool arm)
{
	struct isock *s;
	ip_addr_t ip;
	u16_t port;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (s->udp) {
		uint16_t fam = 0;

		if (len >= 2)
			memcpy(&fam, addr, 2);
		if (fam == 0) {
			udp_disconnect(s->udp);
			return 0;
		}
		if ((rc = addr_in(addr, len, &ip, &port)) < 0)
			return rc;
		return udp_connect(s->udp, &ip, port) == ERR_OK ? 0 : -K42_EINVAL;
	}
	switch (s->state) {
	case IS_CONNECTING:
		isock_wait_add(s, k42_server_waiter(c, arm));
		return -K42_EALREADY;
	case IS_CONNECTED:
		return -K42_EISCONN;
	case IS_LISTEN:
		return -K42_EINVAL;
	case IS_CLOSED:
		return s->err ? -take_err(s) : -K42_EINVAL;
	}
	if ((rc = addr_in(addr, len, &ip, &port)) < 0)
		return rc;
	if (!s->tcp)
		return -K42_EINVAL;
	if (tcp_connect(s->tcp, &ip, port, isock_on_connected) != ERR_OK)
		return -K42_ENETUNREACH;
	s->state = IS_CONNECTING;
	s->withheld = 0;	/* tcp_connect set the whole window */
	isock_window(s);	/* SO_RCVBUF: the handshake's ACK announces it */
	isock_wait_add(s, k42_server_waiter(c, arm));
	return -K42_EINPROGRESS;
}

static long tcp_send_some(struct isock *s, const uint8_t *data, uint32_t len, uint32_t arm,
			  uint32_t *sent)
{
	uint32_t room;

	if (s->err && s->state == IS_CLOSED)
		return -take_err(s);
	if (s->shut_wr || (s->state == IS_CLOSED) || (s->state == IS_CONNECTED && !s->tcp))
		return -K42_EPIPE;
	if (s->state != IS_CONNECTED)
		return -K42_ENOTCONN;
	if (!len) {
		*sent = 0;
		return 0;
	}
	room = isock_send_room(s);
	if (!room) {
		isock_wait_add(s, arm);
		return -K42_EAGAIN;
	}
	if (len > room)
		len = room;
	if (tcp_write(s->tcp, data, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		isock_wait_add(s, arm);
		return -K42_EAGAIN;
	}
	tcp_output(s->tcp);
	*sent = len;
	return 0;
}

static long udp_send_to(struct isock *s, const uint8_t *data, uint32_t len, const uint8_t *addr,
			uint32_t alen, uint32_t *sent)
{
	ip_addr_t ip;
	u16_t port;
	struct pbuf *p;
	err_t e;
	long rc;

	if (s->shut_wr)
		return -K42_EPIPE;
	if (len > 65507)
		return -K42_EMSGSIZE;
	if (alen && (rc = addr_in(addr, alen, &ip, &port)) < 0)
		return rc;
	if (!alen && !(s->udp->flags & UDP_FLAGS_CONNECTED))
		return -K42_EDESTADDRREQ;
	if (!(p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM)))
		return -K42_ENOBUFS;
	pbuf_take(p, data, (u16_t)len);
	e = alen ? udp_sendto(s->udp, p, &ip, port) : udp_send(s->udp, p);
	pbuf_free(p);
	if (e == ERR_RTE)
		return -K42_ENETUNREACH;
	if (e != ERR_OK)
		return -K42_ENOBUFS;
	*sent = len;
	return 0;
}

long sock_send_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *data,
		    uint32_t len, uint32_t flags, bool arm, uint32_t *sent)
{
	struct isock *s;
	long rc = get(c, h, &s);

	(void)flags;
	if (rc < 0)
		return rc;
	if (s->udp)
		return udp_send_to(s, data, len, NULL, 0, sent);
	return tcp_send_some(s, data, len, k42_server_waiter(c, arm), sent);
}

static long tcp_recv_some(struct isock *s, uint8_t *out, uint32_t count, int peek, uint32_t arm,
			  uint32_t *got)
{
	uint32_t n = (uint32_t)(s->head - s->tail);

	if (s->state == IS_NEW || s->state == IS_LISTEN || s->state == IS_CONNECTING)
		return s->state == IS_CONNECTING ? (isock_wait_add(s, arm), -K42_EAGAIN) : -K42_ENOTCONN;
	if (!n) {
		if (s->err)
			return -take_err(s);
		if (s->fin || s->shut_rd || !s->tcp || !count) {
			*got = 0;
			return 0;
		}
		isock_wait_add(s, arm);
		return -K42_EAGAIN;
	}
	if (n > count)
		n = count;
	{
		uint32_t at = (uint32_t)(s->tail % RING), first = RING - at < n ? RING - at : n;

		memcpy(out, s->ring + at, first);
		memcpy(out + first, s->ring, n - first);
	}
	*got = n;
	if (!peek) {
		s->tail += n;
		if (s->tcp)
			tcp_recved(s->tcp, (u16_t)n);
	}
	return 0;
}

long sock_recv_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count, uint32_t flags,
		    bool arm, uint8_t *data, uint32_t cap, uint32_t *len)
{
	uint8_t from[SOCK_ADDR_MAX];
	uint32_t flen;
	struct isock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (s->udp)
		return sock_recvfrom_impl(c, h, count, flags, arm, data, cap, len, from, sizeof(from),
					  &flen);
	return tcp_recv_some(s, data, count < cap ? count : cap, (flags & MSG_PEEK) != 0,
			     k42_server_waiter(c, arm), len);
}

/* By reference (bulk): the bytes go through this staging buffer; calls
 * run one at a time on the upcall stack, so one buffer serves them all. */
static uint8_t bulk[SOCK_BULK_MAX];

long sock_send_bulk_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			 uint32_t flags, bool arm, uint32_t *sent)
{
	struct isock *s;
	long rc = get(c, h, &s);

	(void)flags;
	if (rc < 0)
		return rc;
	if (s->type != SOCK_STREAM || count > SOCK_BULK_MAX)
		return -K42_EINVAL;
	if (count && (rc = k42_ipc_grant_read(k42_ipc_handle(), 0, bulk, count)) < 0)
		return rc;
	return tcp_send_some(s, bulk, count, k42_server_waiter(c, arm), sent);
}

long sock_recv_bulk_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			 uint32_t flags, bool arm, uint32_t *got)
{
	struct isock *s;
	long rc = get(c, h, &s);
	uint32_t n = 0;

	if (rc < 0)
		return rc;
	if (s->type != SOCK_STREAM || count > SOCK_BULK_MAX)
		return -K42_EINVAL;
	/* Look first, copy out, and only then take: a bad grant takes nothing. */
	if ((rc = tcp_recv_some(s, bulk, count, 1, k42_server_waiter(c, arm), &n)) < 0 || !n) {
		*got = 0;
		return rc;
	}
	if ((rc = k42_ipc_grant_write(k42_ipc_handle(), 0, bulk, n)) < 0)
		return rc;
	if (!(flags & MSG_PEEK))
		(void)tcp_recv_some(s, bulk, n, 0, 0, &n);
	*got = n;
	return 0;
}

long sock_sendto_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *data,
		      uint32_t len, const uint8_t *addr, uint32_t alen, uint32_t flags, bool arm,
		      uint32_t *sent)
{
	struct isock *s;
	long rc = get(c, h, &s);

	(void)flags;
	if (rc < 0)
		return rc;
	if (s->udp)
		return udp_send_to(s, data, len, addr, alen, sent);
	return tcp_send_some(s, data, len, k42_server_waiter(c, arm), sent);
}

long sock_recvfrom_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			uint32_t flags, bool arm, uint8_t *data, uint32_t cap, uint32_t *len,
			uint8_t *from, uint32_t from_cap, uint32_t *from_len)
{
	struct isock *s;
	struct udgram *d;
	long rc = get(c, h, &s);

	(void)from_cap;
	if (rc < 0)
		return rc;
	if (!s->udp) {
		*from_len = 0;
		return tcp_recv_some(s, data, count < cap ? count : cap, (flags & MSG_PEEK) != 0,
				     k42_server_waiter(c, arm), len);
	}
	if (!(d = s->uq)) {
		if (s->shut_rd) {
			*len = 0;
			*from_len = 0;
			return 0;
		}
		isock_wait_add(s, k42_server_waiter(c, arm));
		return -K42_EAGAIN;
	}
	if (count > cap)
		count = cap;
	*len = d->len < count ? d->len : count;
	memcpy(data, d->data, *len);
	addr_out(&d->from, d->port, from, from_len);
	if (!(flags & MSG_PEEK)) {
		s->uq = d->next;
		if (!s->uq)
			s->uq_tail = NULL;
		s->uq_n--;
		free(d);
	}
	return 0;
}

long sock_shutdown_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t how)
{
	struct isock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (how > 2)
		return -K42_EINVAL;
	if (s->type == SOCK_STREAM && s->state != IS_CONNECTED)
		return -K42_ENOTCONN;
	if (how != 1)
		s->shut_rd = 1;
	if (how != 0 && !s->shut_wr) {
		s->shut_wr = 1;
		if (s->tcp)
			tcp_shutdown(s->tcp, 0, 1);
	}
	isock_wake(s);
	return 0;
}

long sock_getname_impl(const struct k42_ipc_caller *c, k42_handle_t h, bool peer, uint8_t *addr,
		       uint32_t cap, uint32_t *len)
{
	struct isock *s;
	long rc = get(c, h, &s);

	(void)cap;
	if (rc < 0)
		return rc;
	if (s->tcp) {
		if (peer && s->state != IS_CONNECTED)
			return -K42_ENOTCONN;
		if (peer)
			addr_out(&s->tcp->remote_ip, s->tcp->remote_port, addr, len);
		else
			addr_out(&s->tcp->local_ip, s->tcp->local_port, addr, len);
	} else if (s->udp) {
		if (peer && !(s->udp->flags & UDP_FLAGS_CONNECTED))
			return -K42_ENOTCONN;
		if (peer)
			addr_out(&s->udp->remote_ip, s->udp->remote_port, addr, len);
		else
			addr_out(&s->udp->local_ip, s->udp->local_port, addr, len);
	} else {
		if (peer)
			return -K42_ENOTCONN;
		addr_out(NULL, 0, addr, len);
	}
	return 0;
}

long sock_setopt_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t level, uint32_t name,
		      const uint8_t *value, uint32_t len)
{
	struct isock *s;
	int32_t x;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (len < 4)
		return -K42_EINVAL;
	memcpy(&x, value, 4);
	if (level == IPPROTO_TCP && name == TCP_NODELAY && s->type == SOCK_STREAM) {
		s->nodelay = x != 0;
		if (s->tcp && s->state != IS_LISTEN) {
			if (x)
				tcp_nagle_disable(s->tcp);
			else
				tcp_nagle_enable(s->tcp);
		}
		return 0;
	}
	if (level != SOL_SOCKET)
		return -K42_ENOPROTOOPT;
	switch (name) {
	case SO_REUSEADDR:
		s->reuseaddr = x != 0;
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = x != 0;
		if (s->tcp && s->state != IS_LISTEN) {
			if (x)
				ip_set_option(s->tcp, SOF_KEEPALIVE);
			else
				ip_reset_option(s->tcp, SOF_KEEPALIVE);
		}
		return 0;
	case SO_SNDBUF:
		/* Sends queue at most this much (up to lwIP's TCP_SND_BUF). */
		s->sndbuf = x < 4096 ? 4096 : (uint32_t)x;
		return 0;
	case SO_RCVBUF:
		/* The receive window is at most this much (up to TCP_WND). */
		s->rcvbuf = x < 4096 ? 4096 : (uint32_t)x;
		isock_window(s);
		return 0;
	}
	return -K42_ENOPROTOOPT;
}

long sock_getopt_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t level, uint32_t name,
		      uint8_t *value, uint32_t cap, uint32_t *len)
{
	struct isock *s;
	int32_t x;
	long rc = get(c, h, &s);

	(void)cap;
	if (rc < 0)
		return rc;
	if (level == IPPROTO_TCP && name == TCP_NODELAY && s->type == SOCK_STREAM) {
		x = s->nodelay;
	} else if (level != SOL_SOCKET) {
		return -K42_ENOPROTOOPT;
	} else {
		switch (name) {
		case SO_REUSEADDR: x = s->reuseaddr; break;
		case SO_KEEPALIVE: x = s->keepalive; break;
		case SO_SNDBUF: x = (int32_t)s->sndbuf; break;
		case SO_RCVBUF: x = (int32_t)s->rcvbuf; break;
		case SO_TYPE: x = s->type; break;
		case SO_ERROR: x = take_err(s); break;
		case SO_ACCEPTCONN: x = s->state == IS_LISTEN; break;
		case SO_DOMAIN: x = AF_INET; break;
		default: return -K42_ENOPROTOOPT;
		}
	}
	memcpy(value, &x, 4);
	*len = 4;
	return 0;
}

long sock_poll_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t events, bool arm,
		    uint32_t *revents)
{
	struct isock *s;
	uint32_t rev = 0;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (s->udp) {
		if (s->uq || s->shut_rd)
			rev |= POLLIN;
		rev |= POLLOUT;
	} else if (s->state == IS_LISTEN) {
		if (s->qn)
			rev |= POLLIN;
	} else if (s->state == IS_NEW) {
		rev |= POLLHUP;
	} else if (s->state == IS_CONNECTING) {
		/* nothing yet */
	} else {
		if (s->head != s->tail || s->fin || s->shut_rd || !s->tcp || s->err)
			rev |= POLLIN;
		if (!s->tcp || s->shut_wr || s->err ||
		    isock_send_room(s) > 0)
			rev |= POLLOUT;
		if (!s->tcp || (s->fin && s->shut_wr))
			rev |= POLLHUP;
		if (s->err)
			rev |= POLLERR;
	}
	rev &= events | POLLHUP | POLLERR;
	if (!rev)
		isock_wait_add(s, k42_server_waiter(c, arm));
	*revents = rev;
	return 0;
}

long sock_share_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint64_t pid,
		     k42_handle_t *nh)
{
	struct isock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (!pid)
		return -K42_EINVAL;
	s->refs++;
	return grant(s, pid, nh);
}

long sock_close_impl(const struct k42_ipc_caller *c, k42_handle_t h)
{
	struct isock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	k42_obj_revoke(h);
	isock_unref(s);
	return 0;
}

static const struct k42_server isock_server = {
	"net", SOCK_IFACE_ID, SOCK_RIGHT_USE, sock_dispatch, false, NULL
};

void isock_serve(uint64_t pid, void *msg)
{
	k42_server_call(&isock_server, pid, msg);
}
