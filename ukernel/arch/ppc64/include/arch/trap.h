/*
 * Exception handling on ppc64: the C entry point called by vectors.S, the
 * crash report, and a one-shot "expected exception" hook that lets in-kernel
 * tests fault on purpose and inspect the report.
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stddef.h>
#include <arch/trapframe.h>

#define TRAP_REPORT_MAX 2048

struct trap_expect {
	uint64_t vector;		/* the vector the test will raise */
	int hit;			/* set once it happened */
	struct trap_frame frame;	/* the state at the time */
	char report[TRAP_REPORT_MAX];	/* the crash report it would have printed */
};

void trap_entry(struct trap_frame *tf);

/* Arm a one-shot expectation; the faulting instruction is skipped. */
void trap_expect_arm(struct trap_expect *e);
void trap_expect_disarm(void);

/* Human name of a vector offset, e.g. "program" for 0x700. */
const char *trap_vector_name(uint64_t vector);

/* Format the crash report for tf (registers and a backtrace) into buf. */
size_t trap_format_report(const struct trap_frame *tf, const char *headline, char *buf,
			  size_t size);

/* Print a report to the console line by line (kprintf lines are bounded). */
void trap_print_report(const char *report);

/* Highest real address a backtrace may read (set at boot). */
extern uint64_t trap_mem_top;

#endif
