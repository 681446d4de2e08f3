/*
 * Helper of sock_test (docs/network.md): the other process of the AF_UNIX
 * tests. `echo NAME` connects to stream socket NAME and echoes until the
 * end of the stream; `dgram NAME` sends 100 numbered datagrams to NAME
 * from a bound socket and checks each answer; `inherit FD` writes a line
 * on the inherited socket FD.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <lib/fmt.h>

static int addr(struct k42_sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->family = K42_AF_UNIX;
	memcpy(a->path, name, strlen(name));
	return (int)(2 + strlen(name) + 1);
}

static int echo(const char *name)
{
	static uint8_t buf[65536];
	struct k42_sockaddr_un a;
	int len = addr(&a, name), fd = k42_socket(K42_AF_UNIX, K42_SOCK_STREAM, 0);
	long n;

	if (fd < 0 || k42_connect(fd, &a, (uint32_t)len) < 0)
		return 2;
	while ((n = k42_recv(fd, buf, sizeof(buf), 0)) > 0)
		if (k42_send(fd, buf, (size_t)n, 0) != n)
			return 3;
	k42_close(fd);
	return n == 0 ? 0 : 4;
}

static int dgram(const char *name)
{
	struct k42_sockaddr_un to, me, from;
	int tl = addr(&to, name), ml, fd = k42_socket(K42_AF_UNIX, K42_SOCK_DGRAM, 0);
	char mine[64], msg[64], want[64], got[64];

	k_snprintf(mine, sizeof(mine), "%s.client", name);
	ml = addr(&me, mine);
	if (fd < 0 || k42_bind(fd, &me, (uint32_t)ml) < 0)
		return 2;
	for (int i = 0; i < 100; i++) {
		uint32_t fl = sizeof(from);
		long n;

		k_snprintf(msg, sizeof(msg), "ping %d", i);
		if (k42_sendto(fd, msg, strlen(msg), 0, &to, (uint32_t)tl) != (long)strlen(msg))
			return 3;
		n = k42_recvfrom(fd, got, sizeof(got) - 1, 0, &from, &fl);
		if (n < 0)
			return 4;
		got[n] = 0;
		k_snprintf(want, sizeof(want), "pong %d", i);
		if (strcmp(got, want) != 0 || strcmp(from.path, name) != 0)
			return 5;
	}
	k42_close(fd);
	return 0;
}

int main(uint64_t argc)
{
	if (argc < 3)
		return 1;
	if (strcmp(k42_argv[1], "echo") == 0)
		return echo(k42_argv[2]);
	if (strcmp(k42_argv[1], "dgram") == 0)
		return dgram(k42_argv[2]);
	if (strcmp(k42_argv[1], "inherit") == 0) {
		int fd = (int)strtoul(k42_argv[2], NULL, 10);

		return k42_write(fd, "hello via fd", 12) == 12 ? 0 : 2;
	}
	return 1;
}
