/*
 * virtio 1.x PCI transport and split virtqueues (virtio.h). Memory-ordering:
 * descriptors are written before the avail index (lwsync), the avail index
 * before the notify (sync), and the used index is read before the used
 * entries it covers (lwsync).
 */
#include <k42/errno.h>
#include <k42/syscalls.h>
#include <string.h>
#include "virtio.h"

#define CAP_VENDOR	0x09
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4

/* Common configuration registers. */
#define C_DFSELECT	0
#define C_DF		4
#define C_GFSELECT	8
#define C_GF		12
#define C_NUMQ		18
#define C_STATUS	20
#define C_QSELECT	22
#define C_QSIZE		24
#define C_QENABLE	28
#define C_QNOTIFYOFF	30
#define C_QDESC		32
#define C_QDRIVER	40
#define C_QDEVICE	48

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8

#define BAR_SPAN	0x10000ul

static inline void lwsync(void) { __asm__ volatile("lwsync" ::: "memory"); }
static inline void hwsync(void) { __asm__ volatile("sync" ::: "memory"); }

static void w8(volatile uint8_t *b, uint32_t off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static void w16(volatile uint8_t *b, uint32_t off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static void w32(volatile uint8_t *b, uint32_t off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static uint8_t r8(volatile uint8_t *b, uint32_t off) { return *(volatile uint8_t *)(b + off); }
static uint16_t r16(volatile uint8_t *b, uint32_t off) { return *(volatile uint16_t *)(b + off); }
static uint32_t r32(volatile uint8_t *b, uint32_t off) { return *(volatile uint32_t *)(b + off); }

static void w64(volatile uint8_t *b, uint32_t off, uint64_t v)
{
	w32(b, off, (uint32_t)v);
	w32(b, off + 4, (uint32_t)(v >> 32));
}

static int map_caps(struct virtio_dev *v, uint64_t va)
{
	uint64_t mapped[PCI_MAX_BARS] = { 0 };

	for (uint32_t cap = pci_find_cap(&v->pci, CAP_VENDOR, 0); cap;
	     cap = pci_find_cap(&v->pci, CAP_VENDOR, cap)) {
		uint32_t type, bar, off;
		volatile uint8_t *p;

		pci_read(&v->pci, cap + 3, 1, &type);
		pci_read(&v->pci, cap + 4, 1, &bar);
		pci_read(&v->pci, cap + 8, 4, &off);
		if (bar >= PCI_MAX_BARS || !v->pci.bar[bar].cpu || v->pci.bar[bar].size > BAR_SPAN)
			continue;
		if (!mapped[bar]) {
			mapped[bar] = va + bar * BAR_SPAN;
			if (pci_map_bar(&v->pci, (int)bar, mapped[bar]) < 0)
				return -K42_EIO;
		}
		p = (volatile uint8_t *)mapped[bar] + (v->pci.bar[bar].cpu & 0xfff) + off;
		if (type == CAP_COMMON && !v->common)
			v->common = p;
		else if (type == CAP_NOTIFY && !v->notify) {
			v->notify = p;
			pci_read(&v->pci, cap + 16, 4, &v->notify_mult);
		} else if (type == CAP_ISR && !v->isr)
			v->isr = p;
		else if (type == CAP_DEVICE && !v->device)
			v->device = p;
	}
	return v->common && v->notify && v->isr ? 0 : -K42_ENOENT;
}

int virtio_open(uint16_t pci_device, int index, uint64_t va, uint64_t wanted, struct virtio_dev *v)
{
	uint64_t offered;
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = pci_find(0x1af4, pci_device, index, &v->pci)) < 0 || (rc = pci_claim(&v->pci)) < 0 ||
	    (rc = map_caps(v, va)) < 0)
		return rc;
	w8(v->common, C_STATUS, 0);	/* reset */
	while (r8(v->common, C_STATUS) != 0)
		;
	w8(v->common, C_STATUS, S_ACK);
	w8(v->common, C_STATUS, S_ACK | S_DRIVER);
	w32(v->common, C_DFSELECT, 0);
	offered = r32(v->common, C_DF);
	w32(v->common, C_DFSELECT, 1);
	offered |= (uint64_t)r32(v->common, C_DF) << 32;
	wanted |= 1ull << VIRTIO_F_VERSION_1;
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		return -K42_EPROTO;	/* a legacy-only device */
	v->offered = offered;
	v->features = offered & wanted;
	w32(v->common, C_GFSELECT, 0);
	w32(v->common, C_GF, (uint32_t)v->features);
	w32(v->common, C_GFSELECT, 1);
	w32(v->common, C_GF, (uint32_t)(v->features >> 32));
	w8(v->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(r8(v->common, C_STATUS) & S_FEATURES_OK))
		return -K42_EPROTO;
	return 0;
}

int virtq_setup(struct virtio_dev *v, uint16_t qid, uint16_t size, struct virtq *q,
		uint64_t dma_va, const uint64_t pas[3])
{
	uint16_t max;

	if (qid >= r16(v->common, C_NUMQ))
		return -K42_ENOENT;
	w16(v->common, C_QSELECT, qid);
	max = r16(v->common, C_QSIZE);
	if (size > max)
		size = max;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	if (!size || (size & (size - 1)))
		return -K42_EINVAL;
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->size = size;
	q->desc = (volatile struct virtq_desc *)dma_va;
	q->avail = (volatile uint16_t *)(dma_va + 4096);
	q->used = (volatile uint32_t *)(dma_va + 8192);
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->nfree = size;
	w16(v->common, C_QSIZE, size);
	w64(v->common, C_QDESC, pas[0]);
	w64(v->common, C_QDRIVER, pas[1]);
	w64(v->common, C_QDEVICE, pas[2]);
	q->notify = (volatile uint16_t *)(v->notify + r16(v->common, C_QNOTIFYOFF) * v->notify_mult);
	w16(v->common, C_QENABLE, 1);
	return 0;
}

int virtio_ready(struct virtio_dev *v)
{
	w8(v->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return (r8(v->common, C_STATUS) & S_DRIVER_OK) ? 0 : -K42_EIO;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int n, void *cookie)
{
	uint16_t head = q->free_head, i = head, last = head, idx;

	if (n < 1 || n > q->nfree)
		return -K42_EAGAIN;
	for (int k = 0; k < n; k++) {
		last = i;
		q->desc[i].addr = bufs[k].pa;
		q->desc[i].len = bufs[k].len;
		q->desc[i].flags = (uint16_t)((bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
					      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		i = q->desc[i].next;
	}
	q->free_head = i;
	q->nfree = (uint16_t)(q->nfree - n);
	(void)last;
	q->cookie[head] = cookie;
	idx = q->avail[1];
	q->avail[2 + (idx & (q->size - 1))] = head;
	lwsync();
	q->avail[1] = (uint16_t)(idx + 1);
	return 0;
}

void virtq_kick(struct virtio_dev *v, struct virtq *q)
{
	(void)v;
	hwsync();
	*q->notify = q->qid;
}

int virtq_get(struct virtq *q, void **cookie, uint32_t *len)
{
	uint16_t used_idx = (uint16_t)(q->used[0] >> 16), head, i;
	volatile uint32_t *e;
	int n = 1;

	if (used_idx == q->last_used)
		return 0;
	lwsync();
	e = &q->used[1 + 2 * (q->last_used & (q->size - 1))];
	head = (uint16_t)e[0];
	*len = e[1];
	*cookie = q->cookie[head];
	q->last_used++;
	/* Give the chain back to the free list. */
	for (i = head; q->desc[i].flags & VIRTQ_DESC_F_NEXT; i = q->desc[i].next)
		n++;
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + n);
	return 1;
}

uint8_t virtio_isr(struct virtio_dev *v)
{
	return r8(v->isr, 0);
}

void virtio_irq_collect(struct virtio_dev *v, struct virtq *q, uint32_t *done)
{
	void *cookie;
	uint32_t len;

	virtio_isr(v);
	while (virtq_get(q, &cookie, &len))
		__atomic_or_fetch(done, 1u << ((uintptr_t)cookie - 1), __ATOMIC_RELEASE);
	k42_sc_dev_irq_ack(v->pci.irq_source);
}

uint8_t virtio_status(struct virtio_dev *v)
{
	return r8(v->common, C_STATUS);
}
