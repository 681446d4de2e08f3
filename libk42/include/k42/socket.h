/*
 * Sockets (docs/network.md): descriptors of the file layer (<k42/fs.h>) whose
 * objects live in the server of their address family, reached over
 * idl/sock.idl — AF_UNIX in the local socket server, AF_INET in the
 * network server. POSIX-shaped like the rest of the file layer: Linux's
 * numeric constants (powerpc64) and address layouts, 0 or a count on
 * success, a negative -K42_E* (Linux's errno number) on failure. read,
 * write, close, dup, fcntl(O_NONBLOCK), poll and inheritance across spawn
 * work on sockets as on any descriptor.
 */
#ifndef K42_SOCKET_H
#define K42_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#define K42_AF_UNSPEC 0
#define K42_AF_UNIX   1
#define K42_AF_INET   2

#define K42_SOCK_STREAM   1
#define K42_SOCK_DGRAM    2
#define K42_SOCK_NONBLOCK 04000		/* K42_O_NONBLOCK */
#define K42_SOCK_CLOEXEC  02000000	/* K42_O_CLOEXEC */

#define K42_SOL_SOCKET     1
#define K42_SO_REUSEADDR   2
#define K42_SO_TYPE        3
#define K42_SO_ERROR       4
#define K42_SO_SNDBUF      7
#define K42_SO_RCVBUF      8
#define K42_SO_KEEPALIVE   9
#define K42_SO_RCVTIMEO    18		/* powerpc values */
#define K42_SO_SNDTIMEO    19
#define K42_SO_ACCEPTCONN  30
#define K42_SO_DOMAIN      39
#define K42_IPPROTO_TCP    6
#define K42_IPPROTO_UDP    17
#define K42_TCP_NODELAY    1

#define K42_MSG_PEEK      0x2
#define K42_MSG_DONTWAIT  0x40
#define K42_MSG_NOSIGNAL  0x4000

#define K42_SHUT_RD   0
#define K42_SHUT_WR   1
#define K42_SHUT_RDWR 2

#define K42_S_IFSOCK 0140000

struct k42_sockaddr {
	uint16_t family;
	char data[14];
};

/* AF_UNIX: a path, or an abstract name when path[0] is 0. The names live
 * in the socket server, not in the file system. */
struct k42_sockaddr_un {
	uint16_t family;
	char path[108];
};

/* AF_INET: port and address in network byte order. */
struct k42_sockaddr_in {
	uint16_t family;
	uint16_t port;
	uint32_t addr;
	uint8_t zero[8];
};

struct k42_timeval {
	int64_t sec, usec;
};

int k42_socket(int family, int type, int protocol);
int k42_socketpair(int family, int type, int protocol, int fds[2]);
int k42_bind(int fd, const void *addr, uint32_t len);
int k42_listen(int fd, int backlog);
int k42_accept(int fd, void *addr, uint32_t *len);
int k42_accept4(int fd, void *addr, uint32_t *len, int flags);	/* SOCK_NONBLOCK|CLOEXEC */
int k42_connect(int fd, const void *addr, uint32_t len);
long k42_send(int fd, const void *buf, size_t n, int flags);
long k42_recv(int fd, void *buf, size_t n, int flags);
long k42_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, uint32_t len);
long k42_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, uint32_t *len);
int k42_shutdown(int fd, int how);
int k42_getsockname(int fd, void *addr, uint32_t *len);
int k42_getpeername(int fd, void *addr, uint32_t *len);
int k42_setsockopt(int fd, int level, int name, const void *val, uint32_t len);
int k42_getsockopt(int fd, int level, int name, void *val, uint32_t *len);

static inline uint16_t k42_htons(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

static inline uint32_t k42_htonl(uint32_t v)
{
	return __builtin_bswap32(v);
}

#define k42_ntohs k42_htons
#define k42_ntohl k42_htonl

#endif
