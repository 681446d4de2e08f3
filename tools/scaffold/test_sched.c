/*
 * Host test of the @NAME@ policy (made by ./k42 new policy @NAME@): it is in
 * the registry, picks newest first, holds blocked threads and wakes them
 * to the front, and gives up every thread it holds to a swap. The swap
 * between every pair of registered policies is tests/libk42/test_sched.c's.
 */
#include <string.h>
#include <k42/sched.h>
#include "check.h"

#define N 50

/* Declared by the generated registry (sched_registry.c), defined in sched_@NAME@.c. */
extern const struct k42_sched_ops k42_sched_@NAME@;

static struct k42_thread th[N];
/* One instance of the policy's state (each dispatcher has its own). */
static uint64_t S[K42_SCHED_STATE_MAX / 8] __attribute__((aligned(16)));

k42_thread_t *k42_thread_self(void)
{
	return &th[0];
}

static void ready(const struct k42_sched_ops *p, struct k42_thread *t)
{
	t->state = K42_T_READY;
	p->enqueue(S, t);
}

int main(void)
{
	const struct k42_sched_ops *p = NULL;
	uint64_t r, b, n = 0;

	for (int i = 0; k42_sched_policies[i]; i++)
		if (strcmp(k42_sched_policies[i]->name, "@NAME@") == 0)
			p = k42_sched_policies[i];
	CHECK(p == &k42_sched_@NAME@, "@NAME@ is in the registry");
	if (!p)
		return check_done("libk42/sched_@NAME@");
	CHECK(p->state_size <= sizeof(S), "state fits: %zu bytes", p->state_size);
	memset(th, 0, sizeof(th));
	p->init(S);
	CHECK(p->pick_next(S) == NULL, "empty after init");
	for (int i = 0; i < N; i++)
		ready(p, &th[i]);
	for (int i = N - 1; i >= 0; i--)
		CHECK(p->pick_next(S) == &th[i], "newest first at %d", i);
	CHECK(p->pick_next(S) == NULL, "drained");

	for (int i = 0; i < 10; i++) {
		th[i].state = K42_T_BLOCKED;
		p->block(S, &th[i]);
	}
	ready(p, &th[20]);
	p->count(S, &r, &b);
	CHECK(r == 1 && b == 10, "%lu ready %lu blocked", r, b);
	th[5].state = K42_T_READY;
	p->wake(S, &th[5]);
	CHECK(p->pick_next(S) == &th[5] && p->pick_next(S) == &th[20], "a woken thread runs first");
	CHECK(p->tick(S, &th[0], K42_SCHED_SLICE_TB) == 0, "no one else ready: keep running");
	ready(p, &th[30]);
	CHECK(p->tick(S, &th[0], K42_SCHED_SLICE_TB) == 1, "slice over, another ready: give way");
	CHECK(p->tick(S, &th[0], 0) == 0, "slice not over");

	while (p->migrate_out(S) != NULL)
		n++;
	p->count(S, &r, &b);
	CHECK(n == 10 && r == 0 && b == 0, "swap took %lu, left %lu ready %lu blocked", n, r, b);
	return check_done("libk42/sched_@NAME@");
}
