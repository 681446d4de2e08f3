/*
 * File FCM: caches the pages of one file served by a user-level server
 * through an FR. A missing page gets a frame at once and is marked being
 * read in (a token); the FR asks the server for the data and the fault is
 * answered -K42_EAGAIN with that token. Local policy: at most max_resident
 * pages; past that the oldest resident page is unmapped everywhere and
 * dropped (it can always be read in again).
 */
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
};

static void evict_oldest(struct fcm *f)
{
	for (struct fcm_page *p = f->fifo_head; p; p = p->fifo_next) {
		if (p->token)
			continue;	/* being read in: never evicted */
		fcm_unmap_everywhere(f, p->pgoff);
		fcm_page_remove(f, p);
		fcm_free_frame(f, p->pa);
		kmem_free(p, sizeof(*p));
		return;
	}
}

static int file_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_file *ff = (struct fcm_file *)f;
	struct fcm_page *p;
	uint64_t frame;
	int rc;

	(void)write;
	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (p) {
		spin_unlock(&f->lock);
		if (p->token) {
			*token = p->token;
			return -K42_EAGAIN;
		}
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_EXEC;	/* shared file pages are read-only */
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
	if (f->resident > ff->max_resident)
		evict_oldest(f);
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
