/*
 * Helper of the network tests (tools/nettest.py): `net_udp ADDR PORT N`
 * sends N numbered datagrams to an echo server and checks each answer
 * (resending a lost one up to 5 times, 1 s apart).
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <lib/fmt.h>

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

int main(uint64_t argc)
{
	struct k42_sockaddr_in to = { K42_AF_INET, 0, 0, { 0 } }, from;
	struct k42_timeval tv = { 1, 0 };
	int n = argc > 3 ? (int)strtoul(k42_argv[3], NULL, 10) : 20, ok = 0, fd;
	char msg[64], got[64];

	if (argc < 3)
		return 2;
	to.addr = ip(k42_argv[1]);
	to.port = k42_htons((uint16_t)strtoul(k42_argv[2], NULL, 10));
	fd = k42_socket(K42_AF_INET, K42_SOCK_DGRAM, 0);
	if (fd < 0 || k42_setsockopt(fd, K42_SOL_SOCKET, K42_SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		k42_printf("net_udp: socket: %s\n", k42_strerror(fd));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int len = k_snprintf(msg, sizeof(msg), "datagram %d", i);

		for (int tries = 0; tries < 5; tries++) {
			uint32_t fl = sizeof(from);
			long r;

			if (k42_sendto(fd, msg, (size_t)len, 0, &to, sizeof(to)) != len)
				break;
			r = k42_recvfrom(fd, got, sizeof(got), 0, &from, &fl);
			if (r == len && memcmp(got, msg, (size_t)len) == 0 && from.port == to.port) {
				ok++;
				break;
			}
		}
	}
	k42_close(fd);
	k42_printf("net_udp: %d of %d datagrams echoed\n", ok, n);
	return ok == n ? 0 : 1;
}
