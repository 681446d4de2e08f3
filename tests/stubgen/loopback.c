/*
 * Loopback IPC transport for host tests (see loopback.h). Pages are heap
 * buffers of exactly K42_IPC_PAGE_BYTES, so AddressSanitizer catches any
 * write past the page; bytes past a message's length are poisoned while the
 * other side reads it, so any read past m->len is caught too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k42/errno.h>
#include <k42/layout.h>

#include "loopback.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MAX_BINDINGS 16
#define CLIENT_PID 4242

struct binding {
	k42_handle_t handle;
	lb_dispatch_fn fn;
	uint64_t rights;
};

static struct binding bindings[MAX_BINDINGS];
static int nbindings;
static lb_hook_fn request_hook;
static lb_hook_fn reply_hook;
static struct k42_ipc_msg client_msg;
static uint8_t *server_page;

/* Bulk data by reference, as the kernel checks it: what the client lends
 * for its next call (k42_ipc_grant), and the call being served. */
#define LB_CALL_HANDLE 0x7001u
static struct { const uint8_t *buf; uint64_t len; unsigned prot; } lent, serving;
static int in_call;

unsigned long lb_delivered;
const struct k42_ipc_regs *lb_regs;
unsigned long lb_reg_calls;
static struct k42_ipc_msg *reg_reply;	/* the call a register-level entry serves */
static int reg_replied;
unsigned long lb_impl_calls;
long lb_last_status;
uint64_t lb_last_pid;
int lb_failures;

static uint8_t *page_alloc(void)
{
	uint8_t *p = malloc(K42_IPC_PAGE_BYTES);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	return p;
}

void lb_bind(k42_handle_t handle, lb_dispatch_fn fn, uint64_t rights)
{
	for (int i = 0; i < nbindings; i++) {
		if (bindings[i].handle == handle) {
			bindings[i].fn = fn;
			bindings[i].rights = rights;
			return;
		}
	}
	if (nbindings == MAX_BINDINGS) {
		fprintf(stderr, "loopback: too many bindings\n");
		exit(2);
	}
	bindings[nbindings++] = (struct binding){ handle, fn, rights };
}

void lb_set_request_hook(lb_hook_fn hook) { request_hook = hook; }
void lb_set_reply_hook(lb_hook_fn hook) { reply_hook = hook; }

void lb_impl_enter(void)
{
	lb_impl_calls++;
	if (server_page)
		UNPOISON(server_page, K42_IPC_PAGE_BYTES);
}

struct k42_ipc_msg *k42_ipc_msg_get(void)
{
	if (!client_msg.page)
		client_msg.page = page_alloc();
	UNPOISON(client_msg.page, K42_IPC_PAGE_BYTES);
	return &client_msg;
}

static struct binding *lookup(k42_handle_t handle)
{
	for (int i = 0; i < nbindings; i++)
		if (bindings[i].handle == handle)
			return &bindings[i];
	return NULL;
}

/*
 * The "kernel": copy `in` into a fresh server page (garbage-filled, so the
 * server cannot rely on zeroes), dispatch, and leave the server's reply in
 * `srv`. The caller frees srv->page.
 */
static long deliver(struct binding *b, const struct k42_ipc_msg *in,
		    struct k42_ipc_msg *srv)
{
	struct k42_ipc_caller caller = { CLIENT_PID, b->handle, b->rights };
	uint32_t n = in->len < K42_IPC_PAGE_BYTES ? in->len : K42_IPC_PAGE_BYTES;

	srv->page = page_alloc();
	memset(srv->page, 0xa5, K42_IPC_PAGE_BYTES);
	srv->op = in->op;
	memcpy(srv->w, in->w, sizeof srv->w);
	srv->len = in->len;
	memcpy(srv->page, in->page, n);
	if (request_hook)
		request_hook(srv);
	server_page = srv->page;
	n = srv->len < K42_IPC_PAGE_BYTES ? srv->len : K42_IPC_PAGE_BYTES;
	POISON(srv->page + n, K42_IPC_PAGE_BYTES - n);
	lb_delivered++;
	lb_last_pid = caller.pid;
	if (lb_regs && k42_ipc_op_ordinal(srv->op) < lb_regs->n &&
	    lb_regs->m[k42_ipc_op_ordinal(srv->op)].op == srv->op) {
		/* As libk42's lean entry: the words in registers, the answer
		 * from k42_ipc_reply_regs; what it leaves in the page is
		 * garbage (a generated entry's reply carries no bytes). */
		lb_reg_calls++;
		reg_reply = srv;
		reg_replied = 0;
		lb_regs->m[k42_ipc_op_ordinal(srv->op)].fn(&caller, srv->op, srv->w[0], srv->w[1],
							  srv->w[2], srv->w[3], srv->w[4], srv->w[5]);
		reg_reply = NULL;
		if (reg_replied != 1) {
			fprintf(stderr, "loopback: a register-level entry replied %d times\n",
				reg_replied);
			lb_failures++;
		}
		lb_last_status = (long)srv->op;
	} else {
		lb_last_status = b->fn(&caller, srv);
	}
	UNPOISON(srv->page, K42_IPC_PAGE_BYTES);
	server_page = NULL;
	if ((long)srv->op != lb_last_status) {
		fprintf(stderr, "loopback: dispatch returned %ld but left op %ld\n",
			lb_last_status, (long)srv->op);
		lb_failures++;
	}
	return lb_last_status;
}

void k42_ipc_grant(const void *buf, uint64_t len, unsigned prot)
{
	lent.buf = buf;
	lent.len = len;
	lent.prot = prot;
}

uint64_t k42_ipc_handle(void)
{
	return in_call ? LB_CALL_HANDLE : 0;
}

static long grant_check(uint64_t handle, uint64_t off, uint64_t len, unsigned prot)
{
	if (!in_call || handle != LB_CALL_HANDLE)
		return -K42_EBADH;
	if (off > serving.len || len > serving.len - off)
		return -K42_EINVAL;	/* (no grant: length 0) */
	if (!(serving.prot & prot))
		return -K42_EACCES;
	return 0;
}

long k42_ipc_grant_read(uint64_t handle, uint64_t off, void *dst, uint64_t len)
{
	long rc = grant_check(handle, off, len, K42_PROT_READ);

	if (rc == 0)
		memcpy(dst, serving.buf + off, len);
	return rc;
}

long k42_ipc_grant_write(uint64_t handle, uint64_t off, const void *src, uint64_t len)
{
	long rc = grant_check(handle, off, len, K42_PROT_WRITE);

	if (rc == 0)
		memcpy((uint8_t *)serving.buf + off, src, len);
	return rc;
}

void *k42_ipc_bulk_alloc(uint32_t len)
{
	return calloc(1, len ? len : 1);
}

void k42_ipc_bulk_free(void *p)
{
	free(p);
}

unsigned long lb_grants;

long k42_ipc_call(k42_handle_t target, struct k42_ipc_msg *m)
{
	struct binding *b = lookup(target);
	struct k42_ipc_msg srv;
	uint32_t n;

	/* The grant goes with this call (a message lends nothing), or with
	 * none if it is refused. */
	serving = lent;
	lent.len = 0;
	if (k42_ipc_op_flags(m->op) & K42_IPC_FLAG_ONEWAY)
		serving.len = 0;
	lb_grants += serving.len != 0;
	if (!b)
		return -K42_EBADH;
	if (m->len > K42_IPC_PAGE_BYTES || k42_ipc_op_len(m->op) != m->len)
		return -K42_EPROTO;	/* the kernel refuses these */
	in_call = 1;
	deliver(b, m, &srv);
	in_call = 0;
	serving.len = 0;
	if (k42_ipc_op_flags(m->op) & K42_IPC_FLAG_ONEWAY) {
		free(srv.page);
		return 0;		/* queued; the server's status is not seen */
	}
	if (reply_hook)
		reply_hook(&srv);
	m->op = srv.op;
	memcpy(m->w, srv.w, sizeof m->w);
	m->len = srv.len;
	/* A (hostile) length past the page copies only the page. */
	n = srv.len < K42_IPC_PAGE_BYTES ? srv.len : K42_IPC_PAGE_BYTES;
	memcpy(m->page, srv.page, n);
	POISON(m->page + n, K42_IPC_PAGE_BYTES - n);
	free(srv.page);
	return (long)m->op;
}

void k42_ipc_reply_regs(long status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			uint64_t w3, uint64_t w4, uint64_t w5)
{
	reg_replied++;
	if (!reg_reply)
		return;		/* (libk42: no call being served) */
	reg_reply->op = (uint64_t)status;
	reg_reply->w[0] = w0;
	reg_reply->w[1] = w1;
	reg_reply->w[2] = w2;
	reg_reply->w[3] = w3;
	reg_reply->w[4] = w4;
	reg_reply->w[5] = w5;
	reg_reply->len = 0;
	if (len > K42_IPC_PAGE_BYTES) {
		reg_reply->op = (uint64_t)-K42_EINVAL;	/* libk42: a handler's bad reply */
	} else {
		reg_reply->len = (uint32_t)len;		/* the bytes the page holds */
	}
}

/* Asynchronous calls: over the loopback the call runs at start; finish
 * hands over what it answered. */
long k42_ipc_start(k42_handle_t target, struct k42_ipc_pending *p)
{
	p->status = k42_ipc_call(target, &p->msg);
	p->done = 1;
	return 0;
}

long k42_ipc_finish(struct k42_ipc_pending *p)
{
	if (!p->done)
		return -K42_EINVAL;
	p->done = 0;
	return p->status;
}

long lb_raw(k42_handle_t handle, uint64_t op, const uint64_t w[K42_IPC_WORDS],
	    const void *page, uint32_t len, struct k42_ipc_msg *reply)
{
	struct binding *b = lookup(handle);
	struct k42_ipc_msg in = { .op = op, .len = len };
	struct k42_ipc_msg srv;
	long rc;

	if (!b)
		return -K42_EBADH;
	in.page = page_alloc();
	memset(in.page, 0, K42_IPC_PAGE_BYTES);
	if (page)
		memcpy(in.page, page,
		       len < K42_IPC_PAGE_BYTES ? len : K42_IPC_PAGE_BYTES);
	if (w)
		memcpy(in.w, w, sizeof in.w);
	serving.len = 0;	/* a hand-built request lends nothing */
	in_call = 1;
	rc = deliver(b, &in, &srv);
	in_call = 0;
	free(in.page);
	if (reply) {
		reply->op = srv.op;
		memcpy(reply->w, srv.w, sizeof reply->w);
		reply->len = srv.len;
		reply->page = NULL;
	}
	free(srv.page);
	return rc;
}

void lb_check(int ok, const char *what, const char *file, int line)
{
	if (ok) {
		printf("ok   %s\n", what);
	} else {
		printf("FAIL %s (%s:%d)\n", what, file, line);
		lb_failures++;
	}
}

int lb_finish(void)
{
	printf("%s: %d failure(s)\n", lb_failures ? "FAILED" : "passed",
	       lb_failures);
	free(client_msg.page);
	return lb_failures ? 1 : 0;
}
