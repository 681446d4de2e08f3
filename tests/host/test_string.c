/*
 * The kernel's (and libk42's) memcpy, memmove and memset
 * (ukernel/lib/string.c), built under the k_ prefix so the host's own
 * stay in use: every length to 80 at every pair of alignments, overlaps
 * both ways, against a byte-at-a-time reference, with guard bytes on
 * both sides checked untouched.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"

#define memcpy k_memcpy
#define memmove k_memmove
#define memset k_memset
#define memcmp k_memcmp
#define memchr k_memchr
#define strlen k_strlen
#define strnlen k_strnlen
#define strchr k_strchr
#define strrchr k_strrchr
#define strcmp k_strcmp
#define strncmp k_strncmp
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "../../ukernel/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp

#define AREA 256

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

/* The reference: what a byte-at-a-time memmove leaves in area. */
static void ref_move(unsigned char *area, size_t d, size_t s, size_t n)
{
	unsigned char tmp[AREA];

	for (size_t i = 0; i < n; i++)
		tmp[i] = area[s + i];
	for (size_t i = 0; i < n; i++)
		area[d + i] = tmp[i];
}

static void test_copies(void)
{
	unsigned char src[AREA], dst[AREA], want[AREA];

	for (size_t n = 0; n <= 80; n++)
		for (size_t sa = 0; sa < 8; sa++)
			for (size_t da = 0; da < 8; da++) {
				fill(src, AREA, (unsigned)(n + sa));
				fill(dst, AREA, 99);
				fill(want, AREA, 99);
				memcpy(want + 16 + da, src + 16 + sa, n);
				CHECK(k_memcpy(dst + 16 + da, src + 16 + sa, n) == dst + 16 + da, "memcpy's value");
				CHECK(memcmp(dst, want, AREA) == 0, "memcpy n %zu, source %zu, destination %zu", n, sa, da);
			}
}

static void test_moves(void)
{
	unsigned char area[AREA], want[AREA];

	for (size_t n = 0; n <= 80; n++)
		for (size_t s = 8; s < 24; s++)
			for (size_t d = 8; d < 24 + 16; d++) {
				fill(area, AREA, (unsigned)n);
				fill(want, AREA, (unsigned)n);
				ref_move(want, d, s, n);
				CHECK(k_memmove(area + d, area + s, n) == area + d, "memmove's value");
				CHECK(memcmp(area, want, AREA) == 0, "memmove n %zu, from %zu to %zu", n, s, d);
			}
}

static void test_set(void)
{
	unsigned char area[AREA], want[AREA];

	for (size_t n = 0; n <= 80; n++)
		for (size_t a = 0; a < 8; a++) {
			fill(area, AREA, 5);
			fill(want, AREA, 5);
			for (size_t i = 0; i < n; i++)
				want[16 + a + i] = 0xa5;
			CHECK(k_memset(area + 16 + a, 0xa5, n) == area + 16 + a, "memset's value");
			CHECK(memcmp(area, want, AREA) == 0, "memset n %zu at %zu", n, a);
		}
}

int main(void)
{
	test_copies();
	test_moves();
	test_set();
	return check_done("string");
}
