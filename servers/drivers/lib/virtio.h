/*
 * virtio 1.x over PCI for user-level drivers (docs/devices.md): the modern
 * transport (vendor capabilities locating the common, notify, ISR and
 * device configuration in the BARs), feature negotiation, and split
 * virtqueues in DMA memory. Interrupts are the device's INTx, taken as a
 * soft interrupt (dev_irq_attach) and acknowledged with virtio_irq_done.
 * One virtio device per struct virtio_dev; no locking (one thread drives it).
 */
#ifndef DRV_VIRTIO_H
#define DRV_VIRTIO_H

#include <stdint.h>
#include "pci.h"

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2	/* the device writes this buffer */
#define VIRTQ_MAX_SIZE		256	/* a descriptor table fits one page */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct virtq {
	uint16_t qid, size;
	uint16_t free_head, nfree;
	uint16_t last_used;
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[size] */
	volatile uint32_t *used;	/* flags|idx, then (id, len) pairs */
	volatile uint16_t *notify;
	void *cookie[VIRTQ_MAX_SIZE];	/* per chain head */
};

struct virtio_dev {
	struct pci_dev pci;
	volatile uint8_t *common, *isr, *device, *notify;
	uint32_t notify_mult;
	uint64_t offered;	/* what the device offered */
	uint64_t features;	/* negotiated */
};

/* A buffer of a request: physical address (DMA memory), length, and
 * whether the device writes it. */
struct virtq_buf {
	uint64_t pa;
	uint32_t len;
	int device_writes;
};

/* Find the index-th virtio device with this PCI device id, claim it, map its
 * BARs from va up (va must have 64 KiB per BAR free), reset it and offer
 * `wanted` features (VERSION_1 is always required). 0 or -K42_E*. */
int virtio_open(uint16_t pci_device, int index, uint64_t va, uint64_t wanted, struct virtio_dev *v);
/* Set up queue qid with up to `size` entries in three DMA pages at dma_va,
 * physical addresses pas[0..2]. */
int virtq_setup(struct virtio_dev *v, uint16_t qid, uint16_t size, struct virtq *q,
		uint64_t dma_va, const uint64_t pas[3]);
/* Tell the device the driver is ready (DRIVER_OK). */
int virtio_ready(struct virtio_dev *v);
/* Queue one request of n buffers; cookie comes back from virtq_get.
 * -K42_EAGAIN if the ring lacks room. Call virtq_kick to start it. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int n, void *cookie);
void virtq_kick(struct virtio_dev *v, struct virtq *q);
/* One finished request: 1 and its cookie and written length, or 0. */
int virtq_get(struct virtq *q, void **cookie, uint32_t *len);
/* Read and clear the ISR (deasserts INTx); then, once the queues are
 * drained, dev_irq_ack the source. */
uint8_t virtio_isr(struct virtio_dev *v);
/* A driver's soft-interrupt work for one queue whose cookies are slot
 * numbers 1..32: read the ISR, set each finished slot's bit in *done
 * (atomically: the driver's threads clear them), then dev_irq_ack. */
void virtio_irq_collect(struct virtio_dev *v, struct virtq *q, uint32_t *done);
/* Device status, for tests. */
uint8_t virtio_status(struct virtio_dev *v);

#endif
