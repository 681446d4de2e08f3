/*
 * Physical FCM: a fixed range of real memory the kernel does not own (the
 * boot archive, the trace buffer), served page by page, read-only unless
 * created writable. Nothing is allocated or freed but the FCM itself.
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <mm/pm.h>

struct fcm_phys {
	struct fcm fcm;
	uint64_t base, npages;
	int writable;
};

static int phys_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_phys *ph = (struct fcm_phys *)f;

	(void)token;
	if ((write && !ph->writable) || pgoff >= ph->npages)
		return -K42_EACCES;
	*pa = ph->base + pgoff * PM_PAGE_SIZE;
	*maxprot = K42_PROT_READ | (ph->writable ? K42_PROT_WRITE : 0);
	return 0;
}

static void phys_destroy(struct fcm *f)
{
	kmem_free(f, sizeof(struct fcm_phys));
}

static const struct fcm_ops phys_ops = {
	.name = "phys",
	.get_page = phys_get_page,
	.destroy = phys_destroy,
};

struct fcm *fcm_phys_create(uint64_t base, uint64_t npages, int writable)
{
	struct fcm_phys *ph = kmem_alloc(sizeof(*ph));

	if (!ph)
		return NULL;
	fcm_init(&ph->fcm, &phys_ops);
	ph->base = base;
	ph->npages = npages;
	ph->writable = writable;
	return &ph->fcm;
}
