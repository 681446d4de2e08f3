/*
 * The pipe buffer (see pipebuf.h). Ordering: data is copied before head
 * (or tail) is published with release; the other side reads it with
 * acquire. A full fence separates publishing from looking at `waiters`,
 * and registering from re-checking, so a wake-up cannot be missed.
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/fs.h>
#include "pipebuf.h"

_Static_assert(sizeof(struct pipebuf) == PIPEBUF_BYTES, "pipe header is one page");
_Static_assert(PIPEBUF_WAITERS <= 32, "a bit of nwaiters per waiter slot");

void pipebuf_init(struct pipebuf *p)
{
	memset(p, 0, 4096);
}

static void lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			;
}

static void unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

long pipebuf_write(struct pipebuf *p, const void *buf, size_t n)
{
	uint64_t head, tail, room, k, at;
	long rc;

	if (n == 0)
		return __atomic_load_n(&p->readers, __ATOMIC_ACQUIRE) ? 0 : -K42_EPIPE;
	lock(&p->wlock);
	if (!__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE)) {
		rc = -K42_EPIPE;
	} else {
		head = p->head;
		tail = __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE);
		room = PIPEBUF_DATA - (head - tail);
		if (room == 0 || (n <= K42_PIPE_BUF && room < n)) {
			rc = -K42_EAGAIN;
		} else {
			k = n < room ? n : room;
			at = head % PIPEBUF_DATA;
			if (at + k <= PIPEBUF_DATA) {
				memcpy(p->data + at, buf, k);
			} else {
				memcpy(p->data + at, buf, PIPEBUF_DATA - at);
				memcpy(p->data, (const uint8_t *)buf + (PIPEBUF_DATA - at),
				       k - (PIPEBUF_DATA - at));
			}
			__atomic_store_n(&p->head, head + k, __ATOMIC_RELEASE);
			rc = (long)k;
		}
	}
	unlock(&p->wlock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return rc;
}

long pipebuf_read(struct pipebuf *p, void *buf, size_t n)
{
	uint64_t head, tail, avail, k, at;
	long rc;

	if (n == 0)
		return 0;
	lock(&p->rlock);
	tail = p->tail;
	head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	avail = head - tail;
	if (avail == 0) {
		/* No writer: but one may have written just before leaving. */
		if (__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE) == 0 &&
		    __atomic_load_n(&p->head, __ATOMIC_ACQUIRE) == tail)
			rc = 0;
		else
			rc = -K42_EAGAIN;
	} else {
		k = n < avail ? n : avail;
		at = tail % PIPEBUF_DATA;
		if (at + k <= PIPEBUF_DATA) {
			memcpy(buf, p->data + at, k);
		} else {
			memcpy(buf, p->data + at, PIPEBUF_DATA - at);
			memcpy((uint8_t *)buf + (PIPEBUF_DATA - at), p->data,
			       k - (PIPEBUF_DATA - at));
		}
		__atomic_store_n(&p->tail, tail + k, __ATOMIC_RELEASE);
		rc = (long)k;
	}
	unlock(&p->rlock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return rc;
}

int pipebuf_readable(const struct pipebuf *p)
{
	return __atomic_load_n(&p->head, __ATOMIC_ACQUIRE) != __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&p->writers, __ATOMIC_ACQUIRE) == 0;
}

int pipebuf_writable(const struct pipebuf *p)
{
	uint64_t used = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE) -
			__atomic_load_n(&p->tail, __ATOMIC_ACQUIRE);

	return PIPEBUF_DATA - used >= K42_PIPE_BUF ||
	       __atomic_load_n(&p->readers, __ATOMIC_ACQUIRE) == 0;
}

/* Registering is a pid in a slot and then the slot's bit in `nwaiters`,
 * then a full fence; the waker publishes, fences, and takes the bits, so
 * either it sees the bit or the registered side's re-check sees its
 * change. A slot may hold a pid whose bit was taken just before: the
 * taker that took the bit takes (and wakes) the pid as well. */
int pipebuf_wait_add(struct pipebuf *p, uint32_t pid)
{
	uint32_t bits = __atomic_load_n(&p->nwaiters, __ATOMIC_RELAXED);
	unsigned i;

	for (; bits; bits &= bits - 1) {	/* already registered? (set bits only) */
		i = (unsigned)__builtin_ctz(bits);
		if (i < PIPEBUF_WAITERS && __atomic_load_n(&p->waiters[i], __ATOMIC_RELAXED) == pid)
			goto added;
	}
	for (i = 0; i < PIPEBUF_WAITERS; i++) {
		uint32_t zero = 0;

		if (!__atomic_load_n(&p->waiters[i], __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&p->waiters[i], &zero, pid, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			goto added;
	}
	return -K42_EAGAIN;
added:
	__atomic_fetch_or(&p->nwaiters, 1u << i, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

unsigned pipebuf_wait_take(struct pipebuf *p, uint32_t *out)
{
	uint32_t bits;
	unsigned n = 0;

	if (!__atomic_load_n(&p->nwaiters, __ATOMIC_SEQ_CST))
		return 0;
	bits = __atomic_exchange_n(&p->nwaiters, 0, __ATOMIC_SEQ_CST);
	while (bits) {
		unsigned i = (unsigned)__builtin_ctz(bits);
		uint32_t pid = __atomic_exchange_n(&p->waiters[i], 0, __ATOMIC_SEQ_CST);

		bits &= bits - 1;
		if (pid)
			out[n++] = pid;
	}
	return n;
}

uint32_t pipebuf_hold(struct pipebuf *p, uint32_t pid, int write, int delta)
{
	struct pipe_holder *h = NULL, *free_slot = NULL;
	uint32_t left;

	lock(&p->hlock);
	for (unsigned i = 0; i < PIPEBUF_HOLDERS && !h; i++) {
		if (p->holders[i].pid == pid)
			h = &p->holders[i];
		else if (!p->holders[i].pid && !free_slot)
			free_slot = &p->holders[i];
	}
	if (!h && delta > 0 && free_slot) {
		h = free_slot;
		*h = (struct pipe_holder){ .pid = pid };
	}
	if (delta > 0)
		__atomic_store_n(&p->hseq, p->hseq + 1, __ATOMIC_SEQ_CST);
	if (h && (delta > 0 || (write ? h->w : h->r))) {
		if (write)
			h->w = (uint16_t)(h->w + delta);
		else
			h->r = (uint16_t)(h->r + delta);
		if (!h->r && !h->w)
			h->pid = 0;
	} else if (delta > 0 || p->untracked) {
		p->untracked += (uint32_t)delta;	/* no slot: counted, never reaped */
	} else {
		/* A close of an end a peer already took back (pipebuf_reap):
		 * it is no longer counted, so it must not be subtracted
		 * again (that ended the pipe for its other holders). */
		left = __atomic_load_n(write ? &p->writers : &p->readers, __ATOMIC_SEQ_CST);
		unlock(&p->hlock);
		return left;
	}
	left = __atomic_add_fetch(write ? &p->writers : &p->readers, (uint32_t)delta, __ATOMIC_SEQ_CST);
	unlock(&p->hlock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return left;
}

uint32_t pipebuf_hold_seq(struct pipebuf *p)
{
	uint32_t seq = __atomic_load_n(&p->hseq, __ATOMIC_SEQ_CST);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* before the list is taken */
	return seq;
}

long pipebuf_reap(struct pipebuf *p, uint32_t seq, int (*alive)(uint32_t pid, void *ctx), void *ctx)
{
	long n = 0;

	lock(&p->hlock);
	if (p->hseq != seq) {
		unlock(&p->hlock);
		return -1;
	}
	for (unsigned i = 0; i < PIPEBUF_HOLDERS; i++) {
		struct pipe_holder *h = &p->holders[i];

		if (!h->pid || alive(h->pid, ctx))
			continue;
		__atomic_sub_fetch(&p->readers, h->r, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&p->writers, h->w, __ATOMIC_SEQ_CST);
		n += h->r + h->w;
		*h = (struct pipe_holder){ 0 };
	}
	unlock(&p->hlock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return n;
}
