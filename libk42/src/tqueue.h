/*
 * A doubly linked queue of threads through their scheduler links
 * (sq_next, sq_prev): the building block of the scheduling policies.
 * Header-only, no runtime dependencies, so policies build on the host.
 */
#ifndef LIBK42_TQUEUE_H
#define LIBK42_TQUEUE_H

#include <stddef.h>
#include <k42/thread.h>

struct tqueue {
	struct k42_thread *head, *tail;
	uint64_t n;
};

static inline void tq_init(struct tqueue *q)
{
	q->head = q->tail = NULL;
	q->n = 0;
}

static inline void tq_push(struct tqueue *q, struct k42_thread *t)
{
	t->sq_next = NULL;
	t->sq_prev = q->tail;
	if (q->tail)
		q->tail->sq_next = t;
	else
		q->head = t;
	q->tail = t;
	q->n++;
}

static inline void tq_remove(struct tqueue *q, struct k42_thread *t)
{
	if (t->sq_prev)
		t->sq_prev->sq_next = t->sq_next;
	else
		q->head = t->sq_next;
	if (t->sq_next)
		t->sq_next->sq_prev = t->sq_prev;
	else
		q->tail = t->sq_prev;
	t->sq_next = t->sq_prev = NULL;
	q->n--;
}

static inline struct k42_thread *tq_pop(struct tqueue *q)
{
	struct k42_thread *t = q->head;

	if (t)
		tq_remove(q, t);
	return t;
}

#endif
