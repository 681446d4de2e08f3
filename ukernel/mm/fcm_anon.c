/*
 * Anonymous memory FCM: pages are zero-filled frames made on first touch.
 * No backing store yet, so its local policy never evicts.
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <kern/panic.h>
#include <mm/meminit.h>

static int anon_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_page *p;
	int rc = 0;

	(void)write;
	(void)token;
	spin_lock(&f->lock);
	p = fcm_page_find(f, pgoff);
	if (!p) {
		uint64_t frame;

		rc = fcm_alloc_frame(f, &frame);
		if (rc == 0 && !(p = fcm_page_insert(f, pgoff, frame))) {
			fcm_free_frame(f, frame);
			rc = -K42_ENOMEM;
		}
	}
	if (rc == 0) {
		*pa = p->pa;
		*maxprot = K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC;
	}
	spin_unlock(&f->lock);
	return rc;
}

static void anon_destroy(struct fcm *f)
{
	fcm_free_all_pages(f);
	kmem_free(f, sizeof(*f));
}

static const struct fcm_ops anon_ops = {
	.name = "anon",
	.get_page = anon_get_page,
	.destroy = anon_destroy,
};

struct fcm *fcm_anon_create(void)
{
	struct fcm *f = kmem_alloc(sizeof(*f));

	if (f)
		fcm_init(f, &anon_ops);
	return f;
}

int fcm_is_anon(const struct fcm *f)
{
	return f->ops == &anon_ops;
}
