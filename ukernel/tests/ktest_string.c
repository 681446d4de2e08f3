/*
 * In-kernel test of memset's zeroing by cache blocks (lib/string.c: dcbz
 * on ppc64, which host/string cannot run): for every start offset within
 * a block and lengths around block multiples, exactly [start, start + n)
 * becomes zero and the bytes either side keep their pattern; and a
 * non-zero fill of a long range is unchanged by the block path.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <kern/ktest.h>
#include <mm/meminit.h>
#include <mm/pm.h>

#define BUF_ORDER 2	/* 16 KiB */

static int check(const unsigned char *b, size_t len, size_t start, size_t n, unsigned char fill)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char want = i >= start && i < start + n ? fill : (unsigned char)(i * 7 + 1);

		if (b[i] != want)
			return 0;
	}
	return 1;
}

KTEST(memset_blocks)
{
	static const size_t lens[] = { 0, 1, 127, 128, 255, 256, 257, 383, 384, 1000, 4096, 4097, 8191 };
	size_t len = PM_PAGE_SIZE << BUF_ORDER;
	uint64_t pa;
	unsigned char *b;
	unsigned bad = 0;

	KTEST_CHECK(t, pm_alloc(pm_root(), BUF_ORDER, &pa) == 0, "no frames for the buffer");
	if (t->failures)
		return;
	b = phys_to_virt(pa);
	for (size_t start = 0; start < 256; start += 9)
		for (unsigned l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			for (int fill = 0; fill < 2; fill++) {
				for (size_t i = 0; i < len; i++)
					b[i] = (unsigned char)(i * 7 + 1);
				memset(b + start, fill ? 0xa5 : 0, lens[l]);
				if (!check(b, len, start, lens[l], fill ? 0xa5 : 0))
					bad++;
			}
	KTEST_CHECK(t, bad == 0, "%u memsets wrote outside their range or left bytes", bad);
	KTEST_CHECK(t, pm_free(pm_root(), pa, BUF_ORDER) == 0, "the buffer's frames not freed");
}
