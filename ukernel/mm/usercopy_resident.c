/*
 * User copies made without the kernel lock (mm/usercopy.h): only when
 * every page of the range is already mapped, with the access needed, in
 * an anonymous region of the process. Such a page is not taken away
 * while its region maps it (an anonymous FCM neither evicts nor folds),
 * and regions, protections and the end of a process change only under
 * the kernel lock, which the caller keeps out by holding a CPU's local
 * lock (docs/smp.md, "Without the kernel lock"); the unlocked faults of
 * other CPUs only add pages, under the process's lock, which is held
 * here for the checks and the copy. So the copy never faults, never
 * reaches a page the process could not reach itself, and never meets a
 * frame freed under it. Anything else (a page not touched yet, a mapped
 * file whose page an eviction or a pull may take, a COW layer, device
 * memory, a range out of bounds) returns -1 with nothing copied, and the
 * caller takes the locked path, whose copy faults pages in or refuses.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/layout.h>
#include <kern/process.h>
#include <kern/spinlock.h>
#include <mm/fcm.h>
#include <mm/hat.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <mm/usercopy.h>

/* The kernel address of user va in p for `access`, or NULL (p->lock held). */
static uint8_t *resident_at(struct process *p, uint64_t va, unsigned access)
{
	struct region *r = region_find(p, va);
	uint64_t pa;
	unsigned prot;

	if (!r || !fcm_is_anon(r->fcm) || (r->prot & access) != access ||
	    hat_lookup(p->hat, va, &pa, &prot) < 0 || (prot & access) != access ||
	    (prot & HAT_PROT_IO))
		return NULL;
	return (uint8_t *)phys_to_virt(pa) + (va & (PM_PAGE_SIZE - 1));
}

int copy_user_resident(struct process *p, uint64_t uva, void *kbuf, size_t len, int to_user)
{
	unsigned access = to_user ? K42_PROT_WRITE : K42_PROT_READ;
	uint8_t *k = kbuf, *u;
	int ok = 1;

	if (!len)
		return 0;
	if (uva + len < uva || uva + len > K42_USER_TOP)
		return -1;
	spin_lock(&p->lock);
	/* Every page first: a refusal copies nothing. */
	for (uint64_t va = uva & ~(uint64_t)(PM_PAGE_SIZE - 1); ok && va < uva + len;
	     va += PM_PAGE_SIZE)
		ok = resident_at(p, va, access) != NULL;
	while (ok && len) {
		size_t room = PM_PAGE_SIZE - (uva & (PM_PAGE_SIZE - 1)), n = len < room ? len : room;

		u = resident_at(p, uva, access);	/* (found above: cannot fail) */
		if (to_user)
			memcpy(u, k, n);
		else
			memcpy(k, u, n);
		k += n;
		uva += n;
		len -= n;
	}
	spin_unlock(&p->lock);
	return ok ? 0 : -1;
}
