/*
 * Anonymous memory FCM: pages are zero-filled frames made on first touch.
 * No backing store yet, so neither policy ever evicts. Two paging
 * policies, swappable on a live region (mm/fcm_swap.c):
 * - demand (K42_FCM_DEMAND): a frame for the faulting page only;
 * - prefetch (K42_FCM_PREFETCH): a run of faults on consecutive pages
 *   also gives frames to the pages after the faulting one (a window that
 *   doubles with the run, up to AHEAD_MAX, never past the end of the
 *   region that faulted), so a sequential scan allocates in batches.
 * Both keep their pages in the common page map and FIFO (mm/fcm.c), so
 * either takes over from the other with the pages as they are. Both
 * record the fault pattern; an adaptive one asks (fcm->want) for the
 * other policy after a run of sequential or of scattered faults, and the
 * fault path swaps it (fcm_swap_adapt).
 */
#include <k42/errno.h>
#include <k42/fcm.h>
#include <k42/layout.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <kern/panic.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/region.h>

#define AHEAD_MAX FCM_AHEAD_MAX
#define ADAPT_SEQ 4	/* sequential faults in a row that make an adaptive FCM want prefetch */
#define ADAPT_RND 4	/* other faults in a row that make it want demand again */

struct fcm_prefetch {
	struct fcm fcm;
	/* A sequential run's next fault is on [next, reach]: next if the
	 * pages given frames ahead were not mapped, reach if they were. */
	uint64_t next, reach;
	uint32_t window;	/* pages given frames ahead on this run's faults */
};

/* Caller holds f->lock: the page pgoff, made if missing. */
static int anon_page(struct fcm *f, uint64_t pgoff, struct fcm_page **out)
{
	struct fcm_page *p = fcm_page_find(f, pgoff);
	uint64_t frame;
	int rc;

	if (!p) {
		if ((rc = fcm_alloc_frame(f, &frame)) < 0)
			return rc;
		if (!(p = fcm_page_insert(f, pgoff, frame))) {
			fcm_free_frame(f, frame);
			return -K42_ENOMEM;
		}
	}
	*out = p;
	return 0;
}

/* Caller holds f->lock: the fault pattern, and for an adaptive FCM the
 * policy it wants (the fault path then swaps it: fcm_swap_adapt). */
static void track(struct fcm *f, uint64_t pgoff, int policy)
{
	f->faults++;
	if (pgoff >= f->run_next && pgoff <= f->run_reach) {
		f->run_seq++;
		f->run_rnd = 0;
	} else if (pgoff + 1 != f->run_next) {
		f->run_rnd++;
		f->run_seq = 0;
	}
	f->run_next = f->run_reach = pgoff + 1;
	if (!f->adaptive)
		return;
	if (policy == K42_FCM_DEMAND && f->run_seq >= ADAPT_SEQ)
		f->want = K42_FCM_PREFETCH + 1;
	else if (policy == K42_FCM_PREFETCH && f->run_rnd >= ADAPT_RND)
		f->want = K42_FCM_DEMAND + 1;
}

static int anon_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_page *p;
	int rc;

	(void)write;
	(void)token;
	spin_lock(&f->lock);
	track(f, pgoff, K42_FCM_DEMAND);
	rc = anon_page(f, pgoff, &p);
	if (rc == 0) {
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
	}
	spin_unlock(&f->lock);
	return rc;
}

/* Caller holds f->lock: the first page past the end of the mapping
 * region that holds pgoff (regions are on the mappers list under it). */
static uint64_t mapped_end(struct fcm *f, uint64_t pgoff)
{
	uint64_t end = pgoff + 1;

	for (struct region *r = f->mappers; r; r = r->fcm_next) {
		uint64_t e = r->pgoff + (r->end - r->start) / PM_PAGE_SIZE;

		if (pgoff >= r->pgoff && pgoff < e && e > end)
			end = e;
	}
	return end;
}

static int prefetch_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			     unsigned *maxprot, uint64_t *token)
{
	struct fcm_prefetch *pf = (struct fcm_prefetch *)f;
	struct fcm_page *p, *q;
	int rc;

	(void)write;
	(void)token;
	spin_lock(&f->lock);
	track(f, pgoff, K42_FCM_PREFETCH);
	rc = anon_page(f, pgoff, &p);
	if (rc == 0) {
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
		if (pgoff >= pf->next && pgoff <= pf->reach)
			pf->window = pf->window ? (pf->window * 2 > AHEAD_MAX ? AHEAD_MAX : pf->window * 2) : 2;
		else
			pf->window = 0;
		pf->next = pf->reach = pgoff + 1;
		if (pf->window) {
			uint64_t end = mapped_end(f, pgoff), o;

			for (o = pgoff + 1; o <= pgoff + pf->window && o < end; o++) {
				if (fcm_page_find(f, o))
					continue;
				if (anon_page(f, o, &q) < 0)
					break;	/* a prefetch never fails a fault */
				f->ahead++;
			}
			/* The fault path maps [pgoff + 1, o) too (fcm_anon_ahead):
			 * the run goes on at o, or at pgoff + 1 if it did not. */
			pf->reach = f->run_reach = o;
		}
	}
	spin_unlock(&f->lock);
	return rc;
}

static void anon_destroy(struct fcm *f)
{
	fcm_free_all_pages(f);
	kmem_free(f, sizeof(*f));
}

static void prefetch_destroy(struct fcm *f)
{
	fcm_free_all_pages(f);
	kmem_free(f, sizeof(struct fcm_prefetch));
}

static const struct fcm_ops anon_ops = {
	.name = "demand",
	.get_page = anon_get_page,
	.destroy = anon_destroy,
};

static const struct fcm_ops prefetch_ops = {
	.name = "prefetch",
	.get_page = prefetch_get_page,
	.destroy = prefetch_destroy,
};

unsigned fcm_anon_ahead(struct fcm *f, uint64_t pgoff, uint64_t end, uint64_t *pas, unsigned max)
{
	struct fcm_prefetch *pf = (struct fcm_prefetch *)f;
	struct fcm_page *p;
	unsigned n = 0;

	if (f->ops != &prefetch_ops)
		return 0;
	spin_lock(&f->lock);
	/* The pages this fault gave frames ahead: pgoff + 1 up to reach,
	 * set by the prefetch just now (every fault on f holds its process's
	 * lock, as does our caller; any resident page would be right anyway:
	 * an anonymous FCM never gives a page up while a region maps it). */
	for (uint64_t o = pgoff + 1; o < pf->reach && o < end && n < max; o++) {
		if (!(p = fcm_page_find(f, o)))
			break;
		pas[n++] = p->pa;
	}
	f->mapped_ahead += n;
	spin_unlock(&f->lock);
	return n;
}

struct fcm *fcm_anon_create_impl(int impl)
{
	struct fcm *f;

	if (impl == K42_FCM_DEMAND) {
		if ((f = kmem_alloc(sizeof(*f))))
			fcm_init(f, &anon_ops);
		return f;
	}
	if (impl == K42_FCM_PREFETCH) {
		struct fcm_prefetch *pf = kmem_alloc(sizeof(*pf));

		if (!pf)
			return NULL;
		fcm_init(&pf->fcm, &prefetch_ops);
		pf->next = pf->reach = ~0ul;
		pf->window = 0;
		return &pf->fcm;
	}
	return NULL;
}

struct fcm *fcm_anon_create(void)
{
	return fcm_anon_create_impl(K42_FCM_DEMAND);
}

int fcm_anon_impl(const struct fcm *f)
{
	return f->ops == &anon_ops ? K42_FCM_DEMAND : f->ops == &prefetch_ops ? K42_FCM_PREFETCH : -1;
}

int fcm_is_anon(const struct fcm *f)
{
	return f->ops == &anon_ops || f->ops == &prefetch_ops;
}
