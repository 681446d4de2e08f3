/*
 * AF_UNIX sockets (see usock.h): rings, datagram queues, listen queues
 * and the namespace. Links between sockets (peer, the listen queue, the
 * namespace list) are removed by the teardown of the socket they point
 * at, in usock_unref, so no pointer outlives its object.
 */
#include <stdlib.h>
#include <k42/alloc.h>
#include <string.h>
#include <k42/errno.h>
#include "usock.h"

#define AF_UNIX 1
#define POLLIN  0x001
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define SOL_SOCKET 1
#define IPPROTO_TCP 6
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_ACCEPTCONN 30
#define SO_DOMAIN 39

static struct usock *bound;	/* every socket with a name */

/* ---- waiters ---- */

static void wake(struct usock *s)
{
	uint32_t pids[USOCK_WAITERS], n = s->nwait;

	memcpy(pids, s->waiters, n * sizeof(pids[0]));
	s->nwait = 0;
	for (uint32_t i = 0; i < n; i++)
		usock_notify(pids[i]);
}

static void wait_add(struct usock *s, uint32_t pid)
{
	if (!pid)
		return;
	for (uint32_t i = 0; i < s->nwait; i++)
		if (s->waiters[i] == pid)
			return;
	if (s->nwait == USOCK_WAITERS)
		wake(s);	/* full: wake everyone early (they re-check) */
	s->waiters[s->nwait++] = pid;
}

/* ---- rings ---- */

static uint32_t ring_used(const struct ring *r)
{
	return (uint32_t)(r->head - r->tail);
}

static uint32_t ring_room(const struct ring *r)
{
	return r->cap - ring_used(r);
}

static void ring_put(struct ring *r, const uint8_t *d, uint32_t n)
{
	uint32_t at = (uint32_t)(r->head % r->cap), first = r->cap - at < n ? r->cap - at : n;

	memcpy(r->buf + at, d, first);
	memcpy(r->buf, d + first, n - first);
	r->head += n;
}

static void ring_get(struct ring *r, uint8_t *d, uint32_t n, int peek)
{
	uint32_t at = (uint32_t)(r->tail % r->cap), first = r->cap - at < n ? r->cap - at : n;

	memcpy(d, r->buf + at, first);
	memcpy(d + first, r->buf, n - first);
	if (!peek)
		r->tail += n;
}

/* ---- names ---- */

/* Canonical form of a sockaddr_un: a path up to its NUL, NUL kept; an
 * abstract name (path[0] == 0) all len bytes. 0 or -K42_EINVAL. */
static int canon(const uint8_t *a, uint32_t len, uint8_t *out, uint32_t *olen)
{
	uint16_t fam;
	uint32_t n;

	if (len < 3 || len > USOCK_ADDR_MAX)
		return -K42_EINVAL;
	memcpy(&fam, a, 2);
	if (fam != AF_UNIX)
		return -K42_EAFNOSUPPORT;
	if (a[2] != 0) {
		for (n = 2; n < len && a[n]; n++)
			;
		if (n == len && n == USOCK_ADDR_MAX)
			return -K42_EINVAL;	/* no room for the NUL */
		memcpy(out, a, n);
		out[n] = 0;
		*olen = n + 1;
	} else {
		memcpy(out, a, len);
		*olen = len;
	}
	return 0;
}

static struct usock *lookup(const uint8_t *c, uint32_t clen)
{
	for (struct usock *s = bound; s; s = s->next_bound)
		if (s->alen == clen && memcmp(s->addr, c, clen) == 0)
			return s;
	return NULL;
}

static void unbind(struct usock *s)
{
	for (struct usock **p = &bound; *p; p = &(*p)->next_bound)
		if (*p == s) {
			*p = s->next_bound;
			break;
		}
	s->next_bound = NULL;
}

/* ---- life ---- */

struct usock *usock_new(int type)
{
	struct usock *s;

	if (type != US_STREAM && type != US_DGRAM)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->type = type;
		s->state = US_NEW;
		s->refs = 1;
		s->rcvbuf = s->sndbuf = USOCK_BUF_DEFAULT;
	}
	return s;
}

void usock_ref(struct usock *s)
{
	s->refs++;
}

static int ring_alloc(struct usock *s)
{
	if (s->rx.buf)
		return 0;
	s->rx.buf = malloc(s->rcvbuf);
	if (!s->rx.buf)
		return -K42_ENOMEM;
	s->rx.cap = s->rcvbuf;
	return 0;
}

static void link_peers(struct usock *a, struct usock *b)
{
	a->peer = b;
	b->peer = a;
	a->state = b->state = US_CONNECTED;
	a->ever_connected = b->ever_connected = 1;
}

int usock_pair(int type, struct usock **a, struct usock **b)
{
	struct usock *x = usock_new(type), *y = usock_new(type);

	if (!x || !y || (type == US_STREAM && (ring_alloc(x) < 0 || ring_alloc(y) < 0))) {
		if (x)
			usock_unref(x);
		if (y)
			usock_unref(y);
		return type == US_STREAM || type == US_DGRAM ? -K42_ENOMEM : -K42_EINVAL;
	}
	link_peers(x, y);
	*a = x;
	*b = y;
	return 0;
}

void usock_unref(struct usock *s)
{
	struct dgram *d;

	if (--s->refs)
		return;
	if (s->in_names)
		unbind(s);
	if (s->peer) {
		struct usock *p = s->peer;

		p->peer = NULL;
		p->peer_gone = 1;
		wake(p);
	}
	/* Connections nobody accepted close with their listener. */
	for (uint32_t i = 0; i < s->qn; i++)
		usock_unref(s->q[i]);
	s->qn = 0;
	wake(s);
	while ((d = s->dq)) {
		s->dq = d->next;
		free(d);
	}
	free(s->q);
	free(s->rx.buf);
	free(s);
}

/* ---- binding, listening, connecting ---- */

int usock_bind(struct usock *s, const uint8_t *addr, uint32_t len)
{
	uint8_t c[USOCK_ADDR_MAX];
	uint32_t clen;
	int rc;

	if (s->alen)
		return -K42_EINVAL;
	if ((rc = canon(addr, len, c, &clen)) < 0)
		return rc;
	if (lookup(c, clen))
		return -K42_EADDRINUSE;
	memcpy(s->addr, c, clen);
	s->alen = clen;
	s->in_names = 1;
	s->next_bound = bound;
	bound = s;
	return 0;
}

int usock_listen(struct usock *s, uint32_t backlog)
{
	if (s->type != US_STREAM)
		return -K42_EOPNOTSUPP;
	if (s->state == US_CONNECTED)
		return -K42_EINVAL;
	if (!s->alen)
		return -K42_EINVAL;	/* no autobind: a listener needs a name */
	if (backlog < 1)
		backlog = 1;
	if (backlog > USOCK_BACKLOG_MAX)
		backlog = USOCK_BACKLOG_MAX;
	if (!s->q && !(s->q = calloc(USOCK_BACKLOG_MAX, sizeof(*s->q))))
		return -K42_ENOMEM;
	s->backlog = backlog;
	s->state = US_LISTEN;
	return 0;
}

static void unnamed(uint8_t *out, uint32_t *len)
{
	uint16_t fam = AF_UNIX;

	memcpy(out, &fam, 2);
	*len = 2;
}

int usock_accept(struct usock *s, uint32_t arm, struct usock **c, uint8_t *peer, uint32_t *plen)
{
	struct usock *n;

	if (s->state != US_LISTEN)
		return -K42_EINVAL;
	if (!s->qn) {
		wait_add(s, arm);
		return -K42_EAGAIN;
	}
	n = s->q[0];
	memmove(s->q, s->q + 1, (s->qn - 1) * sizeof(*s->q));
	s->qn--;
	wake(s);	/* connectors waiting for room in the queue */
	if (n->peer && n->peer->alen) {
		memcpy(peer, n->peer->addr, n->peer->alen);
		*plen = n->peer->alen;
	} else {
		unnamed(peer, plen);
	}
	*c = n;
	return 0;
}

int usock_connect(struct usock *s, const uint8_t *addr, uint32_t len, uint32_t arm)
{
	uint8_t c[USOCK_ADDR_MAX];
	uint32_t clen;
	struct usock *l, *n;
	int rc;

	if (s->type == US_DGRAM) {
		uint16_t fam = 0;

		if (len >= 2)
			memcpy(&fam, addr, 2);
		if (fam == 0 && len >= 2) {	/* AF_UNSPEC: dissolve */
			s->palen = 0;
			return 0;
		}
		if ((rc = canon(addr, len, c, &clen)) < 0)
			return rc;
		if (!(l = lookup(c, clen)))
			return -K42_ECONNREFUSED;
		if (l->type != US_DGRAM)
			return -K42_EPROTOTYPE;
		memcpy(s->paddr, c, clen);
		s->palen = clen;
		return 0;
	}
	if (s->state == US_CONNECTED)
		return -K42_EISCONN;
	if (s->state == US_LISTEN || s->ever_connected)
		return -K42_EINVAL;
	if ((rc = canon(addr, len, c, &clen)) < 0)
		return rc;
	if (!(l = lookup(c, clen)))
		return -K42_ECONNREFUSED;
	if (l->type != US_STREAM)
		return -K42_EPROTOTYPE;
	if (l->state != US_LISTEN)
		return -K42_ECONNREFUSED;
	if (l->qn >= l->backlog) {
		wait_add(l, arm);
		return -K42_EAGAIN;
	}
	if (!(n = usock_new(US_STREAM)))
		return -K42_ENOMEM;
	n->rcvbuf = l->rcvbuf;
	n->sndbuf = l->sndbuf;
	if (ring_alloc(n) < 0 || ring_alloc(s) < 0) {
		usock_unref(n);
		return -K42_ENOMEM;
	}
	memcpy(n->addr, l->addr, l->alen);	/* its name, not in the namespace */
	n->alen = l->alen;
	link_peers(s, n);
	l->q[l->qn++] = n;
	wake(l);
	return 0;
}

/* ---- streams ---- */

static int stream_eof(const struct usock *s)
{
	return s->shut_rd || s->peer_gone || (s->peer && s->peer->shut_wr);
}

int usock_send(struct usock *s, const uint8_t *data, uint32_t len, uint32_t arm, uint32_t *sent)
{
	struct usock *p = s->peer;
	uint32_t room;

	if (s->type == US_DGRAM)
		return usock_sendto(s, data, len, NULL, 0, arm, sent);
	if (s->shut_wr || s->peer_gone)
		return -K42_EPIPE;
	if (s->state != US_CONNECTED || !p)
		return -K42_ENOTCONN;
	if (p->shut_rd)
		return -K42_EPIPE;
	if (!len) {
		*sent = 0;
		return 0;
	}
	room = ring_room(&p->rx);
	if (!room) {
		wait_add(s, arm);	/* p's reader wakes its peer's (our) waiters */
		return -K42_EAGAIN;
	}
	if (len > room)
		len = room;
	ring_put(&p->rx, data, len);
	*sent = len;
	wake(p);
	return 0;
}

int usock_recv(struct usock *s, uint8_t *out, uint32_t count, int peek, uint32_t arm,
	       uint32_t *got)
{
	uint32_t n;

	if (s->type == US_DGRAM) {
		uint8_t from[USOCK_ADDR_MAX];
		uint32_t flen;

		return usock_recvfrom(s, out, count, peek, arm, got, from, &flen);
	}
	if (s->state != US_CONNECTED && !s->ever_connected)
		return -K42_ENOTCONN;
	n = s->rx.buf ? ring_used(&s->rx) : 0;
	if (!n) {
		if (stream_eof(s) || !count) {
			*got = 0;
			return 0;
		}
		wait_add(s, arm);
		return -K42_EAGAIN;
	}
	if (n > count)
		n = count;
	ring_get(&s->rx, out, n, peek);
	*got = n;
	if (!peek && s->peer)
		wake(s->peer);	/* room for its writer */
	return 0;
}

/* ---- datagrams ---- */

static int dgram_target(struct usock *s, const uint8_t *addr, uint32_t alen, struct usock **t)
{
	uint8_t c[USOCK_ADDR_MAX];
	uint32_t clen;
	int rc;

	if (alen) {
		if ((rc = canon(addr, alen, c, &clen)) < 0)
			return rc;
	} else if (s->peer) {
		*t = s->peer;
		return 0;
	} else if (s->palen) {
		memcpy(c, s->paddr, s->palen);
		clen = s->palen;
	} else {
		return s->ever_connected ? -K42_ECONNREFUSED : -K42_ENOTCONN;
	}
	if (!(*t = lookup(c, clen)))
		return -K42_ECONNREFUSED;
	if ((*t)->type != US_DGRAM)
		return -K42_EPROTOTYPE;
	return 0;
}

static int dgram_full(const struct usock *t, uint32_t len)
{
	return t->dq_count >= USOCK_DGRAM_QMAX || (t->dq_count && t->dq_bytes + len > t->rcvbuf);
}

int usock_sendto(struct usock *s, const uint8_t *data, uint32_t len, const uint8_t *addr,
		 uint32_t alen, uint32_t arm, uint32_t *sent)
{
	struct usock *t;
	struct dgram *d;
	int rc;

	if (s->type == US_STREAM)
		return usock_send(s, data, len, arm, sent);
	if (s->shut_wr)
		return -K42_EPIPE;
	if ((rc = dgram_target(s, addr, alen, &t)) < 0)
		return rc;
	if (t->shut_rd)
		return -K42_ECONNREFUSED;
	if (len > t->rcvbuf)
		return -K42_EMSGSIZE;
	if (dgram_full(t, len)) {
		wait_add(t, arm);	/* t's reader wakes t's waiters */
		return -K42_EAGAIN;
	}
	if (!(d = malloc(sizeof(*d) + len)))
		return -K42_ENOBUFS;
	d->next = NULL;
	d->len = len;
	memcpy(d->data, data, len);
	if (s->alen) {
		memcpy(d->addr, s->addr, s->alen);
		d->alen = s->alen;
	} else {
		unnamed(d->addr, &d->alen);
	}
	if (t->dq_tail)
		t->dq_tail->next = d;
	else
		t->dq = d;
	t->dq_tail = d;
	t->dq_count++;
	t->dq_bytes += len;
	*sent = len;
	wake(t);
	return 0;
}

int usock_recvfrom(struct usock *s, uint8_t *out, uint32_t count, int peek, uint32_t arm,
		   uint32_t *got, uint8_t *from, uint32_t *flen)
{
	struct dgram *d = s->dq;

	if (s->type == US_STREAM) {
		*flen = 0;
		return usock_recv(s, out, count, peek, arm, got);
	}
	if (!d) {
		if (s->shut_rd) {
			*got = 0;
			*flen = 0;
			return 0;
		}
		wait_add(s, arm);
		return -K42_EAGAIN;
	}
	*got = d->len < count ? d->len : count;
	memcpy(out, d->data, *got);
	memcpy(from, d->addr, d->alen);
	*flen = d->alen;
	if (!peek) {
		s->dq = d->next;
		if (!s->dq)
			s->dq_tail = NULL;
		s->dq_count--;
		s->dq_bytes -= d->len;
		free(d);
		wake(s);	/* senders waiting for room */
	}
	return 0;
}

/* ---- the rest ---- */

int usock_shutdown(struct usock *s, int how)
{
	if (how < 0 || how > 2)
		return -K42_EINVAL;
	if (s->type == US_STREAM && s->state != US_CONNECTED)
		return -K42_ENOTCONN;
	if (how != 1)
		s->shut_rd = 1;
	if (how != 0)
		s->shut_wr = 1;
	wake(s);
	if (s->peer)
		wake(s->peer);
	return 0;
}

int usock_getname(struct usock *s, int peer, uint8_t *out, uint32_t *len)
{
	const struct usock *w = s;

	if (peer) {
		if (s->type == US_DGRAM && !s->peer) {
			if (!s->palen)
				return -K42_ENOTCONN;
			memcpy(out, s->paddr, s->palen);
			*len = s->palen;
			return 0;
		}
		if (!s->peer)
			return -K42_ENOTCONN;
		w = s->peer;
	}
	if (w->alen) {
		memcpy(out, w->addr, w->alen);
		*len = w->alen;
	} else {
		unnamed(out, len);
	}
	return 0;
}

static int get_int(const uint8_t *v, uint32_t len, int32_t *x)
{
	if (len < 4)
		return -K42_EINVAL;
	memcpy(x, v, 4);
	return 0;
}

int usock_setopt(struct usock *s, uint32_t level, uint32_t name, const uint8_t *v, uint32_t len)
{
	int32_t x;
	int rc;

	if (level == IPPROTO_TCP)
		return -K42_EOPNOTSUPP;
	if (level != SOL_SOCKET)
		return -K42_ENOPROTOOPT;
	if ((rc = get_int(v, len, &x)) < 0)
		return rc;
	switch (name) {
	case SO_REUSEADDR:
		s->reuseaddr = x != 0;
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = x != 0;
		return 0;
	case SO_SNDBUF:
	case SO_RCVBUF: {
		uint32_t b = x < (int32_t)USOCK_BUF_MIN ? USOCK_BUF_MIN :
			     (uint32_t)x > USOCK_BUF_MAX ? USOCK_BUF_MAX : (uint32_t)x;

		if (name == SO_SNDBUF)
			s->sndbuf = b;
		else
			s->rcvbuf = b;	/* the ring is sized when it connects */
		return 0;
	}
	}
	return -K42_ENOPROTOOPT;
}

int usock_getopt(struct usock *s, uint32_t level, uint32_t name, uint8_t *v, uint32_t *len)
{
	int32_t x;

	if (level == IPPROTO_TCP)
		return -K42_EOPNOTSUPP;
	if (level != SOL_SOCKET)
		return -K42_ENOPROTOOPT;
	switch (name) {
	case SO_REUSEADDR: x = s->reuseaddr; break;
	case SO_KEEPALIVE: x = s->keepalive; break;
	case SO_SNDBUF: x = (int32_t)s->sndbuf; break;
	case SO_RCVBUF: x = (int32_t)(s->rx.buf ? s->rx.cap : s->rcvbuf); break;
	case SO_TYPE: x = s->type; break;
	case SO_ERROR: x = 0; break;
	case SO_ACCEPTCONN: x = s->state == US_LISTEN; break;
	case SO_DOMAIN: x = AF_UNIX; break;
	default: return -K42_ENOPROTOOPT;
	}
	memcpy(v, &x, 4);
	*len = 4;
	return 0;
}

uint32_t usock_poll(struct usock *s, uint32_t events, uint32_t arm)
{
	uint32_t rev = 0;
	struct usock *t = NULL;

	if (s->state == US_LISTEN) {
		if (s->qn)
			rev |= POLLIN;
	} else if (s->type == US_STREAM) {
		if (s->state != US_CONNECTED && !s->ever_connected) {
			rev |= POLLHUP;
		} else {
			if ((s->rx.buf && ring_used(&s->rx)) || stream_eof(s))
				rev |= POLLIN;
			if (s->peer_gone || s->shut_wr || (s->peer && s->peer->shut_rd))
				rev |= POLLOUT;	/* a write fails at once */
			else if (s->peer && ring_room(&s->peer->rx))
				rev |= POLLOUT;
			if (s->peer_gone || (s->shut_rd && s->shut_wr))
				rev |= POLLHUP;
		}
	} else {
		if (s->dq || s->shut_rd)
			rev |= POLLIN;
		if (dgram_target(s, NULL, 0, &t) < 0 || !dgram_full(t, 1))
			rev |= POLLOUT;
	}
	rev &= events | POLLHUP | POLLERR;
	if (!rev && arm) {
		wait_add(s, arm);
		if (t && (events & POLLOUT))
			wait_add(t, arm);	/* room appears when t reads */
	}
	return rev;
}
