/*
 * Call records: the kernel's per-call state for PPC IPC. Every call the
 * kernel accepts gets one, named to user space by a call handle (index and
 * generation: a handle whose generation does not match is stale or forged
 * and is refused). A record is on its server's `calls_queued` list until
 * the server takes it (upcall or ppc_accept), then on `calls_active` until
 * the reply. The caller (while it waits) points at its record; a caller
 * that dies leaves the record with caller == NULL, and the server's later
 * reply gets -K42_EDEAD.
 *
 * An asynchronous call (ppc_call_async) does not park its caller: its
 * record names the caller's buffer `buf` for the page bytes, and once
 * answered (or its server dies) it moves to the caller's `calls_done`
 * list (CALL_DONE) until the reply is delivered at K42_ENTRY_IPC_RETURN
 * or taken with ppc_collect. A caller that dies frees its async records
 * (ipc_calls_forget_caller); a taken one is left with caller == NULL.
 *
 * Records live in one fixed table (K42_IPC_CALLS_MAX), so outstanding
 * calls take no memory from the page manager. Everything here runs with
 * interrupts off, under the kernel lock or the local lock of the CPU the
 * dispatchers involved live on (the PPC fast paths, docs/smp.md); the
 * free list has its own leaf lock (ipc_call.c). The fast path keeps a few
 * free records per CPU (ipc_call_alloc_here), under that CPU's local lock,
 * so a call and its reply on one CPU take no shared lock at all.
 */
#ifndef KERN_IPC_CALL_H
#define KERN_IPC_CALL_H

#include <stdint.h>
#include <k42/ipc.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>

enum ipc_call_state { CALL_FREE, CALL_QUEUED, CALL_ACTIVE, CALL_DONE };

struct ipc_call {
	uint32_t gen;			/* bumped on every free */
	uint8_t state;			/* enum ipc_call_state */
	uint8_t async;			/* made by ppc_call_async */
	uint16_t idx;			/* its index in the table (set once: the handle's low bits) */
	struct dispatcher *caller;	/* waiting for the reply; NULL once gone */
	struct dispatcher *server;
	uint64_t caller_pid;
	uint64_t op, w[K42_IPC_WORDS];	/* the request (kept while queued); CALL_DONE: the reply, status in op */
	uint64_t buf;			/* async: the caller's page-bytes buffer (its va) */
	uint32_t len;			/* CALL_DONE: reply page bytes (already in buf) */
	uint8_t cancelled;		/* ppc_cancel ended the caller's wait (caller NULL) */
	uint64_t grant_va, grant_len;	/* the caller's memory lent to the server (len 0: none) */
	uint32_t grant_prot;		/* K42_PROT_READ / K42_PROT_WRITE: what the server may do */
	struct ipc_call *prev, *next;	/* on the server's list (CALL_DONE: the caller's); next = free link */
};

/* A free record for a call to `server`, or NULL (table or the server's
 * share exhausted, or with async_caller set that caller's async share;
 * counted). */
struct ipc_call *ipc_call_alloc(struct dispatcher *server, struct dispatcher *async_caller);
/* The same for a synchronous call, refusing without counting: for the
 * fast path (kern/ppc_fast.c), whose refusal the general path repeats. */
struct ipc_call *ipc_call_try_alloc(struct dispatcher *server);
/* Either kind, refusing without counting (kern/ppc_cross.c). */
struct ipc_call *ipc_call_try_alloc_for(struct dispatcher *server, struct dispatcher *async_caller);
/* An async call is answered: off its server's lists, onto its caller's
 * calls_done with the reply (the caller is told by K42_SOFTINTR_REPLY). */
void ipc_call_done(struct ipc_call *c, long status, uint32_t len, const uint64_t *w);
/* d ends: free its queued and answered async calls, orphan its taken ones. */
void ipc_calls_forget_caller(struct dispatcher *d);
/* Take c off its list and free it; its handle goes stale. */
void ipc_call_free(struct ipc_call *c);

/* The table itself, for the two look-ups below (inline: the fast path,
 * kern/ppc_fast.c, uses them on every call). Before the first call every
 * record is CALL_FREE with generation 0, so no handle finds one. */
#define IPC_CALL_INDEX_BITS 16
extern struct ipc_call ipc_call_table[K42_IPC_CALLS_MAX];

static inline uint64_t ipc_call_handle(const struct ipc_call *c)
{
	return ((uint64_t)c->gen << IPC_CALL_INDEX_BITS) | c->idx;
}

/* The active call `handle` names, served by `server`, or NULL. */
static inline struct ipc_call *ipc_call_lookup(uint64_t handle, const struct dispatcher *server)
{
	uint64_t i = handle & ((1u << IPC_CALL_INDEX_BITS) - 1);
	struct ipc_call *c;

	if (i >= K42_IPC_CALLS_MAX || (handle >> IPC_CALL_INDEX_BITS) > 0x7fffffffu)
		return NULL;
	c = &ipc_call_table[i];
	if (c->gen != (uint32_t)(handle >> IPC_CALL_INDEX_BITS) || c->state != CALL_ACTIVE ||
	    c->server != server)
		return NULL;
	return c;
}

void ipc_call_list_add(struct ipc_call_list *l, struct ipc_call *c);
/* Unlink c from l (inline: the fast path frees a replied call with it). */
static inline void ipc_call_list_del(struct ipc_call_list *l, struct ipc_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* ---- The per-CPU records of the fast path (kern/ppc_fast.c) ----
 * Up to IPC_CALL_CACHE free records per CPU (percpu call_cache) sit
 * outside the pool: they count as in use in the pool's figure, and
 * ipc_calls_in_use() leaves them out. Only the fast path takes and puts
 * them, under its CPU's local lock (the kernel lock's holder holds every
 * CPU's local lock but never touches them). A cached record has async,
 * buf, len and its grant 0 (ppc_fast.S relies on it). */
#define IPC_CALL_CACHE 8

/* Give a record that is off every list back to the pool. */
void ipc_call_pool_put(struct ipc_call *c);

/* A fresh record's fields (the pool's take does the same). */
static inline void ipc_call_init(struct ipc_call *c, struct dispatcher *server,
				 struct dispatcher *async_caller)
{
	c->prev = c->next = NULL;
	c->server = server;
	c->caller = async_caller;
	c->async = async_caller != NULL;
	c->buf = 0;
	c->len = 0;
	c->grant_va = c->grant_len = 0;
	c->grant_prot = 0;
	server->ncalls++;
}

/* Generations stay below 2^31 and never 0, so a handle is a positive long. */
static inline uint32_t ipc_call_next_gen(uint32_t gen)
{
	gen = (gen + 1) & 0x7fffffffu;
	return gen ? gen : 1;
}

/* ipc_call_try_alloc from this CPU's own records first. */
static inline struct ipc_call *ipc_call_alloc_here(struct percpu *pc, struct dispatcher *server)
{
	struct ipc_call *c = pc->call_cache;

	if (!c || server->ncalls >= K42_IPC_CALLS_PER_SERVER)
		return ipc_call_try_alloc(server);
	pc->call_cache = c->next;
	pc->ncall_cache--;
	ipc_call_init(c, server, NULL);
	return c;
}

/* ipc_call_free of a synchronous CALL_ACTIVE record, kept on this CPU
 * (or given back to the pool when this CPU has enough). */
static inline void ipc_call_free_active_here(struct percpu *pc, struct ipc_call *c)
{
	struct dispatcher *s = c->server;

	ipc_call_list_del(&s->calls_active, c);
	s->ncalls--;
	c->state = CALL_FREE;
	c->server = c->caller = NULL;
	c->gen = ipc_call_next_gen(c->gen);
	if (pc->ncall_cache < IPC_CALL_CACHE) {
		/* Clean as ipc_call_init leaves it (a synchronous record has
		 * async, buf and len 0 already): ppc_fast.S takes a cached
		 * record without setting these again. */
		c->grant_va = c->grant_len = 0;
		c->grant_prot = 0;
		c->next = pc->call_cache;
		pc->call_cache = c;
		pc->ncall_cache++;
	} else {
		c->next = NULL;
		ipc_call_pool_put(c);
	}
}

/* Figures for sys_info. */
uint64_t ipc_calls_in_use(void);
uint64_t ipc_calls_refused(void);

#endif
