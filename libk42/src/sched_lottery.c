/*
 * Lottery scheduling (proportional share): each ready thread holds
 * `tickets` (default 100); pick_next draws a ticket at random over the
 * ready list, so over time a thread runs in proportion to its share.
 * O(ready threads) per pick: meant for tens of threads, not thousands.
 * One instance per dispatcher, each with its own random stream: everything
 * it keeps is in struct lottery.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define IN_READY 1
#define IN_BLOCKED 2

struct lottery {
	struct tqueue ready, blocked;
	uint64_t total, rng;
};

static uint64_t tickets(const struct k42_thread *t)
{
	return t->tickets ? t->tickets : 1;
}

static uint64_t draw(struct lottery *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void lot_init(void *self)
{
	struct lottery *s = self;

	tq_init(&s->ready);
	tq_init(&s->blocked);
	s->total = 0;
	s->rng = 0x2545f4914f6cdd1dull;
}

static void lot_enqueue(void *self, struct k42_thread *t)
{
	struct lottery *s = self;

	t->sq_where = IN_READY;
	t->sq_key = tickets(t);		/* what it added to total */
	s->total += t->sq_key;
	tq_push(&s->ready, t);
}

static struct k42_thread *lot_pick_next(void *self)
{
	struct lottery *s = self;
	struct k42_thread *t;
	uint64_t x;

	if (!s->ready.head)
		return NULL;
	x = draw(s) % s->total;
	for (t = s->ready.head; t->sq_next && x >= t->sq_key; t = t->sq_next)
		x -= t->sq_key;
	tq_remove(&s->ready, t);
	s->total -= t->sq_key;
	t->sq_where = 0;
	return t;
}

static void lot_block(void *self, struct k42_thread *t)
{
	struct lottery *s = self;

	t->sq_where = IN_BLOCKED;
	tq_push(&s->blocked, t);
}

static void lot_wake(void *self, struct k42_thread *t)
{
	struct lottery *s = self;

	if (t->sq_where == IN_BLOCKED)
		tq_remove(&s->blocked, t);
	lot_enqueue(self, t);
}

static int lot_tick(void *self, struct k42_thread *cur, uint64_t ran)
{
	struct lottery *s = self;

	(void)cur;
	return s->ready.head && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *lot_migrate_out(void *self)
{
	struct lottery *s = self;
	struct k42_thread *t = s->ready.head;

	if (t) {
		tq_remove(&s->ready, t);
		s->total -= t->sq_key;
	} else {
		t = tq_pop(&s->blocked);
	}
	if (t)
		t->sq_where = 0;
	return t;
}

static void lot_migrate_in(void *self, struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		lot_enqueue(self, t);
	else
		lot_block(self, t);
}

static void lot_count(void *self, uint64_t *r, uint64_t *b)
{
	struct lottery *s = self;

	*r = s->ready.n;
	*b = s->blocked.n;
}

const struct k42_sched_ops k42_sched_lottery = {
	.name = "lottery",
	.state_size = sizeof(struct lottery),
	.init = lot_init,
	.enqueue = lot_enqueue,
	.pick_next = lot_pick_next,
	.block = lot_block,
	.wake = lot_wake,
	.tick = lot_tick,
	.migrate_out = lot_migrate_out,
	.migrate_in = lot_migrate_in,
	.count = lot_count,
};
