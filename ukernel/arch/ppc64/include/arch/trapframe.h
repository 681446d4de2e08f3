/*
 * The register state saved on every exception entry (vectors.S) and handed
 * to trap_entry(). Assembly reaches the fields through the generated
 * asm-offsets.h, never through hand-typed offsets.
 */
#ifndef ARCH_TRAPFRAME_H
#define ARCH_TRAPFRAME_H

/* ELFv2 minimum stack frame: back chain, CR save, LR save, TOC save. */
#define STACK_FRAME_MIN 32
/* ELFv2 protected zone below r1 that a leaf function may use. */
#define STACK_RED_ZONE 288

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trap_frame {
	uint64_t gpr[32];
	uint64_t nip;		/* SRR0: where the interrupt happened */
	uint64_t msr;		/* SRR1: MSR at the time, plus cause bits */
	uint64_t lr;
	uint64_t ctr;
	uint64_t cr;
	uint64_t xer;
	uint64_t dar;
	uint64_t dsisr;
	uint64_t trap;		/* vector offset, e.g. 0x700 */
	/* Whose values the frame holds: the dispatcher it was saved from or
	 * built for (kern/user_return.c refuses to enter user mode with a
	 * frame of another dispatcher). Also keeps the size a multiple of 16. */
	uint64_t owner;
};
#endif

#endif
