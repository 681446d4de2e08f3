/*
 * panic() and machine_halt(): the two ways the kernel ends the machine.
 * A nested panic (panicking while reporting a panic) goes straight to the
 * platform's terminate call.
 */
#include <stdarg.h>
#include <arch/irq.h>
#include <kern/panic.h>
#include <kern/printk.h>
#include <kern/trace.h>
#include <lib/fmt.h>

static int panicking;

void panic(const char *fmt, ...)
{
	static char msg[256];
	va_list ap;

	arch_irq_disable();
	va_start(ap, fmt);
	k_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (panicking++)
		arch_os_term(msg);
	kprintf("\nPANIC: %s\n", msg);
	arch_backtrace(arch_current_sp(), 0, 0);
	trace_dump_console();
	kprintf("k42: halting after panic\n");
	arch_os_term(msg);
}

void machine_halt(int status)
{
	trace_dump_console();
	if (status == 0)
		arch_power_off();
	arch_os_term("k42: halted with failure status");
}
