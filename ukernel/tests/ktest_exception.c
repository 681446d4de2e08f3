/*
 * In-kernel exception tests: fault on purpose and check what the trap path
 * recorded (vector, SRR0 pointing at the faulting instruction, the report
 * text), and that an unexpected exception ends in a panic with a report.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <arch/trap.h>
#include <arch/spr.h>
#include <kern/ktest.h>
#include <kern/printk.h>

extern char ktest_trap_insn[], ktest_fp_insn[];

__attribute__((noinline, noclone)) static void raise_trap(void)
{
	__asm__ volatile(".globl ktest_trap_insn\nktest_trap_insn: tw 31, 0, 0" ::: "memory");
}

__attribute__((noinline, noclone)) static void raise_fp_unavailable(void)
{
	__asm__ volatile(".globl ktest_fp_insn\nktest_fp_insn: fmr 0, 0" ::: "fr0", "memory");
}

static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static struct trap_expect ex;

KTEST(exception_trap)
{
	memset(&ex, 0, sizeof(ex));
	ex.vector = 0x700;
	trap_expect_arm(&ex);
	raise_trap();
	trap_expect_disarm();
	KTEST_CHECK(t, ex.hit, "no program interrupt was taken");
	KTEST_CHECK(t, virt_to_phys((void *)ex.frame.nip) == virt_to_phys(ktest_trap_insn),
		    "SRR0 0x%lx is not the trap instruction 0x%lx", ex.frame.nip,
		    (uint64_t)ktest_trap_insn);
	KTEST_CHECK(t, ex.frame.msr & SRR1_PROGRAM_TRAP, "SRR1 0x%lx lacks the trap cause",
		    ex.frame.msr);
	KTEST_CHECK(t, contains(ex.report, "vector 0x700 (program: trap instruction)"),
		    "report does not name the vector");
	KTEST_CHECK(t, contains(ex.report, "SRR0") && contains(ex.report, "SRR1") &&
		       contains(ex.report, "DAR") && contains(ex.report, "DSISR") &&
		       contains(ex.report, "LR"), "report lacks registers");
	KTEST_CHECK(t, contains(ex.report, "backtrace:\n  #0 "), "report lacks a backtrace");
	trap_print_report(ex.report);
}

KTEST(exception_fp_unavailable)
{
	memset(&ex, 0, sizeof(ex));
	ex.vector = 0x800;
	KTEST_CHECK(t, !(mfmsr() & MSR_FP), "kernel runs with MSR[FP] set");
	trap_expect_arm(&ex);
	raise_fp_unavailable();
	trap_expect_disarm();
	KTEST_CHECK(t, ex.hit, "no floating-point unavailable interrupt was taken");
	KTEST_CHECK(t, virt_to_phys((void *)ex.frame.nip) == virt_to_phys(ktest_fp_insn),
		    "SRR0 0x%lx is not the FP instruction", ex.frame.nip);
	KTEST_CHECK(t, contains(ex.report, "floating-point unavailable"), "report names the wrong vector");
}

/* Must end in: crash report, panic, QEMU exit status 1. */
KTEST_PANICS(exception_unexpected)
{
	raise_trap();
}
