/*
 * Interrupt controller tests: an IPI the CPU sends itself (H_IPI) is held
 * while MSR[EE] is off, taken at the external-interrupt vector once it is
 * on, taken exactly once, and taken again when sent again; sources the
 * controller does not have are refused.
 */
#include <k42/errno.h>
#include <arch/irq.h>
#include <arch/timer.h>
#include <kern/irq.h>
#include <kern/ktest.h>
#include <kern/percpu.h>
#include <kern/timer.h>

static volatile int handler_runs;

static void count_ipi(void)
{
	handler_runs++;
}

/* Spin with interrupts on until the handler ran `want` times or a quarter second passed. */
static void wait_runs(int want)
{
	uint64_t start = arch_timebase(), limit = timer_timebase_hz() / 4;

	arch_irq_enable();
	while (handler_runs < want && arch_timebase() - start < limit)
		;
	arch_irq_disable();
}

KTEST(irq_ipi_self)
{
	uint64_t before = irq_ipis_taken();
	uint32_t self = this_cpu()->hw_id;

	irq_set_ipi_handler(count_ipi);
	KTEST_CHECK(t, irq_send_ipi(self) == 0, "H_IPI to own server %u refused", self);
	for (volatile int i = 0; i < 100000; i++)
		;
	KTEST_CHECK(t, handler_runs == 0, "IPI taken with MSR[EE] off (%d)", handler_runs);
	wait_runs(1);
	KTEST_CHECK(t, handler_runs == 1, "IPI handler ran %d times, want 1", handler_runs);
	KTEST_CHECK(t, irq_ipis_taken() - before == 1, "controller counted %lu IPIs",
		    irq_ipis_taken() - before);
	/* Once taken, the MFRR is clear: nothing more arrives unless sent. */
	wait_runs(2);
	KTEST_CHECK(t, handler_runs == 1, "IPI repeated without a send (%d)", handler_runs);
	KTEST_CHECK(t, irq_send_ipi(self) == 0, "second H_IPI refused");
	wait_runs(2);
	KTEST_CHECK(t, handler_runs == 2, "second IPI: handler ran %d times, want 2", handler_runs);
	irq_set_ipi_handler(NULL);
}

static void never(uint32_t source, void *arg)
{
	(void)source;
	(void)arg;
}

KTEST(irq_source_checks)
{
	/* The XISR values that are not sources, and one the machine lacks. */
	KTEST_CHECK(t, irq_source_attach(0, this_cpu()->hw_id, never, NULL) == -K42_EINVAL,
		    "source 0 accepted");
	KTEST_CHECK(t, irq_source_attach(2, this_cpu()->hw_id, never, NULL) == -K42_EINVAL,
		    "the IPI source accepted");
	KTEST_CHECK(t, irq_source_attach(0xfffff0, this_cpu()->hw_id, never, NULL) == -K42_EINVAL,
		    "a source XICS does not have was accepted");
	/* A real PCI LSI source (interrupt-map: 0x1200..0x1203) attaches once. */
	KTEST_CHECK(t, irq_source_attach(0x1200, this_cpu()->hw_id, never, NULL) == 0,
		    "PCI INTA source 0x1200 refused");
	KTEST_CHECK(t, irq_source_attach(0x1200, this_cpu()->hw_id, never, NULL) == -K42_EBUSY,
		    "source attached twice");
	irq_source_detach(0x1200);
	KTEST_CHECK(t, irq_source_attach(0x1200, this_cpu()->hw_id, never, NULL) == 0,
		    "source not free after detach");
	irq_source_detach(0x1200);
}
