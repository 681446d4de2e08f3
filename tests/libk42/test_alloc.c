/*
 * Host tests of libk42's allocator (alloc.c, here as k42h_malloc & co.)
 * over an mmap backend: random allocations of every size class and large
 * ones, each filled with its own pattern and checked before it is freed
 * (ASan sees the backend's pages as ordinary memory, so overlaps between
 * blocks show up as pattern damage); realloc keeps data; calloc zeroes;
 * large blocks go back to the backend. The pools are per dispatcher (a
 * clustered object): a pool is made by each dispatcher's first malloc, a
 * block freed on one dispatcher is reused there, and real threads as
 * dispatchers allocate and free at once (also each other's blocks).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <k42/alloc.h>
#include <k42/layout.h>
#include <cobj/cobj.h>
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

/* The clustered-object space and "dispatchers": each thread says which it is. */
static struct quiesce uq;
static struct cobj_space space;
static struct cobj_root *roots[8];
static uint32_t words[16];
static struct cobj_rep *local[K42_VPS_MAX][8];
static __thread uint32_t cur_vp;

struct cobj_space *k42_alloc_backend_space(void)
{
	return &space;
}

uint32_t k42_alloc_backend_vp(void)
{
	return cur_vp;
}

unsigned long cobj_env_hold(void)
{
	return 0;
}

void cobj_env_release(unsigned long saved)
{
	(void)saved;
}

void cobj_env_relax(void)
{
	sched_yield();
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

/* Threads as dispatchers: each mallocs and frees, also blocks of the
 * next thread (its pool takes them), every block checked. */
#define TVPS 4
#define TSLOTS 256
#define TROUNDS 20000

static uint8_t *tblk[TVPS][TSLOTS];
static size_t tlen[TVPS][TSLOTS];
static int tdamaged, tready;

static int tintact(int v, int i)
{
	for (size_t k = 0; k < tlen[v][i]; k += 7)
		if (tblk[v][i][k] != (uint8_t)(v * 31 + k))
			return 0;
	return 1;
}

static void *tvp(void *arg)
{
	int v = (int)(uintptr_t)arg;
	uint64_t x = 0x2545f4914f6cdd1dull * (uint64_t)(v + 1);

	cur_vp = (uint32_t)v + 1;
	for (int r = 0; r < TROUNDS; r++) {
		int i;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = (int)(x % TSLOTS);
		if (tblk[v][i]) {
			if (!tintact(v, i))
				__atomic_add_fetch(&tdamaged, 1, __ATOMIC_RELAXED);
			k42h_free(tblk[v][i]);
			tblk[v][i] = NULL;
		} else {
			size_t n = x % 64 == 0 ? 300000 : (x >> 8) % 3000;

			tblk[v][i] = k42h_malloc(n);
			if (!tblk[v][i]) {
				__atomic_add_fetch(&tdamaged, 1, __ATOMIC_RELAXED);
				continue;
			}
			tlen[v][i] = n;
			for (size_t k = 0; k < n; k += 7)
				tblk[v][i][k] = (uint8_t)(v * 31 + k);
		}
	}
	__atomic_add_fetch(&tready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&tready, __ATOMIC_ACQUIRE) < TVPS)
		sched_yield();
	/* The next thread's blocks, freed here: they join this pool. */
	for (int i = 0; i < TSLOTS; i++) {
		int o = (v + 1) % TVPS;

		if (tblk[o][i]) {
			if (!tintact(o, i))
				__atomic_add_fetch(&tdamaged, 1, __ATOMIC_RELAXED);
			k42h_free(tblk[o][i]);
		}
	}
	return NULL;
}

static void test_dispatchers(void)
{
	struct k42_alloc_stats st0, st;
	pthread_t th[TVPS];
	uint8_t *a, *b;

	k42_alloc_stats(&st0);
	/* Each dispatcher its own pool: a block freed on 5 comes back on 5, not 0. */
	cur_vp = 5;
	a = k42h_malloc(100);
	k42h_free(a);
	cur_vp = 0;
	b = k42h_malloc(100);
	CHECK(b != a, "dispatcher 0 got dispatcher 5's freed block");
	cur_vp = 5;
	CHECK(k42h_malloc(100) == a, "dispatcher 5 did not reuse its own freed block");
	k42h_free(a);
	cur_vp = 0;
	k42h_free(b);
	k42_alloc_stats(&st);
	CHECK(st.pools == st0.pools + 1, "pools %lu, %lu before dispatcher 5", st.pools, st0.pools);

	for (uintptr_t v = 0; v < TVPS; v++)
		pthread_create(&th[v], NULL, tvp, (void *)v);
	for (int v = 0; v < TVPS; v++)
		pthread_join(th[v], NULL);
	k42_alloc_stats(&st);
	CHECK(tdamaged == 0, "%d blocks damaged or refused with %d dispatchers", tdamaged, TVPS);
	CHECK(st.in_use == st0.in_use, "%lu blocks in use, %lu before", st.in_use, st0.in_use);
	CHECK(st.pools >= st0.pools + TVPS, "only %lu pools", st.pools);
}

int main(void)
{
	struct k42_alloc_stats st;
	int damaged = 0;

	quiesce_init(&uq, K42_VPS_MAX);
	cobj_space_init(&space, 8, K42_VPS_MAX, roots, words, &uq);
	for (uint32_t v = 0; v < K42_VPS_MAX; v++)
		cobj_space_add_cpu(&space, v, local[v]);

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
	test_dispatchers();
	return check_done("libk42/alloc");
}
