/*
 * PCI for user-level drivers on pseries (docs/devices.md): config space
 * through the kernel's dev_pci call (RTAS underneath), BARs assigned from
 * the host bridge's windows (no firmware assigns them under -bios),
 * enumeration of bus 0, and claiming a device by vendor and device id.
 * Needs the `driver` privilege; every call returns 0 or a negative K42_E*.
 */
#ifndef DRV_PCI_H
#define DRV_PCI_H

#include <stdint.h>

#define PCI_MAX_BARS 6

struct pci_bar {
	uint64_t cpu;		/* physical address the CPU reaches it at (0: none) */
	uint64_t bus;		/* address on the PCI bus (written to the BAR) */
	uint64_t size;
	int is64, is_io;
};

struct pci_dev {
	int phb;
	uint32_t cfg;		/* config address of the function (register 0) */
	uint16_t vendor, device;
	uint8_t pin;		/* INTx pin 1..4, 0: none */
	uint32_t irq_source;	/* its INTx interrupt source, 0 if none */
	struct pci_bar bar[PCI_MAX_BARS];
};

int pci_read(const struct pci_dev *d, uint32_t reg, int size, uint32_t *val);
int pci_write(const struct pci_dev *d, uint32_t reg, int size, uint32_t val);

/* Find the index-th function with this vendor and device id on any host
 * bridge (index 0 is the first): fills *d and sizes its BARs; -K42_ENOENT
 * if there is none. */
int pci_find(uint16_t vendor, uint16_t device, int index, struct pci_dev *d);
/* Claim it: assign every memory BAR an address in the bridge's window
 * (each function gets its own fixed slice of the window, so drivers need
 * not agree with each other), then enable memory decoding and bus mastering. */
int pci_claim(struct pci_dev *d);
/* Map BAR `bar` at va (page aligned) in this process. */
int pci_map_bar(const struct pci_dev *d, int bar, uint64_t va);
/* Walk the capability list: offset of the next capability with this id
 * after `after` (0: from the start), or 0. */
uint32_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint32_t after);

#endif
