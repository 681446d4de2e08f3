/*
 * Host tests of the scheduling policies (sched_fifo.c, sched_prio.c,
 * sched_lottery.c) through their ops tables, as the runtime drives them:
 * order of picks, block/wake, tick decisions, and swaps that must move
 * every ready and blocked thread without loss or duplication, and two
 * instances of one policy (two dispatchers) that never see each other's
 * threads.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/sched.h>
#include "check.h"

#define N 200

static struct k42_thread th[N];
/* Policy instances (each dispatcher has its own): S is the one most tests
 * use and the source of a swap (SA), SB its destination. */
static uint64_t S[K42_SCHED_STATE_MAX / 8] __attribute__((aligned(16)));
static uint64_t SB[K42_SCHED_STATE_MAX / 8] __attribute__((aligned(16)));
#define SA S

k42_thread_t *k42_thread_self(void)
{
	return &th[0];
}

static void reset(void)
{
	memset(th, 0, sizeof(th));
	for (int i = 0; i < N; i++) {
		th[i].id = (uint64_t)i;
		th[i].prio = i % 32;
		th[i].tickets = 100;
	}
}

static void ready(const struct k42_sched_ops *p, struct k42_thread *t)
{
	t->state = K42_T_READY;
	p->enqueue(S, t);
}

static void test_fifo(void)
{
	const struct k42_sched_ops *p = &k42_sched_fifo;
	uint64_t r, b;

	reset();
	p->init(S);
	CHECK(p->pick_next(S) == NULL, "empty");
	for (int i = 0; i < N; i++)
		ready(p, &th[i]);
	for (int i = 0; i < N; i++)
		CHECK(p->pick_next(S) == &th[i], "fifo order at %d", i);
	CHECK(p->pick_next(S) == NULL, "drained");
	/* Blocked threads are held, and wake to the tail. */
	for (int i = 0; i < 10; i++) {
		th[i].state = K42_T_BLOCKED;
		p->block(S, &th[i]);
	}
	ready(p, &th[20]);
	p->count(S, &r, &b);
	CHECK(r == 1 && b == 10, "%lu ready %lu blocked", r, b);
	th[5].state = K42_T_READY;
	p->wake(S, &th[5]);
	CHECK(p->pick_next(S) == &th[20] && p->pick_next(S) == &th[5], "wake to the tail");
	CHECK(p->tick(S, &th[30], 0) == 0, "nothing ready: no preemption");
	ready(p, &th[31]);
	CHECK(p->tick(S, &th[30], 1) == 0 && p->tick(S, &th[30], K42_SCHED_SLICE_TB) == 1, "slice");
}

static void test_prio(void)
{
	const struct k42_sched_ops *p = &k42_sched_prio;
	int last = 99;
	uint64_t last_id = 0;

	reset();
	p->init(S);
	for (int i = 0; i < N; i++)
		ready(p, &th[i]);
	for (int i = 0; i < N; i++) {
		struct k42_thread *t = p->pick_next(S);

		CHECK(t && t->prio <= last, "priority order");
		if (t && t->prio == last)
			CHECK(t->id > last_id, "fifo among equals: %lu after %lu", t->id, last_id);
		if (t) {
			last = t->prio;
			last_id = t->id;
		}
	}
	CHECK(p->pick_next(S) == NULL, "drained");
	/* Equal priorities round robin; higher preempts at tick. */
	th[1].prio = th[2].prio = 5;
	ready(p, &th[1]);
	ready(p, &th[2]);
	CHECK(p->pick_next(S) == &th[1], "first of equals");
	th[3].prio = 4;
	CHECK(p->tick(S, &th[3], 0) == 1, "higher ready preempts");
	th[3].prio = 9;
	CHECK(p->tick(S, &th[3], K42_SCHED_SLICE_TB * 5) == 0, "lower ready never preempts");
	th[3].prio = 5;
	CHECK(p->tick(S, &th[3], 0) == 0 && p->tick(S, &th[3], K42_SCHED_SLICE_TB) == 1, "equal: slice");
	th[50].prio = 77;	/* clamped */
	ready(p, &th[50]);
	CHECK(p->pick_next(S) == &th[50], "clamped to the top");
}

static void test_lottery(void)
{
	const struct k42_sched_ops *p = &k42_sched_lottery;
	uint64_t wins[2] = { 0, 0 };
	int seen[N] = { 0 };

	reset();
	p->init(S);
	for (int i = 0; i < N; i++)
		ready(p, &th[i]);
	for (int i = 0; i < N; i++) {
		struct k42_thread *t = p->pick_next(S);

		CHECK(t != NULL, "pick %d", i);
		if (t)
			seen[t->id]++;
	}
	for (int i = 0; i < N; i++)
		CHECK(seen[i] == 1, "thread %d picked %d times", i, seen[i]);
	/* Proportional share: 300 tickets against 100 wins about 3 in 4. */
	th[0].tickets = 300;
	th[1].tickets = 100;
	for (int k = 0; k < 40000; k++) {
		struct k42_thread *t;

		ready(p, &th[0]);
		ready(p, &th[1]);
		t = p->pick_next(S);
		wins[t == &th[1]]++;
		p->pick_next(S);
	}
	CHECK(wins[0] > 28000 && wins[0] < 32000, "share %lu of 40000", wins[0]);
}

/* Move a mix of ready and blocked threads through every policy pair. */
static void test_swap(void)
{
	const struct k42_sched_ops *const *pol = k42_sched_policies;
	int npol = 0;

	while (pol[npol])
		npol++;
	CHECK(npol >= 3, "%d policies registered", npol);
	for (int a = 0; a < npol; a++) {
		for (int b = 0; b < npol; b++) {
			const struct k42_sched_ops *from = pol[a], *to = pol[b];
			int state_seen[N] = { 0 };
			uint64_t r, bl, moved = 0;
			struct k42_thread *t;

			if (a == b)
				continue;
			reset();
			from->init(SA);
			for (int i = 0; i < N; i++) {
				if (i % 3 == 0) {
					th[i].state = K42_T_BLOCKED;
					from->block(SA, &th[i]);
				} else {
					ready(from, &th[i]);
				}
			}
			to->init(SB);
			while ((t = from->migrate_out(SA)) != NULL) {
				to->migrate_in(SB, t);
				moved++;
			}
			CHECK(moved == N, "%s->%s moved %lu", from->name, to->name, moved);
			from->count(SA, &r, &bl);
			CHECK(r == 0 && bl == 0, "old policy empty");
			to->count(SB, &r, &bl);
			CHECK(r == N - (N + 2) / 3 && bl == (N + 2) / 3, "%s: %lu ready %lu blocked",
			      to->name, r, bl);
			/* Every ready thread comes out once; blocked ones wake intact. */
			while ((t = to->pick_next(SB)) != NULL)
				state_seen[t->id]++;
			for (int i = 0; i < N; i++) {
				if (i % 3 == 0) {
					th[i].state = K42_T_READY;
					to->wake(SB, &th[i]);
				}
			}
			while ((t = to->pick_next(SB)) != NULL)
				state_seen[t->id] += 10;
			for (int i = 0; i < N; i++)
				CHECK(state_seen[i] == (i % 3 == 0 ? 10 : 1), "%s->%s thread %d: %d",
				      from->name, to->name, i, state_seen[i]);
		}
	}
}

/* Two instances of every policy: threads given to one are never picked
 * from the other, and each counts only its own. */
static void test_instances(void)
{
	for (int k = 0; k42_sched_policies[k]; k++) {
		const struct k42_sched_ops *p = k42_sched_policies[k];
		uint64_t r, b, ra, rb;

		CHECK(p->state_size > 0 && p->state_size <= sizeof(S), "%s: state of %zu bytes",
		      p->name, p->state_size);
		reset();
		p->init(S);
		p->init(SB);
		for (int i = 0; i < N; i++) {
			th[i].state = K42_T_READY;
			p->enqueue(i % 2 ? SB : S, &th[i]);
		}
		p->count(S, &r, &b);
		CHECK(r == N / 2 && b == 0, "%s: instance A has %lu ready", p->name, r);
		ra = rb = 0;
		for (struct k42_thread *t; (t = p->pick_next(S)) != NULL; ra++)
			CHECK(t->id % 2 == 0, "%s: A picked B's thread %lu", p->name, t->id);
		for (struct k42_thread *t; (t = p->pick_next(SB)) != NULL; rb++)
			CHECK(t->id % 2 == 1, "%s: B picked A's thread %lu", p->name, t->id);
		CHECK(ra == N / 2 && rb == N / 2, "%s: picked %lu and %lu", p->name, ra, rb);
	}
}

int main(void)
{
	test_instances();
	test_fifo();
	test_prio();
	test_lottery();
	test_swap();
	return check_done("libk42/sched");
}
