/*
 * The @NAME@ scheduling policy (made by ./k42 new policy @NAME@;
 * docs/writing-a-scheduler.md): newest first. A thread that becomes ready
 * runs before those that were ready already; blocked threads are held on a
 * second queue, so a swap can move every thread. Change enqueue and
 * pick_next to make it yours. Runs with upcalls disabled and its
 * dispatcher locked: no locks of its own. Every dispatcher of a process
 * has its own instance: all the policy keeps is in struct @NAME@_state.
 */
#include <k42/sched.h>
#include "tqueue.h"

enum { NOWHERE, READY, BLOCKED };	/* sq_where */

struct @NAME@_state {
	struct tqueue ready, blocked;
};

static void @NAME@_init(void *self)
{
	struct @NAME@_state *s = self;

	tq_init(&s->ready);
	tq_init(&s->blocked);
}

/* Push at the front: the newest ready thread is picked first. */
static void @NAME@_enqueue(void *self, struct k42_thread *t)
{
	struct @NAME@_state *s = self;

	t->sq_where = READY;
	t->sq_prev = NULL;
	t->sq_next = s->ready.head;
	if (s->ready.head)
		s->ready.head->sq_prev = t;
	else
		s->ready.tail = t;
	s->ready.head = t;
	s->ready.n++;
}

static struct k42_thread *@NAME@_pick_next(void *self)
{
	struct @NAME@_state *s = self;
	struct k42_thread *t = tq_pop(&s->ready);

	if (t)
		t->sq_where = NOWHERE;
	return t;
}

static void @NAME@_block(void *self, struct k42_thread *t)
{
	struct @NAME@_state *s = self;

	t->sq_where = BLOCKED;
	tq_push(&s->blocked, t);
}

static void @NAME@_wake(void *self, struct k42_thread *t)
{
	struct @NAME@_state *s = self;

	if (t->sq_where == BLOCKED)
		tq_remove(&s->blocked, t);
	@NAME@_enqueue(self, t);
}

/* Give way after a time slice if anyone else is ready. */
static int @NAME@_tick(void *self, struct k42_thread *cur, uint64_t ran)
{
	struct @NAME@_state *s = self;

	(void)cur;
	return s->ready.head != NULL && ran >= K42_SCHED_SLICE_TB;
}

static struct k42_thread *@NAME@_migrate_out(void *self)
{
	struct @NAME@_state *s = self;
	struct k42_thread *t = tq_pop(&s->ready);

	if (!t)
		t = tq_pop(&s->blocked);
	if (t)
		t->sq_where = NOWHERE;
	return t;
}

static void @NAME@_migrate_in(void *self, struct k42_thread *t)
{
	if (t->state == K42_T_READY)
		@NAME@_enqueue(self, t);
	else
		@NAME@_block(self, t);
}

static void @NAME@_count(void *self, uint64_t *r, uint64_t *b)
{
	struct @NAME@_state *s = self;

	*r = s->ready.n;
	*b = s->blocked.n;
}

/* Found by name through k42_sched_policies[] (sched_policies in libk42/meson.build). */
extern const struct k42_sched_ops k42_sched_@NAME@;
const struct k42_sched_ops k42_sched_@NAME@ = {
	.name = "@NAME@",
	.state_size = sizeof(struct @NAME@_state),
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
