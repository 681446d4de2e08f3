/*
 * The AF_UNIX socket server (docs/network.md): idl/sock.idl over the sockets
 * of usock.c, registered as "sock/unix". Handles are bound to the calling
 * process (k42_obj_grant); a socket lives until its last handle closes.
 * Calls run one at a time on the upcall stack (k42_serve) and never
 * block, so nothing here needs a lock; a caller that must wait is woken
 * by the I/O doorbell (k42_io_notify) when its socket changes.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include <k42/fs.h>
#include <k42/server.h>
#include "sock.h"
#include "usock.h"

#define AF_UNIX 1
#define MSG_PEEK 0x2

void usock_notify(uint32_t pid)
{
	(void)k42_io_notify(pid);
}

K42_SERVER_GET(get, struct usock, SOCK_RIGHT_USE)
/* A handle for pid on s, taking over one reference (dropped on failure). */
K42_SERVER_GRANT(grant, struct usock, SOCK_RIGHT_USE, usock_unref)

long sock_socket_impl(const struct k42_ipc_caller *c, uint32_t family, uint32_t type,
		      uint32_t protocol, k42_handle_t *h)
{
	struct usock *s;

	if (family != AF_UNIX)
		return -K42_EAFNOSUPPORT;
	if (type != US_STREAM && type != US_DGRAM)
		return -K42_EINVAL;
	if (protocol != 0)
		return -K42_EPROTONOSUPPORT;
	if (!(s = usock_new((int)type)))
		return -K42_ENOMEM;
	return grant(s, c->pid, h);
}

long sock_pair_impl(const struct k42_ipc_caller *c, uint32_t type, k42_handle_t *a,
		    k42_handle_t *b)
{
	struct usock *x, *y;
	long rc;

	if (type != US_STREAM && type != US_DGRAM)
		return -K42_EINVAL;
	if ((rc = usock_pair((int)type, &x, &y)) < 0)
		return rc;
	if ((rc = grant(x, c->pid, a)) < 0) {
		usock_unref(y);
		return rc;
	}
	if ((rc = grant(y, c->pid, b)) < 0) {
		k42_obj_revoke(*a);
		usock_unref(x);
	}
	return rc;
}

long sock_bind_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *addr,
		    uint32_t len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_bind(s, addr, len);
}

long sock_listen_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t backlog)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_listen(s, backlog);
}

long sock_accept_impl(const struct k42_ipc_caller *c, k42_handle_t h, bool arm, k42_handle_t *ch,
		      uint8_t *peer, uint32_t peer_cap, uint32_t *peer_len)
{
	struct usock *s, *n;
	long rc = get(c, h, &s);

	(void)peer_cap;	/* SOCK_ADDR_MAX >= USOCK_ADDR_MAX */
	if (rc < 0 || (rc = usock_accept(s, k42_server_waiter(c, arm), &n, peer, peer_len)) < 0)
		return rc;
	return grant(n, c->pid, ch);
}

long sock_connect_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *addr,
		       uint32_t len, bool arm)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_connect(s, addr, len, k42_server_waiter(c, arm));
}

long sock_send_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *data,
		    uint32_t len, uint32_t flags, bool arm, uint32_t *sent)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)flags;
	return rc < 0 ? rc : usock_send(s, data, len, k42_server_waiter(c, arm), sent);
}

long sock_recv_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count, uint32_t flags,
		    bool arm, uint8_t *data, uint32_t cap, uint32_t *len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_recv(s, data, count < cap ? count : cap, (flags & MSG_PEEK) != 0,
					k42_server_waiter(c, arm), len);
}

/* By reference (bulk): the bytes go through this staging buffer; calls
 * run one at a time, so one buffer serves them all. */
static uint8_t bulk[SOCK_BULK_MAX];

long sock_send_bulk_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			 uint32_t flags, bool arm, uint32_t *sent)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)flags;
	if (rc < 0)
		return rc;
	if (s->type == US_DGRAM || count > SOCK_BULK_MAX)
		return -K42_EINVAL;
	if (count && (rc = k42_ipc_grant_read(k42_ipc_handle(), 0, bulk, count)) < 0)
		return rc;
	return usock_send(s, bulk, count, k42_server_waiter(c, arm), sent);
}

long sock_recv_bulk_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			 uint32_t flags, bool arm, uint32_t *got)
{
	struct usock *s;
	long rc = get(c, h, &s);
	uint32_t n = 0;

	if (rc < 0)
		return rc;
	if (s->type == US_DGRAM || count > SOCK_BULK_MAX)
		return -K42_EINVAL;
	/* Look first, copy out, and only then take: a bad grant takes nothing. */
	if ((rc = usock_recv(s, bulk, count, 1, k42_server_waiter(c, arm), &n)) < 0 || !n) {
		*got = 0;
		return rc;
	}
	if ((rc = k42_ipc_grant_write(k42_ipc_handle(), 0, bulk, n)) < 0)
		return rc;
	if (!(flags & MSG_PEEK))
		(void)usock_recv(s, bulk, n, 0, 0, &n);
	*got = n;
	return 0;
}

long sock_sendto_impl(const struct k42_ipc_caller *c, k42_handle_t h, const uint8_t *data,
		      uint32_t len, const uint8_t *addr, uint32_t alen, uint32_t flags, bool arm,
		      uint32_t *sent)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)flags;
	return rc < 0 ? rc : usock_sendto(s, data, len, addr, alen, k42_server_waiter(c, arm), sent);
}

long sock_recvfrom_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t count,
			uint32_t flags, bool arm, uint8_t *data, uint32_t cap, uint32_t *len,
			uint8_t *from, uint32_t from_cap, uint32_t *from_len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)from_cap;
	return rc < 0 ? rc : usock_recvfrom(s, data, count < cap ? count : cap,
					    (flags & MSG_PEEK) != 0, k42_server_waiter(c, arm), len, from,
					    from_len);
}

long sock_shutdown_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t how)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_shutdown(s, (int)how);
}

long sock_getname_impl(const struct k42_ipc_caller *c, k42_handle_t h, bool peer, uint8_t *addr,
		       uint32_t cap, uint32_t *len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)cap;
	return rc < 0 ? rc : usock_getname(s, peer, addr, len);
}

long sock_setopt_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t level, uint32_t name,
		      const uint8_t *value, uint32_t len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	return rc < 0 ? rc : usock_setopt(s, level, name, value, len);
}

long sock_getopt_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t level, uint32_t name,
		      uint8_t *value, uint32_t cap, uint32_t *len)
{
	struct usock *s;
	long rc = get(c, h, &s);

	(void)cap;	/* SOCK_OPT_MAX >= 4 */
	return rc < 0 ? rc : usock_getopt(s, level, name, value, len);
}

long sock_poll_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint32_t events, bool arm,
		    uint32_t *revents)
{
	struct usock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	*revents = usock_poll(s, events, k42_server_waiter(c, arm));
	return 0;
}

long sock_share_impl(const struct k42_ipc_caller *c, k42_handle_t h, uint64_t pid,
		     k42_handle_t *nh)
{
	struct usock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	if (!pid)
		return -K42_EINVAL;
	usock_ref(s);
	return grant(s, pid, nh);
}

long sock_close_impl(const struct k42_ipc_caller *c, k42_handle_t h)
{
	struct usock *s;
	long rc = get(c, h, &s);

	if (rc < 0)
		return rc;
	k42_obj_revoke(h);
	usock_unref(s);
	return 0;
}

static const struct k42_server server = {
	"unixsock", SOCK_IFACE_ID, SOCK_RIGHT_USE, sock_dispatch, false, &sock_regs
};

int main(uint64_t argc)
{
	(void)argc;
	_Static_assert(SOCK_ADDR_MAX >= USOCK_ADDR_MAX, "addresses fit the IDL's bound");
	if (k42_server_start(&server, "sock/unix") < 0)
		return 1;
	k42_server_idle();
}
