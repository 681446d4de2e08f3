/*
 * Binary buddy frame allocator (see mm/pm.h). Pure logic over memory it is
 * given: the host tests run it on a plain buffer under ASan.
 *
 * State byte per frame: RESERVED (never handed to us), FREE|order or
 * USED|order on the first frame of a block, TAIL on the others, CACHED
 * for an order-0 frame held free by a per-CPU cache. Free lists
 * are doubly linked through the first 16 bytes of each free block, by frame
 * index, with NONE as the end marker.
 */
#include <string.h>
#include <k42/errno.h>
#include <mm/pm.h>

#define ST_RESERVED 0x00
#define ST_TAIL     0x20
#define ST_USED     0x40
#define ST_FREE     0x80
#define ST_CACHED   (ST_USED | ST_TAIL)	/* neither FREE nor a block's head */
#define ST_ORDER    0x1f
#define NONE        UINT64_MAX
#define BLOCK_ALIGN (PM_PAGE_SIZE << (PM_ORDERS - 1))

struct link {
	uint64_t next, prev;
};

static struct link *link_of(struct pm *pm, uint64_t idx)
{
	return (struct link *)(pm->virt_base + (idx << PM_PAGE_SHIFT));
}

static void list_push(struct pm *pm, unsigned order, uint64_t idx)
{
	struct link *l = link_of(pm, idx);

	l->prev = NONE;
	l->next = pm->free_head[order];
	if (l->next != NONE)
		link_of(pm, l->next)->prev = idx;
	pm->free_head[order] = idx;
	pm->state[idx] = ST_FREE | order;
}

static void list_remove(struct pm *pm, unsigned order, uint64_t idx)
{
	struct link *l = link_of(pm, idx);

	if (l->prev != NONE)
		link_of(pm, l->prev)->next = l->next;
	else
		pm->free_head[order] = l->next;
	if (l->next != NONE)
		link_of(pm, l->next)->prev = l->prev;
}

size_t pm_state_bytes(uint64_t base_pa, uint64_t span)
{
	uint64_t start = base_pa & ~(BLOCK_ALIGN - 1);

	return (size_t)((base_pa + span - start + PM_PAGE_SIZE - 1) >> PM_PAGE_SHIFT);
}

void pm_init(struct pm *pm, uint64_t base_pa, uint64_t span, uint8_t *state, void *virt_base)
{
	uint64_t start = base_pa & ~(BLOCK_ALIGN - 1);

	spin_init(&pm->lock);
	pm->base_pa = start;
	pm->nframes = pm_state_bytes(base_pa, span);
	pm->state = state;
	pm->virt_base = virt_base;
	memset(state, ST_RESERVED, pm->nframes);
	for (unsigned o = 0; o < PM_ORDERS; o++)
		pm->free_head[o] = NONE;
	pm->free_frames = 0;
	pm->managed_frames = 0;
	pm->cached_frames = 0;
	pm->cache = NULL;
}

void pm_set_cache(struct pm *pm, const struct pm_cache_hooks *hooks)
{
	__atomic_store_n(&pm->cache, hooks, __ATOMIC_RELEASE);
}

/* Free block (idx, order), merging with free buddies as far as possible. */
static void free_block(struct pm *pm, uint64_t idx, unsigned order)
{
	while (order + 1 < PM_ORDERS) {
		uint64_t buddy = idx ^ (1ull << order);

		if (buddy >= pm->nframes || pm->state[buddy] != (ST_FREE | order))
			break;
		list_remove(pm, order, buddy);
		if (buddy < idx) {
			pm->state[idx] = ST_TAIL;
			idx = buddy;
		} else {
			pm->state[buddy] = ST_TAIL;
		}
		order++;
	}
	list_push(pm, order, idx);
}

int pm_add_free(struct pm *pm, uint64_t pa, uint64_t size)
{
	uint64_t first, end, idx;

	if (size == 0)
		return 0;
	if (pa + size < pa || pa < pm->base_pa)
		return -K42_ERANGE;
	first = (pa - pm->base_pa + PM_PAGE_SIZE - 1) >> PM_PAGE_SHIFT;
	end = (pa + size - pm->base_pa) >> PM_PAGE_SHIFT;
	if (end > pm->nframes)
		return -K42_ERANGE;
	spin_lock(&pm->lock);
	for (idx = first; idx < end; idx++) {
		if (pm->state[idx] != ST_RESERVED) {
			spin_unlock(&pm->lock);
			return -K42_EEXIST;
		}
	}
	for (idx = first; idx < end; idx++) {
		pm->state[idx] = ST_TAIL;	/* a used frame being freed */
		free_block(pm, idx, 0);
	}
	if (end > first) {
		pm->free_frames += end - first;
		pm->managed_frames += end - first;
	}
	spin_unlock(&pm->lock);
	return 0;
}

int pm_alloc_lists(struct pm *pm, unsigned order, uint64_t *pa)
{
	unsigned o;
	uint64_t idx;

	if (order >= PM_ORDERS)
		return -K42_EINVAL;
	spin_lock(&pm->lock);
	for (o = order; o < PM_ORDERS && pm->free_head[o] == NONE; o++)
		;
	if (o == PM_ORDERS) {
		spin_unlock(&pm->lock);
		return -K42_ENOMEM;
	}
	idx = pm->free_head[o];
	list_remove(pm, o, idx);
	while (o > order) {
		o--;
		list_push(pm, o, idx + (1ull << o));
	}
	pm->state[idx] = ST_USED | order;
	pm->free_frames -= 1ull << order;
	spin_unlock(&pm->lock);
	*pa = pm->base_pa + (idx << PM_PAGE_SHIFT);
	return 0;
}

int pm_alloc(struct pm *pm, unsigned order, uint64_t *pa)
{
	const struct pm_cache_hooks *c = __atomic_load_n(&pm->cache, __ATOMIC_ACQUIRE);
	int rc;

	if (c && order == 0) {
		rc = c->alloc(pm, pa);
	} else {
		rc = pm_alloc_lists(pm, order, pa);
		/* Frames stranded in the caches may make up the block. */
		if (rc == -K42_ENOMEM && c && c->rebalance(pm) > 0)
			rc = pm_alloc_lists(pm, order, pa);
	}
	if (rc == -K42_ENOMEM && c && c->refused)
		c->refused(pm);
	return rc;
}

/* The frame index of an order-`order` block at pa, or NONE if misaligned or outside. */
static uint64_t index_of(struct pm *pm, uint64_t pa, unsigned order)
{
	uint64_t idx;

	if (order >= PM_ORDERS || pa < pm->base_pa || (pa & (PM_PAGE_SIZE - 1)))
		return NONE;
	idx = (pa - pm->base_pa) >> PM_PAGE_SHIFT;
	if (idx >= pm->nframes || (idx & ((1ull << order) - 1)))
		return NONE;
	return idx;
}

unsigned pm_take_batch(struct pm *pm, uint64_t *pa, unsigned n)
{
	unsigned got = 0;

	spin_lock(&pm->lock);
	while (got < n) {
		unsigned o;
		uint64_t idx;

		for (o = 0; o < PM_ORDERS && pm->free_head[o] == NONE; o++)
			;
		if (o == PM_ORDERS)
			break;
		idx = pm->free_head[o];
		list_remove(pm, o, idx);
		while (o > 0) {
			o--;
			list_push(pm, o, idx + (1ull << o));
		}
		pm->state[idx] = ST_CACHED;
		pm->free_frames--;
		pa[got++] = pm->base_pa + (idx << PM_PAGE_SHIFT);
	}
	__atomic_add_fetch(&pm->cached_frames, got, __ATOMIC_RELAXED);
	spin_unlock(&pm->lock);
	return got;
}

void pm_give_batch(struct pm *pm, const uint64_t *pa, unsigned n)
{
	unsigned given = 0;

	spin_lock(&pm->lock);
	for (unsigned i = 0; i < n; i++) {
		uint64_t idx = index_of(pm, pa[i], 0);

		/* Only CACHED frames: anything else is a caller's bug, kept out. */
		if (idx == NONE || pm->state[idx] != ST_CACHED)
			continue;
		free_block(pm, idx, 0);
		pm->free_frames++;
		given++;
	}
	__atomic_sub_fetch(&pm->cached_frames, given, __ATOMIC_RELAXED);
	spin_unlock(&pm->lock);
}

static int state_cas(struct pm *pm, uint64_t pa, uint8_t from, uint8_t to)
{
	uint64_t idx = index_of(pm, pa, 0);
	uint8_t expect = from;

	if (idx == NONE)
		return -K42_EINVAL;
	if (!__atomic_compare_exchange_n(&pm->state[idx], &expect, to, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return -K42_EINVAL;
	return 0;
}

int pm_cached_to_used(struct pm *pm, uint64_t pa)
{
	int rc = state_cas(pm, pa, ST_CACHED, ST_USED | 0);

	if (rc == 0)
		__atomic_sub_fetch(&pm->cached_frames, 1, __ATOMIC_RELAXED);
	return rc;
}

int pm_used_to_cached(struct pm *pm, uint64_t pa)
{
	int rc = state_cas(pm, pa, ST_USED | 0, ST_CACHED);

	if (rc == 0)
		__atomic_add_fetch(&pm->cached_frames, 1, __ATOMIC_RELAXED);
	return rc;
}

int pm_free(struct pm *pm, uint64_t pa, unsigned order)
{
	const struct pm_cache_hooks *c = __atomic_load_n(&pm->cache, __ATOMIC_ACQUIRE);
	uint64_t idx;

	if (c && order == 0)
		return c->free(pm, pa);
	idx = index_of(pm, pa, order);
	if (idx == NONE)
		return -K42_EINVAL;
	spin_lock(&pm->lock);
	if (pm->state[idx] != (ST_USED | order)) {
		spin_unlock(&pm->lock);
		return -K42_EINVAL;
	}
	free_block(pm, idx, order);
	pm->free_frames += 1ull << order;
	spin_unlock(&pm->lock);
	return 0;
}

uint64_t pm_free_frames(struct pm *pm)
{
	return __atomic_load_n(&pm->free_frames, __ATOMIC_RELAXED) +
	       __atomic_load_n(&pm->cached_frames, __ATOMIC_RELAXED);
}

int pm_check(struct pm *pm)
{
	uint64_t listed = 0, heads = 0, cached = 0;
	int rc = 0;

	spin_lock(&pm->lock);
	for (unsigned o = 0; o < PM_ORDERS && rc == 0; o++) {
		uint64_t prev = NONE, n = 0;

		for (uint64_t i = pm->free_head[o]; i != NONE; i = link_of(pm, i)->next) {
			if (i >= pm->nframes || pm->state[i] != (ST_FREE | o) ||
			    link_of(pm, i)->prev != prev || (i & ((1ull << o) - 1)) ||
			    ++n > pm->nframes) {
				rc = -K42_EINVAL;
				break;
			}
			for (uint64_t t = 1; t < (1ull << o); t++)
				if (pm->state[i + t] != ST_TAIL)
					rc = -K42_EINVAL;
			listed += 1ull << o;
			prev = i;
		}
	}
	for (uint64_t i = 0; i < pm->nframes && rc == 0; i++)
		if (pm->state[i] & ST_FREE)
			heads += 1ull << (pm->state[i] & ST_ORDER);
		else if (pm->state[i] == ST_CACHED)
			cached++;
	if (rc == 0 && (listed != pm->free_frames || heads != listed))
		rc = -K42_EINVAL;
	/* Frames move between CACHED and USED without the lock: only a
	 * quiet PM (no cache in use meanwhile) can be checked for this. */
	if (rc == 0 && cached != __atomic_load_n(&pm->cached_frames, __ATOMIC_RELAXED))
		rc = -K42_EINVAL;
	spin_unlock(&pm->lock);
	return rc;
}
