/*
 * The @NAME@ scheduling policy (made by ./k42 new policy @NAME@;
 * docs/writing-a-scheduler.md): newest first. A thread that becomes ready
 * runs before those that were ready already; blocked threads are held on a
 * second queue, so a swap can move every thread. Change enqueue and
 * pick_next to make it yours. Runs with upcalls disabled: no locks.
 */
#include <k42/sched.h>
#include "tqueue.h"

enum { NOWHERE, READY, BLOCKED };	/* sq_where */

static struct tqueue ready, blocked;

static void @NAME@_init(void)
{
	tq_init(&ready);
	tq_init(&blocked);
}

/* Push at the front: the newest ready thread is picked first. */
static void @NAME@_enqueue(struct k42_thread *t)
{
	t->sq_where = READY;
	t->sq_prev = NULL;
	t->sq_next = ready.head;
	if (ready.head)
		ready.head->sq_prev = t;
	else
		ready.tail = t;
	ready.head = t;
	ready.n++;
}

static struct k42_thread *@NAME@_pick_next(void)
{
	struct k42_thread *t = tq_pop(&ready);

	if (t)
		t->sq_where = NOWHERE;
	return t;
}

static void @NAME@_block(struct k42_thread *t)
{
	t->sq_where = BLOCKED;
	tq_push(&blocked, t);
}

static void @NAME@_wake(struct k42_thread *t)
{
	if (t->sq_where == BLOCKED)
		tq_remove(&blocked, t);
	@NAME@_enqueue(t);
}

/* Give way after a time slice if anyone else is ready. */
static int @NAME@_tick(struct k42_thread *cur, uint64_t ran)
{
	(void)cur;
	return ready.head != NULL && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *@NAME@_migrate_out(void)
{
	struct k42_thread *t = tq_pop(&ready);

	if (!t)
		t = tq_pop(&blocked);
	if (t)
		t->sq_where = NOWHERE;
	return t;
}

static void @NAME@_migrate_in(struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		@NAME@_enqueue(t);
	else
		@NAME@_block(t);
}

static void @NAME@_count(uint64_t *r, uint64_t *b)
{
	*r = ready.n;
	*b = blocked.n;
}

/* Found by name through k42_sched_policies[] (sched_policies in libk42/meson.build). */
extern const struct k42_sched_ops k42_sched_@NAME@;
const struct k42_sched_ops k42_sched_@NAME@ = {
	.name = "@NAME@",
	.init = @NAME@_init,
	.enqueue = @NAME@_enqueue,
	.pick_next = @NAME@_pick_next,
	.block = @NAME@_block,
	.wake = @NAME@_wake,
	.tick = @NAME@_tick,
	.migrate_out = @NAME@_migrate_out,
	.migrate_in = @NAME@_migrate_in,
	.count = @NAME@_count,
};
