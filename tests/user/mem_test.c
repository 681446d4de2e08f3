/*
 * Memory test (run as init): anonymous zero-fill pages, frames returned
 * on unmap, copy-on-write clones isolated in both directions, and region
 * errors (overlap, bad ranges, protections).
 */
#include <string.h>
#include "check.h"

#define A 0x20000000ul
#define B 0x28000000ul
#define C 0x30000000ul
#define PG K42_PAGE_SIZE

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), before, during, after;
	volatile uint64_t *a = (uint64_t *)A, *b = (uint64_t *)B;
	int nonzero = 0;

	(void)arg;
	/* Zero fill, and frames come back on unmap. */
	before = k42_info(K42_INFO_FREE_FRAMES);
	EXPECT(k42_sc_mem_map_anon(self, A, 256 * PG, K42_PROT_READ | K42_PROT_WRITE) == 0, "map");
	for (uint64_t i = 0; i < 256 * PG / 8; i++)
		nonzero += a[i] != 0;
	EXPECT(nonzero == 0, "%d nonzero words in fresh memory", nonzero);
	for (uint64_t i = 0; i < 256; i++)
		a[i * PG / 8] = i * 0x0101010101010101ull;
	for (uint64_t i = 0; i < 256; i++)
		EXPECT(a[i * PG / 8] == i * 0x0101010101010101ull, "page %lu", i);
	during = k42_info(K42_INFO_FREE_FRAMES);
	EXPECT(before - during >= 256, "only %lu frames used for 256 pages", before - during);
	EXPECT(k42_sc_mem_unmap(self, A, 256 * PG) == 0, "unmap");
	/* With more than one CPU they come back after quiescence (mm/fcm.c
	 * fcm_release_page). */
	settle_deferred(30);
	after = k42_info(K42_INFO_FREE_FRAMES);
	k42_printf("mem_test: free frames %lu before, %lu with 256 pages touched, %lu after unmap\n",
		   before, during, after);
	EXPECT(after + 8 >= before, "frames not returned: %lu -> %lu", before, after);

	/* Copy on write. */
	EXPECT(k42_sc_mem_map_anon(self, A, 4 * PG, K42_PROT_READ | K42_PROT_WRITE) == 0, "map");
	for (int i = 0; i < 4; i++)
		a[i * PG / 8] = 0xc0ffee00 + (uint64_t)i;
	EXPECT(k42_sc_mem_cow(self, B, A, 4 * PG) == 0, "cow");
	for (int i = 0; i < 4; i++)
		EXPECT(b[i * PG / 8] == 0xc0ffee00 + (uint64_t)i, "clone sees page %d", i);
	b[0] = 111;
	EXPECT(a[0] == 0xc0ffee00, "write to the clone leaked into the original: %lx", a[0]);
	a[PG / 8] = 222;
	EXPECT(b[PG / 8] == 0xc0ffee01, "write to the original leaked into the clone: %lx", b[PG / 8]);
	EXPECT(a[0] == 0xc0ffee00 && b[0] == 111 && a[PG / 8] == 222, "each side keeps its writes");
	EXPECT(a[2 * PG / 8] == b[2 * PG / 8], "untouched pages still shared");

	/* Bad requests are refused, nothing changes. */
	EXPECT(k42_sc_mem_map_anon(self, A, PG, K42_PROT_READ) == -K42_EEXIST, "overlap");
	EXPECT(k42_sc_mem_map_anon(self, A + 1, PG, K42_PROT_READ) == -K42_EINVAL, "unaligned");
	EXPECT(k42_sc_mem_map_anon(self, 0xc000000000000000ul, PG, K42_PROT_READ) == -K42_EINVAL,
	       "kernel range");
	EXPECT(k42_sc_mem_map_anon(self, K42_USER_TOP - PG, 2 * PG, K42_PROT_READ) == -K42_EINVAL,
	       "past the top");
	EXPECT(k42_sc_mem_map_anon(self, A + 64 * PG, PG, 0x80) == -K42_EINVAL, "bad prot");
	EXPECT(k42_sc_mem_unmap(self, A + 1, PG) == -K42_EINVAL, "unaligned unmap");
	/* Part of a region: it is cut; the rest keeps its pages. */
	EXPECT(k42_sc_mem_unmap(self, A + PG, PG) == 0, "unmap of a middle page");
	EXPECT(a[0] == 0xc0ffee00 && a[2 * PG / 8] == b[2 * PG / 8], "both sides kept their pages");
	EXPECT(k42_sc_mem_map_anon(self, A + PG, PG, K42_PROT_READ | K42_PROT_WRITE) == 0,
	       "the hole maps again");
	EXPECT(a[PG / 8] == 0, "the new page is zero, not the old one");
	/* A clone of part of a region (the loader's text out of the boot
	 * archive): its own pages, at their offset; never past the
	 * region's end nor across two regions. */
	{
		volatile uint64_t *c = (uint64_t *)C;

		EXPECT(k42_sc_mem_cow(self, C, A + 3 * PG, PG) == 0, "cow of a region's last page");
		EXPECT(c[0] == 0xc0ffee03, "the part clone sees %lx, not page 3", c[0]);
		c[0] = 333;
		EXPECT(a[3 * PG / 8] == 0xc0ffee03, "a write to the part clone leaked: %lx",
		       a[3 * PG / 8]);
		EXPECT(k42_sc_mem_cow(self, C + 16 * PG, A + 3 * PG, 2 * PG) == -K42_EINVAL,
		       "cow past a region's end");
		EXPECT(k42_sc_mem_cow(self, C + 32 * PG, A, 2 * PG) == -K42_EINVAL,
		       "cow across two regions");
		EXPECT(k42_sc_mem_cow(self, C + 48 * PG, A + 2 * PG + 8, PG) == -K42_EINVAL,
		       "cow from an unaligned address");
		EXPECT(k42_sc_mem_unmap(self, C, PG) == 0, "unmap the part clone");
	}
	EXPECT(k42_sc_mem_map_anon(4000, A, PG, K42_PROT_READ) == -K42_ESRCH, "absent pid");
	EXPECT(k42_sc_mem_protect(self, A, 4 * PG, K42_PROT_READ) == 0, "protect");
	EXPECT(a[0] == 0xc0ffee00, "readable after protect");
	return verdict("mem_test");
}
