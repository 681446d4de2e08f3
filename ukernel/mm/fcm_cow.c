/*
 * Copy-on-write FCM: a private view of another FCM. Reads are served by the
 * backing FCM's frames, mapped read-only; the first write to a page copies
 * it into a frame of this FCM, which from then on is mapped writable.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/panic.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

struct fcm_cow {
	struct fcm fcm;		/* first: the ops get a struct fcm * */
	struct fcm *backing;
};

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

static void cow_destroy(struct fcm *f)
{
	struct fcm_cow *c = (struct fcm_cow *)f;

	fcm_remove_cow_child(c->backing, f);
	fcm_free_all_pages(f);
	fcm_put(c->backing);
	kmem_free(c, sizeof(*c));
}

static const struct fcm_ops cow_ops = {
	.name = "cow",
	.get_page = cow_get_page,
	.destroy = cow_destroy,
};

struct fcm *fcm_cow_create(struct fcm *backing)
{
	struct fcm_cow *c = kmem_alloc(sizeof(*c));

	if (!c)
		return NULL;
	fcm_init(&c->fcm, &cow_ops);
	fcm_get(backing);
	c->backing = backing;
	fcm_add_cow_child(backing, &c->fcm);
	return &c->fcm;
}
