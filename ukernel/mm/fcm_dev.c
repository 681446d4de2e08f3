/*
 * FCMs for user-level drivers (docs/devices.md):
 *  - MMIO: a window of a device's registers at a fixed physical address
 *    outside RAM, mapped cache-inhibited (HAT_PROT_IO) and never executable;
 *    nothing is allocated, and the kernel never reads or writes it itself.
 *  - DMA: pinned RAM whose physical addresses the driver knows and hands to
 *    its device. Every frame is taken when the FCM is made, from the
 *    driver's quota account (so it counts as the driver's private memory),
 *    and given back only when the FCM is destroyed (the region unmapped or
 *    the driver ended). Before the frames go back, the `before_free` hook
 *    stops the driver's devices from mastering the bus (kern/sys_dev.c),
 *    so a device cannot write into frames that belong to someone else next.
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <mm/fcm.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/pm.h>
#include <mm/fcm_dev.h>

struct fcm_mmio {
	struct fcm fcm;
	uint64_t base, npages;
};

struct fcm_dma {
	struct fcm fcm;
	uint32_t owner;		/* the driver's pid: an id with a generation */
	uint64_t npages;
	uint64_t pa[];		/* npages frames, each charged to the driver's account */
};

static void (*dma_before_free)(uint32_t owner);

static int mmio_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_mmio *m = (struct fcm_mmio *)f;

	(void)write;
	(void)token;
	if (pgoff >= m->npages)
		return -K42_EACCES;
	*pa = m->base + pgoff * PM_PAGE_SIZE;
	*maxprot = K42_PROT_READ | K42_PROT_WRITE | HAT_PROT_IO;
	return 0;
}

static void mmio_destroy(struct fcm *f)
{
	kmem_free(f, sizeof(struct fcm_mmio));
}

static const struct fcm_ops mmio_ops = {
	.name = "mmio",
	.get_page = mmio_get_page,
	.destroy = mmio_destroy,
};

struct fcm *fcm_mmio_create(uint64_t base, uint64_t npages)
{
	struct fcm_mmio *m = kmem_alloc(sizeof(*m));

	if (!m)
		return NULL;
	fcm_init(&m->fcm, &mmio_ops);
	m->base = base;
	m->npages = npages;
	return &m->fcm;
}

static size_t dma_size(uint64_t npages)
{
	return sizeof(struct fcm_dma) + npages * sizeof(uint64_t);
}

static int dma_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			unsigned *maxprot, uint64_t *token)
{
	struct fcm_dma *d = (struct fcm_dma *)f;

	(void)write;
	(void)token;
	if (pgoff >= d->npages)
		return -K42_EACCES;
	*pa = d->pa[pgoff];
	*maxprot = K42_PROT_READ | K42_PROT_WRITE;
	return 0;
}

static void dma_free_frames(struct fcm_dma *d)
{
	for (uint64_t i = 0; i < d->npages; i++)
		if (d->pa[i])
			fcm_free_frame(&d->fcm, d->pa[i]);
}

static void dma_destroy(struct fcm *f)
{
	struct fcm_dma *d = (struct fcm_dma *)f;

	if (dma_before_free && d->owner)
		dma_before_free(d->owner);
	dma_free_frames(d);
	kmem_free(d, dma_size(d->npages));
}

static const struct fcm_ops dma_ops = {
	.name = "dma",
	.get_page = dma_get_page,
	.destroy = dma_destroy,
};

struct fcm *fcm_dma_create(struct frame_source *src, uint32_t owner, uint64_t npages, int *err)
{
	struct fcm_dma *d;

	*err = -K42_EINVAL;
	if (npages == 0 || npages > FCM_DMA_MAX_PAGES)
		return NULL;
	*err = -K42_ENOMEM;
	d = kmem_alloc(dma_size(npages));
	if (!d)
		return NULL;
	fcm_init(&d->fcm, &dma_ops);
	fcm_set_source(&d->fcm, src);
	d->owner = owner;
	d->npages = npages;
	for (uint64_t i = 0; i < npages; i++) {
		int rc = fcm_alloc_frame(&d->fcm, &d->pa[i]);

		if (rc < 0) {
			d->pa[i] = 0;
			d->owner = 0;	/* never handed out: no device to stop */
			*err = rc;
			fcm_put(&d->fcm);	/* frees what was taken */
			return NULL;
		}
	}
	*err = 0;
	return &d->fcm;
}

uint64_t fcm_dma_phys(struct fcm *f, uint64_t pgoff)
{
	struct fcm_dma *d = (struct fcm_dma *)f;

	return f->ops == &dma_ops && pgoff < d->npages ? d->pa[pgoff] : 0;
}

int fcm_is_device(const struct fcm *f)
{
	return f->ops == &mmio_ops;
}

void fcm_dma_set_before_free(void (*fn)(uint32_t owner))
{
	dma_before_free = fn;
}
