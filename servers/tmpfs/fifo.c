/*
 * tmpfs's named pipes (fifo.h, docs/files.md "Named pipes"): a fifo node
 * gets its 64 KiB ring and its counts at its first open and gives them
 * up when its last open file closes (what was in it is lost, as on
 * Linux). Whoever finds it cannot proceed is remembered by pid and gets
 * K42_SOFTINTR_IO at the next change (tfifo_notify, main.c): data in or
 * out, an end opened or closed. Calls run one at a time (main.c), so
 * nothing here locks. Pure: host-tested (tests/libk42/test_fifo.c).
 */
#include <stdlib.h>
#include <k42/alloc.h>
#include <string.h>
#include <k42/errno.h>
#include "fifo.h"

#define WAITERS 32

struct tfifo {
	uint8_t *buf;
	uint32_t head, tail;	/* free-running byte counts: written, read */
	uint32_t readers, writers;	/* open files with each access */
	uint64_t ropens, wopens;	/* opens of each side ever */
	uint32_t waiters[WAITERS];
	uint32_t nwait;
};

static void wake(struct tfifo *p)
{
	for (uint32_t i = 0; i < p->nwait; i++)
		tfifo_notify(p->waiters[i]);
	p->nwait = 0;
}

/* pid waits for the next change (a full list: the caller's own bounded
 * wait notices it later). */
static void wait_add(struct tfifo *p, uint32_t pid)
{
	if (!pid)
		return;
	for (uint32_t i = 0; i < p->nwait; i++)
		if (p->waiters[i] == pid)
			return;
	if (p->nwait < WAITERS)
		p->waiters[p->nwait++] = pid;
}

long tfifo_open(struct tnode *n, uint32_t acc, int nonblock, uint64_t *mark)
{
	struct tfifo *p = n->fifo;

	if (acc == 1 && nonblock && (!p || !p->readers))
		return -K42_ENXIO;
	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return -K42_ENOMEM;
		if (!(p->buf = malloc(TFIFO_BYTES))) {
			free(p);
			return -K42_ENOMEM;
		}
		n->fifo = p;
	}
	if (acc != 1) {
		p->readers++;
		p->ropens++;
	}
	if (acc != 0) {
		p->writers++;
		p->wopens++;
	}
	*mark = acc == 0 ? p->wopens : p->ropens;
	wake(p);
	return 0;
}

void tfifo_close(struct tnode *n, uint32_t acc)
{
	struct tfifo *p = n->fifo;

	if (!p)
		return;
	if (acc != 1 && p->readers)
		p->readers--;
	if (acc != 0 && p->writers)
		p->writers--;
	wake(p);
	if (!p->readers && !p->writers) {
		free(p->buf);
		free(p);
		n->fifo = NULL;
	}
}

long tfifo_read(struct tnode *n, uint8_t *buf, uint32_t count, uint32_t pid)
{
	struct tfifo *p = n->fifo;
	uint32_t avail, k, at, first;

	if (!p)
		return 0;
	avail = p->head - p->tail;
	if (!avail) {
		if (!p->writers)
			return 0;
		if (!count)
			return 0;
		wait_add(p, pid);
		return -K42_EAGAIN;
	}
	k = count < avail ? count : avail;
	at = p->tail % TFIFO_BYTES;
	first = TFIFO_BYTES - at < k ? TFIFO_BYTES - at : k;
	memcpy(buf, p->buf + at, first);
	memcpy(buf + first, p->buf, k - first);
	p->tail += k;
	wake(p);
	return (long)k;
}

long tfifo_write(struct tnode *n, const uint8_t *data, uint32_t len, uint32_t pid)
{
	struct tfifo *p = n->fifo;
	uint32_t room, at, first;

	if (!p || !p->readers)
		return -K42_EPIPE;
	if (len > TFIFO_ATOMIC)
		return -K42_EINVAL;
	room = TFIFO_BYTES - (p->head - p->tail);
	if (room < len) {
		wait_add(p, pid);
		return -K42_EAGAIN;
	}
	at = p->head % TFIFO_BYTES;
	first = TFIFO_BYTES - at < len ? TFIFO_BYTES - at : len;
	memcpy(p->buf + at, data, first);
	memcpy(p->buf, data + first, len - first);
	p->head += len;
	if (len)
		wake(p);
	return (long)len;
}

void tfifo_state(struct tnode *n, uint32_t acc, uint64_t mark, uint32_t pid, uint32_t *readers,
		 uint32_t *writers, uint32_t *avail, uint32_t *room, uint32_t *since)
{
	struct tfifo *p = n->fifo;

	*readers = *writers = *avail = *since = 0;
	*room = TFIFO_BYTES;
	if (!p)
		return;
	*readers = p->readers;
	*writers = p->writers;
	*avail = p->head - p->tail;
	*room = TFIFO_BYTES - *avail;
	if (acc == 0)
		*since = (uint32_t)(p->wopens - mark);
	else if (acc == 1)
		*since = (uint32_t)(p->ropens - mark);
	wait_add(p, pid);
}
