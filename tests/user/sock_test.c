/*
 * AF_UNIX sockets end to end (run as init; docs/network.md): the socket
 * layer of libk42 over the unixsock server. Socket pairs, names
 * (EADDRINUSE, ECONNREFUSED, getsockname/getpeername), options and
 * timeouts, non-blocking calls and poll, the end of a stream and EPIPE,
 * a listener closed with a connection pending, a 10 MB echo with another
 * process checked by checksum, a datagram echo with another process, bulk
 * transfers by reference (and a bad buffer refused without loss), and a
 * socket inherited across spawn.
 */
#include <string.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"

#define ECHO_BYTES (10ul << 20)

static int mkaddr(struct k42_sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->family = K42_AF_UNIX;
	memcpy(a->path, name, strlen(name));
	return (int)(2 + strlen(name) + 1);
}

static long spawn_child(const char *mode, const char *arg)
{
	const char *argv[] = { "sock_child", mode, arg, NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server, 0, 0, 0 };

	return k42_spawn_path_ex("tests/sock_child", &o);
}

static int child_status(long pid)
{
	int status = -1;

	if (pid <= 0 || k42_wait((uint64_t)pid, &status) < 0)
		return -1;
	return status;
}

static void pairs(void)
{
	int sv[2], v, fds[2];
	uint32_t vl = sizeof(v);
	char buf[64];
	struct k42_stat st;
	struct k42_pollfd p;

	EXPECT(k42_socketpair(K42_AF_UNIX, K42_SOCK_STREAM, 0, sv) == 0, "socketpair\n");
	EXPECT(k42_write(sv[0], "abc", 3) == 3 && k42_read(sv[1], buf, sizeof(buf)) == 3 &&
	       memcmp(buf, "abc", 3) == 0, "write/read through a pair\n");
	EXPECT(k42_send(sv[1], "xyz", 3, 0) == 3 && k42_recv(sv[0], buf, 2, K42_MSG_PEEK) == 2 &&
	       k42_recv(sv[0], buf, sizeof(buf), 0) == 3 && memcmp(buf, "xyz", 3) == 0,
	       "send/recv, MSG_PEEK leaves the data\n");
	EXPECT(k42_fstat(sv[0], &st) == 0 && (st.mode & K42_S_IFMT) == K42_S_IFSOCK, "S_IFSOCK\n");
	EXPECT(k42_recv(sv[0], buf, 1, K42_MSG_DONTWAIT) == -K42_EAGAIN, "MSG_DONTWAIT: EAGAIN\n");
	EXPECT(k42_fcntl(sv[0], K42_F_SETFL, K42_O_NONBLOCK) == 0 &&
	       k42_read(sv[0], buf, 1) == -K42_EAGAIN, "O_NONBLOCK: EAGAIN\n");
	p = (struct k42_pollfd){ sv[0], K42_POLLIN, 0 };
	EXPECT(k42_poll(&p, 1, 0) == 0, "poll: not readable yet\n");
	EXPECT(k42_write(sv[1], "q", 1) == 1 && k42_poll(&p, 1, 1000) == 1 && (p.revents & K42_POLLIN),
	       "poll: readable after a write (%x)\n", p.revents);
	EXPECT(k42_read(sv[0], buf, 1) == 1, "read it\n");
	EXPECT(k42_getsockopt(sv[0], K42_SOL_SOCKET, K42_SO_TYPE, &v, &vl) == 0 &&
	       v == K42_SOCK_STREAM && vl == 4, "SO_TYPE\n");
	EXPECT(k42_shutdown(sv[1], K42_SHUT_WR) == 0 && k42_read(sv[0], buf, 1) == 0,
	       "shutdown(SHUT_WR): the peer reads the end\n");
	EXPECT(k42_write(sv[1], "z", 1) == -K42_EPIPE, "write after SHUT_WR: EPIPE\n");
	k42_close(sv[1]);
	EXPECT(k42_write(sv[0], "z", 1) == -K42_EPIPE, "write to a closed peer: EPIPE\n");
	p = (struct k42_pollfd){ sv[0], K42_POLLIN, 0 };
	EXPECT(k42_poll(&p, 1, 0) == 1 && (p.revents & K42_POLLHUP), "POLLHUP after close\n");
	k42_close(sv[0]);

	/* Datagram pairs keep message boundaries. */
	EXPECT(k42_socketpair(K42_AF_UNIX, K42_SOCK_DGRAM, 0, sv) == 0, "dgram pair\n");
	EXPECT(k42_send(sv[0], "one", 3, 0) == 3 && k42_send(sv[0], "two!", 4, 0) == 4, "2 sends\n");
	EXPECT(k42_recv(sv[1], buf, sizeof(buf), 0) == 3 && k42_recv(sv[1], buf, 2, 0) == 2 &&
	       k42_recv(sv[1], buf, sizeof(buf), K42_MSG_DONTWAIT) == -K42_EAGAIN,
	       "one datagram per recv, the rest of a long one dropped\n");
	k42_close(sv[0]);
	k42_close(sv[1]);

	EXPECT(k42_pipe(fds) == 0 && k42_listen(fds[0], 1) == -K42_ENOTSOCK, "ENOTSOCK on a pipe\n");
	k42_close(fds[0]);
	k42_close(fds[1]);
	EXPECT(k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0) == -K42_EAFNOSUPPORT,
	       "AF_INET without a network server: EAFNOSUPPORT\n");
	EXPECT(k42_socket(K42_AF_UNIX, 7, 0) == -K42_EINVAL, "bad type: EINVAL\n");
}

static void names(void)
{
	struct k42_sockaddr_un a, b;
	int al = mkaddr(&a, "/tmp/n1"), s1 = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM, 0);
	int s2 = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM | K42_SOCK_NONBLOCK, 0), c, d, v = 8192;
	uint32_t bl = sizeof(b), vl = sizeof(v);
	struct k42_timeval tv = { 0, 50000 };
	char buf[16];
	struct k42_pollfd p;
	uint64_t t0;

	EXPECT(s1 >= 0 && s2 >= 0, "sockets: %d %d\n", s1, s2);
	EXPECT(k42_connect(s1, &a, (uint32_t)al) == -K42_ECONNREFUSED, "nobody there: ECONNREFUSED\n");
	EXPECT(k42_bind(s1, &a, (uint32_t)al) == 0, "bind\n");
	EXPECT(k42_bind(s2, &a, (uint32_t)al) == -K42_EADDRINUSE, "bind again: EADDRINUSE\n");
	EXPECT(k42_getsockname(s1, &b, &bl) == 0 && bl == (uint32_t)al && strcmp(b.path, "/tmp/n1") == 0,
	       "getsockname\n");
	EXPECT(k42_connect(s2, &a, (uint32_t)al) == -K42_ECONNREFUSED, "not listening: ECONNREFUSED\n");
	EXPECT(k42_setsockopt(s1, K42_SOL_SOCKET, K42_SO_RCVBUF, &v, 4) == 0 &&
	       k42_getsockopt(s1, K42_SOL_SOCKET, K42_SO_RCVBUF, &v, &vl) == 0 && v == 8192,
	       "SO_RCVBUF round trip: %d\n", v);
	v = 1;
	EXPECT(k42_setsockopt(s1, K42_SOL_SOCKET, K42_SO_REUSEADDR, &v, 4) == 0, "SO_REUSEADDR\n");
	EXPECT(k42_setsockopt(s1, K42_IPPROTO_TCP, K42_TCP_NODELAY, &v, 4) == -K42_EOPNOTSUPP,
	       "TCP_NODELAY on AF_UNIX: EOPNOTSUPP\n");
	EXPECT(k42_listen(s1, 1) == 0, "listen\n");
	vl = 4;
	EXPECT(k42_getsockopt(s1, K42_SOL_SOCKET, K42_SO_ACCEPTCONN, &v, &vl) == 0 && v == 1,
	       "SO_ACCEPTCONN\n");
	EXPECT(k42_fcntl(s1, K42_F_SETFL, K42_O_NONBLOCK) == 0 &&
	       k42_accept(s1, NULL, NULL) == -K42_EAGAIN, "non-blocking accept: EAGAIN\n");
	p = (struct k42_pollfd){ s1, K42_POLLIN, 0 };
	EXPECT(k42_poll(&p, 1, 0) == 0, "listener not readable\n");
	EXPECT(k42_connect(s2, &a, (uint32_t)al) == 0, "connect\n");
	EXPECT(k42_poll(&p, 1, 1000) == 1, "listener readable with a connection queued\n");
	c = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM | K42_SOCK_NONBLOCK, 0);
	EXPECT(k42_connect(c, &a, (uint32_t)al) == -K42_EAGAIN, "backlog full: EAGAIN\n");
	bl = sizeof(b);
	d = k42_accept(s1, &b, &bl);
	EXPECT(d >= 0 && bl == 2, "accept (an unnamed peer): %d, len %u\n", d, bl);
	bl = sizeof(b);
	EXPECT(k42_getpeername(s2, &b, &bl) == 0 && strcmp(b.path, "/tmp/n1") == 0, "getpeername\n");
	bl = sizeof(b);
	EXPECT(k42_getsockname(d, &b, &bl) == 0 && strcmp(b.path, "/tmp/n1") == 0,
	       "accepted socket has the listener's name\n");
	EXPECT(k42_connect(c, &a, (uint32_t)al) == 0, "room again after accept\n");
	/* A receive timeout. */
	EXPECT(k42_setsockopt(d, K42_SOL_SOCKET, K42_SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "RCVTIMEO\n");
	t0 = k42_timebase();
	EXPECT(k42_read(d, buf, 1) == -K42_EAGAIN, "read times out\n");
	EXPECT(k42_timebase() - t0 >= k42_info(K42_INFO_TIMEBASE_HZ) / 25, "after 40+ ms\n");
	/* Closing the listener closes what it has not accepted. */
	k42_close(s1);
	EXPECT(k42_read(c, buf, 1) == 0, "pending connection ends with its listener\n");
	k42_close(c);
	EXPECT(k42_write(s2, "hi", 2) == 2 && k42_read(d, buf, 2) == 2, "accepted one still works\n");
	k42_close(s2);
	EXPECT(k42_read(d, buf, 1) == 0, "end of stream\n");
	k42_close(d);
	/* The name went with its socket. */
	s1 = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM, 0);
	EXPECT(k42_bind(s1, &a, (uint32_t)al) == 0, "name free again after close\n");
	k42_close(s1);
}

static uint8_t pat(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 12));
}

/* 10 MB through a child that echoes, driven by poll on a non-blocking
 * socket; both directions checked byte by byte and by checksum. */
static void echo(void)
{
	static uint8_t out[16384], in[16384];
	struct k42_sockaddr_un a;
	int al = mkaddr(&a, "echo"), l = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM, 0), c;
	uint64_t sent = 0, got = 0, sum_out = 0, sum_in = 0, bad = 0;
	long pid;

	EXPECT(k42_bind(l, &a, (uint32_t)al) == 0 && k42_listen(l, 4) == 0, "echo listener\n");
	pid = spawn_child("echo", "echo");
	EXPECT(pid > 0, "spawn echo child: %ld\n", pid);
	c = k42_accept4(l, NULL, NULL, K42_SOCK_NONBLOCK);
	EXPECT(c >= 0, "accept the child: %d\n", c);
	k42_close(l);
	while (c >= 0 && got < ECHO_BYTES) {
		struct k42_pollfd p = { c, K42_POLLIN | (sent < ECHO_BYTES ? K42_POLLOUT : 0), 0 };

		if (k42_poll(&p, 1, 20000) != 1) {
			EXPECT(0, "poll timed out at %lu sent, %lu echoed\n", sent, got);
			break;
		}
		if ((p.revents & K42_POLLOUT) && sent < ECHO_BYTES) {
			uint64_t k = ECHO_BYTES - sent < sizeof(out) ? ECHO_BYTES - sent : sizeof(out);
			long n;

			for (uint64_t i = 0; i < k; i++)
				out[i] = pat(sent + i);
			n = k42_write(c, out, k);
			if (n > 0) {
				for (long i = 0; i < n; i++)
					sum_out = sum_out * 31 + out[i];
				sent += (uint64_t)n;
			} else if (n != -K42_EAGAIN) {
				EXPECT(0, "write: %ld\n", n);
				break;
			}
		}
		if (p.revents & (K42_POLLIN | K42_POLLHUP)) {
			long n = k42_read(c, in, sizeof(in));

			if (n == 0) {
				EXPECT(0, "echo ended early at %lu\n", got);
				break;
			}
			if (n > 0) {
				for (long i = 0; i < n; i++) {
					bad += in[i] != pat(got + (uint64_t)i);
					sum_in = sum_in * 31 + in[i];
				}
				got += (uint64_t)n;
			}
		}
	}
	EXPECT(got == ECHO_BYTES && sent == ECHO_BYTES && bad == 0 && sum_in == sum_out,
	       "10 MB echoed: sent %lu got %lu, %lu bad bytes, sums %lx %lx\n", sent, got, bad,
	       sum_out, sum_in);
	k42_printf("sock_test: echoed %lu bytes, checksum %lx\n", got, sum_in);
	k42_close(c);
	EXPECT(child_status(pid) == 0, "echo child exit status\n");
}

static void dgrams(void)
{
	struct k42_sockaddr_un a, from, b;
	int al = mkaddr(&a, "udp-like"), s = k42_socket(K42_AF_UNIX, K42_SOCK_DGRAM, 0), bl, t;
	char buf[64], reply[64];
	static uint8_t big[5000];
	long pid;
	int ok = 0;

	EXPECT(k42_bind(s, &a, (uint32_t)al) == 0, "bind dgram\n");
	t = k42_socket(K42_AF_UNIX, K42_SOCK_DGRAM, 0);
	bl = mkaddr(&b, "udp-peer");
	EXPECT(k42_sendto(t, "x", 1, 0, &b, (uint32_t)bl) == -K42_ECONNREFUSED, "nobody: refused\n");
	EXPECT(k42_sendto(t, big, sizeof(big), 0, &a, (uint32_t)al) == -K42_EMSGSIZE, "EMSGSIZE\n");
	EXPECT(k42_send(t, "x", 1, 0) == -K42_ENOTCONN, "unconnected send: ENOTCONN\n");
	EXPECT(k42_connect(t, &a, (uint32_t)al) == 0 && k42_send(t, "hey", 3, 0) == 3,
	       "connected datagram socket\n");
	{
		uint32_t fl = sizeof(from);

		EXPECT(k42_recvfrom(s, buf, sizeof(buf), 0, &from, &fl) == 3 && fl == 2,
		       "from an unnamed socket\n");
	}
	k42_close(t);
	pid = spawn_child("dgram", "udp-like");
	EXPECT(pid > 0, "spawn dgram child\n");
	for (int i = 0; i < 100 && pid > 0; i++) {
		uint32_t fl = sizeof(from);
		long n = k42_recvfrom(s, buf, sizeof(buf) - 1, 0, &from, &fl);
		int m;

		if (n < 0)
			break;
		buf[n] = 0;
		if (strncmp(buf, "ping ", 5) != 0)
			break;
		m = k_snprintf(reply, sizeof(reply), "pong %s", buf + 5);
		if (k42_sendto(s, reply, (size_t)m, 0, &from, fl) != m)
			break;
		ok++;
	}
	EXPECT(ok == 100, "100 datagrams echoed: %d\n", ok);
	EXPECT(child_status(pid) == 0, "dgram child checked every answer\n");
	k42_close(s);
}

/* Transfers over a page go by reference (sock.send_bulk/recv_bulk): a
 * 100,000-byte write and read in one call each, with MSG_PEEK; a bad
 * buffer is refused (-K42_EFAULT) and takes nothing from the socket. */
static void bulk(void)
{
	static uint8_t out[100000], in[100000];
	int sv[2];
	long n;

	for (uint32_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13 + (i >> 8));
	EXPECT(k42_socketpair(K42_AF_UNIX, K42_SOCK_STREAM, 0, sv) == 0, "bulk pair\n");
	EXPECT((n = k42_send(sv[0], out, sizeof(out), 0)) == (long)sizeof(out),
	       "a 100,000-byte send: %ld\n", n);
	EXPECT((n = k42_send(sv[0], (const void *)0x1000, 20000, 0)) == -K42_EFAULT,
	       "a send from an unmapped buffer: %ld\n", n);
	EXPECT((n = k42_recv(sv[1], (void *)0x1000, 20000, 0)) == -K42_EFAULT,
	       "a recv into an unmapped buffer: %ld\n", n);
	memset(in, 0, sizeof(in));
	EXPECT((n = k42_recv(sv[1], in, 30000, K42_MSG_PEEK)) == 30000 && memcmp(in, out, 30000) == 0,
	       "a 30,000-byte MSG_PEEK: %ld\n", n);
	memset(in, 0, sizeof(in));
	n = 0;
	for (long r; n < (long)sizeof(in) && (r = k42_recv(sv[1], in + n, sizeof(in) - (size_t)n, 0)) > 0;)
		n += r;
	EXPECT(n == (long)sizeof(in) && memcmp(in, out, sizeof(in)) == 0,
	       "the 100,000 bytes read back intact, none lost to the refused calls: %ld\n", n);
	k42_close(sv[0]);
	k42_close(sv[1]);
}

static void inherit(void)
{
	int sv[2];
	char buf[32], fdstr[8];
	long pid, n;

	EXPECT(k42_socketpair(K42_AF_UNIX, K42_SOCK_STREAM, 0, sv) == 0, "pair to inherit\n");
	k_snprintf(fdstr, sizeof(fdstr), "%d", sv[1]);
	pid = spawn_child("inherit", fdstr);
	k42_close(sv[1]);
	n = k42_read(sv[0], buf, sizeof(buf));
	EXPECT(n == 12 && memcmp(buf, "hello via fd", 12) == 0, "child wrote on an inherited socket\n");
	EXPECT(child_status(pid) == 0, "inherit child\n");
	EXPECT(k42_read(sv[0], buf, 1) == 0, "end of stream once every holder closed\n");
	k42_close(sv[0]);
}

int main(uint64_t arg)
{
	(void)arg;
	suite_name_server("sock_test");
	EXPECT(suite_server("servers/unixsock", "sock/unix", 0) > 0, "start unixsock\n");
	pairs();
	names();
	echo();
	dgrams();
	bulk();
	inherit();
	return verdict("sock_test");
}
