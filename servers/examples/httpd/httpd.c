/*
 * A small HTTP/1.1 server (docs/network.md), the example of a native program
 * on sockets: `httpd [PORT]` (default 80) serves the file namespace read
 * only — `GET /etc/motd` returns that file — with keep-alive, on a pool
 * of libk42 threads, one per connection being served. GET and HEAD; 404 for a missing file, 403 for a
 * directory, 431 for a request header over 8 KiB, 501 for other methods.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/socket.h>
#include <k42/thread.h>
#include <lib/fmt.h>

#define HEADER_MAX 8192
#define CHUNK 16384
#define WORKERS 64	/* connections served at once */

static uint64_t served, connections;

static char *find(const char *h, const char *what)
{
	size_t n = strlen(what);

	for (; *h; h++)
		if (strncmp(h, what, n) == 0)
			return (char *)h;
	return NULL;
}

static int send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		long k = k42_send(fd, p, n, K42_MSG_NOSIGNAL);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int reply(int fd, int code, const char *what, int keep, const char *body)
{
	char h[256];
	size_t bl = strlen(body);
	int n = k_snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Length: %lu\r\n"
			   "Content-Type: text/plain\r\nConnection: %s\r\n\r\n",
			   code, what, bl, keep ? "keep-alive" : "close");

	if (send_all(fd, h, (size_t)n) < 0 || send_all(fd, body, bl) < 0)
		return -1;
	return 0;
}

/* Case-insensitive: does header block h hold "Connection: <v>"? */
static int has_connection(const char *h, const char *v)
{
	for (const char *p = h; (p = find(p, "\n")); ) {
		p++;
		if (strncmp(p, "Connection:", 11) == 0 || strncmp(p, "connection:", 11) == 0) {
			p += 11;
			while (*p == ' ')
				p++;
			return strncmp(p, v, strlen(v)) == 0;
		}
	}
	return 0;
}

static int serve_file(int fd, const char *path, int head, int keep)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Length: %lu\r\n"
				  "Content-Type: application/octet-stream\r\nConnection: %s\r\n\r\n";
	char h[256];
	struct k42_stat st;
	uint8_t *buf;
	int f, n, rc = 0;
	uint64_t left;

	if (k42_stat(path, &st) < 0)
		return reply(fd, 404, "Not Found", keep, "not found\n");
	if ((st.mode & K42_S_IFMT) != K42_S_IFREG)
		return reply(fd, 403, "Forbidden", keep, "not a file\n");
	if ((f = k42_open(path, K42_O_RDONLY, 0)) < 0)
		return reply(fd, 404, "Not Found", keep, "cannot open\n");
	n = k_snprintf(h, sizeof(h), hdr, st.size, keep ? "keep-alive" : "close");
	if (send_all(fd, h, (size_t)n) < 0 || !(buf = malloc(CHUNK))) {
		k42_close(f);
		return -1;
	}
	for (left = head ? 0 : st.size; left && rc == 0; ) {
		long k = k42_read(f, buf, left < CHUNK ? left : CHUNK);

		if (k <= 0)
			rc = -1;	/* the file shrank: the connection cannot be kept */
		else if (send_all(fd, buf, (size_t)k) < 0)
			rc = -1;
		else
			left -= (uint64_t)k;
	}
	free(buf);
	k42_close(f);
	return rc;
}

/* One request on fd from the bytes in req[0..*have); 1: keep going. */
static int one_request(int fd, char *req, size_t *have)
{
	char *end, method[8], path[1024];
	size_t hl;
	int keep, http10, i, j;

	for (;;) {
		long k;

		req[*have] = 0;
		if ((end = find(req, "\r\n\r\n")))
			break;
		if (*have >= HEADER_MAX) {
			reply(fd, 431, "Request Header Fields Too Large", 0, "header too large\n");
			return 0;
		}
		k = k42_recv(fd, req + *have, HEADER_MAX - *have, 0);
		if (k <= 0)
			return 0;
		*have += (size_t)k;
	}
	hl = (size_t)(end + 4 - req);
	end[2] = 0;
	for (i = 0; i < 7 && req[i] && req[i] != ' '; i++)
		method[i] = req[i];
	method[i] = 0;
	while (req[i] == ' ')
		i++;
	for (j = 0; j < (int)sizeof(path) - 1 && req[i] && req[i] != ' ' && req[i] != '\r'; )
		path[j++] = req[i++];
	path[j] = 0;
	http10 = strncmp(req + i, " HTTP/1.0", 9) == 0;
	keep = http10 ? has_connection(req, "keep-alive") : !has_connection(req, "close");
	memmove(req, req + hl, *have - hl);	/* pipelined requests stay */
	*have -= hl;
	if (path[0] != '/')
		return reply(fd, 400, "Bad Request", 0, "bad request\n"), 0;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		reply(fd, 501, "Not Implemented", 0, "GET and HEAD only\n");
		return 0;
	}
	__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
	if (serve_file(fd, path, method[0] == 'H', keep) < 0)
		return 0;
	return keep;
}

static void serve_connection(int fd)
{
	char *req = malloc(HEADER_MAX + 1);
	size_t have = 0;

	if (req)
		while (one_request(fd, req, &have))
			;
	free(req);
	k42_close(fd);
}

static int gone(int rc)
{
	return rc == -K42_EBADH || rc == -K42_EDEAD || rc == -K42_ESRCH || rc == -K42_EINVAL;
}

/* A worker: take a connection, serve it to its end, take the next. */
static void *worker(void *arg)
{
	int l = (int)(intptr_t)arg;

	for (;;) {
		int c = k42_accept(l, NULL, NULL);

		if (c >= 0) {
			__atomic_add_fetch(&connections, 1, __ATOMIC_RELAXED);
			serve_connection(c);
		} else if (gone(c)) {
			k42_printf("httpd: the network server went away: %s\n", k42_strerror(c));
			k42_sc_exit(1);
		}
	}
	return NULL;
}

int main(uint64_t argc)
{
	struct k42_sockaddr_in a = { K42_AF_INET, 0, 0, { 0 } };
	unsigned long port = argc > 1 ? strtoul(k42_argv[1], NULL, 10) : 80;
	int l, one = 1, tries;

	a.port = k42_htons((uint16_t)port);
	/* The network server may still be coming up. */
	for (tries = 0; (l = k42_socket(K42_AF_INET, K42_SOCK_STREAM, 0)) < 0 && tries < 200; tries++)
		k42_thread_sleep_us(50000);	/* not registered yet, or restarting */
	if (l < 0 || k42_setsockopt(l, K42_SOL_SOCKET, K42_SO_REUSEADDR, &one, 4) < 0 ||
	    k42_bind(l, &a, sizeof(a)) < 0 || k42_listen(l, 128) < 0) {
		k42_printf("httpd: cannot listen on port %lu: %s\n", port,
			   k42_strerror(l < 0 ? l : -K42_EADDRINUSE));
		return 1;
	}
	/* The workers exist before the first client: a burst of clients
	 * finds them waiting. */
	for (int i = 1; i < WORKERS; i++) {
		k42_thread_t *t = k42_thread_create(worker, (void *)(intptr_t)l);

		if (!t)
			break;
		k42_thread_detach(t);
	}
	k42_printf("httpd: listening on port %lu\n", port);
	worker((void *)(intptr_t)l);
	return 0;
}
