/*
 * FCMs for user-level drivers: device MMIO windows and pinned DMA memory
 * (mm/fcm_dev.c).
 */
#ifndef MM_FCM_DEV_H
#define MM_FCM_DEV_H

#include <stdint.h>

struct fcm;
struct frame_source;

#define FCM_DMA_MAX_PAGES 256	/* 1 MiB per DMA region */

/* npages of device registers at real address base (page aligned, not RAM). */
struct fcm *fcm_mmio_create(uint64_t base, uint64_t npages);
/* npages zeroed frames from src, pinned until the FCM is destroyed, for the
 * driver `owner`. NULL with *err = -K42_EINVAL, -K42_ENOMEM or -K42_EDQUOT. */
struct fcm *fcm_dma_create(struct frame_source *src, uint32_t owner, uint64_t npages, int *err);
/* Physical address of page pgoff of a DMA FCM (0 if f is not one). */
uint64_t fcm_dma_phys(struct fcm *f, uint64_t pgoff);
/* Is f device memory the kernel must not copy through (MMIO)? */
int fcm_is_device(const struct fcm *f);
/* Called with the owner's pid before a DMA FCM's frames go back. */
void fcm_dma_set_before_free(void (*fn)(uint32_t owner));

#endif
