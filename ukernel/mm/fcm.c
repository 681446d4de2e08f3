/*
 * What every FCM shares (see mm/fcm.h): reference counting, the page map
 * and the residency FIFO the local policy works from, frame allocation.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <kern/panic.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/hat.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/smp.h>

static int root_alloc(struct frame_source *s, uint64_t *pa)
{
	int rc = pm_alloc(pm_root(), 0, pa);

	if (rc == 0) {
		memset(phys_to_virt(*pa), 0, PM_PAGE_SIZE);
		__atomic_add_fetch(&s->out, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

static void root_free(struct frame_source *s, uint64_t pa)
{
	BUG_ON(pm_free(pm_root(), pa, 0) < 0);
	__atomic_sub_fetch(&s->out, 1, __ATOMIC_RELAXED);
}

struct frame_source pm_frames = { "root PM", root_alloc, root_free, 0, NULL, NULL };

void fcm_init(struct fcm *f, const struct fcm_ops *ops)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->src = &pm_frames;
	f->refs = 1;
	spin_init(&f->lock);
}

void fcm_get(struct fcm *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void fcm_put(struct fcm *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct frame_source *src = f->src;

		f->ops->destroy(f);	/* gives every frame back to src */
		if (src->release)
			src->release(src);
	}
}

void fcm_set_source(struct fcm *f, struct frame_source *s)
{
	BUG_ON(f->src != &pm_frames || f->resident);
	if (s->hold)
		s->hold(s);
	f->src = s;
}

struct fcm_page *fcm_page_find(struct fcm *f, uint64_t pgoff)
{
	return pagemap_get(&f->pages, pgoff);
}

struct fcm_page *fcm_page_insert(struct fcm *f, uint64_t pgoff, uint64_t pa)
{
	struct fcm_page *p = kmem_alloc(sizeof(*p));

	if (!p)
		return NULL;
	if (pagemap_set(&f->pages, pgoff, p) < 0) {
		kmem_free(p, sizeof(*p));
		return NULL;
	}
	p->pgoff = pgoff;
	p->pa = pa;
	p->token = 0;
	p->dirty = p->pageout_sent = 0;
	p->fifo_prev = f->fifo_tail;
	if (f->fifo_tail)
		f->fifo_tail->fifo_next = p;
	else
		f->fifo_head = p;
	f->fifo_tail = p;
	f->resident++;
	return p;
}

void fcm_free_all_pages(struct fcm *f)
{
	struct fcm_page *p = f->fifo_head;

	while (p) {
		struct fcm_page *next = p->fifo_next;

		if (p->pa)
			fcm_release_page(f, p);
		else
			kmem_free(p, sizeof(*p));
		p = next;
	}
	pagemap_destroy(&f->pages);
	f->fifo_head = f->fifo_tail = NULL;
	f->resident = 0;
}

int fcm_alloc_frame(struct fcm *f, uint64_t *pa)
{
	return f->src->alloc(f->src, pa);
}

void fcm_free_frame(struct fcm *f, uint64_t pa)
{
	f->src->free(f->src, pa);
}

/*
 * A page taken away while it may have been mapped (an eviction, a drop):
 * its frame goes back to the FCM's source only once every CPU has passed
 * a quiescent point (kern/quiesce.h). The unmap before it invalidated the
 * page on every CPU the space ran on, which the architecture says is done
 * when tlbsync and ptesync complete; QEMU before 9.0 under MTTCG
 * (Debian's 7.2 here) does not wait for the other vCPUs: a vCPU in the
 * middle of a translation block, or whose host thread is descheduled, goes
 * on using the old translation until it leaves that block (upstream's
 * "target/ppc: Fix broadcast tlbie synchronisation", 2024). A frame freed
 * at once could be read in again for another page meanwhile, and that vCPU
 * would read the other page's bytes (smp/frctl_storm_4, docs/smp.md
 * "Known limits"). A CPU that passed a quiescent point ran kernel code
 * after the unmap, so it left that block and took the invalidation; an
 * idle one runs nothing. It is also what lets a user copy from a file
 * page on another CPU finish before the frame is reused, once evictions
 * no longer keep every local lock out.
 *
 * The page's own node carries the retirement (it is freed with it): no
 * allocation, so a free never fails. The frame keeps its source's
 * account meanwhile (each frame out holds it, kern/quota.c).
 */
struct frame_retired {
	struct deferred dfr;
	struct frame_source *src;
	uint64_t pa;
};
_Static_assert(sizeof(struct frame_retired) <= sizeof(struct fcm_page),
	       "a retired frame is carried in its page's node");

static uint64_t frames_retired;	/* retired, not yet freed: all CPUs */

static void frame_free_quiesced(struct deferred *d)
{
	struct frame_retired *r = (struct frame_retired *)d;

	r->src->free(r->src, r->pa);
	__atomic_sub_fetch(&frames_retired, 1, __ATOMIC_RELAXED);
	kmem_free(r, sizeof(struct fcm_page));
}

void fcm_retire_page(struct fcm *f, struct fcm_page *p)
{
	struct frame_source *src = f->src;
	uint64_t pa = p->pa;
	struct frame_retired *r = (struct frame_retired *)p;

	r->src = src;
	r->pa = pa;
	__atomic_add_fetch(&frames_retired, 1, __ATOMIC_RELAXED);
	kquiesce_retire_leaf(&r->dfr, frame_free_quiesced);	/* pm_free, kmem_free: leaf locks */
}

/* A page taken off f that was mapped and unmapped (the end of a region,
 * a fold): with one CPU the unmap's local tlbiel is complete, so the
 * frame goes back at once; with more, after quiescence (the QEMU tlbie
 * window above, docs/smp.md "Known limits"). The node goes with it. */
void fcm_release_page(struct fcm *f, struct fcm_page *p)
{
	if (smp_ncpus > 1 && !f->quiesced) {
		fcm_retire_page(f, p);
		return;
	}
	fcm_free_frame(f, p->pa);
	kmem_free(p, sizeof(*p));
}

uint64_t fcm_frames_retired(void)
{
	return __atomic_load_n(&frames_retired, __ATOMIC_RELAXED);
}

void fcm_page_remove(struct fcm *f, struct fcm_page *p)
{
	pagemap_clear(&f->pages, p->pgoff);
	if (p->fifo_prev)
		p->fifo_prev->fifo_next = p->fifo_next;
	else
		f->fifo_head = p->fifo_next;
	if (p->fifo_next)
		p->fifo_next->fifo_prev = p->fifo_prev;
	else
		f->fifo_tail = p->fifo_prev;
	p->fifo_next = p->fifo_prev = NULL;
	f->resident--;
}

void fcm_add_mapper(struct fcm *f, struct region *r)
{
	spin_lock(&f->lock);
	r->fcm_next = f->mappers;
	f->mappers = r;
	spin_unlock(&f->lock);
}

void fcm_remove_mapper(struct fcm *f, struct region *r)
{
	spin_lock(&f->lock);
	for (struct region **pp = &f->mappers; *pp; pp = &(*pp)->fcm_next) {
		if (*pp == r) {
			*pp = r->fcm_next;
			break;
		}
	}
	spin_unlock(&f->lock);
}

/* Caller holds f->lock. HAT updates of other processes are safe here only
 * because the kernel is not preemptible and runs on one CPU; see docs. */
void fcm_unmap_everywhere(struct fcm *f, uint64_t pgoff)
{
	for (struct region *r = f->mappers; r; r = r->fcm_next) {
		uint64_t npages = (r->end - r->start) / PM_PAGE_SIZE;

		if (pgoff >= r->pgoff && pgoff < r->pgoff + npages)
			hat_unmap(r->proc->hat, r->start + (pgoff - r->pgoff) * PM_PAGE_SIZE);
	}
	/* A COW layer maps our frame read-only until it copies the page (same
	 * page numbering); unmapping its own copy too is harmless: it refaults. */
	for (struct fcm *c = f->cow_children; c; c = c->cow_next) {
		spin_lock(&c->lock);
		fcm_unmap_everywhere(c, pgoff);
		spin_unlock(&c->lock);
	}
}

void fcm_add_cow_child(struct fcm *backing, struct fcm *child)
{
	spin_lock(&backing->lock);
	child->cow_next = backing->cow_children;
	backing->cow_children = child;
	spin_unlock(&backing->lock);
}

void fcm_remove_cow_child(struct fcm *backing, struct fcm *child)
{
	spin_lock(&backing->lock);
	for (struct fcm **pp = &backing->cow_children; *pp; pp = &(*pp)->cow_next) {
		if (*pp == child) {
			*pp = child->cow_next;
			break;
		}
	}
	spin_unlock(&backing->lock);
}
