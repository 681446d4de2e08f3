/*
 * The virtio library on a real disk (docs/devices.md), run as init with the
 * "pattern" disk testrun.py writes (sector n: n as 8 little-endian bytes,
 * then (n*7+i) & 0xff). Interrupt-driven: requests complete through the
 * device's INTx, taken as a soft interrupt; several are in flight at once.
 * The queue and buffers are DMA memory given to the device by physical
 * address with no IOMMU mapping and without VIRTIO_F_ACCESS_PLATFORM, so
 * reading the right bytes proves virtio DMAs to guest physical addresses.
 */
#include <lib/fmt.h>
#include <k42/device.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/syscalls.h>
#include <string.h>
#include "check.h"
#include "virtio.h"

#define DISK_SECTORS	6157
#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define NPAGES		(3 + 1 + 8)	/* queue, request headers, data */
#define HDR_VA		(DMA_VA + 3 * 4096)
#define DATA_VA		(DMA_VA + 4 * 4096)
#define IRQ_BIT		K42_SOFTINTR_USER0
#define BLK_F_FLUSH	9
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct virtio_dev v;
static struct virtq q;
static uint64_t pas[NPAGES];
static volatile uint64_t irqs_seen;

static void on_irq(uint64_t bits)
{
	if (bits & IRQ_BIT)
		irqs_seen++;
}

static int pattern_ok(const uint8_t *s, uint64_t n)
{
	if (*(const uint64_t *)s != n)
		return 0;
	for (int i = 8; i < 512; i++)
		if (s[i] != (uint8_t)(n * 7 + (uint64_t)i))
			return 0;
	return 1;
}

/* Queue request `slot` (0..7): header slot, data page slot, status byte. */
static int submit(int slot, uint32_t type, uint64_t sector)
{
	struct blk_hdr *h = (struct blk_hdr *)(HDR_VA + (uint64_t)slot * 32);
	uint8_t *status = (uint8_t *)(HDR_VA + 2048 + (uint64_t)slot);
	struct virtq_buf b[3] = {
		{ pas[3] + (uint64_t)slot * 32, sizeof(*h), 0 },
		{ pas[4 + slot], 512, type == T_IN },
		{ pas[3] + 2048 + (uint64_t)slot, 1, 1 },
	};

	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;
	if (type == T_FLUSH) {
		b[1] = b[2];
		return virtq_add(&q, b, 2, (void *)(uint64_t)(slot + 1));
	}
	return virtq_add(&q, b, 3, (void *)(uint64_t)(slot + 1));
}

/* Wait for `n` completions, interrupt-driven: the used ring is looked at
 * only after an interrupt not yet handled (it may have come before we got
 * here). Each one: read the ISR (drops INTx), drain, unmask. */
static uint64_t irqs_handled;

static int complete(int n, uint8_t *done_status)
{
	uint64_t start = k42_timebase();
	int got = 0;

	while (got < n && k42_timebase() - start < 512000000ul * 5) {
		void *cookie;
		uint32_t len;

		if (irqs_seen == irqs_handled) {
			k42_sc_yield();
			continue;
		}
		irqs_handled = irqs_seen;
		virtio_isr(&v);
		while (virtq_get(&q, &cookie, &len)) {
			int slot = (int)(uint64_t)cookie - 1;

			done_status[slot] = *(uint8_t *)(HDR_VA + 2048 + (uint64_t)slot);
			got++;
		}
		EXPECT(k42_sc_dev_irq_ack(v.pci.irq_source) == 0, "irq ack");
	}
	if (got < n)
		k42_printf("virtio_blk_test: %d of %d done; isr %u, used idx %u, last %u, %lu irqs\n",
			   got, n, virtio_isr(&v), (unsigned)(q.used[0] >> 16), q.last_used, irqs_seen);
	return got;
}

int main(uint64_t arg)
{
	static const uint64_t sectors[4] = { 0, 1, 1000, DISK_SECTORS - 1 };
	uint8_t st[8];
	uint64_t irqs_before;
	int rc;

	(void)arg;
	rc = virtio_open(0x1001, 0, MMIO_VA, 1ull << BLK_F_FLUSH, &v);
	EXPECT(rc == 0, "virtio_open: %d", rc);
	if (rc)
		return verdict("virtio_blk_test");
	EXPECT(!(v.features & (1ull << VIRTIO_F_ACCESS_PLATFORM)), "ACCESS_PLATFORM negotiated");
	k42_printf("virtio_blk_test: device offers features 0x%lx (ACCESS_PLATFORM %s)\n", v.offered,
		   (v.offered & (1ull << VIRTIO_F_ACCESS_PLATFORM)) ? "offered" : "not offered");
	EXPECT(v.features & (1ull << BLK_F_FLUSH), "no flush feature");
	EXPECT(*(volatile uint32_t *)v.device == DISK_SECTORS, "capacity %u",
	       *(volatile uint32_t *)v.device);
	EXPECT(k42_sc_dev_dma_alloc(DMA_VA, NPAGES, (uint64_t)pas) == 0, "dma_alloc");
	k42_on_user_softintr(on_irq);
	EXPECT(k42_sc_dev_irq_attach(v.pci.irq_source, IRQ_BIT) == 0, "irq attach 0x%x",
	       v.pci.irq_source);
	EXPECT(virtq_setup(&v, 0, 128, &q, DMA_VA, pas) == 0, "queue setup");
	EXPECT(virtio_ready(&v) == 0, "DRIVER_OK refused, status 0x%x", virtio_status(&v));

	/* Four reads in flight at once. */
	for (int i = 0; i < 4; i++)
		EXPECT(submit(i, T_IN, sectors[i]) == 0, "submit read %d", i);
	irqs_before = irqs_seen;
	virtq_kick(&v, &q);
	rc = complete(4, st);
	EXPECT(rc == 4, "%d of 4 reads completed", rc);
	EXPECT(irqs_seen > irqs_before, "completions without an interrupt");
	for (int i = 0; i < 4; i++) {
		EXPECT(st[i] == 0, "read %d status %u", i, st[i]);
		EXPECT(pattern_ok((uint8_t *)(DATA_VA + (uint64_t)i * 4096), sectors[i]),
		       "sector %lu does not hold the host's pattern", sectors[i]);
	}
	k42_printf("virtio_blk_test: 4 reads in flight, %lu interrupt(s)\n", irqs_seen - irqs_before);

	/* Write a sector, flush, read it back into another buffer. */
	for (int i = 0; i < 512; i++)
		((uint8_t *)(DATA_VA + 5 * 4096))[i] = (uint8_t)(0xa5 ^ i);
	EXPECT(submit(5, T_OUT, 77) == 0, "submit write");
	virtq_kick(&v, &q);
	EXPECT(complete(1, st) == 1 && st[5] == 0, "write status %u", st[5]);
	EXPECT(submit(6, T_FLUSH, 0) == 0, "submit flush");
	virtq_kick(&v, &q);
	EXPECT(complete(1, st) == 1 && st[6] == 0, "flush status %u", st[6]);
	memset((void *)(DATA_VA + 7 * 4096), 0, 512);
	EXPECT(submit(7, T_IN, 77) == 0, "submit read-back");
	virtq_kick(&v, &q);
	EXPECT(complete(1, st) == 1 && st[7] == 0, "read-back status %u", st[7]);
	EXPECT(memcmp((void *)(DATA_VA + 7 * 4096), (void *)(DATA_VA + 5 * 4096), 512) == 0,
	       "sector 77 did not keep what was written");
	/* Past the end: the device says so. */
	EXPECT(submit(0, T_IN, DISK_SECTORS) == 0, "submit past end");
	virtq_kick(&v, &q);
	EXPECT(complete(1, st) == 1 && st[0] != 0, "read past the end succeeded");
	return verdict("virtio_blk_test");
}
