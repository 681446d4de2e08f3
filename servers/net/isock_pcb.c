/*
 * lwIP's side of the network server's AF_INET sockets (docs/network.md,
 * isock.h): the raw-API callbacks that fill a socket's receive ring or
 * datagram queue and wake its waiters, and a socket's life (created,
 * referenced by handles and listen queues, torn down when the last goes).
 * Lifetimes as isock.c's header says.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include <k42/fs.h>
#include "sock.h"
#include "net.h"
#include "isock.h"

/* ---- waiters ---- */

void isock_wake(struct isock *s)
{
	uint32_t pids[WAITERS], n = s->nwait;

	memcpy(pids, s->waiters, n * sizeof(pids[0]));
	s->nwait = 0;
	for (uint32_t i = 0; i < n; i++)
		(void)k42_io_notify(pids[i]);
}

void isock_wait_add(struct isock *s, uint32_t pid)
{
	if (!pid)
		return;
	for (uint32_t i = 0; i < s->nwait; i++)
		if (s->waiters[i] == pid)
			return;
	if (s->nwait == WAITERS)
		isock_wake(s);
	s->waiters[s->nwait++] = pid;
}

/* ---- lwIP's callbacks ---- */

static int lwip_errno(err_t e, int connecting)
{
	if (connecting)
		return K42_ECONNREFUSED;
	switch (e) {
	case ERR_RST: return K42_ECONNRESET;
	case ERR_ABRT: return K42_ECONNABORTED;
	case ERR_TIMEOUT: return K42_ETIMEDOUT;
	case ERR_RTE: return K42_EHOSTUNREACH;
	default: return K42_ECONNRESET;
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct isock *s = arg;
	uint32_t room;

	(void)err;
	if (!s) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (!p) {
		s->fin = 1;
		isock_wake(s);
		return ERR_OK;
	}
	if (s->shut_rd) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	room = RING - (uint32_t)(s->head - s->tail);
	if (p->tot_len > room)
		return ERR_MEM;	/* lwIP keeps it and offers it again */
	for (struct pbuf *q = p; q; q = q->next) {
		uint32_t at = (uint32_t)(s->head % RING), first = RING - at < q->len ? RING - at : q->len;

		memcpy(s->ring + at, q->payload, first);
		memcpy(s->ring, (uint8_t *)q->payload + first, q->len - first);
		s->head += q->len;
	}
	pbuf_free(p);
	isock_wake(s);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	if (arg)
		isock_wake(arg);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct isock *s = arg;

	if (!s)
		return;
	s->tcp = NULL;	/* lwIP has freed it */
	s->err = lwip_errno(err, s->state == IS_CONNECTING);
	s->state = IS_CLOSED;
	isock_wake(s);
}

err_t isock_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct isock *s = arg;

	(void)pcb;
	(void)err;
	if (s) {
		s->state = IS_CONNECTED;
		isock_wake(s);
	}
	return ERR_OK;
}

void isock_hook(struct isock *s, struct tcp_pcb *pcb)
{
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}


void isock_window(struct isock *s)
{
	uint32_t eff = s->rcvbuf < TCP_WND ? s->rcvbuf : TCP_WND, want = TCP_WND - eff;

	if (!s->tcp || s->state == IS_LISTEN || s->state == IS_NEW)
		return;	/* applied at connect or accept (tcp_connect resets the window) */
	if (want > s->withheld) {
		uint32_t take = want - s->withheld;

		if (take > s->tcp->rcv_wnd)
			take = s->tcp->rcv_wnd;
		s->tcp->rcv_wnd -= (tcpwnd_size_t)take;
		s->withheld += take;
	} else if (want < s->withheld) {
		tcp_recved(s->tcp, (u16_t)(s->withheld - want));
		s->withheld = want;
	}
}

uint32_t isock_send_room(struct isock *s)
{
	uint32_t room = tcp_sndbuf(s->tcp), limit = s->sndbuf < TCP_SND_BUF ? s->sndbuf : TCP_SND_BUF,
		 queued = TCP_SND_BUF - room;

	if (tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 4 || queued >= limit)
		return 0;
	return room < limit - queued ? room : limit - queued;
}

err_t isock_on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct isock *l = arg, *n;

	if (!l || err != ERR_OK || !pcb)
		return ERR_VAL;
	if (l->qn >= l->backlog || !(n = isock_new(SOCK_STREAM)))
		return ERR_MEM;	/* lwIP aborts the connection */
	n->tcp = pcb;
	n->state = IS_CONNECTED;
	n->rcvbuf = l->rcvbuf;
	n->sndbuf = l->sndbuf;
	if (l->nodelay)
		tcp_nagle_disable(pcb);
	isock_window(n);
	isock_hook(n, pcb);
	tcp_backlog_delayed(pcb);	/* counts against the backlog until accepted */
	l->q[l->qn++] = n;
	isock_wake(l);
	return ERR_OK;
}

void isock_on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct isock *s = arg;
	struct udgram *d;

	(void)pcb;
	if (!s || s->uq_n >= UDP_QMAX || s->shut_rd || !(d = malloc(sizeof(*d) + p->tot_len))) {
		pbuf_free(p);
		return;
	}
	d->next = NULL;
	d->from = *addr;
	d->port = port;
	d->len = pbuf_copy_partial(p, d->data, p->tot_len, 0);
	pbuf_free(p);
	if (s->uq_tail)
		s->uq_tail->next = d;
	else
		s->uq = d;
	s->uq_tail = d;
	s->uq_n++;
	isock_wake(s);
}

/* ---- life ---- */

struct isock *isock_new(int type)
{
	struct isock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->refs = 1;
	s->rcvbuf = s->sndbuf = TCP_WND;
	if (type == SOCK_STREAM && !(s->ring = malloc(RING))) {
		free(s);
		return NULL;
	}
	return s;
}

void isock_unref(struct isock *s)
{
	struct udgram *d;

	if (--s->refs)
		return;
	if (s->tcp) {
		struct tcp_pcb *pcb = s->tcp;

		tcp_arg(pcb, NULL);
		if (s->withheld) {
			/* Only unread data may turn the close into a reset. */
			tcp_recved(pcb, (u16_t)s->withheld);
			s->withheld = 0;
		}
		if (s->state == IS_LISTEN) {
			tcp_accept(pcb, NULL);
		} else {
			tcp_recv(pcb, NULL);
			tcp_sent(pcb, NULL);
			tcp_err(pcb, NULL);
		}
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
		s->tcp = NULL;
	}
	if (s->udp)
		udp_remove(s->udp);
	for (uint32_t i = 0; i < s->qn; i++)
		isock_unref(s->q[i]);
	isock_wake(s);
	while ((d = s->uq)) {
		s->uq = d->next;
		free(d);
	}
	free(s->q);
	free(s->ring);
	free(s);
}

