/*
 * Host test of the buddy frame allocator (mm/pm.c) on a plain buffer under
 * ASan: every order, alignment, exhaustion, bad and double frees, holes,
 * coalescing back to maximal blocks, and a long random alloc/free run
 * checked against a shadow map of owned frames.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/errno.h>
#include <mm/pm.h>
#include "check.h"

#define SPAN (64ull << 20)		/* 64 MiB of pretend real memory */
#define BASE (0x10000000ull)		/* at real address 256 MiB */
#define FRAMES (SPAN / PM_PAGE_SIZE)

static unsigned char *mem;
static uint8_t *state;
static struct pm pm;

static void setup(void)
{
	size_t sb = pm_state_bytes(BASE, SPAN);

	free(state);
	state = malloc(sb);
	pm_init(&pm, BASE, SPAN, state, mem);
}

static void test_exhaustion(void)
{
	uint64_t pa, n = 0;

	setup();
	CHECK(pm_add_free(&pm, BASE, SPAN) == 0, "add");
	CHECK(pm_free_frames(&pm) == FRAMES, "free %lu", pm_free_frames(&pm));
	CHECK(pm_check(&pm) == 0, "check after add");
	while (pm_alloc(&pm, 0, &pa) == 0)
		n++;
	CHECK(n == FRAMES, "allocated %lu of %llu", n, FRAMES);
	CHECK(pm_alloc(&pm, 0, &pa) == -K42_ENOMEM, "empty alloc");
	CHECK(pm_alloc(&pm, PM_ORDERS, &pa) == -K42_EINVAL, "order too big");
	for (uint64_t i = 0; i < FRAMES; i++)
		CHECK(pm_free(&pm, BASE + i * PM_PAGE_SIZE, 0) == 0, "free %lu", i);
	CHECK(pm_check(&pm) == 0, "check after refill");
	for (int i = 0; i < (int)(SPAN >> 22); i++)
		CHECK(pm_alloc(&pm, PM_ORDERS - 1, &pa) == 0, "max block %d", i);
	CHECK(pm_free_frames(&pm) == 0, "all max blocks");
}

static void test_bad_frees(void)
{
	uint64_t a, b;

	setup();
	CHECK(pm_add_free(&pm, BASE, SPAN) == 0, "add");
	CHECK(pm_alloc(&pm, 3, &a) == 0 && pm_alloc(&pm, 0, &b) == 0, "allocs");
	CHECK(pm_free(&pm, a + PM_PAGE_SIZE, 0) == -K42_EINVAL, "free of a tail frame");
	CHECK(pm_free(&pm, a, 2) == -K42_EINVAL, "free with the wrong order");
	CHECK(pm_free(&pm, a + 1, 3) == -K42_EINVAL, "unaligned free");
	CHECK(pm_free(&pm, BASE - PM_PAGE_SIZE, 0) == -K42_EINVAL, "free below the span");
	CHECK(pm_free(&pm, BASE + SPAN, 0) == -K42_EINVAL, "free above the span");
	CHECK(pm_free(&pm, a, 3) == 0, "good free");
	CHECK(pm_free(&pm, a, 3) == -K42_EINVAL, "double free");
	CHECK(pm_free(&pm, b, 0) == 0 && pm_free(&pm, b, 0) == -K42_EINVAL, "double free order 0");
	CHECK(pm_free_frames(&pm) == FRAMES, "count restored");
	CHECK(pm_check(&pm) == 0, "consistent");
}

static void test_holes(void)
{
	uint64_t pa;
	int n = 0;

	setup();
	/* Two unaligned islands; reserved frames between them are never handed out. */
	CHECK(pm_add_free(&pm, BASE + 0x1800, 0x10000) == 0, "island 1");
	CHECK(pm_add_free(&pm, BASE + 0x200000, 0x3000) == 0, "island 2");
	CHECK(pm_add_free(&pm, BASE + 0x202000, 0x1000) == -K42_EEXIST, "overlap rejected");
	CHECK(pm_add_free(&pm, BASE - 0x1000, 0x1000) == -K42_ERANGE, "below span rejected");
	CHECK(pm_free_frames(&pm) == 15 + 3, "frames %lu", pm_free_frames(&pm));
	while (pm_alloc(&pm, 0, &pa) == 0) {
		CHECK((pa >= BASE + 0x2000 && pa < BASE + 0x11000) ||
		      (pa >= BASE + 0x200000 && pa < BASE + 0x203000), "frame 0x%lx outside islands", pa);
		n++;
	}
	CHECK(n == 18, "got %d", n);
}

static void test_random(void)
{
	enum { SLOTS = 512 };
	uint64_t pa[SLOTS] = { 0 };
	unsigned ord[SLOTS];
	uint8_t *owner = calloc(FRAMES, 1);

	setup();
	CHECK(pm_add_free(&pm, BASE, SPAN) == 0, "add");
	srand(42);
	for (int step = 0; step < 200000; step++) {
		int s = rand() % SLOTS;

		if (pa[s]) {
			uint64_t first = (pa[s] - BASE) / PM_PAGE_SIZE;

			for (uint64_t i = 0; i < (1ull << ord[s]); i++)
				owner[first + i] = 0;
			CHECK(pm_free(&pm, pa[s], ord[s]) == 0, "free slot %d", s);
			pa[s] = 0;
		} else {
			unsigned o = (unsigned)(rand() % PM_ORDERS);

			if (pm_alloc(&pm, o, &pa[s]) == 0) {
				uint64_t first = (pa[s] - BASE) / PM_PAGE_SIZE;

				ord[s] = o;
				CHECK(((pa[s] - BASE) & ((PM_PAGE_SIZE << o) - 1)) == 0, "alignment");
				for (uint64_t i = 0; i < (1ull << o); i++) {
					CHECK(!owner[first + i], "frame %lu handed out twice", first + i);
					owner[first + i] = 1;
				}
				memset(mem + (pa[s] - BASE), 0xa5, 64);	/* ASan: inside the buffer */
			} else {
				pa[s] = 0;
			}
		}
		if (step % 20000 == 0)
			CHECK(pm_check(&pm) == 0, "consistent at step %d", step);
	}
	for (int s = 0; s < SLOTS; s++)
		if (pa[s])
			CHECK(pm_free(&pm, pa[s], ord[s]) == 0, "final free");
	CHECK(pm_free_frames(&pm) == FRAMES && pm_check(&pm) == 0, "all back");
	free(owner);
}

/*
 * The calls per-CPU caches are built on: batches off and back onto the
 * lists, frames moved between CACHED and USED one at a time (a double
 * free refused), cached frames counted as free, and the hooks pm_alloc
 * and pm_free go through, with a rebalance when the lists run dry.
 */
static uint64_t fake_cache[FRAMES], held[FRAMES];
static unsigned fake_n;
static int fake_rebalances, fake_refusals;

static int fake_alloc(struct pm *p, uint64_t *pa)
{
	if (fake_n == 0)
		fake_n = pm_take_batch(p, fake_cache, 8);
	if (fake_n == 0)
		return pm_alloc_lists(p, 0, pa);
	*pa = fake_cache[--fake_n];
	return pm_cached_to_used(p, *pa);
}

static int fake_free(struct pm *p, uint64_t pa)
{
	int rc = pm_used_to_cached(p, pa);

	if (rc == 0)
		fake_cache[fake_n++] = pa;
	return rc;
}

static uint64_t fake_rebalance(struct pm *p)
{
	uint64_t n = fake_n;

	pm_give_batch(p, fake_cache, fake_n);
	fake_n = 0;
	fake_rebalances++;
	return n;
}

static void fake_refused(struct pm *p)
{
	(void)p;
	fake_refusals++;
}

static const struct pm_cache_hooks fake_hooks = { fake_alloc, fake_free, fake_rebalance,
						  fake_refused };

static void test_cache(void)
{
	uint64_t pa[16], one, big;
	unsigned n;

	setup();
	CHECK(pm_add_free(&pm, BASE, SPAN) == 0, "add");
	n = pm_take_batch(&pm, pa, 16);
	CHECK(n == 16 && pm_free_frames(&pm) == FRAMES, "batch of %u; %lu free", n,
	      pm_free_frames(&pm));
	CHECK(pm.cached_frames == 16 && pm_check(&pm) == 0, "cached %lu", pm.cached_frames);
	CHECK(pm_free(&pm, pa[0], 0) == -K42_EINVAL, "free of a cached frame accepted");
	CHECK(pm_cached_to_used(&pm, pa[0]) == 0, "cached -> used");
	CHECK(pm_cached_to_used(&pm, pa[0]) == -K42_EINVAL, "used frame taken from a cache twice");
	CHECK(pm_free_frames(&pm) == FRAMES - 1, "free %lu", pm_free_frames(&pm));
	CHECK(pm_used_to_cached(&pm, pa[0]) == 0, "used -> cached");
	CHECK(pm_used_to_cached(&pm, pa[0]) == -K42_EINVAL, "double free into a cache accepted");
	CHECK(pm_used_to_cached(&pm, BASE + 3) == -K42_EINVAL, "misaligned frame accepted");
	CHECK(pm_used_to_cached(&pm, BASE - PM_PAGE_SIZE) == -K42_EINVAL, "outside frame accepted");
	pm_give_batch(&pm, pa, 16);
	pm_give_batch(&pm, pa, 16);	/* not cached any more: ignored */
	CHECK(pm.cached_frames == 0 && pm_free_frames(&pm) == FRAMES && pm_check(&pm) == 0,
	      "after give: cached %lu free %lu", pm.cached_frames, pm_free_frames(&pm));
	CHECK(pm_alloc(&pm, PM_ORDERS - 1, &big) == 0, "coalesced back to a maximal block");
	CHECK(pm_free(&pm, big, PM_ORDERS - 1) == 0, "free maximal block");

	/* Through the hooks: every frame, the last ones after a rebalance. */
	pm_set_cache(&pm, &fake_hooks);
	n = 0;
	for (uint64_t i = 0; i < FRAMES; i++)
		if (pm_alloc(&pm, 0, &held[i]) == 0)
			n++;
	CHECK(n == FRAMES, "%u of %lu frames allocated", n, (uint64_t)FRAMES);
	CHECK(pm_free_frames(&pm) == 0, "%lu left after taking every frame", pm_free_frames(&pm));
	CHECK(fake_refusals == 0, "%d refusals heard while frames were left", fake_refusals);
	CHECK(pm_alloc(&pm, 0, &one) == -K42_ENOMEM, "alloc from an empty PM");
	CHECK(pm_alloc(&pm, 2, &big) == -K42_ENOMEM, "order-2 alloc from an empty PM");
	CHECK(fake_refusals == 2, "%d refusals heard, not 2", fake_refusals);
	fake_rebalances = 0;	/* (the order-2 one tried one, in vain) */
	n = 0;
	for (uint64_t i = 0; i < FRAMES; i++)
		if (pm_free(&pm, held[i], 0) == 0)
			n++;
	CHECK(n == FRAMES, "%u of %lu frames freed", n, (uint64_t)FRAMES);
	CHECK(fake_n == FRAMES && pm_free_frames(&pm) == FRAMES, "all cached: %u, free %lu", fake_n,
	      pm_free_frames(&pm));
	CHECK(pm_alloc(&pm, 3, &big) == 0 && fake_rebalances == 1,
	      "order-3 block not found through a rebalance (%d)", fake_rebalances);
	CHECK(pm_free(&pm, big, 3) == 0 && pm_check(&pm) == 0, "consistent at the end");
	pm_set_cache(&pm, NULL);
}

int main(void)
{
	mem = aligned_alloc(PM_PAGE_SIZE, SPAN);
	test_exhaustion();
	test_bad_frees();
	test_holes();
	test_random();
	test_cache();
	free(mem);
	free(state);
	return check_done("pm");
}
