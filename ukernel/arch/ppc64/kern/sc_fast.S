/*
 * The `sc` vector's own entry: the register-only PPC fast path
 * (arch/ppc64/kern/ppc_fast.S, then kern/ppc_fast.c; docs/performance.md)
 * in front of the general path.
 *
 * Entry (from the 0xc00 stub with AIL and its SC_FAST_HEAD, vectors.S,
 * which turned translation off; interrupts off): r13 = per-CPU (biased),
 * the interrupted r12 in PC_EXC_R12(r13), r13 in SPRG1, everything else
 * the caller's. What the registers alone rule out went on to exc_common
 * at once (a reply without K42_IPC_REPLY_IDLE or with another flag,
 * anything not from user mode). A call or idle reply with page bytes
 * comes with translation on and skips the assembly (which takes only
 * register-only ones): at sc_fast_bytes_entry, stored as below, to
 * sc_fast_call_c; at sc_fast_reply_general. Then:
 *  - ppc_call: the caller's context is stored straight into its
 *    dispatcher's ctx (r14..r31 too; r0 and r3..r10 only if it is
 *    declined) and ppc_fast_call_asm decides; what it declines comes back
 *    to sc_fast_call_c, which stores the rest and asks ppc_fast_call.
 *  - ppc_reply: ppc_fast_reply_asm decides with nothing stored (the
 *    server's registers are dropped if it takes the reply); what it
 *    declines comes back to sc_fast_reply_general, which stores the
 *    server's registers as for a call (its r3..r10 are ppc_fast_reply's
 *    arguments, stored by it only if it declines, and r14..r31 stay live).
 * The C functions return
 *  - 0: nothing changed. The ctx is copied into the trap frame as
 *    exc_common would have built it, and the general path runs.
 *  - 1: the new current dispatcher's ctx is loaded and entered with rfid:
 *    for a call only its entry registers (pc, msr, r1, r3, r11, r12) and
 *    the caller's op and words (r4..r10), every other register zeroed;
 *    for a reply the caller's whole context.
 * Every other kernel call goes on to exc_common with its registers as they
 * were but cr0, which holds the comparison of r0 (its own value) with the
 * two call numbers: cr0 is volatile across a kernel call (abi/syscalls.tbl;
 * the stubs declare it clobbered, and Linux's `sc` returns in it too).
 */
#include <arch/asm.h>
#include <arch/spr.h>
#include <arch/trapframe.h>
#include "asm-offsets.h"

#define CTX(field) (DISP_CTX + (field))
#define GPR(n) CTX(TF_GPR0 + (n) * 8)

/* The context of the current dispatcher (into r12) but r0, r3..r10 and
 * r14..r31 into its ctx: CR (cr0 already the call number's test), r1, r2,
 * r11..r13, pc, msr, lr, ctr, xer. Uses r11. */
.macro	SAVE_CTX
	std	r11, PC_EXC_R11(r13)
	mfcr	r11
	ld	r12, PC_CURRENT(r13)
	std	r11, CTX(TF_CR)(r12)
	std	r1, GPR(1)(r12)
	std	r2, GPR(2)(r12)
	ld	r11, PC_EXC_R11(r13)
	std	r11, GPR(11)(r12)
	ld	r11, PC_EXC_R12(r13)
	std	r11, GPR(12)(r12)
	mfspr	r11, SPR_SPRG1
	std	r11, GPR(13)(r12)
	mfsrr0	r11
	std	r11, CTX(TF_NIP)(r12)
	mfsrr1	r11
	std	r11, CTX(TF_MSR)(r12)
	mflr	r11
	std	r11, CTX(TF_LR)(r12)
	mfctr	r11
	std	r11, CTX(TF_CTR)(r12)
	mfxer	r11
	std	r11, CTX(TF_XER)(r12)
.endm

/* r14..r31 into the ctx of the dispatcher in `d`. */
.macro	SAVE_NVGPRS d
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	std	\n, GPR(\n)(\d)
	.endr
.endm

/* A ppc_call's context into the current dispatcher's ctx (into r12),
 * r14..r31 too; r2 the kernel TOC. r0 and r3..r10, the call number and
 * arguments, are stored only if it is declined (every way back to a
 * caller parked in a call sets all of r3..r10). Not r11, r12, CTR and
 * XER: a kernel call clobbers them (docs/kernel-interface.md; ppc_call
 * returns nothing in r11), so their slots keep what the dispatcher had
 * there before, its own, and the fast reply sets CTR and XER to 0 (so
 * nothing of the server's reaches the caller). r11 = its SRR1. */
.macro	SAVE_CALL_CTX
	ld	r12, PC_CURRENT(r13)
	std	r11, CTX(TF_MSR)(r12)
	mfcr	r11
	std	r11, CTX(TF_CR)(r12)
	std	r1, GPR(1)(r12)
	std	r2, GPR(2)(r12)
	mfspr	r11, SPR_SPRG1
	std	r11, GPR(13)(r12)
	mfsrr0	r11
	std	r11, CTX(TF_NIP)(r12)
	mflr	r11
	std	r11, CTX(TF_LR)(r12)
	ld	r2, PC_KERNEL_TOC(r13)
	SAVE_NVGPRS r12
.endm

/* The fast path runs with translation off (SC_FAST_HEAD in vectors.S
 * turns it off; docs/performance.md, "Wall clock"): every kernel address
 * it touches is in the linear map (KERNEL_BASE + the real address, which
 * real mode reaches with the top bits ignored), and under QEMU a real-mode
 * access after the address-space switch's TLB flush refills without a
 * radix walk. What it declines turns translation back on before any C
 * runs or any frame is built. */
.macro	VIRTUAL_MODE tmp
	mfmsr	\tmp
	ori	\tmp, \tmp, MSR_IR | MSR_DR
	mtmsrd	\tmp
.endm

/* The kernel stack, as exc_common lays it out (the trap frame goes there
 * if the C path declines too). */
.macro	KSTACK
	ld	r1, PC_KSTACK_TOP(r13)
	subi	r1, r1, STACK_RED_ZONE
	clrrdi	r1, r1, 4
	subi	r1, r1, EXC_FRAME_SIZE
	li	r11, 0
	std	r11, 0(r1)
.endm

	.text
/* From SC_FAST_HEAD (vectors.S), translation off: a register-only
 * ppc_call from user mode, r11 = its SRR1. */
FUNC_START(sc_fast_entry)
	SAVE_CALL_CTX
	b	ppc_fast_call_asm	/* ppc_fast.S; declined, it comes back here */

	/* From SC_FAST_HEAD, translation on: a ppc_call with page bytes,
	 * which the assembly does not take (kern/ppc_fast.c copies them),
	 * r11 = its SRR1. */
	.globl	sc_fast_bytes_entry
sc_fast_bytes_entry:
	SAVE_CALL_CTX
	b	sc_fast_call_c

	/* A reply the assembly declined (its registers as the server left
	 * them). */
	.globl	sc_fast_reply_general
sc_fast_reply_general:
	SAVE_CTX
	std	r12, PC_FAST_CUR(r13)
	std	r0, GPR(0)(r12)
	ld	r2, PC_KERNEL_TOC(r13)
	b	4f

	/* A call the assembly declined: r12 = the caller, r0 and r3..r10 as
	 * it left them, its other registers in its ctx, r2 the kernel TOC. */
	.globl	sc_fast_call_c
sc_fast_call_c:
	VIRTUAL_MODE r11
	std	r12, PC_FAST_CUR(r13)
	.irp	n, 0, 3, 4, 5, 6, 7, 8, 9, 10
	std	\n, GPR(\n)(r12)
	.endr
	KSTACK
	bl	ppc_fast_call
	nop
	cmpdi	r3, 0
	beq	fallback
	/* Enter the server at its IPC-call entry: pc, msr, r1, r3 (caller),
	 * r11 (handle) and r12 from its ctx, the op and words r4..r10 as the
	 * caller sent them; nothing else of anybody's goes along. */
	ld	r12, PC_FAST_CUR(r13)
	.irp	n, 4, 5, 6, 7, 8, 9, 10
	ld	\n, GPR(\n)(r12)
	.endr
	ld	r11, PC_CURRENT(r13)
	ld	r12, CTX(TF_NIP)(r11)
	mtsrr0	r12
	ld	r12, CTX(TF_MSR)(r11)
	mtsrr1	r12
	li	r0, 0
	mtlr	r0
	mtctr	r0
	mtxer	r0
	mtcrf	0xff, r0
	li	r2, 0
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	li	\n, 0
	.endr
	ld	r1, GPR(1)(r11)
	ld	r3, GPR(3)(r11)
	ld	r12, GPR(12)(r11)
	ld	r11, GPR(11)(r11)
	li	r13, 0
	rfid
	b	.

	/* ppc_reply: r3..r10 (handle, status, flags, w0..w4) are the C
	 * function's arguments; ppc_reply_idle's r3..r10 (status, len,
	 * w0..w5) its own's. Each stores them into the ctx only if declined;
	 * on success resume the caller with its whole context. */
4:	KSTACK
	cmpldi	r0, SC_PPC_REPLY_IDLE
	beq	6f
	bl	ppc_fast_reply
	nop
	b	7f
6:	bl	ppc_fast_reply_idle
	nop
7:	cmpdi	r3, 0
	beq	5f
	ld	r11, PC_CURRENT(r13)
	ld	r12, CTX(TF_NIP)(r11)
	mtsrr0	r12
	ld	r12, CTX(TF_MSR)(r11)
	mtsrr1	r12
	ld	r12, CTX(TF_LR)(r11)
	mtlr	r12
	ld	r12, CTX(TF_CTR)(r11)
	mtctr	r12
	ld	r12, CTX(TF_XER)(r11)
	mtxer	r12
	ld	r12, CTX(TF_CR)(r11)
	mtcrf	0xff, r12
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 13
	ld	\n, GPR(\n)(r11)
	.endr
	ld	r11, GPR(11)(r11)
	rfid
	b	.

	/* The reply falls back: its r14..r31 are still the caller's own
	 * (and ppc_fast_reply stored r3..r10). */
5:	ld	r12, PC_FAST_CUR(r13)
	SAVE_NVGPRS r12
	/* Declined: the trap frame exc_common would have built, from the ctx
	 * (a word-by-word copy, cheaper than memcpy's loop). */
fallback:
	addi	r3, r1, EXC_TF
	ld	r4, PC_FAST_CUR(r13)
	addi	r4, r4, DISP_CTX
	.set	off, 0
	.rept	TF_SIZE / 8
	ld	r0, off(r4)
	std	r0, off(r3)
	.set	off, off + 8
	.endr
	li	r0, 0xc00
	std	r0, TF_TRAP(r3)
	li	r0, 0
	std	r0, TF_DAR(r3)
	std	r0, TF_DSISR(r3)
	bl	trap_entry
	nop
	b	exc_return
FUNC_END(sc_fast_entry)
