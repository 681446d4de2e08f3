/*
 * Host tests of the AF_UNIX socket server's sockets (servers/unixsock/
 * usock.c) under ASan: connections through a listen queue, a stream
 * filled to EAGAIN with the writer armed and woken when the reader makes
 * room, the end of a stream, a listener closed with a connection pending,
 * datagram queues, names, and every socket freed (LeakSanitizer).
 */
#include <stdio.h>
#include <string.h>
#include <k42/errno.h>
#include "../../servers/unixsock/usock.h"
#include "check.h"

static uint32_t woken[64];
static unsigned nwoken;

void usock_notify(uint32_t pid)
{
	if (nwoken < 64)
		woken[nwoken++] = pid;
}

static int was_woken(uint32_t pid)
{
	for (unsigned i = 0; i < nwoken; i++)
		if (woken[i] == pid)
			return 1;
	return 0;
}

static uint32_t addr(uint8_t *a, const char *name)
{
	uint16_t fam = 1;

	memset(a, 0, USOCK_ADDR_MAX);
	memcpy(a, &fam, 2);
	memcpy(a + 2, name, strlen(name));
	return (uint32_t)(2 + strlen(name) + 1);
}

static void test_stream(void)
{
	static uint8_t big[1 << 20], out[1 << 20];
	uint8_t a[USOCK_ADDR_MAX], peer[USOCK_ADDR_MAX];
	uint32_t al = addr(a, "/s"), pl, sent, got, total = 0;
	struct usock *l = usock_new(US_STREAM), *c = usock_new(US_STREAM), *d, *e;

	CHECK(usock_connect(c, a, al, 7) == -K42_ECONNREFUSED, "no listener\n");
	CHECK(usock_bind(l, a, al) == 0 && usock_listen(l, 1) == 0, "bind, listen\n");
	CHECK(usock_accept(l, 5, &d, peer, &pl) == -K42_EAGAIN, "nothing to accept\n");
	nwoken = 0;
	CHECK(usock_connect(c, a, al, 7) == 0 && was_woken(5), "connect wakes the acceptor\n");
	e = usock_new(US_STREAM);
	nwoken = 0;
	CHECK(usock_connect(e, a, al, 8) == -K42_EAGAIN, "backlog of 1 is full\n");
	CHECK(usock_accept(l, 5, &d, peer, &pl) == 0 && pl == 2, "accept\n");
	CHECK(was_woken(8), "accepting wakes the waiting connector\n");
	CHECK(usock_connect(e, a, al, 8) == 0, "room again\n");
	/* Fill c -> d until EAGAIN; the reader's progress wakes the writer. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 7);
	while (usock_send(c, big + total, 4096, 9, &sent) == 0)
		total += sent;
	CHECK(total == USOCK_BUF_DEFAULT, "the ring holds %u bytes\n", total);
	nwoken = 0;
	CHECK(usock_recv(d, out, 4096, 0, 10, &got) == 0 && got == 4096 && was_woken(9),
	      "reading wakes the writer\n");
	CHECK(usock_recv(d, out + 4096, 2, 1, 10, &got) == 0 && got == 2 &&
	      memcmp(out + 4096, big + 4096, 2) == 0, "peek\n");
	CHECK(usock_recv(d, out + 4096, sizeof(out), 0, 10, &got) == 0 && got == total - 4096 &&
	      memcmp(out, big, total) == 0, "the bytes, in order\n");
	CHECK(usock_recv(d, out, 10, 0, 10, &got) == -K42_EAGAIN, "empty\n");
	nwoken = 0;
	usock_unref(c);
	CHECK(was_woken(10), "the peer's close wakes the reader\n");
	CHECK(usock_recv(d, out, 10, 0, 10, &got) == 0 && got == 0, "end of stream\n");
	CHECK(usock_send(d, big, 1, 0, &sent) == -K42_EPIPE, "EPIPE\n");
	usock_unref(d);
	/* e's connection is still queued: closing the listener ends it. */
	usock_unref(l);
	CHECK(usock_recv(e, out, 10, 0, 0, &got) == 0 && got == 0, "pending connection ended\n");
	usock_unref(e);
	/* The name went with the listener. */
	l = usock_new(US_STREAM);
	CHECK(usock_bind(l, a, al) == 0, "name free again\n");
	c = usock_new(US_STREAM);
	CHECK(usock_bind(c, a, al) == -K42_EADDRINUSE, "EADDRINUSE\n");
	usock_unref(c);
	usock_unref(l);
}

static void test_dgram(void)
{
	uint8_t a[USOCK_ADDR_MAX], b[USOCK_ADDR_MAX], from[USOCK_ADDR_MAX], buf[64];
	uint32_t al = addr(a, "/d1"), bl = addr(b, "/d2"), fl, sent, got;
	struct usock *x = usock_new(US_DGRAM), *y = usock_new(US_DGRAM);
	int n = 0;

	CHECK(usock_bind(x, a, al) == 0 && usock_bind(y, b, bl) == 0, "bind both\n");
	while (usock_sendto(y, (const uint8_t *)"ping", 4, a, al, 3, &sent) == 0)
		n++;
	CHECK(n == USOCK_DGRAM_QMAX, "queue limit %d\n", n);
	nwoken = 0;
	CHECK(usock_recvfrom(x, buf, sizeof(buf), 0, 0, &got, from, &fl) == 0 && got == 4 &&
	      fl == bl && memcmp(from, b, bl) == 0, "from the sender's name\n");
	CHECK(was_woken(3), "room wakes the sender\n");
	CHECK(usock_sendto(x, (const uint8_t *)"x", 1, (const uint8_t *)"\1\0/none", 8, 0, &sent) ==
	      -K42_ECONNREFUSED, "unknown name\n");
	usock_unref(x);	/* with 255 datagrams queued: freed */
	CHECK(usock_sendto(y, (const uint8_t *)"ping", 4, a, al, 0, &sent) == -K42_ECONNREFUSED,
	      "gone with its socket\n");
	usock_unref(y);
}

static void test_pair(void)
{
	struct usock *a, *b;
	uint8_t buf[8];
	uint32_t sent, got;

	CHECK(usock_pair(US_STREAM, &a, &b) == 0, "pair\n");
	CHECK(usock_send(a, (const uint8_t *)"hi", 2, 0, &sent) == 0 &&
	      usock_recv(b, buf, 8, 0, 0, &got) == 0 && got == 2, "through the pair\n");
	CHECK(usock_shutdown(a, 1) == 0 && usock_recv(b, buf, 8, 0, 0, &got) == 0 && got == 0,
	      "SHUT_WR is the end for the peer\n");
	CHECK(usock_poll(b, 0x1, 0) & 0x1, "and POLLIN\n");
	usock_unref(a);
	usock_unref(b);
}

int main(void)
{
	test_stream();
	test_dgram();
	test_pair();
	return check_done("libk42/usock");
}
