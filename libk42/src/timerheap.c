/*
 * The binary min-heap of user-space timers, ordered by deadline. Each
 * timer knows its slot, so cancelling is O(log n) with no search. Pure
 * code (it needs only realloc): built for the target and for host tests.
 */
#include <stdlib.h>
#include <k42/alloc.h>
#include <k42/errno.h>
#include <k42/timer.h>

static int before(const struct k42_timer *a, const struct k42_timer *b)
{
	return (int64_t)(a->deadline - b->deadline) < 0;
}

static void place(struct k42_timerheap *h, uint32_t i, struct k42_timer *t)
{
	h->a[i] = t;
	t->slot = i + 1;
}

static void up(struct k42_timerheap *h, uint32_t i)
{
	struct k42_timer *t = h->a[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(t, h->a[p]))
			break;
		place(h, i, h->a[p]);
		i = p;
	}
	place(h, i, t);
}

static void down(struct k42_timerheap *h, uint32_t i)
{
	struct k42_timer *t = h->a[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->a[c + 1], h->a[c]))
			c++;
		if (!before(h->a[c], t))
			break;
		place(h, i, h->a[c]);
		i = c;
	}
	place(h, i, t);
}

int k42_theap_push(struct k42_timerheap *h, struct k42_timer *t)
{
	if (t->slot)
		k42_theap_remove(h, t);
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 64;
		struct k42_timer **a = realloc(h->a, cap * sizeof(*a));

		if (!a)
			return -K42_ENOMEM;
		h->a = a;
		h->cap = cap;
	}
	h->a[h->n] = t;
	up(h, h->n++);
	return 0;
}

void k42_theap_remove(struct k42_timerheap *h, struct k42_timer *t)
{
	uint32_t i;
	struct k42_timer *last;

	if (!t->slot || t->slot > h->n || h->a[t->slot - 1] != t)
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = h->a[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	if (i > 0 && before(last, h->a[(i - 1) / 2]))
		up(h, i);
	else
		down(h, i);
}

struct k42_timer *k42_theap_min(const struct k42_timerheap *h)
{
	return h->n ? h->a[0] : NULL;
}

struct k42_timer *k42_theap_pop(struct k42_timerheap *h)
{
	struct k42_timer *t = k42_theap_min(h);

	if (t)
		k42_theap_remove(h, t);
	return t;
}
