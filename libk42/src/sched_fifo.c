/*
 * FIFO scheduling policy: one ready queue in arrival order; a thread runs
 * until it blocks or yields, or until its 10 ms slice is over when an
 * event is handled and others wait. Blocked threads sit on a list of
 * their own, so a scheduler swap can move them. One instance per
 * dispatcher: everything it keeps is in struct fifo.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define IN_READY 1
#define IN_BLOCKED 2

struct fifo {
	struct tqueue ready, blocked;
};

static void fifo_init(void *self)
{
	struct fifo *s = self;

	tq_init(&s->ready);
	tq_init(&s->blocked);
}

static void fifo_enqueue(void *self, struct k42_thread *t)
{
	struct fifo *s = self;

	t->sq_where = IN_READY;
	tq_push(&s->ready, t);
}

static struct k42_thread *fifo_pick_next(void *self)
{
	struct fifo *s = self;
	struct k42_thread *t = tq_pop(&s->ready);

	if (t)
		t->sq_where = 0;
	return t;
}

static void fifo_block(void *self, struct k42_thread *t)
{
	struct fifo *s = self;

	t->sq_where = IN_BLOCKED;
	tq_push(&s->blocked, t);
}

static void fifo_wake(void *self, struct k42_thread *t)
{
	struct fifo *s = self;

	if (t->sq_where == IN_BLOCKED)
		tq_remove(&s->blocked, t);
	fifo_enqueue(self, t);
}

static int fifo_tick(void *self, struct k42_thread *cur, uint64_t ran)
{
	struct fifo *s = self;

	(void)cur;
	return s->ready.head && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *fifo_migrate_out(void *self)
{
	struct fifo *s = self;
	struct k42_thread *t = tq_pop(&s->ready);

	if (!t)
		t = tq_pop(&s->blocked);
	if (t)
		t->sq_where = 0;
	return t;
}

static void fifo_migrate_in(void *self, struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		fifo_enqueue(self, t);
	else
		fifo_block(self, t);
}

static void fifo_count(void *self, uint64_t *r, uint64_t *b)
{
	struct fifo *s = self;

	*r = s->ready.n;
	*b = s->blocked.n;
}

const struct k42_sched_ops k42_sched_fifo = {
	.name = "fifo",
	.state_size = sizeof(struct fifo),
	.init = fifo_init,
	.enqueue = fifo_enqueue,
	.pick_next = fifo_pick_next,
	.block = fifo_block,
	.wake = fifo_wake,
	.tick = fifo_tick,
	.migrate_out = fifo_migrate_out,
	.migrate_in = fifo_migrate_in,
	.count = fifo_count,
};
