/*
 * An echo server on sockets (docs/network.md): `echod [PORT]` (default 7)
 * echoes every TCP connection (one libk42 thread each) and every UDP
 * datagram back to its sender.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <k42/thread.h>

static void *tcp_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(16384);
	long n;

	while (buf && (n = k42_recv(fd, buf, 16384, 0)) > 0) {
		for (long off = 0; off < n; ) {
			long k = k42_send(fd, buf + off, (size_t)(n - off), K42_MSG_NOSIGNAL);

			if (k <= 0)
				goto out;
			off += k;
		}
	}
out:
	free(buf);
	k42_close(fd);
	return NULL;
}

static void *udp_loop(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char buf[4096];

	for (;;) {
		struct k42_sockaddr_in from;
		uint32_t fl = sizeof(from);
		long n = k42_recvfrom(fd, buf, sizeof(buf), 0, &from, &fl);

		if (n < 0) {
			if (n == -K42_EAGAIN)
				continue;
			return NULL;
		}
		(void)k42_sendto(fd, buf, (size_t)n, 0, &from, fl);
	}
}

int main(uint64_t argc)
{
	struct k42_sockaddr_in a = { K42_AF_INET, 0, 0, { 0 } };
	unsigned long port = argc > 1 ? strtoul(k42_argv[1], NULL, 10) : 7;
	int l, u, one = 1, tries;
	k42_thread_t *t;

	a.port = k42_htons((uint16_t)port);
	for (tries = 0; (l = k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0)) < 0 && tries < 200; tries++)
		k42_thread_sleep_us(50000);	/* not registered yet, or restarting */
	u = k42_socket(K42_AF_INET, K42_SOCK_DGRAM, 0);
	if (l < 0 || u < 0 || k42_setsockopt(l, K42_SOL_SOCKET, K42_SO_REUSEADDR, &one, 4) < 0 ||
	    k42_bind(l, &a, sizeof(a)) < 0 || k42_listen(l, 64) < 0 || k42_bind(u, &a, sizeof(a)) < 0) {
		k42_printf("echod: cannot listen on port %lu\n", port);
		return 1;
	}
	if ((t = k42_thread_create(udp_loop, (void *)(intptr_t)u)))
		k42_thread_detach(t);
	k42_printf("echod: listening on port %lu (tcp, udp)\n", port);
	for (;;) {
		int c = k42_accept(l, NULL, NULL);

		if (c < 0) {
			if (c == -K42_EBADH || c == -K42_EDEAD || c == -K42_ESRCH || c == -K42_EINVAL) {
				k42_printf("echod: the network server went away: %s\n", k42_strerror(c));
				return 1;
			}
			continue;
		}
		if ((t = k42_thread_create(tcp_conn, (void *)(intptr_t)c)))
			k42_thread_detach(t);
		else
			k42_close(c);
	}
}
