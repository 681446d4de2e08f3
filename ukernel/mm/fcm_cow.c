/*
 * Copy-on-write FCM: a private view of another FCM. Reads are served by the
 * backing FCM's frames, mapped read-only; the first write to a page copies
 * it into a frame of this FCM, which from then on is mapped writable.
 *
 * Layers stay few: a fault walks them one kernel stack frame each, and a
 * layer keeps the pages its clones shadow. So a clone of a region whose
 * layer holds nothing yet shares what that layer is built on instead of
 * adding another (fcm_cow_unwritten), no chain grows past FCM_COW_DEPTH_MAX
 * (mem_cow refuses), and a layer left with one COW child and nothing else
 * (its other clone ended) is folded into that child (fold below).
 *
 * Lock order: an FCM before the FCMs layered on it. A chain changes
 * (fold, destroy) only under the kernel lock; get_page may also run
 * without it, under its CPU's local lock, on chains over anonymous or
 * physical FCMs (fcm_cow_stable, mm/fault.c resolve_local), and so may
 * fcm_cow_file_fault on chains over a file FCM.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/panic.h>
#include <mm/fcm.h>
#include <mm/fr_internal.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

struct fcm_cow {
	struct fcm fcm;		/* first: the ops get a struct fcm * */
	struct fcm *backing;	/* a counted reference */
};

static const struct fcm_ops cow_ops;

static int is_cow(const struct fcm *f)
{
	return f->ops == &cow_ops;
}

static int cow_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			unsigned *maxprot, uint64_t *token)
{
	struct fcm_cow *c = (struct fcm_cow *)f;
	struct fcm_page *p;
	uint64_t src, frame;
	unsigned bprot;
	int rc;

	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	spin_unlock(&f->lock);
	if (p) {
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
		return 0;
	}
	rc = c->backing->ops->get_page(c->backing, pgoff, 0, &src, &bprot, token);
	if (rc < 0)
		return rc;
	if (!write) {
		*pa = src;
		*maxprot = bprot & ~K42_PROT_WRITE;
		return 0;
	}
	if ((rc = fcm_alloc_frame(f, &frame)) < 0)
		return rc;
	memcpy(phys_to_virt(frame), phys_to_virt(src), PM_PAGE_SIZE);
	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);	/* lost a race? keep the first copy */
	if (!p && !(p = fcm_page_insert(f, pgoff, frame)))
		rc = -K42_ENOMEM;
	spin_unlock(&f->lock);
	if (rc < 0 || p->pa != frame)
		fcm_free_frame(f, frame);
	if (rc < 0)
		return rc;
	*pa = p->pa;
	*maxprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
	return 0;
}

/*
 * Layer b is seen only through its one COW child m (nothing maps b, and
 * b's only other reference is the caller's, about to go): give m the pages
 * of b it has not copied, free those it has, and layer m directly on b's
 * backing. m's view does not change. A shadowed frame may still be mapped
 * read-only below m (a clone of a clone read it before m copied), so it is
 * unmapped everywhere first. If the page map cannot grow, the fold stops
 * part way, which is still correct: b keeps the rest and stays below m.
 */
static void fold(struct fcm *b, struct fcm *m)
{
	struct fcm_cow *bc = (struct fcm_cow *)b, *mc = (struct fcm_cow *)m;
	struct fcm *under = bc->backing;
	struct fcm_page *p, *next;
	int done = 1;

	spin_lock(&b->lock);
	for (p = b->fifo_head; p; p = next) {
		struct fcm_page *mine;

		next = p->fifo_next;
		spin_lock(&m->lock);
		mine = fcm_page_find(m, p->pgoff);
		spin_unlock(&m->lock);
		if (mine) {
			fcm_unmap_everywhere(b, p->pgoff);
			fcm_page_remove(b, p);
			fcm_release_page(b, p);	/* after quiescence if other CPUs ran */
			continue;
		}
		spin_lock(&m->lock);
		mine = fcm_page_insert(m, p->pgoff, p->pa);
		spin_unlock(&m->lock);
		if (!mine) {
			done = 0;
			break;
		}
		fcm_page_remove(b, p);
		kmem_free(p, sizeof(*p));	/* the frame now belongs to m */
	}
	spin_unlock(&b->lock);
	if (!done)
		return;
	fcm_get(under);
	fcm_remove_cow_child(b, m);
	mc->backing = under;
	fcm_add_cow_child(under, m);
	fcm_put(b);	/* m's reference; the caller still holds one */
}

/* b lost a reference holder (one of its clones): fold it into the one
 * left if that is all it has. The caller still holds its own reference. */
static void maybe_fold(struct fcm *b)
{
	struct fcm *m = b->cow_children;

	if (!is_cow(b) || b->refs != 2 || b->mappers || !m || m->cow_next || !is_cow(m) ||
	    ((struct fcm_cow *)m)->backing != b || m->src != b->src)
		return;
	fold(b, m);
}

static void cow_destroy(struct fcm *f)
{
	struct fcm_cow *c = (struct fcm_cow *)f;
	struct fcm *b = c->backing;

	fcm_remove_cow_child(b, f);
	fcm_free_all_pages(f);
	kmem_free(c, sizeof(*c));
	maybe_fold(b);
	fcm_put(b);
}

static const struct fcm_ops cow_ops = {
	.name = "cow",
	.get_page = cow_get_page,
	.destroy = cow_destroy,
};

struct fcm *fcm_cow_create(struct fcm *backing)
{
	struct fcm_cow *c;

	if (fcm_cow_depth(backing) >= FCM_COW_DEPTH_MAX)
		return NULL;
	if (!(c = kmem_alloc(sizeof(*c))))
		return NULL;
	fcm_init(&c->fcm, &cow_ops);
	fcm_get(backing);
	c->backing = backing;
	fcm_add_cow_child(backing, &c->fcm);
	return &c->fcm;
}

/*
 * A process that forks again and again while its children live on (a
 * shell's background jobs: each child keeps a clone of the layers below
 * the parent's) gets a layer deeper per fork, and nothing folds while
 * the clones live. Copying what those layers hold into one layer ends
 * the chain's growth at the cost of one copy each FCM_COW_DEPTH_MAX
 * forks. Every layer below f is frozen (no region maps it, so nothing
 * writes it), and the caller holds the kernel lock: no fold or unlocked
 * fault (mm/fault.c resolve_local) walks the chain meanwhile.
 */
int fcm_cow_flatten(struct fcm *f)
{
	struct fcm_cow *fc = (struct fcm_cow *)f;
	struct fcm *old, *bottom, *flat;
	int rc = 0;

	if (!is_cow(f) || !is_cow(fc->backing))
		return 0;	/* two deep at most already */
	old = fc->backing;
	for (bottom = old; is_cow(bottom); bottom = ((struct fcm_cow *)bottom)->backing)
		;
	if (!(flat = fcm_cow_create(bottom)))
		return -K42_ENOMEM;
	fcm_set_source(flat, f->src);	/* f's owner pays for f's view */
	/* Top layer first: the first copy of a page is the one f saw. */
	for (struct fcm *l = old; is_cow(l) && rc == 0; l = ((struct fcm_cow *)l)->backing) {
		for (struct fcm_page *p = l->fifo_head; p; p = p->fifo_next) {
			uint64_t frame;
			int have;

			spin_lock(&f->lock);
			have = fcm_page_find(f, p->pgoff) != NULL;
			spin_unlock(&f->lock);
			spin_lock(&flat->lock);
			have = have || fcm_page_find(flat, p->pgoff) != NULL;
			spin_unlock(&flat->lock);
			if (have)
				continue;
			if ((rc = fcm_alloc_frame(flat, &frame)) < 0)
				break;
			memcpy(phys_to_virt(frame), phys_to_virt(p->pa), PM_PAGE_SIZE);
			spin_lock(&flat->lock);
			if (!fcm_page_insert(flat, p->pgoff, frame))
				rc = -K42_ENOMEM;
			spin_unlock(&flat->lock);
			if (rc < 0) {
				fcm_free_frame(flat, frame);
				break;
			}
		}
	}
	if (rc < 0) {
		fcm_put(flat);	/* its copies go with it; f is as it was */
		return rc;
	}
	/* Whatever f's mappings show read-only from the old layers' frames
	 * must come from flat's from now on: the old layers may end first. */
	spin_lock(&f->lock);
	for (struct fcm_page *p = flat->fifo_head; p; p = p->fifo_next)
		fcm_unmap_everywhere(f, p->pgoff);
	spin_unlock(&f->lock);
	fcm_remove_cow_child(old, f);
	fc->backing = flat;	/* flat's creation reference is now f's */
	fcm_add_cow_child(flat, f);
	maybe_fold(old);	/* left to one clone: it may fold now */
	fcm_put(old);
	return 0;
}

unsigned fcm_cow_depth(const struct fcm *f)
{
	unsigned depth = 0;

	for (; is_cow(f); f = ((const struct fcm_cow *)f)->backing)
		depth++;
	return depth;
}

int fcm_is_cow(const struct fcm *f)
{
	return is_cow(f);
}

int fcm_cow_stable(const struct fcm *f)
{
	if (!is_cow(f))
		return 0;
	while (is_cow(f))
		f = ((const struct fcm_cow *)f)->backing;
	return fcm_is_anon(f) || fcm_is_phys(f);
}

struct fcm *fcm_cow_file_bottom(const struct fcm *f)
{
	if (!is_cow(f))
		return NULL;
	while (is_cow(f))
		f = ((const struct fcm_cow *)f)->backing;
	return fcm_is_file(f) ? (struct fcm *)f : NULL;
}

/*
 * A fault on a COW chain over a file FCM without the kernel lock, under
 * this CPU's local lock and the process's (mm/fault.c resolve_local): no
 * kernel-lock holder runs, so the chain does not change (no fold, no
 * destroy) and its COW layers keep their pages. The file FCM at its
 * bottom is the one that may give a page up meanwhile (an unlocked miss
 * evicting, fr_ctl_unlocked's drop or pull, on other CPUs): it is used
 * only under its own lock, through fcm_file_cow_resident, which maps a
 * read there (the eviction's unmap reaches this layer's regions under
 * that lock) or copies the page for a write (its frame is retired, not
 * freed, when taken: the copy never reads a reused frame). A page not
 * resident, being read in, or of a prefetching FCM, declines with nothing
 * changed but the file FCM's run detector. A write's copy is inserted as
 * cow_get_page does (the first copy stays) and mapped writable; a frame
 * of a lower COW layer is mapped read-only. 0 mapped, else -K42_EAGAIN
 * (or hat_map's code) for the locked path.
 */
static uint64_t cow_file_unlocked;

uint64_t fcm_cow_file_faults_unlocked(void)
{
	return __atomic_load_n(&cow_file_unlocked, __ATOMIC_RELAXED);
}

int fcm_cow_file_fault(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m)
{
	const unsigned rx = K42_PROT_READ | K42_PROT_EXEC, rwx = rx | K42_PROT_WRITE;
	struct fcm *l;
	struct fcm_page *p = NULL;
	uint64_t pa = 0, frame;
	int rc = 0;

	for (l = f; is_cow(l); l = ((struct fcm_cow *)l)->backing) {
		spin_lock(&l->lock);
		if ((p = fcm_page_find(l, pgoff)))
			pa = p->pa;
		spin_unlock(&l->lock);
		if (p)
			break;
	}
	if (p && (l == f || !write)) {
		rc = hat_map(m->hat, m->va, pa, m->prot & (l == f ? rwx : rx));
	} else if (!p && !write) {
		rc = fcm_file_cow_resident(l, pgoff, m, NULL);
	} else {
		if (fcm_alloc_frame(f, &frame) < 0)
			return -K42_EAGAIN;
		if (p)
			memcpy(phys_to_virt(frame), phys_to_virt(pa), PM_PAGE_SIZE);
		else if (fcm_file_cow_resident(l, pgoff, NULL, phys_to_virt(frame)) < 0)
			rc = -K42_EAGAIN;
		if (rc == 0) {
			spin_lock(&f->lock);
			p = fcm_page_find(f, pgoff);	/* lost a race? keep the first copy */
			if (!p && !(p = fcm_page_insert(f, pgoff, frame)))
				rc = -K42_EAGAIN;
			else
				pa = p->pa;
			spin_unlock(&f->lock);
		}
		if (rc < 0 || pa != frame)
			fcm_free_frame(f, frame);	/* never mapped */
		if (rc == 0)
			rc = hat_map(m->hat, m->va, pa, m->prot & rwx);
	}
	if (rc == 0)
		__atomic_add_fetch(&cow_file_unlocked, 1, __ATOMIC_RELAXED);
	return rc;
}

struct fcm *fcm_cow_unwritten(struct fcm *f)
{
	if (!is_cow(f) || f->resident)
		return NULL;
	return ((struct fcm_cow *)f)->backing;
}
