/*
 * 100,000 user-level threads in one process (run as init): created in
 * waves of 1,000 alive at once; each yields, adds its number to a sum
 * under a mutex and returns it; all are joined and checked. The kernel's
 * free-frame figure is printed before and after: threads cost no kernel
 * memory, so it moves only by the process's own pages (the allocator's
 * pools and their page tables) — and not at all for a second round.
 */
#include "check.h"

#define TOTAL 100000
#define WAVE 1000
#define AGAIN 20000

static struct k42_mutex mu;
static uint64_t sum, ran;

static void *body(void *arg)
{
	k42_thread_yield();
	k42_mutex_lock(&mu);
	sum += (uint64_t)arg;
	ran++;
	k42_mutex_unlock(&mu);
	return arg;
}

static int round_of(uint64_t total)
{
	static k42_thread_t *t[WAVE];
	int bad = 0;

	for (uint64_t base = 0; base < total; base += WAVE) {
		for (int i = 0; i < WAVE; i++) {
			t[i] = k42_thread_create(body, (void *)(base + (uint64_t)i));
			if (!t[i]) {
				k42_printf("threads_test: create %lu failed\n", base + (uint64_t)i);
				return -1;
			}
		}
		for (int i = 0; i < WAVE; i++) {
			void *ret = NULL;

			if (k42_thread_join(t[i], &ret) != 0 || ret != (void *)(base + (uint64_t)i))
				bad++;
		}
	}
	return bad;
}

int main(uint64_t arg)
{
	uint64_t free0, free1, free2, t0, t1, created0 = k42_threads_created;
	struct k42_alloc_stats st;
	int bad;

	(void)arg;
	free0 = k42_info(K42_INFO_FREE_FRAMES);
	t0 = k42_timebase();
	bad = round_of(TOTAL);
	t1 = k42_timebase();
	free1 = k42_info(K42_INFO_FREE_FRAMES);
	k42_alloc_stats(&st);
	EXPECT(bad == 0, "%d threads returned the wrong value", bad);
	EXPECT(ran == TOTAL, "%lu threads ran", ran);
	EXPECT(sum == (uint64_t)TOTAL * (TOTAL - 1) / 2, "sum %lu", sum);
	EXPECT(k42_threads_created - created0 == TOTAL, "%lu created", k42_threads_created - created0);
	EXPECT(k42_threads_alive == 1, "%lu threads alive", k42_threads_alive);
	k42_printf("threads_test: %d threads created, run and joined (%d alive at most) in %lu ms\n",
		   TOTAL, WAVE, (t1 - t0) / (k42_info(K42_INFO_TIMEBASE_HZ) / 1000));
	k42_printf("threads_test: free frames before %lu, after %lu: %ld frames = the process's "
		   "own pages (allocator pools %lu KiB in %lu mem_map_anon calls, plus their page "
		   "tables)\n", free0, free1, (long)(free0 - free1), st.mapped_bytes / 1024,
		   st.map_calls);
	/* Only the pools (and page-table pages for them) may have been taken. */
	EXPECT(free0 - free1 <= st.mapped_bytes / K42_PAGE_SIZE + 16,
	       "%lu frames taken for %lu pool pages", free0 - free1, st.mapped_bytes / K42_PAGE_SIZE);

	bad = round_of(AGAIN);
	free2 = k42_info(K42_INFO_FREE_FRAMES);
	EXPECT(bad == 0 && ran == TOTAL + AGAIN, "second round: %d bad, %lu ran", bad, ran);
	k42_printf("threads_test: %d more threads: free frames %lu -> %lu (the pools are reused)\n",
		   AGAIN, free1, free2);
	EXPECT(free2 == free1, "second round changed free frames %lu -> %lu", free1, free2);
	return verdict("threads_test");
}
