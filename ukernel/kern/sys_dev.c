/*
 * Kernel support for user-level drivers (docs/devices.md), and nothing
 * more: a holder of K42_PRIV_DRIVER may map a PCI host bridge's memory
 * windows (never RAM), get pinned DMA memory with known physical addresses,
 * take a PCI interrupt as soft-interrupt bits, and reach PCI config space
 * through the one RTAS call pair made for it. Everyone else gets -K42_EPERM,
 * checked before any argument. Within that, a driver reaches only the PCI
 * functions whose id it was granted (dev_grant; <k42/device.h>): their
 * config space past the header's first 16 bytes, their slice of each
 * memory window, their interrupt; others answer -K42_EPERM too. A granted
 * function's BARs move only while it decodes nothing, and memory decoding
 * goes on only with every memory BAR inside the function's own slice, so
 * a driver cannot lay its device over another's registers.
 *
 * What the device tree says about the host bridges (windows, BUIDs, the
 * INTx interrupt-map) is read once at boot into `phbs`.
 *
 * Ownership: an attached interrupt and a bus-master grant name their
 * driver by pid (an id with a generation, never reused). When the pid no
 * longer names a live process the grant is dead: its interrupt is detached
 * at its next delivery or by the next attach, and its devices stop
 * mastering the bus before its DMA frames go back (fcm_dma_set_before_free).
 *
 * Locks: none of its own; the tables change only in kernel calls on one
 * CPU with interrupts off, and the interrupt handler reads `irqs` entries
 * that are never freed (SMP will need dev_lock around both).
 */
#include <libfdt.h>
#include <arch/context.h>
#include <arch/rtas.h>
#include <k42/device.h>
#include <k42/dispatcher.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <k42/privilege.h>
#include <kern/dispatcher.h>
#include <kern/irq.h>
#include <kern/percpu.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/quota.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <mm/fcm.h>
#include <mm/fcm_dev.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <mm/usercopy.h>
#include <kern/sys_dev.h>

#define MAX_PHBS	2
#define MAX_INTX	32	/* interrupt-map entries kept per bridge */
#define MAX_IRQS	16
#define MAX_MASTERS	32
#define PCI_COMMAND	0x04
#define PCI_COMMAND_IO	0x1
#define PCI_COMMAND_MEM	0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0	0x10
#define PCI_NBARS	6
#define PCI_ROM		0x30

struct pci_window {
	uint32_t space;		/* K42_PCI_SPACE_* */
	uint64_t bus, cpu, size;
};

struct intx {
	uint32_t unit_hi, pin, source;
};

struct phb {
	uint64_t buid;
	int nwin, nintx;
	struct pci_window win[K42_PCI_MAX_WINDOWS];
	uint32_t intx_mask;	/* interrupt-map-mask's first cell */
	struct intx intx[MAX_INTX];
};

struct dev_irq {
	uint32_t source;	/* 0: free */
	uint32_t owner;		/* the driver's pid */
	uint64_t bits;
};

struct master {
	uint32_t owner;		/* 0: free */
	int phb;
	uint32_t cfg;		/* config address of the function (register 0) */
};

static struct phb phbs[MAX_PHBS];
static int nphbs;
static uint32_t tok_read = RTAS_TOKEN_NONE, tok_write = RTAS_TOKEN_NONE;
static struct dev_irq irqs[MAX_IRQS];
static struct master masters[MAX_MASTERS];

static uint64_t cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static void read_phb(const void *fdt, int node, struct phb *b)
{
	int len, pac = 2, psc = 2;
	const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);

	if (p && len >= 8)
		b->buid = cells(p, 2);
	/* ranges: child address (3 cells), parent address, size (2 cells each here). */
	p = fdt_getprop(fdt, node, "ranges", &len);
	for (int off = 0; p && (off + 3 + pac + psc) * 4 <= len && b->nwin < K42_PCI_MAX_WINDOWS;
	     off += 3 + pac + psc) {
		struct pci_window *w = &b->win[b->nwin++];

		w->space = (fdt32_to_cpu(p[off]) >> 24) & 3;
		w->bus = cells(p + off + 1, 2);
		w->cpu = cells(p + off + 3, pac);
		w->size = cells(p + off + 3 + pac, psc);
	}
	/* interrupt-map: unit address (3), pin (1), parent phandle (1), source, sense. */
	p = fdt_getprop(fdt, node, "interrupt-map-mask", &len);
	b->intx_mask = p && len >= 4 ? fdt32_to_cpu(p[0]) : 0xf800;
	p = fdt_getprop(fdt, node, "interrupt-map", &len);
	for (int off = 0; p && (off + 7) * 4 <= len && b->nintx < MAX_INTX; off += 7) {
		struct intx *x = &b->intx[b->nintx++];

		x->unit_hi = fdt32_to_cpu(p[off]);
		x->pin = fdt32_to_cpu(p[off + 3]);
		x->source = fdt32_to_cpu(p[off + 5]);
	}
}

static void stop_masters(uint32_t owner);

void dev_init(const void *fdt)
{
	int node = -1, rtas = fdt_path_offset(fdt, "/rtas");
	const fdt32_t *t;

	if (rtas >= 0) {
		t = fdt_getprop(fdt, rtas, "ibm,read-pci-config", NULL);
		tok_read = t ? fdt32_to_cpu(*t) : RTAS_TOKEN_NONE;
		t = fdt_getprop(fdt, rtas, "ibm,write-pci-config", NULL);
		tok_write = t ? fdt32_to_cpu(*t) : RTAS_TOKEN_NONE;
	}
	while (nphbs < MAX_PHBS &&
	       (node = fdt_node_offset_by_compatible(fdt, node, "IBM,Logical_PHB")) >= 0)
		read_phb(fdt, node, &phbs[nphbs++]);
	fcm_dma_set_before_free(stop_masters);
}

static int is_driver(void)
{
	return process_has(syscall_process(), K42_PRIV_DRIVER);
}

/* May p drive functions of PCI id `id` (config dword 0)? */
static int granted(const struct process *p, uint32_t id)
{
	for (int i = 0; i < K42_DEV_GRANTS; i++)
		if (p->dev_grants[i] == K42_DEV_ANY || (id && p->dev_grants[i] == id))
			return 1;
	return 0;
}

static int cfg_read(const struct phb *b, uint32_t cfg, int size, uint32_t *val);

/* Is the function at config address fn_cfg (register bits clear) of
 * bridge phb one the caller may drive? Its id is read live: the id
 * registers are read-only, so a driver cannot make a device look like
 * another. */
static int fn_granted(int phb, uint32_t fn_cfg)
{
	uint32_t id;

	if (tok_read == RTAS_TOKEN_NONE || cfg_read(&phbs[phb], fn_cfg, 4, &id) != 0 ||
	    (id & 0xffff) == 0xffff)
		return 0;
	return granted(syscall_process(), id);
}

/* The function slot (dev * 8 + fn, bus 0) whose slice of a memory window
 * of a bridge holds [pa, pa+len), as *phb and *slot; 0 if it is in no
 * window (-K42_EINVAL to the caller), -1 if it spans slices. */
static int slice_of(uint64_t pa, uint64_t len, int *phb, uint32_t *slot)
{
	for (int i = 0; i < nphbs; i++)
		for (int j = 0; j < phbs[i].nwin; j++) {
			const struct pci_window *w = &phbs[i].win[j];
			uint64_t slice = w->size / K42_PCI_SLICES;

			if (w->space < K42_PCI_SPACE_MEM32 || pa < w->cpu || pa + len <= pa ||
			    pa + len > w->cpu + w->size)
				continue;
			if (!slice || (pa - w->cpu) / slice != (pa + len - 1 - w->cpu) / slice)
				return -1;
			*phb = i;
			*slot = (uint32_t)((pa - w->cpu) / slice);
			return 1;
		}
	return 0;
}

static int alive(uint32_t pid)
{
	struct process *p = process_lookup(pid);

	return p && p->state == K42_PROC_RUNNING;
}

static int range_ok(uint64_t va, uint64_t len)
{
	return !((va | len) & (PM_PAGE_SIZE - 1)) && len && va + len > va &&
	       va >= K42_USER_BASE && va + len <= K42_USER_TOP;
}

/* Is [pa, pa+len) inside one memory window of a host bridge? */
static int in_window(uint64_t pa, uint64_t len)
{
	for (int i = 0; i < nphbs; i++)
		for (int j = 0; j < phbs[i].nwin; j++) {
			const struct pci_window *w = &phbs[i].win[j];

			if (w->space >= K42_PCI_SPACE_MEM32 && pa >= w->cpu &&
			    pa + len > pa && pa + len <= w->cpu + w->size)
				return 1;
		}
	return 0;
}

long sys_dev_mmio_map(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 0), pa = ctx_arg(tf, 1), len = ctx_arg(tf, 2);
	struct process *self = syscall_process();
	struct fcm *f;
	long rc;

	int phb, in;
	uint32_t slot;

	if (!is_driver())
		return -K42_EPERM;
	if (!range_ok(va, len) || (pa & (PM_PAGE_SIZE - 1)) || !in_window(pa, len))
		return -K42_EINVAL;
	/* Only the slice of a function it may drive. */
	in = slice_of(pa, len, &phb, &slot);
	if (in <= 0 || !fn_granted(phb, (uint32_t)K42_PCI_CFG(0, slot >> 3, slot & 7, 0)))
		return -K42_EPERM;
	if (!(f = fcm_mmio_create(pa, len / PM_PAGE_SIZE)))
		return -K42_ENOMEM;
	spin_lock(&self->lock);
	rc = region_create(self, va, len, K42_PROT_READ | K42_PROT_WRITE, f, 0);
	spin_unlock(&self->lock);
	fcm_put(f);
	return rc;
}

long sys_dev_dma_alloc(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 0), npages = ctx_arg(tf, 1), pas = ctx_arg(tf, 2);
	struct process *self = syscall_process();
	struct fcm *f;
	uint64_t pa;
	long rc;
	int err;

	if (!is_driver())
		return -K42_EPERM;
	if (npages == 0 || npages > FCM_DMA_MAX_PAGES || !range_ok(va, npages * PM_PAGE_SIZE))
		return -K42_EINVAL;
	/* The answer array must be writable before anything is taken. */
	pa = 0;
	for (uint64_t i = 0; i < npages; i++)
		if (copy_to_user(self, pas + i * 8, &pa, 8) < 0)
			return -K42_EFAULT;
	if (!(f = fcm_dma_create(&self->acct->frames, self->pid, npages, &err)))
		return err;
	spin_lock(&self->lock);
	rc = region_create(self, va, npages * PM_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE, f, 0);
	spin_unlock(&self->lock);
	for (uint64_t i = 0; rc == 0 && i < npages; i++) {
		pa = fcm_dma_phys(f, i);
		if (copy_to_user(self, pas + i * 8, &pa, 8) < 0)
			rc = -K42_EFAULT;	/* the caller unmapped it meanwhile: its loss */
	}
	fcm_put(f);
	return rc;
}

/* Is `source` a PCI INTx source of some host bridge? */
static int pci_source(uint32_t source)
{
	for (int i = 0; i < nphbs; i++)
		for (int j = 0; j < phbs[i].nintx; j++)
			if (phbs[i].intx[j].source == source)
				return 1;
	return 0;
}

/* Does `source` serve a function the caller may drive: a function of a
 * device (bus 0) whose interrupt-map entries name it? */
static int source_granted(uint32_t source)
{
	for (int i = 0; i < nphbs; i++)
		for (int j = 0; j < phbs[i].nintx; j++) {
			uint32_t dev = (phbs[i].intx[j].unit_hi >> 11) & 31;

			if (phbs[i].intx[j].source != source)
				continue;
			for (uint32_t fn = 0; fn < 8; fn++)
				if (fn_granted(i, (uint32_t)K42_PCI_CFG(0, dev, fn, 0)))
					return 1;
		}
	return 0;
}

static struct dev_irq *irq_of(uint32_t source)
{
	for (int i = 0; i < MAX_IRQS; i++)
		if (irqs[i].source == source)
			return &irqs[i];
	return NULL;
}

static void release_irq(struct dev_irq *e)
{
	irq_source_detach(e->source);
	e->source = 0;
	e->owner = 0;
	e->bits = 0;
}

/* Interrupt context: mask the (level) source until the driver acks it. */
static void deliver(uint32_t source, void *arg)
{
	struct dev_irq *e = arg;
	struct process *p = process_lookup(e->owner);

	if (!p || p->state != K42_PROC_RUNNING) {
		release_irq(e);	/* its driver is gone */
		return;
	}
	irq_source_mask(source);
	disp_raise(&p->disp, e->bits);
}

long sys_dev_irq_attach(struct trap_frame *tf)
{
	uint64_t source = ctx_arg(tf, 0), bits = ctx_arg(tf, 1);
	struct dev_irq *e;
	int rc;

	if (!is_driver())
		return -K42_EPERM;
	if (source == 0 || source > 0xffffff || !pci_source((uint32_t)source) || !bits ||
	    (bits & (K42_SOFTINTR_USER0 - 1)))
		return -K42_EINVAL;
	if (!source_granted((uint32_t)source))
		return -K42_EPERM;
	e = irq_of((uint32_t)source);
	if (e && alive(e->owner))
		return -K42_EBUSY;
	if (e)
		release_irq(e);	/* a dead driver's: free it for its successor */
	if (!(e = irq_of(0)))
		return -K42_ENOSPC;
	e->source = (uint32_t)source;
	e->owner = syscall_process()->pid;
	e->bits = bits;
	rc = irq_source_attach((uint32_t)source, this_cpu()->hw_id, deliver, e);
	if (rc < 0) {
		e->source = 0;
		e->owner = 0;
		return rc;
	}
	return 0;
}

long sys_dev_irq_ack(struct trap_frame *tf)
{
	uint64_t source = ctx_arg(tf, 0);
	struct dev_irq *e;

	if (!is_driver())
		return -K42_EPERM;
	e = source && source <= 0xffffff ? irq_of((uint32_t)source) : NULL;
	if (!e || e->owner != syscall_process()->pid)
		return -K42_ENOENT;
	irq_source_unmask(e->source);
	return 0;
}

static int cfg_read(const struct phb *b, uint32_t cfg, int size, uint32_t *val)
{
	uint32_t rets[2];
	int rc = rtas_call(tok_read, 4, 2, rets, cfg, (uint32_t)(b->buid >> 32),
			   (uint32_t)b->buid, (uint32_t)size);

	*val = rets[1];
	return rc;
}

static int cfg_write(const struct phb *b, uint32_t cfg, int size, uint32_t val)
{
	return rtas_call(tok_write, 5, 1, NULL, cfg, (uint32_t)(b->buid >> 32), (uint32_t)b->buid,
			 (uint32_t)size, val);
}

/* A driver that sets bus mastering on a function owns that grant. */
static void note_master(int phb, uint32_t fn_cfg, uint32_t owner)
{
	struct master *free = NULL;

	for (int i = 0; i < MAX_MASTERS; i++) {
		struct master *m = &masters[i];

		if (m->owner && m->phb == phb && m->cfg == fn_cfg) {
			m->owner = owner;
			return;
		}
		if (!m->owner && !free)
			free = m;
	}
	if (free)
		*free = (struct master){ owner, phb, fn_cfg };
}

/* Stop a dead driver's devices from writing memory: clear bus mastering. */
static void stop_masters(uint32_t owner)
{
	if (alive(owner))
		return;	/* it only unmapped one buffer: that is its own business */
	for (int i = 0; i < MAX_MASTERS; i++) {
		struct master *m = &masters[i];
		uint32_t cmd;

		if (m->owner != owner)
			continue;
		if (cfg_read(&phbs[m->phb], m->cfg + PCI_COMMAND, 2, &cmd) == 0)
			cfg_write(&phbs[m->phb], m->cfg + PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
		m->owner = 0;
	}
}

long sys_dev_grant(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	uint64_t id = ctx_arg(tf, 1);
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!process_has(self, K42_PRIV_DRIVER))
		return -K42_EPERM;
	if (id == 0 || id > UINT32_MAX)
		return -K42_EINVAL;
	if (!granted(self, (uint32_t)id))
		return -K42_EPERM;	/* only what it may drive itself (K42_DEV_ANY: all) */
	for (int i = 0; i < K42_DEV_GRANTS; i++)
		if (p->dev_grants[i] == id)
			return 0;
	for (int i = 0; i < K42_DEV_GRANTS; i++)
		if (!p->dev_grants[i]) {
			p->dev_grants[i] = (uint32_t)id;
			return 0;
		}
	return -K42_ENOSPC;
}

/* Is the bus range [bus, bus+size) of a memory BAR inside function slot
 * `slot`'s slice of one of bridge b's memory windows? */
static int bar_in_slice(const struct phb *b, uint32_t slot, uint64_t bus, uint64_t size)
{
	for (int j = 0; j < b->nwin; j++) {
		const struct pci_window *w = &b->win[j];
		uint64_t slice = w->size / K42_PCI_SLICES, off;

		if (w->space < K42_PCI_SPACE_MEM32 || !slice || bus < w->bus || size > w->size ||
		    bus - w->bus > w->size - size)
			continue;
		off = bus - w->bus;
		return off / slice == slot && (off + size - 1) / slice == slot;
	}
	return 0;
}

/*
 * May function fn (register bits clear; it decodes nothing now) switch
 * memory decoding on? Only if each memory BAR it implements lies in its
 * own slice: sized here (all ones, read back, restore: harmless while it
 * decodes nothing), then checked with bar_in_slice.
 */
static int bars_in_slice(const struct phb *b, uint32_t fn)
{
	uint32_t slot = (fn >> 8) & 0xff;

	if (fn & 0x00ff0000u)
		return 0;	/* slices are for bus 0 */
	for (uint32_t i = 0; i < PCI_NBARS; i++) {
		uint32_t reg = fn + PCI_BAR0 + 4 * i, lo, hi = 0, mlo, mhi = 0xffffffffu;
		int is64;
		uint64_t mask;

		if (cfg_read(b, reg, 4, &lo) != 0)
			return 0;
		if (lo & 1)
			continue;	/* an I/O BAR: I/O decoding stays off */
		is64 = ((lo >> 1) & 3) == 2;
		if (is64 && (i + 1 == PCI_NBARS || cfg_read(b, reg + 4, 4, &hi) != 0))
			return 0;
		if (cfg_write(b, reg, 4, 0xffffffffu) != 0 || cfg_read(b, reg, 4, &mlo) != 0 ||
		    cfg_write(b, reg, 4, lo) != 0)
			return 0;
		if (is64) {
			if (cfg_write(b, reg + 4, 4, 0xffffffffu) != 0 ||
			    cfg_read(b, reg + 4, 4, &mhi) != 0 || cfg_write(b, reg + 4, 4, hi) != 0)
				return 0;
			i++;
		}
		mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
		if (!(mlo & ~0xfu) && (!is64 || !mhi))
			continue;	/* not implemented */
		if (!bar_in_slice(b, slot, (uint64_t)hi << 32 | (lo & ~0xfu), ~mask + 1))
			return 0;
	}
	return 1;
}

/*
 * The rules for a config write to a function the caller may drive, beyond
 * the grant: a BAR or the expansion ROM moves only while the function
 * decodes nothing (else the device would answer at the new address at
 * once); the ROM is never enabled; I/O decoding is never switched on (no
 * driver uses it, and its BARs are not checked); memory decoding is
 * switched on only with every memory BAR in the function's own slice.
 * 0 or -K42_EPERM (-K42_EIO if config space does not answer).
 */
static int cfg_write_allowed(const struct phb *b, uint32_t addr, int size, uint32_t value)
{
	uint32_t fn = addr & 0x00ffff00u, reg = addr & 0xff, cmd;

	if (addr & 0x0f000000u)
		return 0;	/* extended space: no BARs, no command */
	if (cfg_read(b, fn + PCI_COMMAND, 2, &cmd) != 0)
		return -K42_EIO;
	if ((reg < PCI_BAR0 + 4 * PCI_NBARS && reg + (uint32_t)size > PCI_BAR0) ||
	    (reg < PCI_ROM + 4 && reg + (uint32_t)size > PCI_ROM)) {
		if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEM))
			return -K42_EPERM;
		if (reg == PCI_ROM && (value & 1))
			return -K42_EPERM;
	}
	if (reg == PCI_COMMAND) {	/* aligned: every write that holds the decode bits */
		if (value & PCI_COMMAND_IO)
			return -K42_EPERM;
		if ((value & PCI_COMMAND_MEM) && !(cmd & PCI_COMMAND_MEM) && !bars_in_slice(b, fn))
			return -K42_EPERM;
	}
	return 0;
}

long sys_dev_pci(struct trap_frame *tf)
{
	uint64_t op = ctx_arg(tf, 0), phb = ctx_arg(tf, 1), addr = ctx_arg(tf, 2);
	uint64_t size = ctx_arg(tf, 3), value = ctx_arg(tf, 4);
	const struct phb *b;
	uint32_t val = 0;
	int rc;

	if (!is_driver())
		return -K42_EPERM;
	if (phb >= (uint64_t)nphbs)
		return -K42_ENOENT;
	b = &phbs[phb];
	switch (op) {
	case K42_PCI_READ:
	case K42_PCI_WRITE:
		if (addr > K42_PCI_CFG_ADDR_MAX || !(size == 1 || size == 2 || size == 4) || (addr & (size - 1)) ||
		    (op == K42_PCI_WRITE && value >> (8 * size)))
			return -K42_EINVAL;
		if (tok_read == RTAS_TOKEN_NONE || tok_write == RTAS_TOKEN_NONE)
			return -K42_ENOENT;
		/* Anyone's header start (ids, command, status, class, header
		 * type: enumeration); the rest, and every write, only of a
		 * function it may drive. */
		if ((op == K42_PCI_WRITE || (addr & 0xff) >= 0x10 || (addr & 0x0f000000)) &&
		    !fn_granted((int)phb, (uint32_t)addr & 0x00ffff00u))
			return -K42_EPERM;
		if (op == K42_PCI_READ) {
			rc = cfg_read(b, (uint32_t)addr, (int)size, &val);
			ctx_set_result(tf, 1, val);
		} else {
			uint32_t reg = (uint32_t)addr & 0xff;

			rc = cfg_write_allowed(b, (uint32_t)addr, (int)size, (uint32_t)value);
			if (rc < 0)
				return rc;
			rc = cfg_write(b, (uint32_t)addr, (int)size, (uint32_t)value);
			if (rc == 0 && reg <= PCI_COMMAND && reg + size > PCI_COMMAND &&
			    ((value << (8 * (reg & 3))) & PCI_COMMAND_MASTER << (8 * (PCI_COMMAND & 3))))
				note_master((int)phb, (uint32_t)addr & ~0xffu, syscall_process()->pid);
		}
		return rc == 0 ? 0 : -K42_EIO;
	case K42_PCI_WINDOW:
		if (addr >= (uint64_t)b->nwin)
			return -K42_ENOENT;
		ctx_set_result(tf, 1, b->win[addr].bus);
		ctx_set_result(tf, 2, b->win[addr].cpu);
		ctx_set_result(tf, 3, b->win[addr].size);
		return b->win[addr].space;
	case K42_PCI_INTX:
		if (addr > 0xffffff || size < 1 || size > 4)
			return -K42_EINVAL;
		for (int i = 0; i < b->nintx; i++)
			if (b->intx[i].unit_hi == ((uint32_t)addr & b->intx_mask) &&
			    b->intx[i].pin == size)
				return b->intx[i].source;
		return -K42_ENOENT;
	default:
		return -K42_EINVAL;
	}
}
