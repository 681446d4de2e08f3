/*
 * trap_entry(): the C side of every exception (vectors.S saves the state).
 * Known interrupts go to their handlers; anything else produces a crash
 * report (vector, SRR0/SRR1/DAR/DSISR/LR, all GPRs, a backtrace) and a
 * panic, unless an in-kernel test armed an expectation for it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <arch/spr.h>
#include <arch/trap.h>
#include <arch/timer.h>
#include <kern/irq.h>
#include <kern/klock.h>
#include <kern/syscall.h>
#include <kern/quiesce.h>
#include <kern/panic.h>
#include <kern/printk.h>
#include <kern/trace.h>
#include <lib/fmt.h>

uint64_t trap_mem_top;

void arch_user_trap(struct trap_frame *tf);
static struct trap_expect *expect;

static const struct {
	uint16_t vector;
	const char *name;
} vector_names[] = {
	{ 0x100, "system reset" },
	{ 0x200, "machine check" },
	{ 0x300, "data storage" },
	{ 0x380, "data segment" },
	{ 0x400, "instruction storage" },
	{ 0x480, "instruction segment" },
	{ 0x500, "external" },
	{ 0x600, "alignment" },
	{ 0x700, "program" },
	{ 0x800, "floating-point unavailable" },
	{ 0x900, "decrementer" },
	{ 0x980, "hypervisor decrementer" },
	{ 0xa00, "directed privileged doorbell" },
	{ 0xb00, "reserved 0xb00" },
	{ 0xc00, "system call" },
	{ 0xd00, "trace" },
	{ 0xe00, "hypervisor data storage" },
	{ 0xe20, "hypervisor instruction storage" },
	{ 0xe40, "hypervisor emulation assistance" },
	{ 0xe60, "hypervisor maintenance" },
	{ 0xe80, "directed hypervisor doorbell" },
	{ 0xea0, "hypervisor virtualization" },
	{ 0xf00, "performance monitor" },
	{ 0xf20, "vector unavailable" },
	{ 0xf40, "VSX unavailable" },
	{ 0xf60, "facility unavailable" },
	{ 0xf80, "hypervisor facility unavailable" },
	{ 0x1500, "softpatch" },
};

const char *trap_vector_name(uint64_t vector)
{
	for (size_t i = 0; i < sizeof(vector_names) / sizeof(vector_names[0]); i++)
		if (vector_names[i].vector == vector)
			return vector_names[i].name;
	return "unassigned vector";
}

static const char *program_cause(uint64_t srr1)
{
	if (srr1 & SRR1_PROGRAM_TRAP)
		return "trap instruction";
	if (srr1 & SRR1_PROGRAM_PRIV)
		return "privileged instruction";
	if (srr1 & SRR1_PROGRAM_ILL)
		return "illegal instruction";
	if (srr1 & SRR1_PROGRAM_FPE)
		return "floating-point enabled exception";
	return "unknown cause";
}

struct sink {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3)))
static void sink_printf(struct sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len >= s->size)
		return;
	va_start(ap, fmt);
	n = k_vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	if (s->len >= s->size)
		s->len = s->size - 1;
}

static int stack_word_ok(uint64_t addr)
{
	uint64_t real = addr & 0x0fffffffffffffffull;

	return (addr & 7) == 0 && real >= 0x1000 && real + 24 <= trap_mem_top;
}

static void backtrace_into(struct sink *s, uint64_t sp, uint64_t pc, uint64_t lr)
{
	int depth = 0;

	sink_printf(s, "backtrace:\n");
	if (pc)
		sink_printf(s, "  #%d 0x%016lx\n", depth++, pc);
	if (lr)
		sink_printf(s, "  #%d 0x%016lx (lr)\n", depth++, lr);
	if (!stack_word_ok(sp))
		return;
	sp = *(uint64_t *)sp;	/* the caller's frame holds our return address */
	while (depth < 32 && stack_word_ok(sp)) {
		uint64_t next = *(uint64_t *)sp, ret = ((uint64_t *)sp)[2];

		if (ret)
			sink_printf(s, "  #%d 0x%016lx\n", depth++, ret);
		if (next <= sp)
			break;	/* the chain must go up the stack; anything else is garbage */
		sp = next;
	}
}

size_t trap_format_report(const struct trap_frame *tf, const char *headline, char *buf,
			  size_t size)
{
	struct sink s = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	sink_printf(&s, "%s: vector 0x%lx (%s", headline, tf->trap, trap_vector_name(tf->trap));
	if (tf->trap == 0x700)
		sink_printf(&s, ": %s", program_cause(tf->msr));
	sink_printf(&s, ") in %s mode\n", (tf->msr & MSR_PR) ? "user" : "kernel");
	sink_printf(&s, "  SRR0 %016lx  SRR1 %016lx  LR  %016lx\n", tf->nip, tf->msr, tf->lr);
	sink_printf(&s, "  DAR  %016lx  DSISR %08lx      CTR %016lx\n", tf->dar, tf->dsisr, tf->ctr);
	sink_printf(&s, "  CR   %08lx  XER %016lx\n", tf->cr, tf->xer);
	for (int i = 0; i < 32; i += 4)
		sink_printf(&s, "  r%-2d %016lx %016lx %016lx %016lx\n", i, tf->gpr[i],
			    tf->gpr[i + 1], tf->gpr[i + 2], tf->gpr[i + 3]);
	backtrace_into(&s, tf->gpr[1], tf->nip, tf->lr);
	return s.len;
}

void arch_backtrace(uint64_t sp, uint64_t pc, uint64_t lr)
{
	static char buf[1024];
	struct sink s = { buf, sizeof(buf), 0 };
	size_t start = 0;

	backtrace_into(&s, sp, pc, lr);
	/* kprintf takes a bounded line; print the report line by line. */
	for (size_t i = 0; i < s.len; i++) {
		if (buf[i] == '\n') {
			kprintf("%.*s\n", (int)(i - start), buf + start);
			start = i + 1;
		}
	}
}

uint64_t arch_current_sp(void)
{
	uint64_t sp;

	__asm__ volatile("mr %0, 1" : "=r"(sp));
	return sp;
}

void trap_expect_arm(struct trap_expect *e)
{
	e->hit = 0;
	expect = e;
}

void trap_expect_disarm(void)
{
	expect = NULL;
}

void trap_print_report(const char *report)
{
	const char *line = report;

	for (const char *p = report; *p; p++) {
		if (*p == '\n') {
			kprintf("%.*s\n", (int)(p - line), line);
			line = p + 1;
		}
	}
}

void trap_entry(struct trap_frame *tf)
{
	static char report[TRAP_REPORT_MAX];

	trace_exc_entry(tf->trap, tf->nip);
	if (tf->msr & MSR_PR) {
		arch_user_trap(tf);
		return;
	}
	switch (tf->trap) {
	case 0x900:
	case 0x500: {
		/* Taken in the idle loop (kernel lock released) or while an
		 * in-kernel test waits with interrupts on (lock held). */
		int take = !klock_held();
		uint32_t held = 0;

		/* An idle CPU's tick with nothing to expire: its own local
		 * lock only (kern/sched_fast.c). */
		if (take && tf->trap == 0x900 && (trace_tick(), sched_idle_tick_fast()))
			return;
		/* IPIs taken in the idle loop: they only end its wait (it
		 * then looks at its queue under its local lock), so no lock
		 * at all; a device interrupt goes on under the kernel lock. */
		if (take && tf->trap == 0x500) {
			if (irq_external_ipis(&held)) {
				this_cpu()->idle_ipis_unlocked++;
				return;
			}
		}
		if (take) {
			klock_acquire();
			kquiesce_idle_exit();	/* the handler may touch shared objects */
		}
		if (tf->trap == 0x900)
			decrementer_interrupt(tf);
		else
			irq_external_held(tf, held);
		/* Back to the idle wait, which now goes on without the
		 * kernel lock while nothing is queued here (kern/sched.c):
		 * idle again for quiescence, or the token would stop here. */
		if (take && this_cpu()->idle)
			kquiesce_idle_enter();
		if (take)
			klock_release();
		return;
	}
	default:
		break;
	}
	if (expect && expect->vector == tf->trap) {
		struct trap_expect *e = expect;

		expect = NULL;
		e->frame = *tf;
		trap_format_report(tf, "expected exception", e->report, sizeof(e->report));
		e->hit = 1;
		tf->nip += 4;	/* resume after the faulting instruction */
		return;
	}
	trap_format_report(tf, "k42: unexpected exception", report, sizeof(report));
	trap_print_report(report);
	panic("unexpected exception, vector 0x%lx (%s) at 0x%lx", tf->trap,
	      trap_vector_name(tf->trap), tf->nip);
}
