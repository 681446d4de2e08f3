/*
 * Kernel support for user-level drivers (docs/devices.md), run as init on
 * a machine with one virtio-blk-pci disk (the image testrun.py makes:
 * DISK_SECTORS sectors). Checks, each on real values:
 *  - a process without the `driver` privilege is refused every dev_* call
 *    with -K42_EPERM; one with it, granted another device's id, is
 *    refused this device's config space, registers and interrupt;
 *  - config space through RTAS finds the disk by vendor/device id, its BARs
 *    get addresses in the host bridge's windows (and cannot be moved while
 *    it decodes, nor decoded outside its own slice), and the virtio registers
 *    mapped through dev_mmio_map read the disk's real capacity;
 *  - RAM and addresses outside the windows cannot be mapped as MMIO, and the
 *    kernel refuses to copy through an MMIO mapping;
 *  - DMA memory comes with distinct, page-aligned physical addresses and
 *    is charged to the quota;
 *  - interrupt sources: only PCI ones, one owner at a time;
 *  - a driver that dies holding the device leaves the kernel running, its
 *    device no longer mastering the bus and its interrupt free for the next.
 */
#include <lib/fmt.h>
#include <k42/device.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/layout.h>
#include <k42/privilege.h>
#include <k42/procinfo.h>
#include <k42/syscalls.h>
#include "check.h"
#include "pci.h"
#include "virtio.h"

#define DISK_SECTORS	6157	/* testrun.py's "pattern" disk: 3 MiB + 13 sectors */
#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define PCI_COMMAND	0x04

static const char *helper_args[2];	/* the "other" role's */

static long spawn_helper(const char *role, uint64_t privileges, uint32_t device)
{
	const char *argv[] = { "dev_helper", role, helper_args[0], helper_args[1], NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server,
				    K42_SPAWN_SHARE_ARCHIVE, privileges, 0 };
	struct k42_spawn_grant g = { { device }, 0, 0, 0 };

	return k42_spawn_path_grant("tests/dev_helper", &o, &g);
}

static int run_helper(const char *role, uint64_t privileges, uint32_t device, int *state)
{
	int status = -1;
	long pid = spawn_helper(role, privileges, device);

	EXPECT(pid > 0, "spawn dev_helper %s: %ld", role, pid);
	if (pid <= 0)
		return -1;
	*state = k42_wait((uint64_t)pid, &status);
	return status;
}

int main(uint64_t arg)
{
	struct pci_dev d;
	uint64_t pas[4], out[4], frames0, frames1, capacity;
	volatile uint8_t *cfg;
	static struct virtio_dev v;
	uint32_t cmd;
	int state = 0, won;
	long src;

	(void)arg;
	/* 1. Without the privilege: refused, every call. */
	won = run_helper("probe", 0, 0, &state);
	EXPECT(won == 0, "an unprivileged process got through dev_* calls (mask 0x%x)", won);

	/* 2. Enumerate and claim the disk. */
	EXPECT(pci_find(0x1af4, 0x1001, 0, &d) == 0, "no virtio-blk (1af4:1001) on the PCI bus");
	EXPECT(pci_find(0x1af4, 0x1001, 1, &d) == -K42_ENOENT, "a second virtio-blk appeared");
	EXPECT(pci_find(0x1af4, 0x1001, 0, &d) == 0, "virtio-blk not found again");
	EXPECT(d.irq_source >= 0x1200 && d.irq_source <= 0x1203,
	       "INTx pin %u maps to source 0x%x, not one of 0x1200-0x1203", d.pin, d.irq_source);
	EXPECT(pci_claim(&d) == 0, "claim failed");
	k42_printf("driver_test: virtio-blk at cfg 0x%x, irq 0x%x, BAR4 0x%lx (%lu bytes)\n",
		   d.cfg, d.irq_source, d.bar[4].cpu, d.bar[4].size);
	EXPECT(d.bar[4].size == 0x4000 && d.bar[4].is64, "BAR4: size 0x%lx is64 %d",
	       d.bar[4].size, d.bar[4].is64);
	pci_read(&d, PCI_COMMAND, 2, &cmd);
	EXPECT((cmd & 6) == 6, "memory decode and bus mastering not on: command 0x%x", cmd);

	/* 2a. Its BARs stay in its own slice: none moves while the function
	 * decodes; memory decoding does not go on with a BAR in another
	 * function's slice; no I/O decoding, no expansion ROM. */
	{
		uint64_t win[4], slice = 0, bus = d.bar[4].bus;
		uint32_t c2;

		for (uint64_t w = 0; w < K42_PCI_MAX_WINDOWS; w++)
			if (k42_sc_dev_pci(K42_PCI_WINDOW, (uint64_t)d.phb, w, 0, 0, win) ==
			    K42_PCI_SPACE_MEM64)
				slice = win[2] / K42_PCI_SLICES;
		EXPECT(slice != 0, "no 64-bit window");
		EXPECT(pci_write(&d, 0x20, 4, (uint32_t)bus) == -K42_EPERM,
		       "BAR4 written while memory decoding is on");
		EXPECT(pci_write(&d, 0x20, 4, 0xffffffffu) == -K42_EPERM, "BAR4 sized while decoding");
		EXPECT(pci_write(&d, PCI_COMMAND, 2, cmd & ~2u) == 0, "memory decoding off");
		EXPECT(pci_write(&d, 0x20, 4, (uint32_t)(bus + slice)) == 0 &&
		       pci_write(&d, 0x24, 4, (uint32_t)((bus + slice) >> 32)) == 0,
		       "BAR4 moved while decoding nothing");
		EXPECT(pci_write(&d, PCI_COMMAND, 2, cmd) == -K42_EPERM,
		       "memory decoding on with BAR4 in the next function's slice");
		pci_read(&d, PCI_COMMAND, 2, &c2);
		EXPECT(!(c2 & 2), "memory decoding went on anyway: command 0x%x", c2);
		EXPECT(pci_write(&d, 0x20, 4, (uint32_t)(bus - slice)) == 0 &&
		       pci_write(&d, 0x24, 4, (uint32_t)((bus - slice) >> 32)) == 0 &&
		       pci_write(&d, PCI_COMMAND, 2, cmd) == -K42_EPERM,
		       "memory decoding on with BAR4 in the previous slice");
		EXPECT(pci_write(&d, PCI_COMMAND, 2, (cmd & ~2u) | 1u) == -K42_EPERM,
		       "I/O decoding switched on");
		EXPECT(pci_write(&d, 0x30, 4, 0xfffff801u) == -K42_EPERM, "expansion ROM enabled");
		EXPECT(pci_write(&d, 0x20, 4, (uint32_t)bus) == 0 &&
		       pci_write(&d, 0x24, 4, (uint32_t)(bus >> 32)) == 0 &&
		       pci_write(&d, PCI_COMMAND, 2, cmd) == 0,
		       "memory decoding back on with BAR4 in its own slice");
		pci_read(&d, PCI_COMMAND, 2, &c2);
		EXPECT((c2 & 6) == 6, "command 0x%x after the BAR checks", c2);
	}

	/* 2b. A driver granted another device's id is refused this one: its
	 * config space past the header, its registers, its interrupt. */
	{
		char source[24], pa[24];

		k_snprintf(source, sizeof(source), "0x%x", d.irq_source);
		k_snprintf(pa, sizeof(pa), "0x%lx", d.bar[4].cpu);
		helper_args[0] = source;
		helper_args[1] = pa;
		won = run_helper("other", K42_PRIV_DRIVER, K42_DEV_ID(0x1af4, 0x1000), &state);
		helper_args[0] = helper_args[1] = NULL;
		EXPECT(won == 0, "a driver granted 1af4:1000 got at the disk (mask 0x%x)", won);
	}

	/* 3. MMIO: the disk's capacity, as the host made the image. The device
	 * configuration is little-endian only once VERSION_1 is negotiated
	 * (before that QEMU shows legacy, guest-endian at reset: big-endian). */
	EXPECT(virtio_open(0x1001, 0, MMIO_VA, 0, &v) == 0, "virtio_open");
	cfg = v.device;
	EXPECT(cfg != NULL, "no virtio device configuration to map");
	if (cfg) {
		capacity = *(volatile uint32_t *)cfg | (uint64_t)*(volatile uint32_t *)(cfg + 4) << 32;
		k42_printf("driver_test: capacity %lu sectors\n", capacity);
		EXPECT(capacity == DISK_SECTORS, "capacity %lu, image has %u", capacity, DISK_SECTORS);
		EXPECT(k42_sc_mem_read(k42_info(K42_INFO_PID), (uint64_t)cfg & ~0xffful,
				       (uint64_t)out, 8) == -K42_EFAULT,
		       "the kernel copied out of an MMIO mapping");
	}
	EXPECT(k42_sc_dev_mmio_map(MMIO_VA + 0x100000, 0, 4096) == -K42_EINVAL, "RAM mapped as MMIO");
	EXPECT(k42_sc_dev_mmio_map(MMIO_VA + 0x100000, 0x200000000000ul, 4096) == -K42_EINVAL,
	       "the I/O window mapped as MMIO");
	EXPECT(k42_sc_dev_mmio_map(MMIO_VA + 0x100000, 0x200080000000ul + 0x80000000ul - 4096, 8192)
	       == -K42_EINVAL, "a range running past the window mapped");

	/* 4. DMA memory. */
	frames0 = k42_sc_proc_limit(k42_info(K42_INFO_PID), K42_QUOTA_FRAMES, K42_QUOTA_QUERY, out)
		  >= 0 ? out[0] : 0;
	EXPECT(k42_sc_dev_dma_alloc(DMA_VA, 4, (uint64_t)pas) == 0, "dma_alloc failed");
	frames1 = k42_sc_proc_limit(k42_info(K42_INFO_PID), K42_QUOTA_FRAMES, K42_QUOTA_QUERY, out)
		  >= 0 ? out[0] : 0;
	EXPECT(frames1 - frames0 == 4, "4 DMA pages charged as %lu frames", frames1 - frames0);
	for (int i = 0; i < 4; i++) {
		EXPECT(pas[i] && !(pas[i] & 0xfff), "page %d at pa 0x%lx", i, pas[i]);
		for (int j = 0; j < i; j++)
			EXPECT(pas[i] != pas[j], "pages %d and %d share pa 0x%lx", i, j, pas[i]);
		EXPECT(((volatile uint64_t *)DMA_VA)[i * 512] == 0, "DMA page %d not zeroed", i);
	}
	EXPECT(k42_sc_dev_dma_alloc(DMA_VA + 0x100000, 0, (uint64_t)pas) == -K42_EINVAL, "0 pages");
	EXPECT(k42_sc_dev_dma_alloc(DMA_VA + 0x100000, 1, 0x10) == -K42_EFAULT, "bad pas pointer");
	EXPECT(k42_sc_mem_unmap(k42_info(K42_INFO_PID), DMA_VA, 4 * 4096) == 0, "unmap DMA");
	frames1 = k42_sc_proc_limit(k42_info(K42_INFO_PID), K42_QUOTA_FRAMES, K42_QUOTA_QUERY, out)
		  >= 0 ? out[0] : 0;
	EXPECT(frames1 == frames0, "DMA frames not given back: %lu -> %lu", frames0, frames1);

	/* 5. Interrupt sources. */
	EXPECT(k42_sc_dev_irq_attach(0x1100, K42_SOFTINTR_USER0) == -K42_EINVAL,
	       "a non-PCI source (the NVRAM's) attached");
	EXPECT(k42_sc_dev_irq_attach(d.irq_source, 1) == -K42_EINVAL, "kernel soft-interrupt bit taken");
	src = k42_sc_dev_pci(K42_PCI_INTX, 0, d.cfg, d.pin, 0, out);
	EXPECT(src == d.irq_source, "INTX lookup %ld", src);

	/* 6. A driver that dies holding the device. Bus mastering is off again
	 * afterwards, and its interrupt can be taken by the next driver. */
	EXPECT(pci_write(&d, PCI_COMMAND, 2, cmd & ~4u) == 0, "master off");
	won = run_helper("crash", K42_PRIV_DRIVER, K42_DEV_ID(0x1af4, 0x1001), &state);
	EXPECT(state == K42_PROC_KILLED, "crashing driver ended in state %d (status %d)", state, won);
	pci_read(&d, PCI_COMMAND, 2, &cmd);
	EXPECT(!(cmd & 4), "the dead driver's device still masters the bus: command 0x%x", cmd);
	EXPECT(k42_sc_dev_irq_attach(d.irq_source, K42_SOFTINTR_USER0) == 0,
	       "the dead driver's interrupt is not free");
	EXPECT(k42_sc_dev_irq_attach(d.irq_source, K42_SOFTINTR_USER0) == -K42_EBUSY,
	       "one interrupt attached twice");
	EXPECT(k42_sc_dev_irq_ack(d.irq_source) == 0, "ack of our own source");
	return verdict("driver_test");
}
