/*
 * Physical FCM: fixed real memory the kernel does not own (the boot
 * archive, the trace buffers), served page by page, read-only and
 * executable unless created writable (then never executable): one
 * contiguous range, or equal chunks each contiguous (the trace rings, one
 * per CPU). Nothing is allocated or freed but the FCM itself.
 */
#include <k42/errno.h>
#include <k42/layout.h>
#include <mm/fcm.h>
#include <mm/kmem.h>
#include <mm/pm.h>

#define PHYS_CHUNKS_MAX 64

struct fcm_phys {
	struct fcm fcm;
	uint64_t npages, chunk_pages;
	unsigned nchunks;
	int writable;
	uint64_t base[];	/* nchunks chunks of chunk_pages pages */
};

static int phys_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			 unsigned *maxprot, uint64_t *token)
{
	struct fcm_phys *ph = (struct fcm_phys *)f;

	(void)token;
	if ((write && !ph->writable) || pgoff >= ph->npages)
		return -K42_EACCES;
	*pa = ph->base[pgoff / ph->chunk_pages] + (pgoff % ph->chunk_pages) * PM_PAGE_SIZE;
	/* Read-only (the boot archive, whose programs' text the loader maps
	 * out of it) may be executed; writable (the trace rings) never. */
	*maxprot = K42_PROT_READ | (ph->writable ? K42_PROT_WRITE : K42_PROT_EXEC);
	return 0;
}

static void phys_destroy(struct fcm *f)
{
	struct fcm_phys *ph = (struct fcm_phys *)f;

	kmem_free(f, sizeof(*ph) + ph->nchunks * sizeof(ph->base[0]));
}

static const struct fcm_ops phys_ops = {
	.name = "phys",
	.get_page = phys_get_page,
	.destroy = phys_destroy,
};

int fcm_is_phys(const struct fcm *f)
{
	return f->ops == &phys_ops;
}

struct fcm *fcm_phys_create_chunks(const uint64_t *bases, unsigned nchunks, uint64_t chunk_pages,
				   int writable)
{
	struct fcm_phys *ph;

	if (!nchunks || !chunk_pages || nchunks > PHYS_CHUNKS_MAX)
		return NULL;
	ph = kmem_alloc(sizeof(*ph) + nchunks * sizeof(ph->base[0]));
	if (!ph)
		return NULL;
	fcm_init(&ph->fcm, &phys_ops);
	for (unsigned i = 0; i < nchunks; i++)
		ph->base[i] = bases[i];
	ph->nchunks = nchunks;
	ph->chunk_pages = chunk_pages;
	ph->npages = nchunks * chunk_pages;
	ph->writable = writable;
	return &ph->fcm;
}

struct fcm *fcm_phys_create(uint64_t base, uint64_t npages, int writable)
{
	return fcm_phys_create_chunks(&base, 1, npages, writable);
}
