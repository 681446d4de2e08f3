/*
 * Helper of driver_test (docs/devices.md): argv[1] picks a role.
 *  probe: try every dev_* call; the exit status has bit N set if call N
 *         (in the order below) was NOT refused with -K42_EPERM.
 *  other SOURCE PA: a driver granted only the NIC's id (1af4:1000): it may
 *         enumerate and find the disk, but reading its config space past
 *         the header, writing it, mapping its registers at PA, taking its
 *         interrupt SOURCE and granting itself its id are each refused
 *         with -K42_EPERM; the exit status has a bit set for each that
 *         was not.
 *  crash: as a driver, claim the virtio-blk device, take its interrupt and
 *         DMA memory, set bus mastering, then die of a bad store mid-way,
 *         so the test can check what the kernel cleaned up.
 */
#include <lib/fmt.h>
#include <k42/device.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/startup.h>
#include <k42/syscalls.h>
#include <stdlib.h>
#include <string.h>
#include "pci.h"

#define DMA_VA	0x50000000ul
#define MMIO_VA	0x60000000ul

static volatile uint64_t wild = 0x100;	/* below user space */

static int probe(void)
{
	uint64_t pas[1], out[4];
	int won = 0;

	if (k42_sc_dev_mmio_map(MMIO_VA, 0x200080000000ul, 4096) != -K42_EPERM)
		won |= 1;
	if (k42_sc_dev_dma_alloc(DMA_VA, 1, (uint64_t)pas) != -K42_EPERM)
		won |= 2;
	if (k42_sc_dev_irq_attach(0x1200, K42_SOFTINTR_USER0) != -K42_EPERM)
		won |= 4;
	if (k42_sc_dev_irq_ack(0x1200) != -K42_EPERM)
		won |= 8;
	if (k42_sc_dev_pci(K42_PCI_READ, 0, 0, 4, 0, out) != -K42_EPERM)
		won |= 16;
	if (k42_sc_dev_pci(K42_PCI_WINDOW, 0, 0, 0, 0, out) != -K42_EPERM)
		won |= 32;
	return won;
}

static int other(uint32_t source, uint64_t pa)
{
	struct pci_dev d;
	uint64_t out[4];
	int won = 0;

	if (pci_find(0x1af4, 0x1001, 0, &d) != 0)
		return 64;	/* enumeration must still work */
	if (k42_sc_dev_pci(K42_PCI_READ, (uint64_t)d.phb, d.cfg + 0x20, 4, 0, out) != -K42_EPERM)
		won |= 1;	/* BAR4 */
	if (k42_sc_dev_pci(K42_PCI_WRITE, (uint64_t)d.phb, d.cfg + 0x04, 2, 0, out) != -K42_EPERM)
		won |= 2;	/* command: would stop its decoding */
	if (k42_sc_dev_mmio_map(MMIO_VA, pa, 4096) != -K42_EPERM)
		won |= 4;
	if (k42_sc_dev_irq_attach(source, K42_SOFTINTR_USER0) != -K42_EPERM)
		won |= 8;
	if (k42_sc_dev_grant(k42_info(K42_INFO_PID), K42_DEV_ID(0x1af4, 0x1001)) != -K42_EPERM)
		won |= 16;	/* granting itself what it was not granted */
	return won;
}

static int crash(void)
{
	struct pci_dev d;
	uint64_t pas[4];

	if (pci_find(0x1af4, 0x1001, 0, &d) < 0 || pci_claim(&d) < 0)
		return 1;
	if (k42_sc_dev_irq_attach(d.irq_source, K42_SOFTINTR_USER0) < 0)
		return 2;
	if (k42_sc_dev_dma_alloc(DMA_VA, 4, (uint64_t)pas) < 0)
		return 3;
	memset((void *)DMA_VA, 0x5a, 4 * 4096);
	k42_printf("dev_helper: driver holds the device; crashing\n");
	*(volatile uint64_t *)wild = 1;	/* dies here */
	return 4;
}

int main(uint64_t argc)
{
	const char *role = argc > 1 ? k42_argv[1] : "";

	if (strcmp(role, "probe") == 0)
		return probe();
	if (strcmp(role, "crash") == 0)
		return crash();
	if (strcmp(role, "other") == 0 && argc == 4)
		return other((uint32_t)strtoul(k42_argv[2], NULL, 0), strtoul(k42_argv[3], NULL, 0));
	k42_printf("dev_helper: unknown role '%s'\n", role);
	return 99;
}
