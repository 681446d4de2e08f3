/*
 * The exception vector area: real addresses 0x0-0x1800, first in the kernel
 * image. Interrupts arrive here in real mode (AIL=0) with SRR0/SRR1 set and
 * MSR[EE,PR,IR,DR] clear. Every 0x20-byte slot from 0x200 holds the same
 * five-instruction stub, so any architected vector (and any stray jump into
 * the area) is reported by its offset. Slot 0x100 is both the boot entry and
 * the system-reset vector.
 *
 * Entry contract of exc_common: r13 = per-CPU (biased, from SPRG0), r12 =
 * vector offset; the interrupted r12 is in PC_EXC_R12(r13) and the
 * interrupted r13 in SPRG1. All other registers are the interrupted ones.
 */
#include <arch/asm.h>
#include <arch/spr.h>
#include <arch/trapframe.h>
#include "asm-offsets.h"

#define VECTOR_AREA_END 0x1800
#define AIL_VECTOR_BASE 0x4000

	.section ".head.vectors", "ax"
	.globl __vectors_start
__vectors_start:
	/* 0x0-0xff: unused by the architecture; a jump to 0 lands in a trap. */
	.long 0

/*
 * 0x100: boot entry. QEMU enters here big-endian in 32-bit mode with r3 =
 * device tree; a system reset (the QEMU monitor's "nmi") enters here
 * little-endian. The first word is a branch over the trampoline when read
 * little-endian, and "addic r0,r0,0x48" (harmless) when read big-endian;
 * the big-endian trampoline then sets MSR[LE] and MSR[SF] and rfids to 0x130.
 */
	.org 0x100
	.globl __boot_vector
__boot_vector:
	b	1f
	BE_INSN(0x7d6000a6)	/* mfmsr  r11 */
	BE_INSN(0x616b0001)	/* ori    r11,r11,1       MSR[LE] */
	BE_INSN(0x39800001)	/* li     r12,1 */
	BE_INSN(0x798cf806)	/* sldi   r12,r12,63 */
	BE_INSN(0x7d6b6378)	/* or     r11,r11,r12     MSR[SF] */
	BE_INSN(0x429f0005)	/* bcl    20,31,$+4 */
	BE_INSN(0x7d4802a6)	/* mflr   r10             r10 = 0x11c */
	BE_INSN(0x394a0014)	/* addi   r10,r10,0x14    r10 = 0x130 */
	BE_INSN(0x7d5a03a6)	/* mtsrr0 r10 */
	BE_INSN(0x7d7b03a6)	/* mtsrr1 r11 */
	BE_INSN(0x4c000024)	/* rfid */
	.org 0x130
1:	/* Little-endian from here. SPRG0 is 0 until the boot CPU set up its
	 * per-CPU area, so a non-zero SPRG0 means this is a system reset. */
	mtspr	SPR_SPRG1, r13
	mfspr	r13, SPR_SPRG0
	mtspr	SPR_SPRG2, r12
	mfcr	r12
	cmpdi	r13, 0
	beq	2f
	mtcrf	0xff, r12
	mfspr	r12, SPR_SPRG2
	std	r12, PC_EXC_R12(r13)
	li	r12, 0x100
	b	exc_common
2:	b	boot_entry

/* The fast path's first tests (sc_fast.S): what the registers alone rule
 * out goes on to exc_common at once (a kernel call that is not ppc_call,
 * ppc_reply_idle or ppc_reply, a ppc_reply that is not K42_IPC_REPLY_IDLE,
 * anything not from user mode); a call or ppc_reply_idle with page bytes
 * and every idle ppc_reply go on to the C fast path (sc_fast.S,
 * translation on); the rest turns translation off (sc_fast.S, REAL_MODE)
 * and goes on there. Here in
 * the 0xc00 slot and the unarchitected ones after it (0xc20-0xce0), so
 * that a call or reply touches no other translated kernel page after the
 * address-space switch's flush (docs/performance.md, "Wall clock"). */
.macro SC_FAST_HEAD
	cmpldi	r0, SC_PPC_CALL
	beq	2f
	cmpldi	r0, SC_PPC_REPLY_IDLE
	beq	3f
	cmpldi	r0, SC_PPC_REPLY
	beq	5f
0:	li	r12, 0xc00
	b	exc_common
2:	andi.	r12, r4, IPC_OP_LEN_MASK
	bne	4f
	mfsrr1	r11
	andi.	r12, r11, MSR_PR
	beq	0b			/* not from user mode: never, but not ours */
	mfmsr	r12			/* translation off (REAL_MODE) */
	xori	r12, r12, MSR_IR | MSR_DR
	mtmsrd	r12
	b	sc_fast_entry		/* r11 = SRR1 */
	/* ppc_reply_idle: with no page bytes (r4, the caller's page length,
	 * 0) to the assembly, translation off; with some, to the C fast path
	 * (which checks the length). */
3:	mfsrr1	r12
	andi.	r12, r12, MSR_PR
	beq	0b			/* not from user mode: never, but not ours */
	cmpldi	r4, 0
	bne	sc_fast_reply_general
	mfmsr	r12
	xori	r12, r12, MSR_IR | MSR_DR
	mtmsrd	r12
	b	ppc_fast_reply_asm
	/* A call with page bytes: straight to kern/ppc_fast.c, translation on
	 * (it copies between the PPC pages), r11 = its SRR1. */
4:	mfsrr1	r11
	andi.	r12, r11, MSR_PR
	beq	0b
	b	sc_fast_bytes_entry
	/* A ppc_reply that is K42_IPC_REPLY_IDLE (flags >> 16 is 1 << 16: no
	 * other flag set; the length is checked in C): to the C fast path,
	 * its registers as the server left them (r11 is its w5). */
5:	srdi	r12, r5, 16
	xoris	r12, r12, 1
	cmpldi	r12, 0
	bne	0b
	mfsrr1	r12
	andi.	r12, r12, MSR_PR
	beq	0b
	b	sc_fast_reply_general
.endm

/* The common stub; `vec` is the slot's own offset from `base`. A system
 * call taken with the MMU on (AIL) is tested for the PPC fast path first
 * (SC_FAST_HEAD, which fills the slots up to 0xd00). */
.macro EXC_STUBS base, first
	.set	vec, \first
	.rept	(VECTOR_AREA_END - \first) / 0x20
	.if	\base != AIL_VECTOR_BASE || vec <= 0xc00 || vec >= 0xd00
	.org	\base + vec
	.if	vec == 0xc00 && \base == AIL_VECTOR_BASE
	.globl	sc_vector_ail		/* (a name for profiles: tools/insn_profile.py) */
sc_vector_ail:
	.endif
	mtspr	SPR_SPRG1, r13
	mfspr	r13, SPR_SPRG0
	std	r12, PC_EXC_R12(r13)
	.if	vec == 0xc00 && \base == AIL_VECTOR_BASE
	SC_FAST_HEAD
	.else
	li	r12, vec
	b	exc_common
	.endif
	.endif
	.set	vec, vec + 0x20
	.endr
.endm

	EXC_STUBS 0, 0x200

	.org	VECTOR_AREA_END

/*
 * Save the interrupted state into a trap frame and call trap_entry(tf).
 * From user mode the frame goes on the CPU's kernel stack; from the kernel
 * it goes below the interrupted r1 and its ELFv2 protected zone.
 */
FUNC_START(exc_common)
	std	r11, PC_EXC_R11(r13)
	std	r1, PC_EXC_R1(r13)
	mfcr	r11			/* r11 = CR until it is stored */
	mfsrr1	r1
	andi.	r1, r1, MSR_PR
	ld	r1, PC_EXC_R1(r13)
	beq	1f
	ld	r1, PC_KSTACK_TOP(r13)
1:	subi	r1, r1, STACK_RED_ZONE
	clrrdi	r1, r1, 4
	subi	r1, r1, EXC_FRAME_SIZE
	std	r11, EXC_TF + TF_CR(r1)
	std	r0, EXC_TF + TF_GPR0 + 0 * 8(r1)
	.irp	n, 2, 3, 4, 5, 6, 7, 8, 9, 10
	std	\n, EXC_TF + TF_GPR0 + \n * 8(r1)
	.endr
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	std	\n, EXC_TF + TF_GPR0 + \n * 8(r1)
	.endr
	ld	r11, PC_EXC_R1(r13)
	std	r11, EXC_TF + TF_GPR0 + 1 * 8(r1)
	std	r11, 0(r1)		/* back chain through the interrupted frame */
	ld	r11, PC_EXC_R11(r13)
	std	r11, EXC_TF + TF_GPR0 + 11 * 8(r1)
	ld	r11, PC_EXC_R12(r13)
	std	r11, EXC_TF + TF_GPR0 + 12 * 8(r1)
	mfspr	r11, SPR_SPRG1
	std	r11, EXC_TF + TF_GPR0 + 13 * 8(r1)
	mfsrr0	r11
	std	r11, EXC_TF + TF_NIP(r1)
	mfsrr1	r11
	std	r11, EXC_TF + TF_MSR(r1)
	mflr	r11
	std	r11, EXC_TF + TF_LR(r1)
	std	r11, 16(r1)		/* LR save slot, for backtraces */
	mfctr	r11
	std	r11, EXC_TF + TF_CTR(r1)
	mfxer	r11
	std	r11, EXC_TF + TF_XER(r1)
	mfdar	r11
	std	r11, EXC_TF + TF_DAR(r1)
	mfdsisr	r11
	std	r11, EXC_TF + TF_DSISR(r1)
	std	r12, EXC_TF + TF_TRAP(r1)
	ld	r2, PC_KERNEL_TOC(r13)
	addi	r3, r1, EXC_TF
	bl	trap_entry
	nop
	/* fall through */
FUNC_END(exc_common)

/* Restore the trap frame at r1 + EXC_TF and return from the interrupt. */
FUNC_START(exc_return)
	ld	r11, EXC_TF + TF_CTR(r1)
	mtctr	r11
	ld	r11, EXC_TF + TF_LR(r1)
	mtlr	r11
	ld	r11, EXC_TF + TF_XER(r1)
	mtxer	r11
	ld	r11, EXC_TF + TF_CR(r1)
	mtcrf	0xff, r11
	ld	r0, EXC_TF + TF_GPR0 + 0 * 8(r1)
	.irp	n, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12
	ld	\n, EXC_TF + TF_GPR0 + \n * 8(r1)
	.endr
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	\n, EXC_TF + TF_GPR0 + \n * 8(r1)
	.endr
	ld	r11, EXC_TF + TF_NIP(r1)
	mtsrr0	r11
	ld	r11, EXC_TF + TF_MSR(r1)
	mtsrr1	r11
	ld	r11, EXC_TF + TF_GPR0 + 11 * 8(r1)
	ld	r13, EXC_TF + TF_GPR0 + 13 * 8(r1)
	ld	r1, EXC_TF + TF_GPR0 + 1 * 8(r1)
	rfid
	b	.			/* not reached: stops speculation */
FUNC_END(exc_return)

/*
 * The same stubs at 0x4000 + vector: with AIL=3 (set by hat_init_kernel)
 * interrupts taken with the MMU on arrive at 0xc000000000004000 + vector,
 * already translated, with no rfid needed on the way in.
 */
	.org	AIL_VECTOR_BASE
	EXC_STUBS AIL_VECTOR_BASE, 0x100
	.org	AIL_VECTOR_BASE + VECTOR_AREA_END

/* Enter user mode with the context in the trap frame `tf` (r3). */
FUNC_START(arch_return_to_user)
	subi	r1, r3, EXC_TF
	b	exc_return
FUNC_END(arch_return_to_user)
