/*
 * The allocator behind malloc/free: per-dispatcher pools of size classes
 * carved from chunks of the heap's address range, in K42's spirit of a
 * virtual array rather than a hash: every 64 KiB unit of the heap has one
 * byte in a lazily zero-filled map saying which class owns it (or that it
 * starts a large block), so free needs no header. Large blocks get their
 * own pages, unmapped again on free. Pure code over a small backend
 * (alloc_k42.c, or the host test's).
 *
 * The pools are a clustered object (docs/clustered-objects.md): each
 * dispatcher's pool is its representative, made by a miss on its first
 * malloc; the root holds what the pools share (the heap's range, the unit
 * map, large blocks, the counters) under the heap lock. A pool is touched
 * only by its own dispatcher with upcalls disabled (k42_alloc_lock), so
 * most calls take no lock. A block freed on another dispatcher joins that
 * dispatcher's pool: the unit map, not the pool, says what a block is.
 *
 * Lock order: the pools' root lock (a miss), then the heap lock.
 */
#ifdef K42_HOST_TEST
/* Host tests link the C library's malloc as well: test ours by other names. */
#define malloc k42h_malloc
#define free k42h_free
#define calloc k42h_calloc
#define realloc k42h_realloc
#endif
#include <string.h>
#include <cobj/cobj.h>
#include <k42/alloc.h>
#include <k42/layout.h>

#define UNIT_SHIFT 16
#define UNIT (1ul << UNIT_SHIFT)
#define LARGE_TAG 0xff
#define LARGE_HDR 64
#define NCLASS 24
#define GROW (256 * 1024)	/* pool growth per backend call */
#define NPOOLS K42_VPS_MAX	/* one per dispatcher */

static const uint32_t class_size[NCLASS] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
	1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 65536, 131072,
};

struct freeblk {
	struct freeblk *next;
};

struct pool {
	struct cobj_rep rep;	/* first */
	struct freeblk *free[NCLASS];
	uintptr_t carve[NCLASS], carve_end[NCLASS];
	int64_t in_use;		/* allocated here minus freed here */
} __attribute__((aligned(128)));

static struct pool pools[NPOOLS];
static struct cobj_root pools_root;
static cobj_ref pools_ref;
/* The root's shared state, under heap_lock. */
static struct cobj_lock heap_lock;
static uintptr_t heap_base, heap_end, heap_brk, heap_mapped;
static uint8_t *unit_map;	/* one byte per unit: class + 1, or LARGE_TAG */
static struct k42_alloc_stats stats;	/* in_use: small blocks in pools' counts */
static int ready;

static struct cobj_rep *pool_create(struct cobj_root *root, uint32_t vp)
{
	(void)root;
	return vp < NPOOLS ? &pools[vp].rep : NULL;
}

static const struct cobj_root_ops pool_ops = { pool_create, NULL, NULL };

/* The calling dispatcher's pool (made on its first use), or NULL. */
static struct pool *my_pool(void)
{
	return (struct pool *)cobj_lookup(k42_alloc_backend_space(), k42_alloc_backend_vp(),
					  pools_ref);
}

static int setup_locked(void)
{
	size_t size, map_len;

	if (ready)
		return 0;
	if (k42_alloc_backend_init(&heap_base, &size) < 0)
		return -1;
	map_len = ((size >> UNIT_SHIFT) + UNIT - 1) & ~(UNIT - 1);
	/* The map lives at the start of the heap range; pages of it are
	 * touched (and so filled with zeroes) only as units are used. */
	if (k42_alloc_backend_map(heap_base, map_len) < 0)
		return -1;
	unit_map = (uint8_t *)heap_base;
	heap_brk = heap_mapped = heap_base + map_len;
	heap_end = heap_base + size;
	if (cobj_create(k42_alloc_backend_space(), &pools_root, &pool_ops, &pools_ref) < 0)
		return -1;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	return 0;
}

static int setup(void)
{
	int rc;

	if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		return 0;
	cobj_lock(&heap_lock);
	rc = setup_locked();
	cobj_unlock(&heap_lock);
	return rc;
}

static int class_of(size_t n)
{
	for (int c = 0; c < NCLASS; c++)
		if (n <= class_size[c])
			return c;
	return -1;
}

static void mark(uintptr_t va, size_t len, uint8_t tag)
{
	for (uintptr_t u = va; u < va + len; u += UNIT)
		unit_map[(u - heap_base) >> UNIT_SHIFT] = tag;
}

/* Address space for n bytes, unit-aligned and mapped (heap lock held). */
static uintptr_t take(size_t n)
{
	uintptr_t va = heap_brk;

	n = (n + UNIT - 1) & ~(UNIT - 1);
	if (n > heap_end - heap_brk)
		return 0;
	heap_brk += n;
	if (heap_brk > heap_mapped) {
		size_t grow = heap_brk - heap_mapped;

		grow = grow < GROW ? GROW : grow;
		if (heap_mapped + grow > heap_end)
			grow = heap_end - heap_mapped;
		if (k42_alloc_backend_map(heap_mapped, grow) < 0) {
			heap_brk = va;
			return 0;
		}
		stats.map_calls++;
		stats.mapped_bytes += grow;
		heap_mapped += grow;
	}
	return va;
}

/* Heap lock held. */
static void *alloc_large(size_t n)
{
	size_t len = (n + LARGE_HDR + UNIT - 1) & ~(UNIT - 1);
	uintptr_t va;

	if (n > heap_end - heap_base)
		return NULL;
	/* Large blocks are their own backend mapping past the pool's. */
	va = heap_brk > heap_mapped ? heap_brk : heap_mapped;
	va = (va + UNIT - 1) & ~(UNIT - 1);
	if (len > heap_end - va || k42_alloc_backend_map(va, len) < 0)
		return NULL;
	heap_brk = heap_mapped = va + len;
	stats.map_calls++;
	stats.large_bytes += len;
	unit_map[(va - heap_base) >> UNIT_SHIFT] = LARGE_TAG;
	*(uint64_t *)va = len;
	return (void *)(va + LARGE_HDR);
}

void *malloc(size_t n)
{
	struct pool *p;
	void *r = NULL;
	int c, s;

	k42_alloc_lock(&s);
	if (setup() < 0)
		goto out;
	if (n == 0)
		n = 1;
	c = class_of(n);
	if (c < 0) {
		cobj_lock(&heap_lock);
		r = alloc_large(n);
		if (r)
			stats.in_use++;
		cobj_unlock(&heap_lock);
		goto out;
	}
	p = my_pool();
	if (!p)
		goto out;
	if (p->free[c]) {
		r = p->free[c];
		p->free[c] = p->free[c]->next;
	} else {
		if (p->carve[c] + class_size[c] > p->carve_end[c]) {
			size_t chunk = class_size[c] * 16 < UNIT ? UNIT : (size_t)class_size[c] * 16;
			uintptr_t va;

			cobj_lock(&heap_lock);
			va = take(chunk);
			if (va)
				mark(va, chunk, (uint8_t)(c + 1));
			cobj_unlock(&heap_lock);
			if (!va)
				goto out;
			p->carve[c] = va;
			p->carve_end[c] = va + chunk;
		}
		r = (void *)p->carve[c];
		p->carve[c] += class_size[c];
	}
	__atomic_store_n(&p->in_use, p->in_use + 1, __ATOMIC_RELAXED);
out:
	k42_alloc_unlock(s);
	return r;
}

/* The class of block p, LARGE_TAG - 1 for large, -1 if not ours. */
static int owner(const void *p, uintptr_t *start)
{
	uintptr_t a = (uintptr_t)p;
	uint8_t tag;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE) || a < heap_base ||
	    a >= __atomic_load_n(&heap_brk, __ATOMIC_ACQUIRE))
		return -1;
	tag = unit_map[(a - heap_base) >> UNIT_SHIFT];
	if (tag == LARGE_TAG && (a & (UNIT - 1)) == LARGE_HDR) {
		*start = a - LARGE_HDR;
		return LARGE_TAG - 1;
	}
	if (tag == 0 || tag > NCLASS)
		return -1;
	return tag - 1;
}

void free(void *ptr)
{
	uintptr_t start;
	int c, s;

	if (!ptr)
		return;
	k42_alloc_lock(&s);
	c = owner(ptr, &start);
	if (c == LARGE_TAG - 1) {
		size_t len;

		cobj_lock(&heap_lock);
		/* Checked again under the lock: two frees of one block race. */
		if (unit_map[(start - heap_base) >> UNIT_SHIFT] == LARGE_TAG) {
			len = *(uint64_t *)start;
			mark(start, UNIT, 0);
			stats.large_bytes -= len;
			stats.in_use--;
			cobj_unlock(&heap_lock);
			k42_alloc_backend_unmap(start, len);
		} else {
			cobj_unlock(&heap_lock);
		}
	} else if (c >= 0) {
		struct freeblk *b = ptr;
		struct pool *p = my_pool();

		if (p) {
			b->next = p->free[c];
			p->free[c] = b;
			__atomic_store_n(&p->in_use, p->in_use - 1, __ATOMIC_RELAXED);
		}
	}
	/* else: not a block of ours; ignored */
	k42_alloc_unlock(s);
}

void *calloc(size_t nmemb, size_t size)
{
	size_t n = nmemb * size;
	void *p;

	if (size && n / size != nmemb)
		return NULL;
	p = malloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *realloc(void *ptr, size_t n)
{
	uintptr_t start;
	size_t have;
	void *q;
	int c, s;

	if (!ptr)
		return malloc(n);
	k42_alloc_lock(&s);
	c = owner(ptr, &start);
	have = c == LARGE_TAG - 1 ? *(uint64_t *)start - LARGE_HDR : c >= 0 ? class_size[c] : 0;
	k42_alloc_unlock(s);
	if (c < 0)
		return NULL;
	if (n <= have && (c == LARGE_TAG - 1 || c == 0 || n > class_size[c - 1]))
		return ptr;
	q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, ptr, n < have ? n : have);
	free(ptr);
	return q;
}

static void add_in_use(struct cobj_rep *rep, void *arg)
{
	*(int64_t *)arg += __atomic_load_n(&((struct pool *)rep)->in_use, __ATOMIC_RELAXED);
}

void k42_alloc_stats(struct k42_alloc_stats *out)
{
	int64_t small = 0;
	int s;

	k42_alloc_lock(&s);
	cobj_lock(&heap_lock);
	*out = stats;
	cobj_unlock(&heap_lock);
	if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		cobj_for_each_rep(&pools_root, add_in_use, &small);
	out->in_use += (uint64_t)small;
	out->pools = pools_root.nreps;
	k42_alloc_unlock(s);
}
