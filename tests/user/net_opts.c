/*
 * Helper of the network tests (tools/nettest.py): `net_opts ADDR` checks
 * TCP socket options on the network server (servers/net, lwIP) over its
 * own address: TCP_NODELAY, SO_KEEPALIVE and SO_REUSEADDR read back;
 * SO_RCVBUF (on the connecting side) and SO_SNDBUF (on the listener,
 * inherited by the accepted socket) bound how much a sender gets rid of
 * while nobody reads, against the defaults; the data then arrives intact;
 * and closing a socket whose window was held back ends the stream with a
 * FIN, not a reset. Prints `net_opts: ok` or what failed.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <k42/thread.h>

static int bad;

#define EXPECT(c, ...) do { if (!(c)) { bad++; k42_printf("net_opts: FAIL " __VA_ARGS__); } } while (0)

static uint32_t ip(const char *s)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char *e;

		v |= (uint32_t)strtoul(s, &e, 10) << (8 * i);
		s = *e ? e + 1 : e;
	}
	return v;
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	uint32_t l = 4;

	return k42_getsockopt(fd, level, name, &v, &l) == 0 ? v : -1000;
}

static int setint(int fd, int level, int name, int v)
{
	return k42_setsockopt(fd, level, name, &v, 4);
}

/* A connected pair over ADDR:port: *cl connected, *ac accepted. rcvbuf
 * and sndbuf (0: default) on the client and the listener. */
static int pair(struct k42_sockaddr_in *a, int rcvbuf, int sndbuf, int *cl, int *ac)
{
	int l = k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0), c;

	if (l < 0 || setint(l, K42_SOL_SOCKET, K42_SO_REUSEADDR, 1) < 0 ||
	    (sndbuf && setint(l, K42_SOL_SOCKET, K42_SO_SNDBUF, sndbuf) < 0) ||
	    k42_bind(l, a, sizeof(*a)) < 0 || k42_listen(l, 4) < 0)
		return -1;
	c = k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0);
	if (c < 0 || (rcvbuf && setint(c, K42_SOL_SOCKET, K42_SO_RCVBUF, rcvbuf) < 0) ||
	    k42_connect(c, a, sizeof(*a)) < 0)
		return -2;
	*ac = k42_accept(l, NULL, NULL);
	k42_close(l);
	*cl = c;
	return *ac < 0 ? -3 : 0;
}

static uint8_t byte_at(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* Send from `from` without blocking while nobody reads, until three
 * rounds 200 ms apart get nothing more through: what was taken. */
static uint64_t stuff(int from, uint64_t *pos)
{
	static uint8_t buf[4096];
	uint64_t total = 0;

	for (int idle = 0, rounds = 0; idle < 3 && rounds < 60; rounds++) {
		long n;
		int moved = 0;

		do {
			for (uint32_t i = 0; i < sizeof(buf); i++)
				buf[i] = byte_at(*pos + i);
			n = k42_send(from, buf, sizeof(buf), K42_MSG_DONTWAIT);
			if (n > 0) {
				*pos += (uint64_t)n;
				total += (uint64_t)n;
				moved = 1;
			}
		} while (n > 0);
		idle = moved ? 0 : idle + 1;
		k42_thread_sleep_us(200000);
	}
	return total;
}

/* Read `want` bytes from `to`, checking them; then send and read `more`
 * bytes interleaved (the window opens as the reader reads). */
static int drain(int from, int to, uint64_t want, uint64_t *pos, uint64_t more)
{
	static uint8_t buf[4096];
	uint64_t got = 0, sent_to = *pos + more;

	while (got < want + more) {
		long n;

		if (*pos < sent_to) {
			uint32_t c = sent_to - *pos < sizeof(buf) ? (uint32_t)(sent_to - *pos) : sizeof(buf);

			for (uint32_t i = 0; i < c; i++)
				buf[i] = byte_at(*pos + i);
			n = k42_send(from, buf, c, K42_MSG_DONTWAIT);
			if (n > 0)
				*pos += (uint64_t)n;
		}
		n = k42_recv(to, buf, sizeof(buf), K42_MSG_DONTWAIT);
		if (n == -K42_EAGAIN) {
			k42_thread_sleep_us(2000);
			continue;
		}
		if (n <= 0)
			return -1;
		for (long i = 0; i < n; i++)
			if (buf[i] != byte_at(got + (uint64_t)i))
				return -2;
		got += (uint64_t)n;
	}
	return 0;
}

int main(uint64_t argc)
{
	struct k42_sockaddr_in a = { K42_AF_INET, 0, 0, { 0 } };
	uint64_t small, dflt, pos;
	int s, c, ac, rc;
	char b[16];

	if (argc < 2)
		return 2;
	a.addr = ip(k42_argv[1]);

	/* Options read back. */
	s = k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0);
	EXPECT(s >= 0, "socket: %d\n", s);
	EXPECT(setint(s, K42_IPPROTO_TCP, K42_TCP_NODELAY, 1) == 0 &&
	       getint(s, K42_IPPROTO_TCP, K42_TCP_NODELAY) == 1, "TCP_NODELAY 1\n");
	EXPECT(setint(s, K42_IPPROTO_TCP, K42_TCP_NODELAY, 0) == 0 &&
	       getint(s, K42_IPPROTO_TCP, K42_TCP_NODELAY) == 0, "TCP_NODELAY 0\n");
	EXPECT(setint(s, K42_SOL_SOCKET, K42_SO_KEEPALIVE, 1) == 0 &&
	       getint(s, K42_SOL_SOCKET, K42_SO_KEEPALIVE) == 1, "SO_KEEPALIVE\n");
	EXPECT(getint(s, K42_SOL_SOCKET, K42_SO_REUSEADDR) == 0 &&
	       setint(s, K42_SOL_SOCKET, K42_SO_REUSEADDR, 1) == 0 &&
	       getint(s, K42_SOL_SOCKET, K42_SO_REUSEADDR) == 1, "SO_REUSEADDR\n");
	EXPECT(setint(s, K42_SOL_SOCKET, K42_SO_RCVBUF, 6000) == 0 &&
	       getint(s, K42_SOL_SOCKET, K42_SO_RCVBUF) == 6000, "SO_RCVBUF reads back\n");
	EXPECT(setint(s, K42_SOL_SOCKET, K42_SO_SNDBUF, 100) == 0 &&
	       getint(s, K42_SOL_SOCKET, K42_SO_SNDBUF) == 4096, "SO_SNDBUF at least 4096\n");
	k42_close(s);

	/* Small buffers: a 4 KiB window and 8 KiB of send queue. */
	a.port = k42_htons(5701);
	rc = pair(&a, 4096, 8192, &c, &ac);
	EXPECT(rc == 0, "pair with small buffers: %d\n", rc);
	if (rc == 0) {
		EXPECT(getint(ac, K42_SOL_SOCKET, K42_SO_SNDBUF) == 8192, "SO_SNDBUF inherited\n");
		pos = 0;
		small = stuff(ac, &pos);
		k42_printf("net_opts: SO_RCVBUF 4096, SO_SNDBUF 8192: %lu bytes sent unread\n", small);
		EXPECT(small >= 8192 && small <= 20480, "small buffers took %lu bytes\n", small);
		rc = drain(ac, c, small, &pos, 256 * 1024);
		EXPECT(rc == 0, "data through a small window: %d\n", rc);
		/* The client closes with its window held back: a FIN, not a reset. */
		k42_close(c);
		for (int i = 0; i < 250 && (rc = (int)k42_recv(ac, b, sizeof(b), K42_MSG_DONTWAIT)) ==
		     -K42_EAGAIN; i++)
			k42_thread_sleep_us(20000);
		EXPECT(rc == 0, "the peer's close: %d, not the end of the stream\n", rc);
		k42_close(ac);
	}

	/* The defaults: lwIP's 64,240-byte window and send buffer. */
	a.port = k42_htons(5702);
	rc = pair(&a, 0, 0, &c, &ac);
	EXPECT(rc == 0, "pair with default buffers: %d\n", rc);
	if (rc == 0) {
		pos = 0;
		dflt = stuff(ac, &pos);
		k42_printf("net_opts: default buffers: %lu bytes sent unread\n", dflt);
		EXPECT(dflt >= 65536, "default buffers took only %lu bytes\n", dflt);
		k42_close(c);
		k42_close(ac);
	}
	k42_printf(bad ? "net_opts: %d failed\n" : "net_opts: ok\n", bad);
	return bad ? 1 : 0;
}
