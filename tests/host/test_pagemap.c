/*
 * Host test of the FCM page map (mm/pagemap.c) against a plain model:
 * random sets and clears over dense, sparse and extreme page numbers, every
 * lookup agreeing with the model; allocation failure leaving the map as it
 * was; and every node freed by pagemap_destroy (ASan reports a leak).
 */
#include <stdlib.h>
#include <string.h>
#include <mm/kmem.h>
#include <mm/pagemap.h>
#include "check.h"

static long live_nodes, fail_after = -1;

void *kmem_alloc(size_t size)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	live_nodes++;
	return calloc(1, size);
}

void kmem_free(void *p, size_t size)
{
	(void)size;
	live_nodes--;
	free(p);
}

#define N 4000

static uint64_t keys[N];
static void *vals[N];

static uint64_t rnd(void)
{
	static uint64_t s = 88172645463325252ull;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

int main(void)
{
	struct pagemap m;

	memset(&m, 0, sizeof(m));
	CHECK(pagemap_get(&m, 0) == NULL && pagemap_get(&m, ~0ull) == NULL, "empty map");
	pagemap_clear(&m, 12345);	/* nothing there: no effect */

	/* Keys: dense (a 1 GiB region's pages), sparse, and the extremes. */
	for (int i = 0; i < N; i++) {
		switch (i % 4) {
		case 0: keys[i] = (uint64_t)i; break;
		case 1: keys[i] = 262144 - (uint64_t)i; break;
		case 2: keys[i] = rnd() >> (rnd() % 64); break;
		default: keys[i] = i & 8 ? ~0ull - (uint64_t)i : (uint64_t)i << 40; break;
		}
		vals[i] = (void *)(uintptr_t)(i * 16 + 8);
	}
	for (int i = 0; i < N; i++)
		CHECK(pagemap_set(&m, keys[i], vals[i]) == 0, "set %d", i);
	for (int i = 0; i < N; i++) {
		/* A later equal key wins. */
		void *want = vals[i];

		for (int j = i + 1; j < N; j++)
			if (keys[j] == keys[i])
				want = vals[j];
		CHECK(pagemap_get(&m, keys[i]) == want, "get %d (key %#lx)", i, (unsigned long)keys[i]);
	}
	CHECK(m.height == 8, "height %u after a key of 64 bits", m.height);
	CHECK(pagemap_get(&m, 262144 + 1) == NULL, "a key never set");

	/* Clear half; the rest stays. */
	for (int i = 0; i < N; i += 2)
		pagemap_clear(&m, keys[i]);
	for (int i = 1; i < N; i += 2) {
		int cleared = 0;

		for (int j = 0; j < N; j += 2)
			cleared |= keys[j] == keys[i];
		if (!cleared)
			CHECK(pagemap_get(&m, keys[i]) != NULL, "key %d lost", i);
	}
	for (int i = 0; i < N; i += 2)
		CHECK(pagemap_get(&m, keys[i]) == NULL, "key %d not cleared", i);
	CHECK((long)m.nodes == live_nodes, "nodes %lu, allocated %ld", (unsigned long)m.nodes,
	      live_nodes);
	pagemap_destroy(&m);
	CHECK(live_nodes == 0 && m.nodes == 0 && !m.root, "destroy left %ld nodes", live_nodes);

	/* Out of memory part way down: -K42_ENOMEM, the earlier keys intact. */
	CHECK(pagemap_set(&m, 5, vals[0]) == 0, "set 5");
	fail_after = 1;
	CHECK(pagemap_set(&m, 1ull << 30, vals[1]) < 0, "set with no memory");
	fail_after = -1;
	CHECK(pagemap_get(&m, 5) == vals[0], "key 5 after a failed set");
	CHECK(pagemap_get(&m, 1ull << 30) == NULL, "failed key present");
	CHECK(pagemap_set(&m, 1ull << 30, vals[1]) == 0 && pagemap_get(&m, 1ull << 30) == vals[1],
	      "set after the failure");
	pagemap_destroy(&m);
	CHECK(live_nodes == 0, "leak %ld", live_nodes);

	return check_done("pagemap");
}
