/*
 * The interrupt controller: one interface for device interrupts and
 * inter-processor interrupts (IPIs). The ppc64 implementation is XICS
 * (arch/ppc64/kern/xics.c, docs/devices.md says why XICS and not XIVE).
 *
 * Interrupts are named by their controller source number (what the device
 * tree's `interrupts` and `interrupt-map` give). A source is delivered to
 * one CPU, named by its interrupt server number (percpu->hw_id).
 * Handlers run in interrupt context with MSR[EE] off, before the EOI; a
 * handler of a level-triggered source that cannot quiet the device itself
 * masks the source (irq_source_mask) and unmasks it when the device is
 * serviced.
 */
#ifndef KERN_IRQ_H
#define KERN_IRQ_H

#include <stdint.h>

struct trap_frame;

typedef void (*irq_handler_fn)(uint32_t source, void *arg);
typedef void (*irq_ipi_fn)(void);

/* Find the controller in the device tree and accept interrupts on the
 * boot CPU. Returns 0 or a negative K42_E* code (no controller: -K42_ENOENT). */
int irq_init(const void *fdt) __attribute__((warn_unused_result));
/* Accept interrupts on the calling CPU (each secondary calls it once). */
void irq_cpu_init(void);

/* Route `source` to the CPU with interrupt server `server`, call
 * handler(source, arg) for it, and unmask it. -K42_EBUSY if the source
 * already has a handler, -K42_ENOSPC if the table is full. */
int irq_source_attach(uint32_t source, uint32_t server, irq_handler_fn handler,
		      void *arg) __attribute__((warn_unused_result));
/* Mask the source and forget its handler. */
void irq_source_detach(uint32_t source);
void irq_source_mask(uint32_t source);
void irq_source_unmask(uint32_t source);

/* IPIs: fn runs on the target CPU for each IPI it takes (NULL: none). */
void irq_set_ipi_handler(irq_ipi_fn fn);
/* Interrupt the CPU with interrupt server `server` (the caller's own too). */
int irq_send_ipi(uint32_t server) __attribute__((warn_unused_result));

/* The external-interrupt vector: take and dispatch every pending interrupt. */
void irq_external(struct trap_frame *tf);
/* The same in the idle loop without the kernel lock: take every pending
 * IPI (they carry nothing: a kick only ends the wait) and return 1; a
 * device interrupt (or any interrupt while a test's IPI handler is set)
 * returns 0, with the one already accepted in *held (0: none) for
 * irq_external_held, called under the kernel lock, which then takes the
 * rest as irq_external does. */
int irq_external_ipis(uint32_t *held);
void irq_external_held(struct trap_frame *tf, uint32_t xirr);

/* Counters for tests and sys_info: interrupts taken on the calling CPU. */
uint64_t irq_ipis_taken(void);
uint64_t irq_device_taken(void);

#endif
