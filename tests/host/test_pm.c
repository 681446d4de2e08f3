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

int main(void)
{
	mem = aligned_alloc(PM_PAGE_SIZE, SPAN);
	test_exhaustion();
	test_bad_frees();
	test_holes();
	test_random();
	free(mem);
	free(state);
	return check_done("pm");
}
