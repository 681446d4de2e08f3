/*
 * XICS, the sPAPR interrupt controller as QEMU pseries presents it under
 * -bios (no client-architecture negotiation, so XICS and not XIVE is the
 * active mode; docs/devices.md). The presentation side is per CPU and is
 * driven by hypercalls: H_XIRR accepts the most favoured pending interrupt,
 * H_EOI ends it, H_CPPR sets the CPU's priority floor, H_IPI writes a CPU's
 * MFRR to raise an inter-processor interrupt. The source side (which CPU a
 * source goes to, at what priority, masked or not) is RTAS: ibm,set-xive,
 * ibm,int-on, ibm,int-off.
 *
 * Locks: src_lock guards the source table; it is a leaf (RTAS calls are
 * made outside it) and is taken with interrupts off.
 */
#include <stddef.h>
#include <libfdt.h>
#include <k42/errno.h>
#include <arch/hcall.h>
#include <arch/irq.h>
#include <arch/rtas.h>
#include <arch/spinlock.h>
#include <kern/bootinfo.h>
#include <kern/irq.h>
#include <kern/percpu.h>
#include <kern/spinlock.h>

#define H_EOI	0x64
#define H_CPPR	0x68
#define H_IPI	0x6c
#define H_XIRR	0x74

#define XIRR_XISR_MASK	0x00ffffffu
#define XISR_NONE	0	/* nothing pending (spurious) */
#define XISR_IPI	2	/* the MFRR: an inter-processor interrupt */

/* Priorities: 0 is the most favoured, 0xff means "masked" / "accept all". */
#define PRIO_IPI	4
#define PRIO_DEVICE	5
#define PRIO_NONE	0xff

#define MAX_SOURCES	32

struct source {
	uint32_t number;	/* 0: free slot (0 is never a device source) */
	uint32_t server;	/* where it is routed */
	irq_handler_fn handler;
	void *arg;		/* the attacher's: valid until irq_source_detach returns */
};

static struct spinlock src_lock;
static struct source sources[MAX_SOURCES];
static irq_ipi_fn ipi_handler;
static uint32_t tok_set_xive = RTAS_TOKEN_NONE, tok_int_on = RTAS_TOKEN_NONE,
		tok_int_off = RTAS_TOKEN_NONE;
static int present;

/* Per-CPU counters, indexed by cpu_id (each CPU writes only its own). */
static uint64_t ipis_taken[BOOTINFO_MAX_CPUS], device_taken[BOOTINFO_MAX_CPUS];

static uint32_t rtas_token_of(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 4 ? fdt32_to_cpu(*p) : RTAS_TOKEN_NONE;
}

int irq_init(const void *fdt)
{
	int ic = fdt_node_offset_by_compatible(fdt, -1, "IBM,ppc-xicp");
	int rtas = fdt_path_offset(fdt, "/rtas");

	spin_init(&src_lock);
	if (ic < 0 || rtas < 0)
		return -K42_ENOENT;
	tok_set_xive = rtas_token_of(fdt, rtas, "ibm,set-xive");
	tok_int_on = rtas_token_of(fdt, rtas, "ibm,int-on");
	tok_int_off = rtas_token_of(fdt, rtas, "ibm,int-off");
	if (tok_set_xive == RTAS_TOKEN_NONE || tok_int_on == RTAS_TOKEN_NONE ||
	    tok_int_off == RTAS_TOKEN_NONE)
		return -K42_ENOENT;
	present = 1;
	irq_cpu_init();
	return 0;
}

void irq_cpu_init(void)
{
	if (!present)
		return;
	/* No stale IPI, then accept every priority. */
	hcall(H_IPI, this_cpu()->hw_id, PRIO_NONE, 0, 0, 0, 0, NULL);
	hcall(H_CPPR, PRIO_NONE, 0, 0, 0, 0, 0, NULL);
}

static struct source *find(uint32_t number)
{
	for (int i = 0; i < MAX_SOURCES; i++)
		if (sources[i].number == number)
			return &sources[i];
	return NULL;
}

int irq_source_attach(uint32_t source, uint32_t server, irq_handler_fn handler, void *arg)
{
	uint64_t irqs;
	struct source *s;
	int rc;

	if (!present)
		return -K42_ENOENT;
	if (source == XISR_NONE || source == XISR_IPI || source > XIRR_XISR_MASK || !handler)
		return -K42_EINVAL;
	irqs = arch_irq_save_disable();
	spin_lock(&src_lock);
	if (find(source)) {
		spin_unlock(&src_lock);
		arch_irq_restore(irqs);
		return -K42_EBUSY;
	}
	s = find(0);
	if (s) {
		s->handler = handler;
		s->arg = arg;
		s->server = server;
		s->number = source;
	}
	spin_unlock(&src_lock);
	if (!s) {
		arch_irq_restore(irqs);
		return -K42_ENOSPC;
	}
	rc = rtas_call(tok_set_xive, 3, 1, NULL, source, server, PRIO_DEVICE);
	if (rc == 0)
		rc = rtas_call(tok_int_on, 1, 1, NULL, source);
	arch_irq_restore(irqs);
	if (rc != 0) {
		irq_source_detach(source);
		return -K42_EINVAL;	/* RTAS refused: no such source */
	}
	return 0;
}

void irq_source_detach(uint32_t source)
{
	uint64_t irqs = arch_irq_save_disable();
	struct source *s;

	rtas_call(tok_int_off, 1, 1, NULL, source);
	spin_lock(&src_lock);
	s = source ? find(source) : NULL;
	if (s) {
		s->number = 0;
		s->handler = NULL;
		s->arg = NULL;
	}
	spin_unlock(&src_lock);
	arch_irq_restore(irqs);
}

/*
 * Masking sets the source's priority with ibm,set-xive rather than using
 * ibm,int-off/int-on: int-off saves the current priority for int-on to
 * restore, so masking twice (an interrupt delivered again before the
 * driver's ack) would save "masked" and int-on would never unmask.
 */
static void set_priority(uint32_t source, uint32_t prio)
{
	uint64_t irqs = arch_irq_save_disable();
	uint32_t server = 0;
	struct source *s;
	int known;

	spin_lock(&src_lock);
	s = source ? find(source) : NULL;
	known = s != NULL;
	if (s)
		server = s->server;
	spin_unlock(&src_lock);
	if (known)
		rtas_call(tok_set_xive, 3, 1, NULL, source, server, prio);
	arch_irq_restore(irqs);
}

void irq_source_mask(uint32_t source)
{
	set_priority(source, PRIO_NONE);
}

void irq_source_unmask(uint32_t source)
{
	set_priority(source, PRIO_DEVICE);
}

void irq_set_ipi_handler(irq_ipi_fn fn)
{
	__atomic_store_n(&ipi_handler, fn, __ATOMIC_RELEASE);
}

int irq_send_ipi(uint32_t server)
{
	long rc;

	if (!present)
		return -K42_ENOENT;
	rc = hcall(H_IPI, server, PRIO_IPI, 0, 0, 0, 0, NULL);
	return rc == H_SUCCESS ? 0 : -K42_EINVAL;
}

/* Dispatch one accepted interrupt (its XIRR) and end it. */
static void take_one(struct percpu *pc, uint32_t xirr)
{
	uint32_t xisr = xirr & XIRR_XISR_MASK;
	irq_handler_fn fn = NULL;
	irq_ipi_fn ipi;
	void *arg = NULL;

	if (xisr == XISR_IPI) {
		/* Clear the MFRR before the handler, so an IPI sent while
		 * it runs is not lost. */
		hcall(H_IPI, pc->hw_id, PRIO_NONE, 0, 0, 0, 0, NULL);
		ipis_taken[pc->cpu_id]++;
		ipi = __atomic_load_n(&ipi_handler, __ATOMIC_ACQUIRE);
		if (ipi)
			ipi();
	} else {
		struct source *s;

		spin_lock(&src_lock);
		s = find(xisr);
		if (s) {
			fn = s->handler;
			arg = s->arg;
		}
		spin_unlock(&src_lock);
		device_taken[pc->cpu_id]++;
		if (fn)
			fn(xisr, arg);
		else
			rtas_call(tok_int_off, 1, 1, NULL, xisr);	/* nobody wants it */
	}
	hcall(H_EOI, xirr, 0, 0, 0, 0, 0, NULL);
}

/* Accept the most favoured pending interrupt: its XIRR, or 0 if none. */
static uint32_t accept(void)
{
	uint64_t rets[HCALL_RETS];
	uint32_t xirr;

	if (hcall(H_XIRR, 0, 0, 0, 0, 0, 0, rets) != H_SUCCESS)
		return 0;
	xirr = (uint32_t)rets[0];
	return (xirr & XIRR_XISR_MASK) == XISR_NONE ? 0 : xirr;
}

void irq_external(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	uint32_t xirr;

	(void)tf;
	while ((xirr = accept()) != 0)
		take_one(pc, xirr);
}

int irq_external_ipis(uint32_t *held)
{
	struct percpu *pc = this_cpu();
	uint32_t xirr;

	*held = 0;
	if (__atomic_load_n(&ipi_handler, __ATOMIC_ACQUIRE))
		return 0;	/* a test's handler: under the lock, as before */
	while ((xirr = accept()) != 0) {
		if ((xirr & XIRR_XISR_MASK) != XISR_IPI) {
			*held = xirr;	/* a device's: the caller takes the lock */
			return 0;
		}
		/* An IPI carries nothing: the kick is the whole message. */
		hcall(H_IPI, pc->hw_id, PRIO_NONE, 0, 0, 0, 0, NULL);
		ipis_taken[pc->cpu_id]++;
		hcall(H_EOI, xirr, 0, 0, 0, 0, 0, NULL);
	}
	return 1;
}

void irq_external_held(struct trap_frame *tf, uint32_t xirr)
{
	if (xirr)
		take_one(this_cpu(), xirr);
	irq_external(tf);
}

uint64_t irq_ipis_taken(void)
{
	return ipis_taken[this_cpu()->cpu_id];
}

uint64_t irq_device_taken(void)
{
	return device_taken[this_cpu()->cpu_id];
}
