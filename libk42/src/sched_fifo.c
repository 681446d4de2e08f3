/*
 * FIFO scheduling policy: one ready queue in arrival order; a thread runs
 * until it blocks or yields, or until its 10 ms slice is over when an
 * event is handled and others wait. Blocked threads sit on a list of
 * their own, so a scheduler swap can move them.
 */
#include <k42/sched.h>
#include "tqueue.h"

#define IN_READY 1
#define IN_BLOCKED 2

static struct tqueue ready, blocked;

static void fifo_init(void)
{
	tq_init(&ready);
	tq_init(&blocked);
}

static void fifo_enqueue(struct k42_thread *t)
{
	t->sq_where = IN_READY;
	tq_push(&ready, t);
}

static struct k42_thread *fifo_pick_next(void)
{
	struct k42_thread *t = tq_pop(&ready);

	if (t)
		t->sq_where = 0;
	return t;
}

static void fifo_block(struct k42_thread *t)
{
	t->sq_where = IN_BLOCKED;
	tq_push(&blocked, t);
}

static void fifo_wake(struct k42_thread *t)
{
	if (t->sq_where == IN_BLOCKED)
		tq_remove(&blocked, t);
	fifo_enqueue(t);
}

static int fifo_tick(struct k42_thread *cur, uint64_t ran)
{
	(void)cur;
	return ready.head && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *fifo_migrate_out(void)
{
	struct k42_thread *t = tq_pop(&ready);

	if (!t)
		t = tq_pop(&blocked);
	if (t)
		t->sq_where = 0;
	return t;
}

static void fifo_migrate_in(struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		fifo_enqueue(t);
	else
		fifo_block(t);
}

static void fifo_count(uint64_t *r, uint64_t *b)
{
	*r = ready.n;
	*b = blocked.n;
}

const struct k42_sched_ops k42_sched_fifo = {
	.name = "fifo",
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
