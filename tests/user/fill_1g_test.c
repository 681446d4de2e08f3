/*
 * Fault cost must not grow with the region (issue 12 item 16), run as init
 * in a 2 GiB guest: fill a 1 GiB anonymous region page by page (262,144
 * faults), read every page back, and give it all back. With the FCM's old
 * 64-bucket page hash a fault at the end walked a 4,096-page chain twice
 * and this did not finish in 90 s (256 MiB took 5); with the page map
 * each fault costs the same. The time per 128 MiB is printed for the eye
 * (./k42 bench measures fault cost under -icount); the verdict is about
 * what must hold: every page its own, every frame back, within the
 * suite's timeout.
 */
#include "check.h"

#define REGION_VA 0x100000000ul
#define REGION_BYTES (1ul << 30)
#define PAGES (REGION_BYTES / K42_PAGE_SIZE)
#define CHUNK (PAGES / 8)

static uint64_t avail(void)
{
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), hz = k42_info(K42_INFO_TIMEBASE_HZ);
	uint64_t before, filled, after, t0, bad = 0;
	volatile uint64_t *mem = (volatile uint64_t *)REGION_VA;
	long rc;

	(void)arg;
	before = avail();
	rc = k42_sc_mem_map_anon(self, REGION_VA, REGION_BYTES, K42_PROT_READ | K42_PROT_WRITE);
	EXPECT(rc == 0, "map 1 GiB: %ld", rc);
	if (rc)
		return verdict("fill_1g_test");
	for (uint64_t c = 0; c < 8; c++) {
		t0 = k42_timebase();
		for (uint64_t pg = c * CHUNK; pg < (c + 1) * CHUNK; pg++)
			mem[pg * K42_PAGE_SIZE / 8] = pg ^ 0x5a5a5a5a00000000ul;
		k42_printf("fill_1g_test: pages %lu..%lu: %lu us\n", c * CHUNK, (c + 1) * CHUNK - 1,
			   (k42_timebase() - t0) * 1000000 / hz);
	}
	filled = avail();
	for (uint64_t pg = 0; pg < PAGES; pg++)
		bad += mem[pg * K42_PAGE_SIZE / 8] != (pg ^ 0x5a5a5a5a00000000ul);
	EXPECT(bad == 0, "%lu pages of the 1 GiB region read back wrong", bad);
	EXPECT(before - filled >= PAGES, "only %lu frames for %lu pages", before - filled, PAGES);
	EXPECT(k42_sc_mem_unmap(self, REGION_VA, REGION_BYTES) == 0, "unmap");
	after = avail();
	k42_printf("fill_1g_test: frames available %lu before, %lu filled, %lu after\n", before,
		   filled, after);
	/* Page-table pages of the region's addresses may stay. */
	EXPECT(after + 1024 >= before, "%lu frames not returned", before - after);
	return verdict("fill_1g_test");
}
