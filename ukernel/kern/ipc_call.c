/*
 * Call records (see kern/ipc_call.h): a fixed table with a free list,
 * handles of index and generation, and the per-server lists.
 *
 * Locking: `pool_lock` (a leaf lock, docs/smp.md "Lock order") guards the
 * free list and the in-use count, since the PPC fast paths of several
 * CPUs allocate and free at once. A record in use, and the lists it is
 * on, belong to its server's and caller's dispatchers (their CPU's local
 * lock, or the kernel lock).
 */
#include <stddef.h>
#include <k42/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/smp.h>
#include <kern/spinlock.h>

struct ipc_call ipc_call_table[K42_IPC_CALLS_MAX];
static struct spinlock pool_lock;
static struct ipc_call *free_list;
static int ready;
static uint64_t in_use, refused;

static void init_table(void)
{
	for (int i = (int)K42_IPC_CALLS_MAX - 1; i >= 0; i--) {
		ipc_call_table[i].gen = 1;
		ipc_call_table[i].idx = (uint16_t)i;
		ipc_call_table[i].next = free_list;
		free_list = &ipc_call_table[i];
	}
	ready = 1;
}

static inline __attribute__((always_inline)) struct ipc_call *
take(struct dispatcher *server, struct dispatcher *async_caller, int count_refusal)
{
	struct ipc_call *c = NULL;

	if (server->ncalls < K42_IPC_CALLS_PER_SERVER &&
	    !(async_caller && async_caller->nasync >= K42_IPC_ASYNC_PER_CALLER)) {
		spin_lock(&pool_lock);
		if (!ready)
			init_table();
		c = free_list;
		if (c) {
			free_list = c->next;
			in_use++;
		}
		spin_unlock(&pool_lock);
	}
	if (!c) {
		if (count_refusal)
			__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	ipc_call_init(c, server, async_caller);
	if (async_caller)
		async_caller->nasync++;
	return c;
}

struct ipc_call *ipc_call_alloc(struct dispatcher *server, struct dispatcher *async_caller)
{
	return take(server, async_caller, 1);
}

struct ipc_call *ipc_call_try_alloc(struct dispatcher *server)
{
	return take(server, NULL, 0);
}

struct ipc_call *ipc_call_try_alloc_for(struct dispatcher *server, struct dispatcher *async_caller)
{
	return take(server, async_caller, 0);
}

void ipc_call_list_add(struct ipc_call_list *l, struct ipc_call *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

void ipc_call_free(struct ipc_call *c)
{
	c->cancelled = 0;
	struct dispatcher *s = c->server;

	if (c->state == CALL_QUEUED)
		ipc_call_list_del(&s->calls_queued, c);
	else if (c->state == CALL_ACTIVE)
		ipc_call_list_del(&s->calls_active, c);
	else if (c->state == CALL_DONE)
		ipc_call_list_del(&c->caller->calls_done, c);
	if (s)
		s->ncalls--;
	if (c->async && c->caller)
		c->caller->nasync--;
	c->async = 0;
	c->state = CALL_FREE;
	c->server = c->caller = NULL;
	c->gen = ipc_call_next_gen(c->gen);
	ipc_call_pool_put(c);
}

void ipc_call_pool_put(struct ipc_call *c)
{
	spin_lock(&pool_lock);
	c->next = free_list;
	free_list = c;
	in_use--;
	spin_unlock(&pool_lock);
}

void ipc_call_done(struct ipc_call *c, long status, uint32_t len, const uint64_t *w)
{
	struct dispatcher *s = c->server;

	if (c->state == CALL_QUEUED)
		ipc_call_list_del(&s->calls_queued, c);
	else
		ipc_call_list_del(&s->calls_active, c);
	s->ncalls--;
	c->server = NULL;
	c->state = CALL_DONE;
	c->op = (uint64_t)status;
	c->len = len;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		c->w[i] = w ? w[i] : 0;
	ipc_call_list_add(&c->caller->calls_done, c);
	disp_raise(c->caller, K42_SOFTINTR_REPLY);
}

void ipc_calls_forget_caller(struct dispatcher *d)
{
	if (!ready || !d->nasync)
		return;
	for (int i = 0; i < (int)K42_IPC_CALLS_MAX; i++) {
		struct ipc_call *c = &ipc_call_table[i];

		if (c->state == CALL_FREE || c->caller != d || !c->async)
			continue;
		if (c->state == CALL_ACTIVE) {
			c->caller = NULL;	/* the server's reply finds nobody */
			d->nasync--;
		} else {
			ipc_call_free(c);
		}
	}
}

uint64_t ipc_calls_in_use(void)
{
	uint64_t n = in_use;

	/* Less the free records the CPUs keep (exact when nothing runs). */
	for (int i = 0; i < smp_ncpus; i++)
		n -= __atomic_load_n(&percpu_of((uint32_t)i)->ncall_cache, __ATOMIC_RELAXED);
	return n;
}

uint64_t ipc_calls_refused(void)
{
	return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}
