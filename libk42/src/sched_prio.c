/*
 * Fixed-priority policy: 32 FIFO queues (thread prio 0..31, higher runs
 * first) and a bitmap of the non-empty ones, so pick_next is a count of
 * leading zeros. The running thread gives way at an event as soon as a
 * higher priority is ready, and to its equals when its slice is over.
 * One instance per dispatcher: everything it keeps is in struct prio.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define NPRIO (K42_PRIO_MAX + 1)
#define IN_READY 1
#define IN_BLOCKED 2

struct prio {
	struct tqueue q[NPRIO], blocked;
	uint32_t bitmap;
	uint64_t nready;
};

static int clamp(int p)
{
	return p < 0 ? 0 : p > K42_PRIO_MAX ? K42_PRIO_MAX : p;
}

static void prio_init(void *self)
{
	struct prio *s = self;

	for (int i = 0; i < NPRIO; i++)
		tq_init(&s->q[i]);
	tq_init(&s->blocked);
	s->bitmap = 0;
	s->nready = 0;
}

static void prio_enqueue(void *self, struct k42_thread *t)
{
	struct prio *s = self;
	int p = clamp(t->prio);

	t->sq_where = IN_READY;
	t->sq_key = (uint64_t)p;	/* the queue it is on, even if prio changes */
	tq_push(&s->q[p], t);
	s->bitmap |= 1u << p;
	s->nready++;
}

static int top(const struct prio *s)
{
	return s->bitmap ? 31 - __builtin_clz(s->bitmap) : -1;
}

static struct k42_thread *prio_pick_next(void *self)
{
	struct prio *s = self;
	int p = top(s);
	struct k42_thread *t;

	if (p < 0)
		return NULL;
	t = tq_pop(&s->q[p]);
	if (!s->q[p].head)
		s->bitmap &= ~(1u << p);
	t->sq_where = 0;
	s->nready--;
	return t;
}

static void prio_block(void *self, struct k42_thread *t)
{
	struct prio *s = self;

	t->sq_where = IN_BLOCKED;
	tq_push(&s->blocked, t);
}

static void prio_wake(void *self, struct k42_thread *t)
{
	struct prio *s = self;

	if (t->sq_where == IN_BLOCKED)
		tq_remove(&s->blocked, t);
	prio_enqueue(self, t);
}

static int prio_tick(void *self, struct k42_thread *cur, uint64_t ran)
{
	int p = top(self), mine = clamp(cur->prio);

	return p > mine || (p == mine && ran >= K42_SCHED_SLICE_TB);
}

static struct k42_thread *prio_migrate_out(void *self)
{
	struct prio *s = self;
	struct k42_thread *t = prio_pick_next(self);

	if (!t) {
		t = tq_pop(&s->blocked);
		if (t)
			t->sq_where = 0;
	}
	return t;
}

static void prio_migrate_in(void *self, struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		prio_enqueue(self, t);
	else
		prio_block(self, t);
}

static void prio_count(void *self, uint64_t *r, uint64_t *b)
{
	struct prio *s = self;

	*r = s->nready;
	*b = s->blocked.n;
}

const struct k42_sched_ops k42_sched_prio = {
	.name = "prio",
	.state_size = sizeof(struct prio),
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
