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

static const struct fcm_ops cow_ops;

/* The page below COW layer c: the first layer under it that holds one,
 * else its bottom FCM's. A loop, not recursion: a process that forks
 * again and again stacks one layer per fork on its side, and the chain
 * may be thousands deep (a recursive walk overflowed the kernel stack
 * after ~800 forks of one process). Each layer holds a reference on the
 * one below, so the chain cannot go away under the walk. */
static int cow_backing_page(struct fcm_cow *c, uint64_t pgoff, uint64_t *src, unsigned *bprot,
			    uint64_t *token)
{
	struct fcm *b = c->backing;

	while (b->ops == &cow_ops) {
		struct fcm_page *p;

		spin_lock(&b->lock);
		p = fcm_page_find(b, pgoff);
		spin_unlock(&b->lock);
		if (p) {
			*src = p->pa;
			*bprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
			return 0;
		}
		b = ((struct fcm_cow *)b)->backing;
	}
	return b->ops->get_page(b, pgoff, 0, src, bprot, token);
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
	rc = cow_backing_page(c, pgoff, &src, &bprot, token);
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

/* Free this layer, then drop its reference on the one below. A chain of
 * COW layers whose last reference this was is freed in a loop (as
 * fcm_put would free each), not by recursion through fcm_put. */
static void cow_destroy(struct fcm *f)
{
	struct fcm_cow *c = (struct fcm_cow *)f;
	struct fcm *b = c->backing;

	fcm_remove_cow_child(b, f);
	fcm_free_all_pages(f);
	kmem_free(c, sizeof(*c));
	while (b->ops == &cow_ops && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct fcm_cow *bc = (struct fcm_cow *)b;
		struct frame_source *src = b->src;
		struct fcm *next = bc->backing;

		fcm_remove_cow_child(next, b);
		fcm_free_all_pages(b);
		kmem_free(bc, sizeof(*bc));
		if (src->release)
			src->release(src);
		b = next;
	}
	if (b->ops != &cow_ops)
		fcm_put(b);
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
