/*
 * The network server's AF_INET socket object (docs/network.md), shared by the
 * two halves of it: isock_pcb.c, lwIP's side (its callbacks, the waiters
 * they wake, a socket's life) and isock.c, the client's side (the calls
 * of idl/sock.idl). One entry into lwIP at a time (net.h), so no locks.
 */
#ifndef K42_NET_ISOCK_H
#define K42_NET_ISOCK_H

#include <stdint.h>
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/ip_addr.h"

#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_ACCEPTCONN 30
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define MSG_PEEK 0x2
#define POLLIN  0x001
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define WAITERS 16
#define RING (TCP_WND + 1024)
#define BACKLOG_MAX 128
#define UDP_QMAX 64

enum { IS_NEW, IS_LISTEN, IS_CONNECTING, IS_CONNECTED, IS_CLOSED };

struct udgram {
	struct udgram *next;
	ip_addr_t from;
	u16_t port;
	uint32_t len;
	uint8_t data[];
};

struct isock {
	int type, state;
	uint32_t refs;
	struct tcp_pcb *tcp;
	struct udp_pcb *udp;
	uint8_t *ring;			/* TCP: received, unread */
	uint64_t head, tail;
	struct udgram *uq, *uq_tail;	/* UDP: received, unread */
	uint32_t uq_n;
	int fin, err, shut_rd, shut_wr;
	struct isock **q;		/* listening: accepted by lwIP, not by the client */
	uint32_t qn, backlog;
	uint32_t waiters[WAITERS], nwait;
	int reuseaddr, keepalive, nodelay;
	uint32_t rcvbuf, sndbuf;	/* SO_RCVBUF, SO_SNDBUF as set (at least 4096) */
	uint32_t withheld;		/* TCP: window kept back for SO_RCVBUF (isock_window) */
};

/* isock_pcb.c */
void isock_wake(struct isock *s);
void isock_wait_add(struct isock *s, uint32_t pid);
void isock_hook(struct isock *s, struct tcp_pcb *pcb);
/* SO_RCVBUF on TCP: keep the receive window at most rcvbuf by holding
 * back TCP_WND - rcvbuf of lwIP's window (given back at close). */
void isock_window(struct isock *s);
/* SO_SNDBUF on TCP: bytes a send may queue now (lwIP's buffer and queue
 * allowing, and no more than sndbuf waiting to be sent or acknowledged). */
uint32_t isock_send_room(struct isock *s);
err_t isock_on_connected(void *arg, struct tcp_pcb *pcb, err_t err);
err_t isock_on_accept(void *arg, struct tcp_pcb *pcb, err_t err);
void isock_on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		  u16_t port);
struct isock *isock_new(int type);
void isock_unref(struct isock *s);

#endif
