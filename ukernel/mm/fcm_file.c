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
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/panic.h>
#include <mm/fcm.h>
#include <mm/fr_internal.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

struct fcm_file {
	struct fcm fcm;
	struct fr *fr;
	uint64_t max_resident;
	int writable;
};

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
		fcm_free_frame(f, p->pa);
		kmem_free(p, sizeof(*p));
		return 1;
	}
	return 0;
}

static int file_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	struct fcm_page *p;
	uint64_t frame;
	int rc;

	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (p) {
		if (p->token) {
			*token = p->token;
			spin_unlock(&f->lock);
			return -K42_EAGAIN;
		}
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_EXEC;	/* read-only until written */
		if (ff->writable && (write || p->dirty)) {
			p->dirty = 1;
			*maxprot |= K42_PROT_WRITE;
		}
		spin_unlock(&f->lock);
		return 0;
	}
	if (fr_busy(ff->fr, token)) {
		/* The FR has all its page-ins in flight: wait for the oldest,
		 * then fault again. */
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
	/* Back under the limit once dirty pages have been taken back. */
	while (f->resident > ff->max_resident && evict_oldest(f))
		;
	spin_unlock(&f->lock);
	rc = fr_request(ff->fr, pgoff, *token);
	if (rc < 0) {
		/* Nothing is on its way: release the page, or every later
		 * reader would wait for it forever. */
		fcm_file_fill(f, pgoff, *token, rc, NULL, NULL);
		return rc;
	}
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
	return &ff->fcm;
}

void fcm_file_set_writable(struct fcm *f)
{
	((struct fcm_file *)f)->writable = 1;
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
		fcm_free_frame(f, p->pa);
		kmem_free(p, sizeof(*p));
		n++;
	}
	spin_unlock(&f->lock);
	return n;
}

/* The data for a page being read in arrived (status 0) or failed. */
int fcm_file_fill(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
		  void (*copy)(uint64_t pa, const void *src), const void *src)
{
	struct fcm_page *p;

	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (!p || p->token != token) {
		spin_unlock(&f->lock);
		return -K42_ENOENT;
	}
	if (status == 0) {
		copy(p->pa, src);
		p->token = 0;
	} else {
		fcm_page_remove(f, p);
		fcm_free_frame(f, p->pa);
		kmem_free(p, sizeof(*p));
	}
	spin_unlock(&f->lock);
	return 0;
}
