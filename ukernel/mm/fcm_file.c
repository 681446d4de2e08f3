/*
 * File FCM: caches the pages of one file served by a user-level server
 * through an FR. A missing page gets a frame at once and is marked being
 * read in (a token); the FR asks the server for the data and the fault is
 * answered -K42_EAGAIN with that token.
 *
 * A writable FCM (its server allowed it: fr_ctl FR_CTL_WRITABLE) maps a
 * page writable only on a write fault, and then marks it dirty: a read
 * fault maps it read-only, so the first store faults again. The server
 * takes dirty data back with fr_ctl FR_CTL_PULL, which cleans the page
 * (unmapped everywhere, so the next store marks it dirty again).
 *
 * Local policy: at most max_resident pages; past that the oldest clean
 * resident page is unmapped everywhere and dropped (it can always be read
 * in again). A dirty page is never dropped: its server is sent a page-out
 * request (K42_MSG_FR_PAGEOUT) once, and the page goes when it is clean.
 *
 * How misses are read in (its paging policy, K42_FCM_* in <k42/fcm.h>):
 * demand (a page-in for the faulting page only) or prefetch (during a
 * sequential run of faults, page-ins for the pages ahead of the faulting
 * one too, a window doubling with the run up to AHEAD_MAX, on hits as
 * well as misses, so a scan stays ahead of itself). An adaptive FCM
 * watches its own faults and switches itself: to prefetch after
 * ADAPT_SEQ sequential faults in a row, back to demand after ADAPT_RND
 * faults in a row that are not. The policy and the run detector are
 * only used under the FCM's lock, which every caller already holds:
 * a switch is a store under it (nothing can be in flight in the old
 * policy), and the detector's state is what moves.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/fcm.h>
#include <k42/layout.h>
#include <kern/panic.h>
#include <mm/fcm.h>
#include <mm/fr.h>
#include <mm/hat.h>
#include <mm/fr_internal.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <kern/trace.h>

#define AHEAD_MAX 32	/* pages read ahead of a sequential fault, at most */
#define ADAPT_SEQ 4	/* sequential faults in a row that make an adaptive FCM prefetch */
#define ADAPT_RND 4	/* non-sequential faults in a row that make it stop */

struct fcm_file {
	struct fcm fcm;
	struct fr *fr;
	uint64_t max_resident;
	int writable;
	int policy;		/* K42_FCM_DEMAND or K42_FCM_PREFETCH */
	int adaptive;		/* picks policy from its own faults */
	uint64_t next;		/* the page a sequential run faults on next */
	uint32_t seq, rnd;	/* sequential / other faults in a row */
	uint32_t window;	/* prefetch: pages read ahead */
};

static void set_policy(struct fcm_file *ff, int policy, int why, uint64_t pgoff)
{
	if (ff->policy == policy)
		return;
	trace_kswap_policy(ff->policy, policy, why, pgoff);
	ff->policy = policy;
	ff->window = 0;
	ff->fcm.swaps++;
}

/* Caller holds the lock: the fault pattern, seen from fault pgoff. */
static void track(struct fcm_file *ff, uint64_t pgoff)
{
	if (pgoff == ff->next) {
		ff->seq++;
		ff->rnd = 0;
	} else if (pgoff + 1 != ff->next) {	/* the same page again (a write after a read) is neither */
		ff->rnd++;
		ff->seq = 0;
	}
	ff->next = pgoff + 1;
	if (ff->adaptive) {
		if (ff->policy == K42_FCM_DEMAND && ff->seq >= ADAPT_SEQ)
			set_policy(ff, K42_FCM_PREFETCH, 1, pgoff);
		else if (ff->policy == K42_FCM_PREFETCH && ff->rnd >= ADAPT_RND)
			set_policy(ff, K42_FCM_DEMAND, 2, pgoff);
	}
	if (ff->policy == K42_FCM_PREFETCH)
		ff->window = ff->seq ? (ff->window ? (ff->window * 2 > AHEAD_MAX ? AHEAD_MAX : ff->window * 2) : 4) : 0;
}

/* Caller holds the lock: give frames to the pages of the window after
 * pgoff that are not resident and mark them being read in; their offsets
 * and tokens go to offs/toks for the page-ins started after unlocking. */
static unsigned collect_ahead(struct fcm_file *ff, uint64_t pgoff, uint64_t *offs, uint64_t *toks,
			      unsigned max)
{
	struct fcm *f = &ff->fcm;
	uint64_t npages = (fr_size(ff->fr) + PM_PAGE_SIZE - 1) / PM_PAGE_SIZE, frame;
	int room = fr_room(ff->fr) - 2;	/* keep some for demand faults */
	unsigned n = 0;

	if (ff->policy != K42_FCM_PREFETCH)
		return 0;
	for (uint64_t o = pgoff + 1; o <= pgoff + ff->window && o < npages && (int)n < room && n < max;
	     o++) {
		struct fcm_page *p;

		if (fcm_page_find(f, o))
			continue;
		if (fcm_alloc_frame(f, &frame) < 0)
			break;
		if (!(p = fcm_page_insert(f, o, frame))) {
			fcm_free_frame(f, frame);
			break;
		}
		p->token = fr_next_token(ff->fr);
		offs[n] = o;
		toks[n] = p->token;
		n++;
	}
	f->ahead += n;
	return n;
}

/* Without the lock: start the page-ins collect_ahead prepared. */
static void request_ahead(struct fcm_file *ff, unsigned n, const uint64_t *offs, const uint64_t *toks)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = fr_request(ff->fr, offs[i], toks[i]);

		if (rc < 0)
			fcm_file_fill(&ff->fcm, offs[i], toks[i], rc, NULL, NULL);
	}
}

/* Drop the oldest clean page: 1, or 0 if every page is busy or dirty. */
static int evict_oldest(struct fcm *f)
{
	for (struct fcm_page *p = f->fifo_head; p; p = p->fifo_next) {
		if (p->token)
			continue;	/* being read in: never evicted */
		if (p->dirty) {
			/* Its data exists nowhere else: ask the server to
			 * take it back (a full ring: ask at the next try). */
			if (!p->pageout_sent && fr_request_pageout(((struct fcm_file *)f)->fr, p->pgoff) == 0)
				p->pageout_sent = 1;
			continue;
		}
		fcm_unmap_everywhere(f, p->pgoff);
		fcm_page_remove(f, p);
		fcm_retire_page(f, p);	/* freed after quiescence (mm/fcm.c) */
		return 1;
	}
	return 0;
}

/* Map the resident page p for a direct mapping (m), still under the
 * FCM's lock: an unmap made under it (an eviction, a pull, a drop) is
 * then never followed by a map of what it took away, whatever lock the
 * two callers hold besides (docs/smp.md, "Lock order": the process's,
 * then the FCM's, then the HAT's leaf allocations). */
static int map_locked(const struct fcm_map *m, uint64_t pa, unsigned maxprot)
{
	return m ? hat_map(m->hat, m->va, pa, m->prot & maxprot) : 0;
}

static int file_fault(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m,
		      uint64_t *pa, unsigned *maxprot, uint64_t *token)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	struct fcm_page *p;
	uint64_t frame, offs[AHEAD_MAX], toks[AHEAD_MAX];
	unsigned n;
	int rc;

	spin_lock(&f->lock);
	track(ff, pgoff);
	p = fcm_page_find(f, pgoff);
	if (p) {
		if (p->token) {
			*token = p->token;
			f->waits++;
			n = collect_ahead(ff, pgoff, offs, toks, AHEAD_MAX);
			spin_unlock(&f->lock);
			request_ahead(ff, n, offs, toks);
			return -K42_EAGAIN;
		}
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_EXEC;	/* read-only until written */
		if (ff->writable && (write || p->dirty)) {
			p->dirty = 1;
			*maxprot |= K42_PROT_WRITE;
		}
		rc = map_locked(m, *pa, *maxprot);
		n = collect_ahead(ff, pgoff, offs, toks, AHEAD_MAX);
		/* (The page just mapped is the newest: never the one evicted.) */
		while (n && f->resident > ff->max_resident && evict_oldest(f))
			;
		spin_unlock(&f->lock);
		request_ahead(ff, n, offs, toks);
		return rc;
	}
	if (fr_busy(ff->fr, token)) {
		/* The FR has all its page-ins in flight: wait for the oldest,
		 * then fault again. */
		f->waits++;
		spin_unlock(&f->lock);
		return -K42_EAGAIN;
	}
	if ((rc = fcm_alloc_frame(f, &frame)) < 0) {
		spin_unlock(&f->lock);
		return rc;
	}
	if (!(p = fcm_page_insert(f, pgoff, frame))) {
		spin_unlock(&f->lock);
		fcm_free_frame(f, frame);
		return -K42_ENOMEM;
	}
	p->token = fr_next_token(ff->fr);
	*token = p->token;
	f->waits++;
	n = collect_ahead(ff, pgoff, offs, toks, AHEAD_MAX);
	/* Back under the limit once dirty pages have been taken back. */
	while (f->resident > ff->max_resident && evict_oldest(f))
		;
	spin_unlock(&f->lock);
	rc = fr_request(ff->fr, pgoff, *token);
	if (rc < 0) {
		/* Nothing is on its way: release the page, or every later
		 * reader would wait for it forever. */
		fcm_file_fill(f, pgoff, *token, rc, NULL, NULL);
		request_ahead(ff, n, offs, toks);
		return rc;
	}
	request_ahead(ff, n, offs, toks);
	return -K42_EAGAIN;
}

/* The op, for a COW layer over this FCM (which maps what it is given
 * read-only, through its own regions). */
static int file_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	return file_fault(f, pgoff, write, NULL, pa, maxprot, token);
}

int fcm_file_map(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m,
		 uint64_t *token)
{
	uint64_t pa;
	unsigned maxprot;

	return file_fault(f, pgoff, write, m, &pa, &maxprot, token);
}

/* Caller holds the lock: page pgoff if it is resident and a fault on it
 * has nothing else to do (no page-in, no read-ahead, no eviction), its
 * fault counted as track() counts it; else NULL, nothing changed. A
 * demand FCM's track() changes nothing but its run detector: a
 * prefetching or adaptive one may start page-ins, which the locked path
 * makes. */
static struct fcm_page *resident_locked(struct fcm_file *ff, uint64_t pgoff)
{
	struct fcm_page *p;

	p = ff->adaptive || ff->policy != K42_FCM_DEMAND ? NULL : fcm_page_find(&ff->fcm, pgoff);
	if (!p || p->token)
		return NULL;
	track(ff, pgoff);
	return p;
}

int fcm_file_map_resident(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	struct fcm_page *p;
	unsigned maxprot;
	int rc;

	spin_lock(&f->lock);
	if (!(p = resident_locked(ff, pgoff))) {
		spin_unlock(&f->lock);
		return -K42_EAGAIN;
	}
	maxprot = K42_PROT_READ | K42_PROT_EXEC;	/* read-only until written */
	if (ff->writable && (write || p->dirty)) {
		p->dirty = 1;
		maxprot |= K42_PROT_WRITE;
	}
	rc = map_locked(m, p->pa, maxprot);
	spin_unlock(&f->lock);
	return rc;
}

int fcm_file_cow_resident(struct fcm *f, uint64_t pgoff, const struct fcm_map *m, void *to)
{
	struct fcm_page *p;
	int rc = 0;

	spin_lock(&f->lock);
	if (!(p = resident_locked((struct fcm_file *)f, pgoff)))
		rc = -K42_EAGAIN;
	else if (to)
		memcpy(to, phys_to_virt(p->pa), PM_PAGE_SIZE);
	else
		rc = map_locked(m, p->pa, K42_PROT_READ | K42_PROT_EXEC);
	spin_unlock(&f->lock);
	return rc;
}

/*
 * A fault without the kernel lock on a file page that is not resident, or
 * is being read in, or on any page of a prefetching or adaptive FCM
 * (mm/fault.c fault_miss_unlocked): under this CPU's local lock and the
 * faulting process's, taken before; see fr_send_begin (mm/fr_send.c) for
 * why that keeps every locked user of the FR's page-ins out. It does what
 * file_fault does: d waits for the page-in (async: reflected) through
 * fr_add_waiter, which the caller made sure has room (a free async slot;
 * a running d waits for nothing synchronously), and the read-ahead of a
 * prefetching FCM is sent as far as the server's ring has room (the rest
 * is left to later faults). 1 and *token: d waits; 0: the page was
 * resident and is mapped; -K42_EAGAIN: the locked path decides (nothing
 * changed, unless a resident page's map failed for lack of memory after
 * its read-ahead went out). Everything that can fail is checked before
 * the first change. An eviction it makes unmaps the page everywhere under
 * this lock and retires the frame (freed after quiescence), as the
 * locked path does; a dirty page's page-out request goes into the
 * server's ring, whose CPU's lock fr_send_begin holds.
 */
int fcm_file_miss_unlocked(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m,
			   struct dispatcher *d, int async, uint64_t *token)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	struct fcm_page *p;
	struct fr_send s = { 0 };
	uint64_t frame = 0, offs[AHEAD_MAX], toks[AHEAD_MAX];
	unsigned maxprot, n = 0;
	int rc = 1, busy = 0, fresh, wait, sending;

	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (!p)
		busy = fr_busy(ff->fr, token);	/* wait for the oldest, then fault again */
	fresh = !p && !busy;
	wait = busy || (p && p->token);
	/* A page-in to send, or read-ahead that a prefetching or adaptive
	 * FCM may start (file_fault makes none when the FR is busy). */
	sending = fresh || (p && (ff->adaptive || ff->policy != K42_FCM_DEMAND));
	if (sending && fr_send_begin(ff->fr, &s, fresh) < 0)
		goto decline;
	if (fresh) {
		if (fcm_alloc_frame(f, &frame) < 0)
			goto decline_send;
		if (!(p = fcm_page_insert(f, pgoff, frame))) {
			fcm_free_frame(f, frame);
			goto decline_send;
		}
	} else if (wait) {
		/* Its page-in is on the FR's list while the page has a token
		 * (under this lock). */
		if (!busy)
			*token = p->token;
		if (fr_add_waiter(*token, d, async) < 0)
			goto decline_send;
	}
	/* Nothing fails from here on. */
	track(ff, pgoff);
	if (fresh) {
		p->token = *token = fr_next_token(ff->fr);
		fr_send_commit(ff->fr, &s, pgoff, p->token);
		BUG_ON(fr_add_waiter(p->token, d, async) < 0);	/* room checked by the caller */
	}
	if (fresh || wait) {
		f->waits++;
	} else {
		maxprot = K42_PROT_READ | K42_PROT_EXEC;	/* read-only until written */
		if (ff->writable && (write || p->dirty)) {
			p->dirty = 1;
			maxprot |= K42_PROT_WRITE;
		}
		rc = map_locked(m, p->pa, maxprot) < 0 ? -K42_EAGAIN : 0;
	}
	if (sending) {
		n = collect_ahead(ff, pgoff, offs, toks, s.room);
		for (unsigned i = 0; i < n; i++)
			if (fr_send_ahead(ff->fr, &s, offs[i], toks[i]) < 0)
				/* Never mapped: freed at once; a later fault asks again. */
				fcm_file_fill_locked(f, offs[i], toks[i], -K42_ENOMEM, NULL, NULL);
		/* Back under the limit once dirty pages have been taken back
		 * (as file_fault: after a miss, or a hit that read ahead; the
		 * page just mapped is the newest, never the one evicted). */
		while ((fresh || (n && !wait)) && f->resident > ff->max_resident &&
		       evict_oldest(f))
			;
		fr_send_end(&s);
	}
	spin_unlock(&f->lock);
	return rc;
decline_send:
	if (sending)
		fr_send_end(&s);
decline:
	spin_unlock(&f->lock);
	return -K42_EAGAIN;
}

static void file_destroy(struct fcm *f)
{
	fr_fcm_gone(((struct fcm_file *)f)->fr);
	fcm_free_all_pages(f);
	kmem_free(f, sizeof(struct fcm_file));
}

static const struct fcm_ops file_ops = {
	.name = "file",
	.get_page = file_get_page,
	.destroy = file_destroy,
};

struct fcm *fcm_file_create(struct fr *fr, uint64_t max_resident)
{
	struct fcm_file *ff = kmem_alloc(sizeof(*ff));

	if (!ff)
		return NULL;
	fcm_init(&ff->fcm, &file_ops);
	ff->fr = fr;
	ff->max_resident = max_resident;
	ff->policy = K42_FCM_DEMAND;
	ff->next = ~0ul;
	return &ff->fcm;
}

int fcm_is_file(const struct fcm *f)
{
	return f->ops == &file_ops;
}

int fcm_file_set_policy(struct fcm *f, int policy)
{
	struct fcm_file *ff = (struct fcm_file *)f;

	if (policy != K42_FCM_DEMAND && policy != K42_FCM_PREFETCH && policy != K42_FCM_ADAPTIVE)
		return -K42_EINVAL;
	spin_lock(&f->lock);
	ff->adaptive = policy == K42_FCM_ADAPTIVE;
	if (!ff->adaptive)
		set_policy(ff, policy, 0, 0);
	spin_unlock(&f->lock);
	return 0;
}

void fcm_file_describe(struct fcm *f, struct k42_fcminfo *out)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	const char *name;

	spin_lock(&f->lock);
	out->impl_id = ff->policy;
	out->adaptive = (uint32_t)ff->adaptive;
	out->resident = f->resident;
	out->swaps = f->swaps;
	out->ahead = f->ahead;
	out->waits = f->waits;
	spin_unlock(&f->lock);
	name = ff->policy == K42_FCM_PREFETCH ? "file-prefetch" : "file-demand";
	for (unsigned i = 0; name[i] && i < sizeof(out->impl) - 1; i++)
		out->impl[i] = name[i];
}

void fcm_file_set_writable(struct fcm *f)
{
	spin_lock(&f->lock);
	((struct fcm_file *)f)->writable = 1;
	spin_unlock(&f->lock);
}

int fcm_file_writable(struct fcm *f)
{
	return f->ops == &file_ops && ((struct fcm_file *)f)->writable;
}

/* Copy the first dirty page in [pgoff, end) into out and clean it. */
int fcm_file_pull(struct fcm *f, uint64_t pgoff, uint64_t end, void *out, uint64_t *found)
{
	struct fcm_page *best = NULL;

	spin_lock(&f->lock);
	for (struct fcm_page *p = f->fifo_head; p; p = p->fifo_next)
		if (p->dirty && p->pgoff >= pgoff && p->pgoff < end && (!best || p->pgoff < best->pgoff))
			best = p;
	if (!best) {
		spin_unlock(&f->lock);
		return -K42_ENOENT;
	}
	/* Unmapped first, so a store from now on faults and dirties it again. */
	fcm_unmap_everywhere(f, best->pgoff);
	memcpy(out, phys_to_virt(best->pa), PM_PAGE_SIZE);
	best->dirty = best->pageout_sent = 0;
	*found = best->pgoff;
	spin_unlock(&f->lock);
	return 0;
}

/* Write len bytes at off in page pgoff if it is resident (1) or not (0). */
int fcm_file_push(struct fcm *f, uint64_t pgoff, uint64_t off, const void *src, uint64_t len)
{
	struct fcm_page *p;
	int rc = 0;

	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (p && !p->token) {
		memcpy((uint8_t *)phys_to_virt(p->pa) + off, src, len);
		rc = 1;
	}
	spin_unlock(&f->lock);
	return rc;
}

/* Drop every resident page from pgoff on (the file shrank): their data,
 * dirty or not, is beyond the end. Pages being read in are left alone. */
int fcm_file_drop(struct fcm *f, uint64_t pgoff)
{
	struct fcm_page *p, *next;
	int n = 0;

	spin_lock(&f->lock);
	for (p = f->fifo_head; p; p = next) {
		next = p->fifo_next;
		if (p->token || p->pgoff < pgoff)
			continue;
		fcm_unmap_everywhere(f, p->pgoff);
		fcm_page_remove(f, p);
		fcm_retire_page(f, p);	/* freed after quiescence (mm/fcm.c) */
		n++;
	}
	spin_unlock(&f->lock);
	return n;
}

int fcm_file_fill_locked(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
			 void (*copy)(uint64_t pa, const void *src), const void *src)
{
	struct fcm_page *p = fcm_page_find(f, pgoff);

	if (!p || p->token != token)
		return -K42_ENOENT;
	if (status == 0) {
		copy(p->pa, src);
		p->token = 0;
	} else {
		/* Never mapped (being read in): freed at once. */
		fcm_page_remove(f, p);
		fcm_free_frame(f, p->pa);
		kmem_free(p, sizeof(*p));
	}
	return 0;
}

/* The data for a page being read in arrived (status 0) or failed. */
int fcm_file_fill(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
		  void (*copy)(uint64_t pa, const void *src), const void *src)
{
	int rc;

	spin_lock(&f->lock);
	rc = fcm_file_fill_locked(f, pgoff, token, status, copy, src);
	spin_unlock(&f->lock);
	return rc;
}
