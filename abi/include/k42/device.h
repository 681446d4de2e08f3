/*
 * What user-level drivers pass to the dev_* kernel calls (docs/devices.md).
 */
#ifndef K42_DEVICE_H
#define K42_DEVICE_H

#include <stdint.h>

/* dev_pci operations. `phb` is the host bridge's index (0 is the first). */
#define K42_PCI_READ	0	/* addr = config address, size 1/2/4: r3 = 0, r4 = value */
#define K42_PCI_WRITE	1	/* addr = config address, size 1/2/4, value */
#define K42_PCI_WINDOW	2	/* addr = window index: r3 = K42_PCI_SPACE_*, r4 = bus address,
				 * r5 = CPU (physical) address, r6 = size; -K42_ENOENT past the last */
#define K42_PCI_INTX	3	/* addr = config address of the function, size = pin (1..4):
				 * r3 = interrupt source for dev_irq_attach */

/* A config address as RTAS takes it: register bits 0-7 (and 8-11 of an
 * extended-space register in bits 24-27), function 8-10, device 11-15, bus 16-23. */
#define K42_PCI_CFG(bus, dev, fn, reg)						\
	(((uint64_t)(bus) << 16) | ((uint64_t)(dev) << 11) | ((uint64_t)(fn) << 8) |	\
	 ((uint64_t)(reg) & 0xff) | (((uint64_t)(reg) & 0xf00) << 16))
#define K42_PCI_CFG_ADDR_MAX	0x0fffffffu

#define K42_PCI_SPACE_IO	1
#define K42_PCI_SPACE_MEM32	2
#define K42_PCI_SPACE_MEM64	3

#define K42_PCI_MAX_WINDOWS	4

/* dev_grant: which PCI functions a driver may drive, by the id in their
 * config dword 0. Without a grant a driver reaches the standard header's
 * first 16 bytes of any function (enumeration) and nothing else of it:
 * not the rest of its config space, not its slice of a memory window
 * (function slot dev * 8 + fn on bus 0 owns slice slot of the 256 equal
 * slices of each memory window), not its interrupt. init may drive all. */
#define K42_DEV_GRANTS		4
#define K42_DEV_ANY		0xffffffffu
#define K42_DEV_ID(vendor, device) ((uint32_t)(vendor) | (uint32_t)(device) << 16)
#define K42_PCI_SLICES		256

#endif
