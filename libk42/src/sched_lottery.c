/*
 * Lottery scheduling (proportional share): each ready thread holds
 * `tickets` (default 100); pick_next draws a ticket at random over the
 * ready list, so over time a thread runs in proportion to its share.
 * O(ready threads) per pick: meant for tens of threads, not thousands.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define IN_READY 1
#define IN_BLOCKED 2

static struct tqueue ready, blocked;
static uint64_t total, rng = 0x2545f4914f6cdd1dull;

static uint64_t tickets(const struct k42_thread *t)
{
	return t->tickets ? t->tickets : 1;
}

static uint64_t draw(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void lot_init(void)
{
	tq_init(&ready);
	tq_init(&blocked);
	total = 0;
}

static void lot_enqueue(struct k42_thread *t)
{
	t->sq_where = IN_READY;
	t->sq_key = tickets(t);		/* what it added to total */
	total += t->sq_key;
	tq_push(&ready, t);
}

static struct k42_thread *lot_pick_next(void)
{
	struct k42_thread *t;
	uint64_t x;

	if (!ready.head)
		return NULL;
	x = draw() % total;
	for (t = ready.head; t->sq_next && x >= t->sq_key; t = t->sq_next)
		x -= t->sq_key;
	tq_remove(&ready, t);
	total -= t->sq_key;
	t->sq_where = 0;
	return t;
}

static void lot_block(struct k42_thread *t)
{
	t->sq_where = IN_BLOCKED;
	tq_push(&blocked, t);
}

static void lot_wake(struct k42_thread *t)
{
	if (t->sq_where == IN_BLOCKED)
		tq_remove(&blocked, t);
	lot_enqueue(t);
}

static int lot_tick(struct k42_thread *cur, uint64_t ran)
{
	(void)cur;
	return ready.head && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *lot_migrate_out(void)
{
	struct k42_thread *t = ready.head;

	if (t) {
		tq_remove(&ready, t);
		total -= t->sq_key;
	} else {
		t = tq_pop(&blocked);
	}
	if (t)
		t->sq_where = 0;
	return t;
}

static void lot_migrate_in(struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		lot_enqueue(t);
	else
		lot_block(t);
}

static void lot_count(uint64_t *r, uint64_t *b)
{
	*r = ready.n;
	*b = blocked.n;
}

const struct k42_sched_ops k42_sched_lottery = {
	.name = "lottery",
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
