/*
 * Regions of a process (see mm/region.h). Caller holds the process lock.
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/process.h>
#include <kern/quota.h>
#include <mm/fcm.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/pm.h>
#include <mm/region.h>

int region_create(struct process *p, uint64_t va, uint64_t len, unsigned prot, struct fcm *fcm,
		  uint64_t pgoff)
{
	struct region **pp, *r;
	uint64_t end = va + len;

	if ((va | len) & (PM_PAGE_SIZE - 1) || len == 0 || end < va || va < K42_USER_BASE ||
	    end > K42_USER_TOP || (prot & ~(K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC)))
		return -K42_EINVAL;
	for (pp = &p->regions; *pp && (*pp)->start < end; pp = &(*pp)->next)
		if ((*pp)->end > va)
			return -K42_EEXIST;
	if (quota_charge(p->acct, K42_QUOTA_REGIONS, 1) < 0)
		return -K42_EDQUOT;
	r = kmem_alloc(sizeof(*r));
	if (!r) {
		quota_uncharge(p->acct, K42_QUOTA_REGIONS, 1);
		return -K42_ENOMEM;
	}
	r->start = va;
	r->end = end;
	r->prot = prot;
	r->fcm = fcm;
	r->pgoff = pgoff;
	r->proc = p;
	fcm_get(fcm);
	fcm_add_mapper(fcm, r);
	r->next = *pp;
	*pp = r;
	return 0;
}

int region_room(struct process *p, uint64_t va, uint64_t len)
{
	uint64_t end = va + len;

	if ((va | len) & (PM_PAGE_SIZE - 1) || len == 0 || end < va || va < K42_USER_BASE ||
	    end > K42_USER_TOP)
		return -K42_EINVAL;
	for (struct region *r = p->regions; r && r->start < end; r = r->next)
		if (r->end > va)
			return -K42_EEXIST;
	return quota_room(p->acct, K42_QUOTA_REGIONS, 1) ? 0 : -K42_EDQUOT;
}

struct region *region_find(struct process *p, uint64_t va)
{
	for (struct region *r = p->regions; r && r->start <= va; r = r->next)
		if (va < r->end)
			return r;
	return NULL;
}

void region_unmap_pages(struct process *p, struct region *r)
{
	hat_unmap_range(p->hat, r->start, r->end);
}

static void region_free(struct process *p, struct region *r)
{
	region_unmap_pages(p, r);
	fcm_remove_mapper(r->fcm, r);
	fcm_put(r->fcm);
	kmem_free(r, sizeof(*r));
	quota_uncharge(p->acct, K42_QUOTA_REGIONS, 1);
}

/* The region holding va (page aligned) strictly inside it is cut in two
 * there: it keeps [start, va), a new region on the same FCM takes
 * [va, end) with the same rights. Translations stay valid (same pages,
 * same addresses). 0 when no region straddles va. */
static int split_at(struct process *p, uint64_t va)
{
	struct region *r, *n;

	for (r = p->regions; r && r->start < va; r = r->next) {
		if (r->end <= va)
			continue;
		if (quota_charge(p->acct, K42_QUOTA_REGIONS, 1) < 0)
			return -K42_EDQUOT;
		n = kmem_alloc(sizeof(*n));
		if (!n) {
			quota_uncharge(p->acct, K42_QUOTA_REGIONS, 1);
			return -K42_ENOMEM;
		}
		n->start = va;
		n->end = r->end;
		n->prot = r->prot;
		n->fcm = r->fcm;
		n->pgoff = r->pgoff + (va - r->start) / PM_PAGE_SIZE;
		n->proc = p;
		n->shared = r->shared;
		fcm_get(n->fcm);
		fcm_add_mapper(n->fcm, n);
		r->end = va;
		n->next = r->next;
		r->next = n;
		return 0;
	}
	return 0;
}

int region_split_range(struct process *p, uint64_t va, uint64_t len)
{
	int rc;

	if (va + len < va || ((va | len) & (PM_PAGE_SIZE - 1)))
		return -K42_EINVAL;
	rc = split_at(p, va);
	return rc < 0 ? rc : split_at(p, va + len);
}

int region_destroy_range(struct process *p, uint64_t va, uint64_t len)
{
	uint64_t end = va + len;
	struct region **pp = &p->regions;
	int found = 0, rc;

	if (end < va)
		return -K42_EINVAL;
	if ((rc = region_split_range(p, va, len)) < 0)
		return rc;
	while (*pp) {
		struct region *r = *pp;

		if (r->start >= va && r->end <= end) {
			*pp = r->next;
			region_free(p, r);
			found = 1;
		} else {
			pp = &r->next;
		}
	}
	return found ? 0 : -K42_ENOENT;
}

void region_destroy_all(struct process *p)
{
	while (p->regions) {
		struct region *r = p->regions;

		p->regions = r->next;
		region_free(p, r);
	}
}
