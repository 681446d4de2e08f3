/*
 * AF_UNIX sockets, pure (no IPC; servers/unixsock/main.c is the glue):
 * stream sockets with a byte ring per receiving end, datagram sockets
 * with a queue of messages, a listen queue of connections made but not
 * yet accepted, and the namespace of bound names. Nothing here blocks:
 * an operation that cannot proceed returns -K42_EAGAIN and, given a pid
 * to `arm`, remembers it among the waiters of the socket whose change it
 * needs; every change calls usock_notify() on the waiters it may concern.
 * Single-threaded: the server runs one call at a time.
 */
#ifndef UNIXSOCK_USOCK_H
#define UNIXSOCK_USOCK_H

#include <stdint.h>

#define USOCK_ADDR_MAX   110	/* sizeof(struct sockaddr_un) */
#define USOCK_WAITERS    16
#define USOCK_BUF_DEFAULT (128u * 1024)
#define USOCK_BUF_MIN    4096u
#define USOCK_BUF_MAX    (4u << 20)
#define USOCK_DGRAM_QMAX 256	/* datagrams queued per socket */
#define USOCK_BACKLOG_MAX 128

enum { US_STREAM = 1, US_DGRAM = 2 };
enum { US_NEW, US_LISTEN, US_CONNECTED };

struct ring {
	uint8_t *buf;
	uint32_t cap;
	uint64_t head, tail;	/* bytes ever written, read */
};

struct dgram {
	struct dgram *next;
	uint32_t len, alen;
	uint8_t addr[USOCK_ADDR_MAX];
	uint8_t data[];
};

struct usock {
	int type, state;
	uint32_t refs;		/* handles, plus one while in a listen queue */
	uint8_t addr[USOCK_ADDR_MAX];	/* its name (alen 0: none) */
	uint32_t alen;
	int in_names;			/* bound: the name is in the namespace */
	/* Stream: the other end; a socketpair's datagram peer. Cleared by
	 * the other end's teardown (usock_unref), never left dangling. */
	struct usock *peer;
	uint8_t paddr[USOCK_ADDR_MAX];	/* datagram: connect()'s destination */
	uint32_t palen;
	struct ring rx;			/* stream: what the peer sent us */
	struct dgram *dq, *dq_tail;	/* datagram: received, in order */
	uint32_t dq_bytes, dq_count;
	uint32_t rcvbuf, sndbuf;
	int shut_rd, shut_wr, peer_gone, ever_connected;
	int reuseaddr, keepalive;
	/* Listening: connections not accepted yet (each holds one ref). */
	struct usock **q;
	uint32_t qn, backlog;
	uint32_t waiters[USOCK_WAITERS];
	uint32_t nwait;
	struct usock *next_bound;	/* the namespace list */
};

/* Provided by the user of this file: wake process pid (K42_SOFTINTR_IO). */
void usock_notify(uint32_t pid);

/* A new socket with one reference, or NULL (out of memory). */
struct usock *usock_new(int type);
int usock_pair(int type, struct usock **a, struct usock **b);
void usock_ref(struct usock *s);
/* Drop a reference; the last one closes the socket (its peer sees the
 * end of the stream, its name is released, pending connections close). */
void usock_unref(struct usock *s);

int usock_bind(struct usock *s, const uint8_t *addr, uint32_t len);
int usock_listen(struct usock *s, uint32_t backlog);
/* *c carries the listen queue's reference, now the caller's. */
int usock_accept(struct usock *s, uint32_t arm, struct usock **c, uint8_t *peer, uint32_t *plen);
int usock_connect(struct usock *s, const uint8_t *addr, uint32_t len, uint32_t arm);
int usock_send(struct usock *s, const uint8_t *data, uint32_t len, uint32_t arm, uint32_t *sent);
int usock_recv(struct usock *s, uint8_t *out, uint32_t count, int peek, uint32_t arm,
	       uint32_t *got);
int usock_sendto(struct usock *s, const uint8_t *data, uint32_t len, const uint8_t *addr,
		 uint32_t alen, uint32_t arm, uint32_t *sent);
int usock_recvfrom(struct usock *s, uint8_t *out, uint32_t count, int peek, uint32_t arm,
		   uint32_t *got, uint8_t *from, uint32_t *flen);
int usock_shutdown(struct usock *s, int how);
int usock_getname(struct usock *s, int peer, uint8_t *out, uint32_t *len);
int usock_setopt(struct usock *s, uint32_t level, uint32_t name, const uint8_t *v, uint32_t len);
int usock_getopt(struct usock *s, uint32_t level, uint32_t name, uint8_t *v, uint32_t *len);
/* Ready events (K42_POLLIN/OUT/HUP/ERR values); arms when none of
 * `events` holds. */
uint32_t usock_poll(struct usock *s, uint32_t events, uint32_t arm);

#endif
