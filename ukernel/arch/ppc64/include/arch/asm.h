/*
 * Helpers for ppc64 assembly files: register names, symbol declarations and
 * 64-bit immediate loads. Included only by .S files.
 */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

#define r0 0
#define r1 1
#define r2 2
#define r3 3
#define r4 4
#define r5 5
#define r6 6
#define r7 7
#define r8 8
#define r9 9
#define r10 10
#define r11 11
#define r12 12
#define r13 13
#define r14 14
#define r15 15
#define r16 16
#define r17 17
#define r18 18
#define r19 19
#define r20 20
#define r21 21
#define r22 22
#define r23 23
#define r24 24
#define r25 25
#define r26 26
#define r27 27
#define r28 28
#define r29 29
#define r30 30
#define r31 31

/* A global function symbol with an ELF type and size. */
#define FUNC_START(name) \
	.globl name; .type name, @function; name:
#define FUNC_END(name) \
	.size name, . - name

/* Load a 64-bit link-time constant (an absolute address) into reg. */
#define LOAD_IMM64(reg, expr)			\
	lis	reg, (expr)@highest;		\
	ori	reg, reg, (expr)@higher;	\
	rldicr	reg, reg, 32, 31;		\
	oris	reg, reg, (expr)@high;		\
	ori	reg, reg, (expr)@l

/*
 * Emit one instruction given as its big-endian encoding: used only by the
 * endian-switch trampoline, which runs before the CPU is little-endian.
 */
#define BE_INSN(x)						\
	.long ((((x) >> 24) & 0xff) | (((x) >> 8) & 0xff00) |	\
	       (((x) << 8) & 0xff0000) | (((x) << 24) & 0xff000000))

#endif
