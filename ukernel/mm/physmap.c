/*
 * Boot physical memory map (see mm/physmap.h).
 */
#include <string.h>
#include <k42/errno.h>
#include <mm/physmap.h>
#include <mm/pm.h>

static uint64_t page_up(uint64_t v)
{
	return (v + PM_PAGE_SIZE - 1) & ~(PM_PAGE_SIZE - 1);
}

static uint64_t page_down(uint64_t v)
{
	return v & ~(PM_PAGE_SIZE - 1);
}

/* Remove [rb, re) from every free range, splitting where needed. */
static int cut(struct physmap *p, uint64_t rb, uint64_t re)
{
	for (int i = 0; i < p->nfree; i++) {
		uint64_t fb = p->free[i].base, fe = fb + p->free[i].size;

		if (re <= fb || rb >= fe)
			continue;
		if (rb > fb && re < fe) {
			if (p->nfree == PHYSMAP_MAX)
				return -K42_ENOSPC;
			memmove(&p->free[i + 2], &p->free[i + 1],
				(size_t)(p->nfree - i - 1) * sizeof(p->free[0]));
			p->free[i].size = rb - fb;
			p->free[i + 1].base = re;
			p->free[i + 1].size = fe - re;
			p->nfree++;
			i++;
		} else if (rb <= fb && re >= fe) {
			memmove(&p->free[i], &p->free[i + 1],
				(size_t)(p->nfree - i - 1) * sizeof(p->free[0]));
			p->nfree--;
			i--;
		} else if (rb <= fb) {
			p->free[i].base = re;
			p->free[i].size = fe - re;
		} else {
			p->free[i].size = rb - fb;
		}
	}
	return 0;
}

int physmap_build(struct physmap *p, const struct phys_range *ram, int nram,
		  const struct phys_range *reserved, int nreserved)
{
	memset(p, 0, sizeof(*p));
	p->lowest = UINT64_MAX;
	for (int i = 0; i < nram; i++) {
		uint64_t b = page_up(ram[i].base), e = page_down(ram[i].base + ram[i].size);

		if (ram[i].base < p->lowest)
			p->lowest = ram[i].base;
		if (ram[i].base + ram[i].size > p->highest)
			p->highest = ram[i].base + ram[i].size;
		if (e <= b)
			continue;
		/* Overlapping RAM ranges: cut the overlap first so nothing is listed twice. */
		if (cut(p, b, e) < 0 || p->nfree == PHYSMAP_MAX)
			return -K42_ENOSPC;
		p->free[p->nfree].base = b;
		p->free[p->nfree].size = e - b;
		p->nfree++;
	}
	if (p->lowest == UINT64_MAX)
		p->lowest = 0;
	for (int i = 0; i < nreserved; i++) {
		uint64_t e = reserved[i].base + reserved[i].size;

		if (e < reserved[i].base)
			e = UINT64_MAX;
		e = e >= UINT64_MAX - PM_PAGE_SIZE ? UINT64_MAX : page_up(e);
		if (reserved[i].size && cut(p, page_down(reserved[i].base), e) < 0)
			return -K42_ENOSPC;
	}
	/* Keep the list sorted by address (insertion sort: it is tiny). */
	for (int i = 1; i < p->nfree; i++) {
		struct phys_range r = p->free[i];
		int j = i - 1;

		while (j >= 0 && p->free[j].base > r.base) {
			p->free[j + 1] = p->free[j];
			j--;
		}
		p->free[j + 1] = r;
	}
	return 0;
}

uint64_t physmap_steal(struct physmap *p, uint64_t size)
{
	size = page_up(size);
	for (int i = 0; i < p->nfree; i++) {
		if (p->free[i].size >= size) {
			uint64_t base = p->free[i].base;

			p->free[i].base += size;
			p->free[i].size -= size;
			return base;
		}
	}
	return 0;
}

uint64_t physmap_free_bytes(const struct physmap *p)
{
	uint64_t total = 0;

	for (int i = 0; i < p->nfree; i++)
		total += p->free[i].size;
	return total;
}
