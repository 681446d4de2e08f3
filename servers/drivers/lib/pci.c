/*
 * PCI for user-level drivers (pci.h). Enumeration reads vendor ids on
 * bus 0 of every host bridge; BAR sizing is the usual write-all-ones,
 * read-back; assignment gives function (dev, fn) the slice dev*8+fn of
 * 256 equal slices of the bridge's window for that BAR kind.
 */
#include <k42/device.h>
#include <k42/errno.h>
#include <k42/syscalls.h>
#include "pci.h"

#define PCI_VENDOR	0x00
#define PCI_COMMAND	0x04
#define PCI_STATUS	0x06
#define PCI_HEADER	0x0e
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define PCI_INT_PIN	0x3d
#define PCI_CMD_MEM	0x2
#define PCI_CMD_IO	0x1
#define PCI_CMD_MASTER	0x4
#define PCI_STATUS_CAPS	0x10
#define SLICES		256
#define PAGE		4096ul

int pci_read(const struct pci_dev *d, uint32_t reg, int size, uint32_t *val)
{
	uint64_t out[4];
	long rc = k42_sc_dev_pci(K42_PCI_READ, (uint64_t)d->phb, K42_PCI_CFG(0, 0, 0, reg) + d->cfg,
				 (uint64_t)size, 0, out);

	*val = rc == 0 ? (uint32_t)out[0] : 0;
	return (int)rc;
}

int pci_write(const struct pci_dev *d, uint32_t reg, int size, uint32_t val)
{
	uint64_t out[4];

	return (int)k42_sc_dev_pci(K42_PCI_WRITE, (uint64_t)d->phb,
				   K42_PCI_CFG(0, 0, 0, reg) + d->cfg, (uint64_t)size, val, out);
}

/* Size the BARs (all ones, read back, restore). Decoding goes off first:
 * a BAR being sized would answer at its all-ones address, and the kernel
 * lets BARs move only while the function decodes nothing (pci_claim
 * switches memory decoding back on). */
static void size_bars(struct pci_dev *d)
{
	uint32_t cmd;

	if (pci_read(d, PCI_COMMAND, 2, &cmd) == 0 && (cmd & (PCI_CMD_MEM | PCI_CMD_IO)))
		pci_write(d, PCI_COMMAND, 2, cmd & ~(uint32_t)(PCI_CMD_MEM | PCI_CMD_IO));
	for (int i = 0; i < PCI_MAX_BARS; i++) {
		uint32_t reg = PCI_BAR0 + 4 * (uint32_t)i, lo, hi = 0xffffffffu, orig;
		struct pci_bar *b = &d->bar[i];
		uint64_t mask;

		if (pci_read(d, reg, 4, &orig) < 0)
			continue;
		pci_write(d, reg, 4, 0xffffffffu);
		pci_read(d, reg, 4, &lo);
		pci_write(d, reg, 4, orig);
		if (lo == 0)
			continue;
		b->is_io = lo & 1;
		b->is64 = !b->is_io && ((lo >> 1) & 3) == 2;
		if (b->is64 && i + 1 < PCI_MAX_BARS) {
			pci_read(d, reg + 4, 4, &orig);
			pci_write(d, reg + 4, 4, 0xffffffffu);
			pci_read(d, reg + 4, 4, &hi);
			pci_write(d, reg + 4, 4, orig);
		}
		mask = ((uint64_t)(b->is64 ? hi : 0xffffffffu) << 32) | (lo & (b->is_io ? ~3u : ~15u));
		if (!b->is64)
			mask |= 0xffffffff00000000ull;
		b->size = ~mask + 1;
		if (b->is64)
			i++;	/* the upper half is not a BAR of its own */
	}
}

int pci_find(uint16_t vendor, uint16_t device, int index, struct pci_dev *d)
{
	for (int phb = 0;; phb++) {
		uint64_t out[4];

		long rc = k42_sc_dev_pci(K42_PCI_READ, (uint64_t)phb, 0, 4, 0, out);

		if (rc == -K42_ENOENT || rc == -K42_EPERM)
			return (int)rc;	/* no such bridge, or not a driver */
		for (uint32_t dev = 0; dev < 32; dev++) {
			for (uint32_t fn = 0; fn < 8; fn++) {
				struct pci_dev probe = { .phb = phb, .cfg = (uint32_t)K42_PCI_CFG(0, dev, fn, 0) };
				uint32_t id, hdr, pin;

				if (pci_read(&probe, PCI_VENDOR, 4, &id) < 0 || (id & 0xffff) == 0xffff) {
					if (fn == 0)
						break;
					continue;
				}
				if ((id & 0xffff) == vendor && id >> 16 == device && index-- == 0) {
					*d = probe;
					d->vendor = vendor;
					d->device = device;
					pci_read(d, PCI_INT_PIN, 1, &pin);
					d->pin = (uint8_t)pin;
					if (pin >= 1 && pin <= 4) {
						long src = k42_sc_dev_pci(K42_PCI_INTX, (uint64_t)phb, d->cfg,
									  pin, 0, out);
						d->irq_source = src > 0 ? (uint32_t)src : 0;
					}
					size_bars(d);
					return 0;
				}
				if (fn == 0 && (pci_read(&probe, PCI_HEADER, 1, &hdr) < 0 || !(hdr & 0x80)))
					break;	/* not multi-function */
			}
		}
	}
}

int pci_claim(struct pci_dev *d)
{
	uint64_t slot = (d->cfg >> 8) & 0xff, next[4] = { 0 }, out[4];
	uint32_t cmd;

	for (int i = 0; i < PCI_MAX_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		int want = b->is64 ? K42_PCI_SPACE_MEM64 : K42_PCI_SPACE_MEM32;
		int found = 0;

		if (!b->size || b->is_io)
			continue;
		for (uint64_t w = 0; w < K42_PCI_MAX_WINDOWS; w++) {
			long space = k42_sc_dev_pci(K42_PCI_WINDOW, (uint64_t)d->phb, w, 0, 0, out);
			uint64_t slice, base, span;

			if (space < 0)
				break;
			if (space != want)
				continue;
			slice = out[2] / SLICES;
			base = slot * slice;
			/* Naturally aligned, and never sharing a page (mappings are pages). */
			span = b->size < PAGE ? PAGE : b->size;
			next[want] = (next[want] + span - 1) & ~(span - 1);
			if (next[want] + span > slice)
				return -K42_ENOSPC;
			b->bus = out[0] + base + next[want];
			b->cpu = out[1] + base + next[want];
			next[want] += span;
			found = 1;
			break;
		}
		if (!found)
			return -K42_ENOSPC;
		pci_write(d, PCI_BAR0 + 4 * (uint32_t)i, 4, (uint32_t)b->bus);
		if (b->is64)
			pci_write(d, PCI_BAR0 + 4 * (uint32_t)i + 4, 4, (uint32_t)(b->bus >> 32));
	}
	if (pci_read(d, PCI_COMMAND, 2, &cmd) < 0)
		return -K42_EIO;
	return pci_write(d, PCI_COMMAND, 2, cmd | PCI_CMD_MEM | PCI_CMD_MASTER);
}

int pci_map_bar(const struct pci_dev *d, int bar, uint64_t va)
{
	const struct pci_bar *b;

	if (bar < 0 || bar >= PCI_MAX_BARS || !(b = &d->bar[bar])->cpu || b->is_io)
		return -K42_EINVAL;
	return (int)k42_sc_dev_mmio_map(va, b->cpu & ~(PAGE - 1),
					(b->size + (b->cpu & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1));
}

uint32_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint32_t after)
{
	uint32_t status, ptr, cap;

	if (pci_read(d, PCI_STATUS, 2, &status) < 0 || !(status & PCI_STATUS_CAPS))
		return 0;
	if (after) {
		pci_read(d, after + 1, 1, &ptr);
	} else {
		pci_read(d, PCI_CAP_PTR, 1, &ptr);
	}
	for (int n = 0; ptr >= 0x40 && n < 48; n++) {
		ptr &= ~3u;
		pci_read(d, ptr, 1, &cap);
		if (cap == id)
			return ptr;
		pci_read(d, ptr + 1, 1, &ptr);
	}
	return 0;
}
