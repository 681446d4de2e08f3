/*
 * File representatives (see mm/fr.h). FRs live in a fixed table; a handle
 * is the slot index plus a random key, so a process cannot name an FR it
 * was not given. Each FR keeps its own list of page-ins in flight; each
 * waits for by dispatchers through wait nodes that live in the dispatcher
 * (struct fr_waiter in kern/dispatcher.h).
 *
 * Locking: none of its own. The locked paths run under the kernel lock
 * with interrupts off and call into the FCM (its lock) only without
 * holding anything. The unlocked ones run under their CPU's local lock
 * (which keeps every kernel-lock holder out): fr_ctl_unlocked (the
 * FCM, under its lock, and the FR's fields fixed while it is LIVE), and
 * fr_complete_unlocked, fr_flush_unlocked and a miss's fr_send_*
 * (mm/fr_send.c) (the FR's list of page-ins, under the FCM's lock, which
 * is that list's lock
 * between them; docs/smp.md). Its types are in mm/fr_priv.h.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <arch/spr.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/trace.h>
#include <mm/fcm.h>
#include <mm/fr.h>
#include <mm/fr_internal.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <mm/usercopy.h>
#include "fr_priv.h"

#define FR_MAX_RESIDENT 256	/* pages per file FCM before it evicts */
#define TOKEN_SLOT_SHIFT 40	/* token = (slot + 1) << 40 | sequence */

static struct fr frs[FR_MAX];
static int server_request(struct fr *fr, struct fr_pending *pe);
static const struct fr_ops server_fr_ops = { "user-level server", server_request };
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

		if (__atomic_load_n(&fr->state, __ATOMIC_ACQUIRE) != FR_FREE)
			continue;
		fr->fcm = fcm_file_create(fr, FR_MAX_RESIDENT);
		if (!fr->fcm)
			return -K42_ENOMEM;
		fr->ops = &server_fr_ops;
		fr->key = next_key();
		fr->server = server->pid;
		fr->file_id = file_id;
		fr->size = size;
		fr->pending = NULL;
		fr->npending = 0;
		__atomic_store_n(&fr->state, FR_LIVE, __ATOMIC_RELEASE);	/* lookups find it */
		*handle = (uint64_t)i | ((uint64_t)fr->key << 32);
		return 0;
	}
	return -K42_ENOSPC;
}

/*
 * No lock: the key is written before the state turns LIVE (release), and
 * a slot is reused (new key) only after quiescence, so an FR found LIVE
 * with the handle's key is that FR until the caller's next quiescent
 * point; it may be withdrawn meanwhile, which its users check.
 */
struct fr *fr_lookup(uint64_t handle)
{
	uint64_t i = handle & 0xffffffffu;

	if (i >= FR_MAX || __atomic_load_n(&frs[i].state, __ATOMIC_ACQUIRE) != FR_LIVE ||
	    __atomic_load_n(&frs[i].key, __ATOMIC_RELAXED) != (uint32_t)(handle >> 32))
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

uint64_t fr_next_token(struct fr *fr)
{
	fr->seq = (fr->seq + 1) & ((1ull << TOKEN_SLOT_SHIFT) - 1);
	if (!fr->seq)
		fr->seq = 1;
	return ((uint64_t)(fr - frs) + 1) << TOKEN_SLOT_SHIFT | fr->seq;
}

int fr_room(struct fr *fr)
{
	return FR_PENDING_MAX - fr->npending;
}

int fr_busy(struct fr *fr, uint64_t *token)
{
	struct fr_pending *pe = fr->pending;

	if (fr->npending < FR_PENDING_MAX || !pe)
		return 0;
	while (pe->next)
		pe = pe->next;
	*token = pe->token;
	return 1;
}

int fr_request(struct fr *fr, uint64_t pgoff, uint64_t token)
{
	struct fr_pending *pe;
	int rc;

	if (fr->state != FR_LIVE)
		return -K42_EDEAD;
	if (!(pe = kmem_alloc(sizeof(*pe))))
		return -K42_ENOMEM;
	pe->token = token;
	pe->pgoff = pgoff;
	if ((rc = fr->ops->request(fr, pe)) < 0) {
		kmem_free(pe, sizeof(*pe));
		return rc;
	}
	pe->next = fr->pending;
	fr->pending = pe;
	fr->npending++;
	return 0;
}

/* Put a kernel message about page pgoff of fr in srv's ring: 0, or -1
 * if the ring is full. */
static int send_msg(struct process *srv, struct fr *fr, uint64_t op, uint64_t pgoff)
{
	struct k42_disp_shared *sh = srv->disp.shared;
	struct k42_msg *m;

	if (sh->msg_head - sh->msg_tail >= K42_DISP_MSGS)
		return -1;
	m = &sh->msgs[sh->msg_head % K42_DISP_MSGS];
	memset(m, 0, sizeof(*m));
	m->sender = 0;
	m->op = op;
	m->w[0] = (uint64_t)(fr - frs) | ((uint64_t)fr->key << 32);
	m->w[1] = fr->file_id;
	m->w[2] = pgoff * PM_PAGE_SIZE;
	__atomic_store_n(&sh->msg_head, sh->msg_head + 1, __ATOMIC_RELEASE);
	disp_raise(&srv->disp, K42_SOFTINTR_MSG);
	return 0;
}

int fr_put_pagein(struct process *srv, struct fr *fr, struct fr_pending *pe)
{
	if (send_msg(srv, fr, K42_MSG_FR_PAGEIN, pe->pgoff) < 0)
		return -1;
	pe->sent = 1;
	return 0;
}

int fr_request_pageout(struct fr *fr, uint64_t pgoff)
{
	struct process *srv;

	if (fr->state != FR_LIVE)
		return -1;
	srv = process_lookup(fr->server);
	if (!srv || srv->state != K42_PROC_RUNNING)
		return -1;
	return send_msg(srv, fr, K42_MSG_FR_PAGEOUT, pgoff);
}

static int server_request(struct fr *fr, struct fr_pending *pe)
{
	struct process *srv = process_lookup(fr->server);

	if (!srv || srv->state != K42_PROC_RUNNING)
		return -K42_EDEAD;
	pe->sent = 0;
	pe->waiters = NULL;
	if (fr_put_pagein(srv, fr, pe) < 0) {
		srv->disp.fr_unsent++;	/* sent by fr_flush when the ring has room */
		disp_fast_sync(&srv->disp, FAST_OFF_FR_UNSENT);
	}
	return 0;
}

/* Send what fits of d's page-ins its ring had no room for; `unlocked`:
 * each FR's list walked under its FCM's lock (fr_flush_unlocked). The
 * number sent. */
static uint64_t flush(struct dispatcher *d, int unlocked)
{
	uint32_t pid = d->proc->pid;
	uint64_t sent = 0;

	for (int i = 0; i < FR_MAX && d->fr_unsent; i++) {
		struct fr *fr = &frs[i];
		int full = 0;

		if (__atomic_load_n(&fr->state, __ATOMIC_ACQUIRE) != FR_LIVE || fr->server != pid)
			continue;
		if (unlocked)
			spin_lock(&fr->fcm->lock);
		for (struct fr_pending *pe = fr->pending; pe && d->fr_unsent; pe = pe->next) {
			if (pe->sent)
				continue;
			if (fr_put_pagein(d->proc, fr, pe) < 0) {
				full = 1;
				break;
			}
			d->fr_unsent--;
			disp_fast_sync(d, FAST_OFF_FR_UNSENT);
			sent++;
		}
		if (unlocked)
			spin_unlock(&fr->fcm->lock);
		if (full)
			break;
	}
	return sent;
}

void fr_flush(struct dispatcher *d)
{
	flush(d, 0);
}

/*
 * fr_flush without the kernel lock (mm/sys_mem.c: the fast fr_complete
 * and fr_ctl of a server whose requests found its ring full), under this
 * CPU's local lock, for d = the caller's dispatcher 0, running here and
 * disabled (the caller checks). No kernel-lock holder runs, so no FR of
 * d's is withdrawn and d neither ends nor moves; every writer of d's
 * ring and of d->fr_unsent holds the local lock of the CPU d lives on,
 * this one (fr_send_begin, or the kernel lock); each FR's list of
 * page-ins is walked under its FCM's lock, that list's lock among the
 * unlocked paths (fr_send_*, fr_complete_unlocked). The MSG bit
 * disp_raise sets is taken by d when it enables (an enabled d would need
 * the upcall the locked path makes: not called for one). Sending is what
 * the locked path would do first anyway, so a fast path that declines
 * after it has changed nothing that path would not.
 */
static uint64_t flushes_unlocked;

uint64_t fr_flushes_unlocked(void)
{
	return __atomic_load_n(&flushes_unlocked, __ATOMIC_RELAXED);
}

void fr_flush_unlocked(struct dispatcher *d)
{
	uint64_t sent = flush(d, 1);

	if (sent)
		__atomic_add_fetch(&flushes_unlocked, sent, __ATOMIC_RELAXED);
}

static struct fr *fr_of_token(uint64_t token)
{
	uint64_t slot = token >> TOKEN_SLOT_SHIFT;

	if (slot == 0 || slot > FR_MAX)
		return NULL;
	return &frs[slot - 1];
}

int fr_add_waiter(uint64_t token, struct dispatcher *d, int async)
{
	struct fr *fr = fr_of_token(token);
	struct fr_pending *pe = NULL;
	struct fr_waiter *w = NULL;

	if (fr)
		for (pe = fr->pending; pe && pe->token != token; pe = pe->next)
			;
	if (!pe)
		return -K42_ENOENT;
	if (async) {
		for (int i = 0; i < FR_ASYNC_WAITS; i++) {
			if (d->pgwait_async[i].pe == pe)
				return 0;	/* one wake-up per dispatcher and kind is enough */
			if (!d->pgwait_async[i].pe && !w)
				w = &d->pgwait_async[i];
		}
		if (!w)
			return -K42_EAGAIN;
	} else {
		w = &d->pgwait_sync;
		if (w->pe == pe)
			return 0;
		BUG_ON(w->pe);	/* a dispatcher waiting synchronously cannot fault again */
	}
	w->pe = pe;
	w->d = d;
	w->async = async;
	w->next = pe->waiters;
	pe->waiters = w;
	return 0;
}

static void unwait(struct fr_waiter *w)
{
	struct fr_waiter **pp;

	if (!w->pe)
		return;
	for (pp = &w->pe->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->pe = NULL;
}

void fr_dispatcher_gone(struct dispatcher *d)
{
	unwait(&d->pgwait_sync);
	for (int i = 0; i < FR_ASYNC_WAITS; i++)
		unwait(&d->pgwait_async[i]);
}

static void copy_page(uint64_t pa, const void *src)
{
	memcpy(phys_to_virt(pa), src, PM_PAGE_SIZE);
}

static void deliver_async(struct dispatcher *d, uint64_t tok)
{
	struct k42_disp_shared *sh = d->shared;

	if (sh->pgflt_head - sh->pgflt_tail < K42_DISP_PGFLT_DONE) {
		sh->pgflt_done[sh->pgflt_head % K42_DISP_PGFLT_DONE] = tok;
		__atomic_store_n(&sh->pgflt_head, sh->pgflt_head + 1, __ATOMIC_RELEASE);
	} else if (d->npgflt_backlog < (int)(sizeof(d->pgflt_backlog) / 8)) {
		/* Delivered when the ring has room (kern/sched.c). */
		d->pgflt_backlog[d->npgflt_backlog++] = tok;
		disp_fast_sync(d, FAST_OFF_BACKLOG);
	} else {
		process_end(d->proc, K42_PROC_KILLED, -1,
			    "more than 96 page-fault completions outstanding");
		return;
	}
	disp_raise(d, K42_SOFTINTR_PGFLT);
}

/* Take pe off fr's list and wake its waiters with status; frees pe. */
static void finish(struct fr *fr, struct fr_pending *pe, long status)
{
	struct fr_pending **pp;
	struct fr_waiter *w, *next;

	for (pp = &fr->pending; *pp != pe; pp = &(*pp)->next)
		;
	*pp = pe->next;
	fr->npending--;
	if (!pe->sent) {
		struct process *srv = process_lookup(fr->server);

		if (srv && srv->disp.fr_unsent) {
			srv->disp.fr_unsent--;
			disp_fast_sync(&srv->disp, FAST_OFF_FR_UNSENT);
		}
	}
	trace_fault_complete(pe->token);
	/* A waiter's process may end while we go (too many completions, a
	 * failed page-in): fr_dispatcher_gone then unlinks its other nodes,
	 * which is why each node is checked before use. */
	w = pe->waiters;
	pe->waiters = NULL;
	for (; w; w = next) {
		struct dispatcher *d = w->d;

		next = w->next;
		if (w->pe != pe)
			continue;
		w->pe = NULL;
		if (d->state == DS_DEAD)
			continue;
		if (w->async)
			deliver_async(d, pe->token | (status < 0 ? (1ull << 63) : 0));
		else if (d->state == DS_PAGE_WAIT && status < 0)
			process_end(d->proc, K42_PROC_KILLED, -1, "page-in failed at its file server");
		else if (d->state == DS_PAGE_WAIT)
			disp_wake(d);
	}
	kmem_free(pe, sizeof(*pe));
}

int fr_complete(struct process *server, uint64_t handle, uint64_t offset, long status,
		const void *data)
{
	struct fr *fr = fr_lookup(handle);
	struct fr_pending *pe;
	uint64_t pgoff = offset / PM_PAGE_SIZE;
	int rc;

	if (!fr || fr->server != server->pid)
		return -K42_EBADH;
	if (offset % PM_PAGE_SIZE)
		return -K42_EINVAL;
	for (pe = fr->pending; pe && pe->pgoff != pgoff; pe = pe->next)
		;
	if (!pe)
		return -K42_ENOENT;	/* nobody asked for this page */
	rc = fcm_file_fill(fr->fcm, pgoff, pe->token, status < 0 ? status : 0, copy_page, data);
	if (rc < 0)
		return rc;
	finish(fr, pe, status);
	return 0;
}

/*
 * fr_complete without the kernel lock (sys_fr_complete_fast), under this
 * CPU's local lock, taken first: no kernel-lock holder runs meanwhile (it
 * holds every local lock), so the FR is not withdrawn, no fault adds a
 * waiter or a page-in, no process ends and no dispatcher moves to or
 * from this CPU (d->cpu; a call may move a dispatcher 0 between two
 * other CPUs under both their locks, kern/ppc_move.c: checked again once
 * the waiters' CPUs' locks are held).
 * What may run beside it is the unlocked paths of other CPUs: fr_ctl and
 * resident faults, which meet it at the FCM's lock, and other unlocked
 * completions of the same FR (a server answering from every CPU), which
 * touch the FR's page-ins only under the FCM's lock too: so the FCM's
 * lock is the FR's lock for its list of page-ins here (the locked paths
 * that use the list, under the kernel lock, are kept out by the local
 * locks). The waiters' wake-ups need the local lock of the CPU each
 * lives on: taken after the FCM's, so by a single try each (waiting for
 * one would invert the order, docs/smp.md "Lock order"); a busy one, a
 * failed page-in (which may end a process), a page-in not yet sent
 * (the server's fr_unsent) or an async waiter whose ring has no room
 * (its backlog, or its end) take the locked path with nothing changed.
 * The data is the caller's own PPC page, a kernel frame: no user copy.
 * Nothing is freed but the page-in record (kmem) and no quiescent point
 * is passed.
 */
static uint64_t completes_unlocked;

uint64_t fr_completes_unlocked(void)
{
	return __atomic_load_n(&completes_unlocked, __ATOMIC_RELAXED);
}

int fr_complete_unlocked(struct process *server, uint64_t handle, uint64_t offset, long status,
			 const void *data, long *rc)
{
	struct fr *fr = fr_lookup(handle);
	struct fcm *f;
	struct fr_pending *pe;
	struct percpu *pc = this_cpu();
	uint64_t pgoff = offset / PM_PAGE_SIZE, mask = 0, held = 0;
	int ok = 1;

	if (!fr || fr->server != server->pid || offset % PM_PAGE_SIZE || status != 0)
		return 0;	/* reported, or failed page-ins handled, by the locked path */
	f = fr->fcm;
	spin_lock(&f->lock);
	for (pe = fr->pending; pe && pe->pgoff != pgoff; pe = pe->next)
		;
	if (!pe || !pe->sent) {
		spin_unlock(&f->lock);
		return 0;
	}
	for (struct fr_waiter *w = pe->waiters; w && ok; w = w->next) {
		struct dispatcher *d = w->d;
		uint32_t cpu = d->cpu;

		if (w->pe != pe || d->state == DS_DEAD)
			continue;
		/* The caller itself (an async waiter: bits it may have to
		 * take as an upcall on the way back) goes the locked way. */
		if (d == pc->current || cpu >= (uint32_t)smp_ncpus || cpu >= 64) {
			ok = 0;
			break;
		}
		if (w->async && (d->npgflt_backlog ||
				 d->shared->pgflt_head - d->shared->pgflt_tail >= K42_DISP_PGFLT_DONE))
			ok = 0;
		mask |= 1ull << cpu;
	}
	mask &= ~(1ull << pc->cpu_id);
	for (uint32_t c = 0; ok && c < 64 && (mask >> c); c++) {
		if (!(mask & (1ull << c)))
			continue;
		if (arch_spin_trylock(&percpu_of(c)->local_lock))
			held |= 1ull << c;
		else
			ok = 0;
	}
	/* A dispatcher 0 a call moved after its CPU was read (under its old
	 * and new CPUs' locks, kern/ppc_move.c) must live where a lock now
	 * held keeps it. */
	for (struct fr_waiter *w = pe->waiters; w && ok; w = w->next)
		if (w->pe == pe && w->d->state != DS_DEAD && w->d->cpu != pc->cpu_id &&
		    !(held & (1ull << w->d->cpu)))
			ok = 0;
	if (ok && fcm_file_fill_locked(f, pgoff, pe->token, 0, copy_page, data) == 0)
		finish(fr, pe, 0);	/* wakes each waiter under its CPU's lock */
	else
		ok = 0;
	for (uint32_t c = 0; c < 64 && (held >> c); c++)
		if (held & (1ull << c))
			spin_unlock(&percpu_of(c)->local_lock);
	spin_unlock(&f->lock);
	if (ok) {
		__atomic_add_fetch(&completes_unlocked, 1, __ATOMIC_RELAXED);
		*rc = 0;
	}
	return ok;
}

int fr_async_room(const struct dispatcher *d)
{
	for (int i = 0; i < FR_ASYNC_WAITS; i++)
		if (!d->pgwait_async[i].pe)
			return 1;
	return 0;
}

/*
 * The server's buffer of a pull or a push made without the kernel lock
 * (fr_ctl_unlocked): every page of [buf, buf + len) is mapped, with
 * `access`, in an anonymous region of p. Such a page is not taken away
 * while its region maps it (an anonymous FCM neither evicts nor folds),
 * and regions change only under the kernel lock, which the caller's
 * local lock keeps out: so the copy neither faults nor meets a frame
 * freed under it. Anything else (a page not touched yet, a buffer in a
 * mapped file, whose page an eviction may take) takes the locked path.
 */
static int buf_resident(struct process *p, uint64_t buf, uint64_t len, unsigned access)
{
	int ok = 1;

	if (!len || buf + len < buf || buf + len > K42_USER_TOP)
		return 0;
	spin_lock(&p->lock);
	for (uint64_t va = buf & ~(PM_PAGE_SIZE - 1); ok && va < buf + len; va += PM_PAGE_SIZE) {
		struct region *r = region_find(p, va);
		uint64_t pa;
		unsigned prot;

		ok = r && fcm_is_anon(r->fcm) && (r->prot & access) == access &&
		     hat_lookup(p->hat, va, &pa, &prot) == 0 && (prot & access) == access &&
		     !(prot & HAT_PROT_IO);
	}
	spin_unlock(&p->lock);
	return ok;
}

/*
 * The server's control of its file's cached pages (K42_FR_CTL_*): decode,
 * then invoke. Data moves through a bounce frame, so no user copy runs
 * with the FCM locked (the server's buffer may itself be a mapped file).
 * `unlocked`: called without the kernel lock, under this CPU's local lock
 * (fr_ctl_unlocked); 0 when the call must be made on the locked path
 * instead, before anything changed.
 */
static int ctl(struct process *server, uint64_t handle, uint64_t op, uint64_t offset,
	       uint64_t buf, uint64_t len, int unlocked, long *out)
{
	struct fr *fr = fr_lookup(handle);
	uint64_t pgoff = offset / PM_PAGE_SIZE, in = offset % PM_PAGE_SIZE, bounce, found;
	long rc;

	if (!fr || fr->server != server->pid) {
		*out = -K42_EBADH;
		return 1;
	}
	switch (op) {
	case K42_FR_CTL_WRITABLE:
		fcm_file_set_writable(fr->fcm);
		*out = 0;
		return 1;
	case K42_FR_CTL_DROP:
		*out = in ? -K42_EINVAL : fcm_file_drop(fr->fcm, pgoff);
		return 1;
	case K42_FR_CTL_PULL:
		if (in || !len || pgoff + len < pgoff) {
			*out = -K42_EINVAL;
			return 1;
		}
		if (unlocked && !buf_resident(server, buf, PM_PAGE_SIZE, K42_PROT_WRITE))
			return 0;
		break;
	case K42_FR_CTL_PUSH:
		if (!len || in + len > PM_PAGE_SIZE) {
			*out = -K42_EINVAL;
			return 1;
		}
		if (unlocked && !buf_resident(server, buf, len, K42_PROT_READ))
			return 0;
		break;
	default:
		*out = -K42_EINVAL;
		return 1;
	}
	if ((rc = pm_alloc(pm_root(), 0, &bounce)) < 0) {
		if (unlocked)
			return 0;	/* the locked path may wait for retired frames */
		*out = rc;
		return 1;
	}
	if (op == K42_FR_CTL_PULL) {
		rc = fcm_file_pull(fr->fcm, pgoff, pgoff + len, phys_to_virt(bounce), &found);
		if (rc == 0 && (rc = copy_to_user(server, buf, phys_to_virt(bounce), PM_PAGE_SIZE)) == 0)
			rc = (long)(found * PM_PAGE_SIZE);
		/* A failed copy leaves the page clean with its data lost to
		 * the server: only the server's own bad buffer does that. */
	} else {
		rc = copy_from_user(server, phys_to_virt(bounce), buf, len);
		if (rc == 0)
			rc = fcm_file_push(fr->fcm, pgoff, in, phys_to_virt(bounce), len);
	}
	BUG_ON(pm_free(pm_root(), bounce, 0) < 0);
	*out = rc;
	return 1;
}

long fr_ctl(struct process *server, uint64_t handle, uint64_t op, uint64_t offset, uint64_t buf,
	    uint64_t len)
{
	long rc;

	ctl(server, handle, op, offset, buf, len, 0, &rc);
	return rc;
}

/*
 * Without the kernel lock, under this CPU's local lock (mm/sys_mem.c):
 * no kernel-lock holder runs, so the FR is not withdrawn (its FCM stays),
 * no region changes and nothing is evicted meanwhile; what runs beside it
 * are other CPUs' unlocked faults and fr_ctl calls, which meet it at the
 * FCM's lock (a file page is mapped under it, mm/fr_internal.h). A drop
 * frees frames: each was unmapped on every CPU first (fcm_unmap_everywhere
 * under the FCM's lock, hat_unmap's invalidation), and no unlocked path
 * holds a file frame outside that lock (a fault maps under it; the copies
 * here touch only anonymous pages, buf_resident).
 */
int fr_ctl_unlocked(struct process *server, uint64_t handle, uint64_t op, uint64_t offset,
		    uint64_t buf, uint64_t len, long *rc)
{
	return ctl(server, handle, op, offset, buf, len, 1, rc);
}

int fr_writable(struct fr *fr)
{
	return fcm_file_writable(fr->fcm);
}

static void fr_free(struct deferred *d)
{
	struct fr *fr = (struct fr *)((char *)d - __builtin_offsetof(struct fr, dfr));

	__atomic_store_n(&fr->state, FR_FREE, __ATOMIC_RELEASE);	/* fr_create may reuse it */
}

void fr_fcm_gone(struct fr *fr)
{
	BUG_ON(fr->state != FR_WITHDRAWN || fr->pending);
	fr->state = FR_RETIRED;
	fr->fcm = NULL;
	kquiesce_retire_leaf(&fr->dfr, fr_free);	/* (no lock: a slot's state only) */
}

/* The server lets go of fr: its page-ins fail, the handle dies, and the
 * FCM lives on only while regions map it. */
static void withdraw(struct fr *fr)
{
	while (fr->pending) {
		struct fr_pending *pe = fr->pending;

		fcm_file_fill(fr->fcm, pe->pgoff, pe->token, -K42_EDEAD, copy_page, NULL);
		finish(fr, pe, -K42_EDEAD);
	}
	__atomic_store_n(&fr->state, FR_WITHDRAWN, __ATOMIC_RELEASE);
	fcm_put(fr->fcm);	/* may destroy it: fr_fcm_gone */
}

int fr_destroy(struct process *server, uint64_t handle)
{
	struct fr *fr = fr_lookup(handle);

	if (!fr || fr->server != server->pid)
		return -K42_EBADH;
	withdraw(fr);
	return 0;
}

void fr_server_gone(struct process *server)
{
	for (int i = 0; i < FR_MAX; i++)
		if (frs[i].state == FR_LIVE && frs[i].server == server->pid)
			withdraw(&frs[i]);
	server->disp.fr_unsent = 0;
	disp_fast_sync(&server->disp, FAST_OFF_FR_UNSENT);
}
