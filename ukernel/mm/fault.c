/*
 * Page-fault resolution (see mm/fault.h). Locks: for a COW fault without
 * the kernel lock this CPU's local lock first; the process's (taken by the
 * two entry points at the end), then the FCM's inside get_page; a file
 * FCM's page is mapped while its lock is held (docs/smp.md, "Lock order").
 * A file miss without the kernel lock (fault_miss_unlocked) is called
 * under this CPU's local lock too, taken by its caller (kern/user_fault.c).
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/race_window.h>
#include <mm/fault.h>
#include <mm/fcm.h>
#include <mm/fcm_swap.h>
#include <mm/fr_internal.h>
#include <mm/hat.h>
#include <mm/pm.h>
#include <mm/region.h>

/* Map the frame an FCM gave for page with prot, if it granted every right
 * the fault asked for (maxprot). A mapping without one would fault again
 * for ever: the FCM refuses it (e.g. execute from a frame it never lets
 * run), so the fault fails. */
static inline int map_granted(struct process *p, uint64_t page, uint64_t pa,
			      unsigned access, unsigned maxprot, unsigned prot)
{
	if ((access & maxprot) != access)
		return -K42_EACCES;
	return hat_map(p->hat, page, pa, prot);
}

static int resolve(struct process *p, uint64_t va, unsigned access, uint64_t *token)
{
	struct region *r;
	uint64_t pa, page = va & ~(PM_PAGE_SIZE - 1);
	unsigned maxprot;
	int rc;

	if (va >= K42_USER_TOP)
		return -K42_EFAULT;
	r = region_find(p, va);
	if (!r) {
		return -K42_EFAULT;
	}
	if ((access & r->prot) != access) {
		return -K42_EACCES;
	}
	if (fcm_is_file(r->fcm)) {
		/* Mapped under the FCM's lock (mm/fr_internal.h). */
		struct fcm_map m = { p->hat, page, r->prot };

		rc = fcm_file_map(r->fcm, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
				  (access & K42_PROT_WRITE) != 0, &m, token);
	} else {
		rc = r->fcm->ops->get_page(r->fcm, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
					   (access & K42_PROT_WRITE) != 0, &pa, &maxprot, token);
		if (rc == 0)
			rc = map_granted(p, page, pa, access, maxprot,
					 (r->prot & maxprot) | (maxprot & HAT_PROT_IO));
	}
	if (rc == 0 && r->fcm->want)
		fcm_swap_adapt(p, r->fcm, va);	/* an adaptive FCM asks for another policy */
	return rc;
}

/* The pages a prefetching FCM gave frames ahead of this fault are mapped
 * by it too, so a sequential scan takes one fault per window, not per
 * page (a failure leaves the page to fault later). */
static void map_ahead(struct process *p, struct region *r, struct fcm *f, uint64_t page)
{
	uint64_t pas[FCM_AHEAD_MAX], pgoff = r->pgoff + (page - r->start) / PM_PAGE_SIZE;
	unsigned n = fcm_anon_ahead(f, pgoff, r->pgoff + (r->end - r->start) / PM_PAGE_SIZE, pas,
				    FCM_AHEAD_MAX);

	for (unsigned i = 0; i < n; i++)
		if (hat_map(p->hat, page + (i + 1) * PM_PAGE_SIZE, pas[i],
			    r->prot & (K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC)) < 0)
			break;
}

static int resolve_unlocked(struct process *p, uint64_t va, unsigned access)
{
	struct region *r;
	uint64_t pa, token, page = va & ~(PM_PAGE_SIZE - 1);
	unsigned maxprot;
	int rc = -K42_EAGAIN;

	if (va >= K42_USER_TOP)
		return rc;
	r = region_find(p, va);
	/* A swap of the region's FCM holds the fault until its callers have
	 * drained; the first fault after that finishes it (mm/fcm_swap.c). */
	if (r && (access & r->prot) == access && fcm_is_mediator(r->fcm) &&
	    fcm_swap_settle(r->fcm) < 0) {
		fcm_swap_held(r->fcm);
		return FAULT_HELD;
	}
	if (!r || (access & r->prot) != access)
		return rc;
	/* An anonymous FCM never gives a page up while a region maps it
	 * (no eviction, no fold: only COW layers fold), so the frame it
	 * returns stays this page's until the region goes, which takes
	 * p->lock. */
	if (fcm_is_anon(r->fcm)) {
		struct fcm *f = r->fcm;

		rc = f->ops->get_page(f, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
				      (access & K42_PROT_WRITE) != 0, &pa, &maxprot, &token);
		race_window(16);	/* (other CPUs fault the same page meanwhile) */
		if (rc == 0)
			rc = hat_map(p->hat, page, pa, r->prot & maxprot);
		if (rc == 0)
			map_ahead(p, r, f, page);
		if (rc == 0 && f->want)
			fcm_swap_adapt(p, f, va);	/* an adaptive FCM asks for another policy */
		if (rc < 0)
			rc = -K42_EAGAIN;	/* the locked path decides and reports */
	} else if (fcm_is_file(r->fcm)) {
		/* A resident page of a file FCM, mapped under the FCM's lock:
		 * whatever takes it away (an eviction, a pull, a drop)
		 * unmaps it under that lock, so before the map or after it
		 * (mm/fr_internal.h); its frame is not freed while the
		 * lock is held. */
		struct fcm_map m = { p->hat, page, r->prot };

		rc = fcm_file_map_resident(r->fcm, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
					   (access & K42_PROT_WRITE) != 0, &m);
		if (rc < 0)
			rc = FAULT_MISS;	/* a page-in, maybe (fault_miss_unlocked) */
	} else if (fcm_is_phys(r->fcm)) {
		/* Fixed memory (the boot archive, the trace pages every
		 * process maps): its frames are never the FCM's to give up,
		 * and the FCM lives while a region maps it. */
		struct fcm *f = r->fcm;

		rc = f->ops->get_page(f, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
				      (access & K42_PROT_WRITE) != 0, &pa, &maxprot, &token);
		if (rc == 0)
			rc = map_granted(p, page, pa, access, maxprot, r->prot & maxprot);
		if (rc < 0)
			rc = -K42_EAGAIN;	/* the locked path decides and reports */
	} else if (fcm_is_cow(r->fcm)) {
		/* Again under this CPU's local lock, which resolve_local
		 * needs before it walks the layers (fcm_cow_stable): a fold,
		 * under the kernel lock, may free a layer below r->fcm at
		 * once, so only the region's own layer is read here. */
		rc = FAULT_LOCAL;
	}
	return rc;
}

/* A page of a copy-on-write region whose layers all rest on memory that
 * never gives a page up (an anonymous FCM, frozen under the COW layers
 * mem_cow made, or the boot archive's physical FCM), or on a file FCM,
 * whose pages are used under its lock (fcm_cow_file_fault). Called under this
 * CPU's local lock, taken before the process's (fault_resolve_unlocked): every kernel-lock holder holds every local
 * lock, so no fold, no unmap, no end of a process and no free of an FCM
 * (all made under the kernel lock) runs meanwhile, and the chain, its
 * frames and their page-map entries stay as found until the page is
 * mapped. Other CPUs' unlocked faults may run in the same layers: a COW
 * layer's get_page takes its own lock and keeps the first copy made
 * (mm/fcm_cow.c), an anonymous FCM's its own. A write that breaks the
 * COW replaces a read-only translation of the backing frame, which
 * hat_map invalidates on every CPU the space ran on. */
static int resolve_local(struct process *p, uint64_t va, unsigned access)
{
	struct region *r = region_find(p, va);
	uint64_t pa, token, pgoff, page = va & ~(PM_PAGE_SIZE - 1);
	unsigned maxprot;
	int rc, write = (access & K42_PROT_WRITE) != 0;

	if (!r || (access & r->prot) != access)
		return -K42_EAGAIN;
	pgoff = r->pgoff + (page - r->start) / PM_PAGE_SIZE;
	if (fcm_cow_file_bottom(r->fcm)) {
		/* Over a file: its pages are mapped or copied under its lock. */
		struct fcm_map m = { p->hat, page, r->prot };

		return fcm_cow_file_fault(r->fcm, pgoff, write, &m) < 0 ? -K42_EAGAIN : 0;
	}
	if (fcm_cow_stable(r->fcm))
		rc = r->fcm->ops->get_page(r->fcm, pgoff, write, &pa, &maxprot, &token);
	else
		rc = -K42_EAGAIN;
	if (rc == 0)
		rc = map_granted(p, page, pa, access, maxprot, r->prot & maxprot);
	return rc < 0 ? -K42_EAGAIN : 0;	/* the locked path decides and reports */
}

/* Both run under the process's lock and count themselves as faults in
 * flight on this CPU (mm/fcm_swap.h: what a swap's drain waits for) from
 * after it is taken, so a CPU still waiting for the lock is not waited
 * for (it reads the region's FCM after the count). */
int fault_resolve(struct process *p, uint64_t va, unsigned access, uint64_t *token)
{
	uint64_t *seq;
	int rc;

	if (va >= K42_USER_TOP)
		return -K42_EFAULT;
	spin_lock(&p->lock);
	seq = fcm_fault_enter();
	rc = resolve(p, va, access, token);
	fcm_fault_exit(seq);
	spin_unlock(&p->lock);
	return rc;
}

int fault_resolve_unlocked(struct process *p, uint64_t va, unsigned access)
{
	uint64_t *seq;
	int rc;

	if (va >= K42_USER_TOP)
		return -K42_EAGAIN;
	spin_lock(&p->lock);
	seq = fcm_fault_enter();
	rc = resolve_unlocked(p, va, access);
	fcm_fault_exit(seq);
	spin_unlock(&p->lock);
	if (rc != FAULT_LOCAL)
		return rc;
	/* Lock order (docs/smp.md): the local lock before the process's. */
	klock_local_lock(&this_cpu()->local_lock);
	spin_lock(&p->lock);
	seq = fcm_fault_enter();
	rc = resolve_local(p, va, access);
	fcm_fault_exit(seq);
	spin_unlock(&p->lock);
	spin_unlock(&this_cpu()->local_lock);
	return rc;
}

/* Under this CPU's local lock (the caller's), then the process's: no
 * kernel-lock holder runs, so regions and the FR stay as found; the FCM's
 * lock is taken inside (mm/fcm_file.c fcm_file_miss_unlocked). */
int fault_miss_unlocked(struct process *p, uint64_t va, unsigned access, struct dispatcher *d,
			int async, uint64_t *token)
{
	struct region *r;
	uint64_t *seq, page = va & ~(PM_PAGE_SIZE - 1);
	int rc = -K42_EAGAIN;

	if (va >= K42_USER_TOP)
		return rc;
	spin_lock(&p->lock);
	seq = fcm_fault_enter();
	r = region_find(p, va);
	if (r && (access & r->prot) == access && fcm_is_file(r->fcm)) {
		struct fcm_map m = { p->hat, page, r->prot };

		rc = fcm_file_miss_unlocked(r->fcm, r->pgoff + (page - r->start) / PM_PAGE_SIZE,
					    (access & K42_PROT_WRITE) != 0, &m, d, async, token);
	}
	fcm_fault_exit(seq);
	spin_unlock(&p->lock);
	return rc;
}
