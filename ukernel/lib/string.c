/*
 * Freestanding string and memory functions for the kernel (and libk42).
 * memcpy/memmove move 8-byte words whatever the pointers' alignment, memset
 * when the pointer allows it: trap frames and whole pages go through them
 * on hot paths.
 */
#include <stdint.h>
#include <string.h>

/* An 8-byte word at any address. POWER loads and stores a misaligned
 * doubleword of ordinary memory whole (the kernel never copies device
 * memory: mm/usercopy.c refuses it), so a copy between pointers that
 * disagree mod 8 still moves words: the loader's copy of a program from
 * the 4-byte-aligned boot archive went a byte at a time before, 4.8
 * instructions a byte, most of a process create (docs/scalability.md). */
static inline uint64_t word_at(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline void word_to(unsigned char *p, uint64_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

/* Upwards: bytes until d is aligned, then words (four at a time, each
 * group read before it is written), then the tail. Right for a memmove
 * with d below s too: what a step writes lies below what is left to read. */
static void copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 8) {
		for (; (uintptr_t)d & 7; n--)
			*d++ = *s++;
		for (; n >= 32; n -= 32, d += 32, s += 32) {
			uint64_t a = word_at(s), b = word_at(s + 8), c = word_at(s + 16), e = word_at(s + 24);

			word_to(d, a);
			word_to(d + 8, b);
			word_to(d + 16, c);
			word_to(d + 24, e);
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			word_to(d, word_at(s));
	}
	while (n--)
		*d++ = *s++;
}

/* Downwards, for a memmove with d above s: the mirror of copy_up. */
static void copy_down(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 8) {
		for (; (uintptr_t)(d + n) & 7; n--)
			d[n - 1] = s[n - 1];
		for (; n >= 8; n -= 8)
			word_to(d + n - 8, word_at(s + n - 8));
	}
	while (n--)
		d[n] = s[n];
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_up(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s)
		copy_up(d, s, n);
	else
		copy_down(d, s, n);
	return dst;
}

#if defined(K42_KERNEL) && defined(__powerpc64__)
/* The kernel zeroes by whole cache blocks with dcbz, one instruction for
 * 128 bytes (POWER9's block: the platform is fixed, docs/DESIGN.md): it
 * zeroes every frame it hands out (page tables, anonymous pages, process
 * pages), and only ever memory that is cached. Not in libk42, whose
 * drivers map device memory, where dcbz is not allowed. */
#define ZERO_BLOCK 128
#endif

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

#ifdef ZERO_BLOCK
	if (c == 0 && n >= 2 * ZERO_BLOCK) {
		size_t head = -(uintptr_t)d & (ZERO_BLOCK - 1);
		unsigned char *end;

		memset(d, 0, head);
		d += head;
		n -= head;
		for (end = d + (n & ~(size_t)(ZERO_BLOCK - 1)); d < end; d += ZERO_BLOCK)
			__asm__ volatile("dcbz 0, %0" : : "r"(d) : "memory");
		n &= ZERO_BLOCK - 1;
	}
#endif
	if (((uintptr_t)d & 7) == 0) {
		uint64_t v = (unsigned char)c * 0x0101010101010101ull, *dw = (uint64_t *)d;

		for (; n >= 32; n -= 32, dw += 4) {
			dw[0] = v;
			dw[1] = v;
			dw[2] = v;
			dw[3] = v;
		}
		for (; n >= 8; n -= 8)
			*dw++ = v;
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)(uintptr_t)p;
	return NULL;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)(uintptr_t)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)(uintptr_t)last;
	}
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
