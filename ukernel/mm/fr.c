/*
 * File representatives (see mm/fr.h). FRs live in a fixed table; a handle
 * is the slot index plus a random key, so a process cannot name an FR it
 * was not given. Pending page-ins are tracked by token with their waiters.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <arch/spr.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/trace.h>
#include <mm/fcm.h>
#include <mm/fr.h>
#include <mm/fr_internal.h>
#include <mm/pm.h>

#define FR_MAX 256
#define FR_MAX_RESIDENT 256	/* pages per file FCM before it evicts */
#define PENDING_MAX 64
#define WAITERS_MAX 64	/* per page; beyond that a fault is refused (see fr_add_waiter) */

/* How a file representative reaches its file's data: today one way, a
 * one-way message to the user-level server that owns the file. Another
 * FR (a disk driver in the kernel, a network file) is another ops table. */
struct fr_ops {
	const char *name;
	int (*request)(struct fr *fr, uint64_t pgoff, uint64_t token);
};

struct fr {
	const struct fr_ops *ops;
	int in_use;
	uint32_t key;
	uint32_t server;	/* pid */
	uint64_t file_id;
	uint64_t size;
	struct fcm *fcm;
};

struct pending {
	uint64_t token;		/* 0: free slot */
	struct fr *fr;
	uint64_t pgoff;
	int nwaiters;
	struct {
		struct dispatcher *d;
		int async;
	} waiters[WAITERS_MAX];
};

static struct fr frs[FR_MAX];
static int server_request(struct fr *fr, uint64_t pgoff, uint64_t token);
static const struct fr_ops server_fr_ops = { "user-level server", server_request };
static struct pending pending[PENDING_MAX];
static uint32_t key_state = 0x9e3779b9u;

static uint32_t next_key(void)
{
	/* xorshift, stirred with the timebase: unguessable enough for handles. */
	key_state ^= (uint32_t)mftb();
	key_state ^= key_state << 13;
	key_state ^= key_state >> 17;
	key_state ^= key_state << 5;
	return (key_state & 0x7fffffffu) | 1;	/* keeps handles positive as a long */
}

int fr_create(struct process *server, uint64_t file_id, uint64_t size, uint64_t *handle)
{
	for (int i = 0; i < FR_MAX; i++) {
		struct fr *fr = &frs[i];

		if (fr->in_use)
			continue;
		fr->fcm = fcm_file_create(fr, FR_MAX_RESIDENT);
		if (!fr->fcm)
			return -K42_ENOMEM;
		fr->ops = &server_fr_ops;
		fr->in_use = 1;
		fr->key = next_key();
		fr->server = server->pid;
		fr->file_id = file_id;
		fr->size = size;
		*handle = (uint64_t)i | ((uint64_t)fr->key << 32);
		return 0;
	}
	return -K42_ENOSPC;
}

struct fr *fr_lookup(uint64_t handle)
{
	uint64_t i = handle & 0xffffffffu;

	if (i >= FR_MAX || !frs[i].in_use || frs[i].key != (uint32_t)(handle >> 32))
		return NULL;
	return &frs[i];
}

struct fcm *fr_fcm(struct fr *fr)
{
	return fr->fcm;
}

uint64_t fr_size(struct fr *fr)
{
	return fr->size;
}

static struct pending *pending_find(uint64_t token)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i].token == token)
			return &pending[i];
	return NULL;
}

int fr_request(struct fr *fr, uint64_t pgoff, uint64_t token)
{
	return fr->ops->request(fr, pgoff, token);
}

static int server_request(struct fr *fr, uint64_t pgoff, uint64_t token)
{
	struct process *srv = process_lookup(fr->server);
	struct k42_disp_shared *sh;
	struct pending *pe = pending_find(0);
	struct k42_msg *m;

	if (!srv || srv->state != K42_PROC_RUNNING)
		return -K42_EDEAD;
	if (!pe)
		return -K42_EBUSY;
	sh = srv->disp.shared;
	if (sh->msg_head - sh->msg_tail >= K42_DISP_MSGS)
		return -K42_EBUSY;
	pe->token = token;
	pe->fr = fr;
	pe->pgoff = pgoff;
	pe->nwaiters = 0;
	m = &sh->msgs[sh->msg_head % K42_DISP_MSGS];
	memset(m, 0, sizeof(*m));
	m->sender = 0;
	m->op = K42_MSG_FR_PAGEIN;
	m->w[0] = (uint64_t)(fr - frs) | ((uint64_t)fr->key << 32);
	m->w[1] = fr->file_id;
	m->w[2] = pgoff * PM_PAGE_SIZE;
	__atomic_store_n(&sh->msg_head, sh->msg_head + 1, __ATOMIC_RELEASE);
	disp_raise(&srv->disp, K42_SOFTINTR_MSG);
	return 0;
}

int fr_add_waiter(uint64_t token, struct dispatcher *d, int async)
{
	struct pending *pe = pending_find(token);

	if (!pe)
		return -K42_ENOENT;
	for (int i = 0; i < pe->nwaiters; i++)
		if (pe->waiters[i].d == d && pe->waiters[i].async == async)
			return 0;	/* one wake-up per dispatcher and kind is enough */
	if (pe->nwaiters == WAITERS_MAX)
		return -K42_EBUSY;
	pe->waiters[pe->nwaiters].d = d;
	pe->waiters[pe->nwaiters].async = async;
	pe->nwaiters++;
	return 0;
}

static void copy_page(uint64_t pa, const void *src)
{
	memcpy(phys_to_virt(pa), src, PM_PAGE_SIZE);
}

static void wake_waiters(struct pending *pe, long status)
{
	trace_fault_complete(pe->token);
	for (int i = 0; i < pe->nwaiters; i++) {
		struct dispatcher *d = pe->waiters[i].d;
		struct k42_disp_shared *sh = d->shared;

		if (d->state == DS_DEAD)
			continue;
		if (pe->waiters[i].async) {
			uint64_t tok = pe->token | (status < 0 ? (1ull << 63) : 0);

			if (sh->pgflt_head - sh->pgflt_tail < K42_DISP_PGFLT_DONE) {
				sh->pgflt_done[sh->pgflt_head % K42_DISP_PGFLT_DONE] = tok;
				__atomic_store_n(&sh->pgflt_head, sh->pgflt_head + 1, __ATOMIC_RELEASE);
			} else if (d->npgflt_backlog < (int)(sizeof(d->pgflt_backlog) / 8)) {
				/* Delivered when the ring has room (kern/sched.c). */
				d->pgflt_backlog[d->npgflt_backlog++] = tok;
			} else {
				process_end(d->proc, K42_PROC_KILLED, -1,
					    "more than 96 page-fault completions outstanding");
				continue;
			}
			disp_raise(d, K42_SOFTINTR_PGFLT);
		} else if (d->state == DS_PAGE_WAIT) {
			if (status < 0)
				process_end(d->proc, K42_PROC_KILLED, -1, "page-in failed at its file server");
			else
				disp_wake(d);
		}
	}
	pe->token = 0;
}

int fr_complete(struct process *server, uint64_t handle, uint64_t offset, long status,
		const void *data)
{
	struct fr *fr = fr_lookup(handle);
	struct pending *pe = NULL;
	uint64_t pgoff = offset / PM_PAGE_SIZE, token;
	int rc;

	if (!fr || fr->server != server->pid)
		return -K42_EBADH;
	if (offset % PM_PAGE_SIZE)
		return -K42_EINVAL;
	token = fcm_file_token(fr->fcm, pgoff);
	if (token)
		pe = pending_find(token);
	if (!token || !pe)
		return -K42_ENOENT;	/* nobody asked for this page */
	rc = fcm_file_fill(fr->fcm, pgoff, token, status < 0 ? status : 0, copy_page, data);
	if (rc < 0)
		return rc;
	wake_waiters(pe, status);
	return 0;
}

void fr_server_gone(struct process *server)
{
	for (int i = 0; i < PENDING_MAX; i++) {
		struct pending *pe = &pending[i];

		if (pe->token && pe->fr->server == server->pid) {
			fcm_file_fill(pe->fr->fcm, pe->pgoff, pe->token, -K42_EDEAD, copy_page, NULL);
			wake_waiters(pe, -K42_EDEAD);
		}
	}
	for (int i = 0; i < FR_MAX; i++)
		if (frs[i].in_use && frs[i].server == server->pid)
			frs[i].server = 0;	/* later page-ins fail with EDEAD */
}
