/*
 * AF_UNIX sockets on the Linux personality (a static musl program): a
 * socketpair across fork, a named stream socket served to a forked
 * client (bind, listen, accept4, connect, getsockname, getpeername,
 * shutdown, SO_TYPE, a 200 KiB transfer, poll), datagrams with sendto,
 * recvfrom, sendmsg and recvmsg, and the errors Linux gives (ECONNREFUSED,
 * EFAULT, ENOTSOCK, EPIPE with SIGPIPE ignored, EINTR when a signal
 * without SA_RESTART ends a blocked accept or recv). One verdict line:
 * "sock: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("sock: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

static struct sockaddr_un addr_of(const char *path)
{
	struct sockaddr_un a;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, path);
	return a;
}

static void pair_across_fork(void)
{
	int sv[2], st;
	char buf[16];
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (read(sv[1], buf, 4) != 4 || memcmp(buf, "ping", 4) != 0)
			_exit(2);
		_exit(write(sv[1], "pong", 4) == 4 ? 0 : 3);
	}
	close(sv[1]);
	CHECK(write(sv[0], "ping", 4) == 4, "write to the pair");
	CHECK(read(sv[0], buf, sizeof(buf)) == 4 && memcmp(buf, "pong", 4) == 0, "pong from the child");
	CHECK(read(sv[0], buf, sizeof(buf)) == 0, "end of stream after the child's exit");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the pair's child: status %#x", st);
	close(sv[0]);
}

#define BIG (200 * 1024)
static char big[BIG], got[BIG];

static void stream_server(void)
{
	struct sockaddr_un a = addr_of("/tmp/sock.s"), peer;
	socklen_t len;
	int ls, cs, type, st;
	pid_t pid;
	long n, total;
	struct pollfd pfd;

	unlink(a.sun_path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(ls >= 0, "socket");
	CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	CHECK(listen(ls, 4) == 0, "listen");
	len = sizeof(type);
	CHECK(getsockopt(ls, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM &&
	      len == sizeof(int), "SO_TYPE");
	len = sizeof(peer);
	CHECK(getsockname(ls, (struct sockaddr *)&peer, &len) == 0 &&
	      strcmp(peer.sun_path, "/tmp/sock.s") == 0, "getsockname");
	for (int i = 0; i < BIG; i++)
		big[i] = (char)(i * 7 + i / 251);
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);

		close(ls);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(2);
		for (total = 0; total < BIG; total += n)
			if ((n = write(c, big + total, BIG - total)) <= 0)
				_exit(3);
		shutdown(c, SHUT_WR);
		n = read(c, got, 16);
		_exit(n == 2 && memcmp(got, "ok", 2) == 0 ? 0 : 4);
	}
	pfd.fd = ls;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "poll on the listener");
	len = sizeof(peer);
	cs = accept4(ls, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	CHECK(cs >= 0, "accept4");
	CHECK(getpeername(cs, (struct sockaddr *)&peer, &len) == 0, "getpeername");
	for (total = 0; total < BIG; total += n) {
		n = recv(cs, got + total, BIG - total, 0);
		if (n <= 0)
			break;
	}
	CHECK(total == BIG && memcmp(big, got, BIG) == 0, "200 KiB through the stream: %ld bytes", total);
	CHECK(recv(cs, got, 1, 0) == 0, "end of stream after shutdown");
	CHECK(send(cs, "ok", 2, 0) == 2, "send back");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the stream client: status %#x", st);
	/* The peer is gone: EPIPE (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	n = send(cs, "x", 1, 0);
	if (n == 1)	/* the first may still be taken */
		n = send(cs, "x", 1, 0);
	CHECK(n == -1 && errno == EPIPE, "send to a closed peer gave %ld", n);
	close(cs);
	close(ls);
	unlink(a.sun_path);
	/* Nobody listens there now. */
	cs = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(cs, (struct sockaddr *)&a, sizeof(a)) == -1 &&
	      (errno == ECONNREFUSED || errno == ENOENT), "connect to nobody");
	close(cs);
}

static void datagrams(void)
{
	struct sockaddr_un a = addr_of("/tmp/sock.d"), b = addr_of("/tmp/sock.e"), from;
	socklen_t len = sizeof(from);
	char buf[64], part1[3], part2[8];
	struct iovec iov[2];
	struct msghdr m;
	int s, t;

	unlink(a.sun_path);
	unlink(b.sun_path);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	t = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && bind(t, (struct sockaddr *)&b, sizeof(b)) == 0,
	      "bind datagram sockets");
	CHECK(sendto(t, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)) == 5, "sendto");
	memset(&from, 0, sizeof(from));
	CHECK(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) == 5 &&
	      memcmp(buf, "hello", 5) == 0 && strcmp(from.sun_path, "/tmp/sock.e") == 0,
	      "recvfrom and the sender's name");
	/* sendmsg gathers two pieces; recvmsg scatters them. */
	static char p1[] = "abc", p2[] = "defgh";

	iov[0] = (struct iovec){ p1, 3 };
	iov[1] = (struct iovec){ p2, 5 };
	memset(&m, 0, sizeof(m));
	m.msg_name = &a;
	m.msg_namelen = sizeof(a);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	CHECK(sendmsg(t, &m, 0) == 8, "sendmsg");
	iov[0] = (struct iovec){ part1, sizeof(part1) };
	iov[1] = (struct iovec){ part2, sizeof(part2) };
	memset(&from, 0, sizeof(from));
	memset(&m, 0, sizeof(m));
	m.msg_name = &from;
	m.msg_namelen = sizeof(from);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	CHECK(recvmsg(s, &m, 0) == 8 && memcmp(part1, "abc", 3) == 0 && memcmp(part2, "defgh", 5) == 0 &&
	      strcmp(from.sun_path, "/tmp/sock.e") == 0 && m.msg_controllen == 0, "recvmsg");
	CHECK(recv(s, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN, "MSG_DONTWAIT on nothing");
	/* Bad pointers are EFAULT, never a crash. */
	CHECK(sendto(t, (void *)16, 5, 0, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EFAULT,
	      "sendto from a bad buffer");
	CHECK(bind(s, (struct sockaddr *)0xd0000000000ul, sizeof(a)) == -1 && errno == EFAULT,
	      "bind with a bad address");
	CHECK(getsockname(s, (struct sockaddr *)&from, (socklen_t *)8) == -1 && errno == EFAULT,
	      "getsockname with a bad length");
	CHECK(shutdown(1, SHUT_RDWR) == -1 && errno == ENOTSOCK, "shutdown of the console");
	close(s);
	close(t);
	unlink(a.sun_path);
	unlink(b.sun_path);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal without SA_RESTART ends a blocked accept and recv (EINTR). */
static void interrupted(void)
{
	struct sockaddr_un a = addr_of("/tmp/sock-eintr");
	struct sigaction sa;
	int l, sv[2];
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	unlink(a.sun_path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0, "eintr listener");
	alarm(1);
	errno = 0;
	CHECK(accept(l, NULL, NULL) == -1 && errno == EINTR, "accept ended by SIGALRM: EINTR");
	close(l);
	unlink(a.sun_path);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "eintr socketpair");
	alarm(1);
	errno = 0;
	CHECK(recv(sv[0], &c, 1, 0) == -1 && errno == EINTR, "recv ended by SIGALRM: EINTR");
	alarm(0);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	pair_across_fork();
	stream_server();
	datagrams();
	interrupted();
	if (!bad)
		printf("sock: ok\n");
	return bad ? 1 : 0;
}
