/*
 * Host tests of libk42's allocator (alloc.c, here as k42h_malloc & co.)
 * over an mmap backend: random allocations of every size class and large
 * ones, each filled with its own pattern and checked before it is freed
 * (ASan sees the backend's pages as ordinary memory, so overlaps between
 * blocks show up as pattern damage); realloc keeps data; calloc zeroes;
 * large blocks go back to the backend.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <k42/alloc.h>
#include "check.h"

void *k42h_malloc(size_t n);
void k42h_free(void *p);
void *k42h_calloc(size_t a, size_t b);
void *k42h_realloc(void *p, size_t n);

#define RESERVE (8ul << 30)
#define SLOTS 3000

static uintptr_t base;
static size_t unmapped;

int k42_alloc_backend_init(uintptr_t *b, size_t *size)
{
	void *p = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	base = (uintptr_t)p;
	*b = base;
	*size = RESERVE;
	return 0;
}

int k42_alloc_backend_map(uintptr_t va, size_t len)
{
	return mprotect((void *)va, len, PROT_READ | PROT_WRITE);
}

void k42_alloc_backend_unmap(uintptr_t va, size_t len)
{
	unmapped += len;
	madvise((void *)va, len, MADV_DONTNEED);
	mprotect((void *)va, len, PROT_NONE);
}

void k42_alloc_lock(int *save)
{
	*save = 0;
}

void k42_alloc_unlock(int save)
{
	(void)save;
}

static struct {
	uint8_t *p;
	size_t n;
	uint8_t pat;
} slot[SLOTS];

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static size_t rsize(void)
{
	switch (rnd() % 16) {
	case 0:
		return rnd() % 17;
	case 1:
		return 270000 + rnd() % 100000;	/* large */
	case 2:
		return rnd() % 140000;
	default:
		return rnd() % 2100;
	}
}

static int intact(int i)
{
	for (size_t k = 0; k < slot[i].n; k += 1 + k / 64)
		if (slot[i].p[k] != (uint8_t)(slot[i].pat + k))
			return 0;
	return 1;
}

static void fill(int i)
{
	for (size_t k = 0; k < slot[i].n; k++)
		slot[i].p[k] = (uint8_t)(slot[i].pat + k);
}

int main(void)
{
	struct k42_alloc_stats st;
	int damaged = 0;

	CHECK(k42h_malloc(0) != NULL, "malloc(0)");
	k42h_free(NULL);
	for (int round = 0; round < 12000; round++) {
		int i = (int)(rnd() % SLOTS);

		if (slot[i].p) {
			if (!intact(i))
				damaged++;
			if (rnd() % 4 == 0) {
				size_t n = rsize(), keep = n < slot[i].n ? n : slot[i].n;
				uint8_t *q = k42h_realloc(slot[i].p, n);

				CHECK(q != NULL, "realloc %zu", n);
				slot[i].p = q;
				slot[i].n = keep;
				if (!intact(i))
					damaged++;
				slot[i].n = n;
				fill(i);
			} else {
				k42h_free(slot[i].p);
				slot[i].p = NULL;
			}
		} else {
			slot[i].n = rsize();
			slot[i].pat = (uint8_t)rnd();
			slot[i].p = k42h_malloc(slot[i].n);
			CHECK(slot[i].p != NULL, "malloc %zu", slot[i].n);
			CHECK(((uintptr_t)slot[i].p & 15) == 0, "alignment %p", (void *)slot[i].p);
			fill(i);
		}
	}
	CHECK(damaged == 0, "%d blocks damaged", damaged);
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i].p) {
			CHECK(intact(i), "block %d at the end", i);
			k42h_free(slot[i].p);
		}
	}
	k42_alloc_stats(&st);
	CHECK(st.in_use == 1, "%lu blocks in use (the malloc(0) one)", st.in_use);
	CHECK(st.large_bytes == 0 && unmapped > 0, "large blocks given back: %lu left", st.large_bytes);
	{
		uint8_t *z = k42h_calloc(1000, 7);
		int nz = 0;

		for (int k = 0; k < 7000; k++)
			nz += z[k] != 0;
		CHECK(nz == 0, "calloc left %d non-zero bytes", nz);
		CHECK(k42h_calloc(SIZE_MAX / 2, 4) == NULL, "calloc overflow");
		k42h_free(z);
	}
	{
		uint8_t x;

		k42h_free(&x);	/* not ours: ignored */
	}
	return check_done("libk42/alloc");
}
