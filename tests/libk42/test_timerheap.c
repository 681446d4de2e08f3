/*
 * Host tests of the user-space timer heap (timerheap.c): random pushes,
 * cancels and re-arms against a plain reference, pops in deadline order,
 * and the slot bookkeeping cancel relies on.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/timer.h>
#include "check.h"

#define N 5000

static struct k42_timer tm[N];
static int armed[N];

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static int heap_ok(const struct k42_timerheap *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->a[i]->slot != i + 1)
			return 0;
		if (i && h->a[(i - 1) / 2]->deadline > h->a[i]->deadline)
			return 0;
	}
	return 1;
}

int main(void)
{
	struct k42_timerheap h = { 0 };
	uint64_t last = 0, n = 0;
	struct k42_timer *t;

	CHECK(k42_theap_min(&h) == NULL && k42_theap_pop(&h) == NULL, "empty heap");
	for (int round = 0; round < 20000; round++) {
		int i = (int)(rnd() % N);

		if (armed[i] && rnd() % 2) {
			k42_theap_remove(&h, &tm[i]);
			armed[i] = 0;
			CHECK(tm[i].slot == 0, "slot cleared");
		} else {
			tm[i].deadline = rnd() % 100000;	/* re-arming moves it */
			CHECK(k42_theap_push(&h, &tm[i]) == 0, "push");
			armed[i] = 1;
		}
	}
	CHECK(heap_ok(&h), "heap order and slots");
	for (int i = 0; i < N; i++)
		n += (uint64_t)armed[i];
	CHECK(h.n == n, "%u in heap, %lu armed", h.n, n);
	k42_theap_remove(&h, &tm[0]);	/* removing twice is harmless */
	k42_theap_remove(&h, &tm[0]);
	if (armed[0])
		n--, armed[0] = 0;
	while ((t = k42_theap_pop(&h)) != NULL) {
		CHECK(t->deadline >= last, "pop order %lu after %lu", t->deadline, last);
		CHECK(armed[t - tm], "popped a cancelled timer");
		armed[t - tm] = 0;
		last = t->deadline;
		n--;
	}
	CHECK(n == 0, "%lu lost", n);
	/* Deadlines compare modulo wrap-around, like the timebase. */
	tm[1].deadline = UINT64_MAX - 5;
	tm[2].deadline = 3;
	k42_theap_push(&h, &tm[2]);
	k42_theap_push(&h, &tm[1]);
	CHECK(k42_theap_pop(&h) == &tm[1], "wrap-around order");
	free(h.a);
	return check_done("libk42/timerheap");
}
