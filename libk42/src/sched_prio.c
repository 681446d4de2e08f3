/*
 * Fixed-priority policy: 32 FIFO queues (thread prio 0..31, higher runs
 * first) and a bitmap of the non-empty ones, so pick_next is a count of
 * leading zeros. The running thread gives way at an event as soon as a
 * higher priority is ready, and to its equals when its slice is over.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define NPRIO (K42_PRIO_MAX + 1)
#define IN_READY 1
#define IN_BLOCKED 2

static struct tqueue q[NPRIO], blocked;
static uint32_t bitmap;
static uint64_t nready;

static int clamp(int p)
{
	return p < 0 ? 0 : p > K42_PRIO_MAX ? K42_PRIO_MAX : p;
}

static void prio_init(void)
{
	for (int i = 0; i < NPRIO; i++)
		tq_init(&q[i]);
	tq_init(&blocked);
	bitmap = 0;
	nready = 0;
}

static void prio_enqueue(struct k42_thread *t)
{
	int p = clamp(t->prio);

	t->sq_where = IN_READY;
	t->sq_key = (uint64_t)p;	/* the queue it is on, even if prio changes */
	tq_push(&q[p], t);
	bitmap |= 1u << p;
	nready++;
}

static int top(void)
{
	return bitmap ? 31 - __builtin_clz(bitmap) : -1;
}

static struct k42_thread *prio_pick_next(void)
{
	int p = top();
	struct k42_thread *t;

	if (p < 0)
		return NULL;
	t = tq_pop(&q[p]);
	if (!q[p].head)
		bitmap &= ~(1u << p);
	t->sq_where = 0;
	nready--;
	return t;
}

static void prio_block(struct k42_thread *t)
{
	t->sq_where = IN_BLOCKED;
	tq_push(&blocked, t);
}

static void prio_wake(struct k42_thread *t)
{
	if (t->sq_where == IN_BLOCKED)
		tq_remove(&blocked, t);
	prio_enqueue(t);
}

static int prio_tick(struct k42_thread *cur, uint64_t ran)
{
	int p = top(), mine = clamp(cur->prio);

	return p > mine || (p == mine && ran >= K42_SCHED_SLICE_TB);
}

static struct k42_thread *prio_migrate_out(void)
{
	struct k42_thread *t = prio_pick_next();

	if (!t) {
		t = tq_pop(&blocked);
		if (t)
			t->sq_where = 0;
	}
	return t;
}

static void prio_migrate_in(struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		prio_enqueue(t);
	else
		prio_block(t);
}

static void prio_count(uint64_t *r, uint64_t *b)
{
	*r = nready;
	*b = blocked.n;
}

const struct k42_sched_ops k42_sched_prio = {
	.name = "prio",
	.init = prio_init,
	.enqueue = prio_enqueue,
	.pick_next = prio_pick_next,
	.block = prio_block,
	.wake = prio_wake,
	.tick = prio_tick,
	.migrate_out = prio_migrate_out,
	.migrate_in = prio_migrate_in,
	.count = prio_count,
};
