/*
 * Boot entry of the k42 kernel on QEMU pseries (-bios image).
 *
 * Entry contract (reached from the trampoline at 0x100, see vectors.S):
 *   - MSR: SF=1 (64-bit), LE=1, IR=DR=0 (real mode), EE=0, PR=0.
 *     If the CPU was entered little-endian directly, SF may still be 0; it
 *     is set here.
 *   - r3 = real address of the flattened device tree (big-endian data).
 *   - The image is loaded at real address 0. It is linked at
 *     0xc000000000000000: in real mode the top four bits of an effective
 *     address are ignored, so link addresses work before the MMU is on.
 *   - Nothing else is valid: no stack, no TOC (r2), no per-CPU pointer (r13).
 *
 * This code clears BSS, sets r2 (TOC), r1 (boot stack), r13/SPRG0 (per-CPU
 * area, with the stack-protector canary) and calls kmain(fdt).
 */
#include <arch/asm.h>
#include <arch/percpu.h>
#include <arch/spr.h>
#include <arch/trapframe.h>
#include "asm-offsets.h"

#define BOOT_STACK_SIZE (32 * 1024)
#define BOOT_MSR (MSR_SF | MSR_ME | MSR_RI | MSR_LE)

	.section ".head.text", "ax"
FUNC_START(boot_entry)
	LOAD_IMM64(r11, BOOT_MSR)
	mtmsrd	r11
	isync
	/* Go on at the link address (0xc000...): the same real address, but
	 * from here on every PC matches the kernel's symbols, so a debugger's
	 * breakpoints and backtraces work before the MMU is on as after. */
	LOAD_IMM64(r12, 1f)
	mtctr	r12
	bctr
1:	LOAD_IMM64(r2, .TOC.)
	mr	r31, r3

	/* Clear BSS (8-byte aligned by the linker script). */
	LOAD_IMM64(r4, __bss_start)
	LOAD_IMM64(r5, __bss_end)
	li	r0, 0
1:	cmpld	r4, r5
	bge	2f
	std	r0, 0(r4)
	addi	r4, r4, 8
	b	1b
2:
	/* Boot stack, with a null back chain to end backtraces. */
	LOAD_IMM64(r1, boot_stack_top)
	stdu	r0, -STACK_FRAME_MIN(r1)

	/* Per-CPU area; the canary is seeded from the timebase for now. */
	LOAD_IMM64(r13, boot_percpu + PERCPU_R13_BIAS)
	mtspr	SPR_SPRG0, r13
	mftb	r4
	std	r4, PC_STACK_GUARD(r13)
	std	r2, PC_KERNEL_TOC(r13)

	mr	r3, r31
	bl	kmain
	nop
3:	b	3b
FUNC_END(boot_entry)

/*
 * Secondary CPU entry, given to RTAS start-cpu (kern/smp.c, arch smp.c).
 * Entry contract: big-endian, MSR = SF|ME (real mode, EE off), r3 = the
 * CPU's cpu_id; nothing else is valid. The first twelve words are the
 * same position-independent endian switch as the 0x100 trampoline: read
 * big-endian they set MSR[LE] and rfid to label 1 (at +0x30).
 * Then, little-endian: TOC, per-CPU area (smp_cpus[r3]), its start stack
 * (pc->arch.boot_sp, set by arch_cpu_start), a canary, and
 * arch_secondary_start(pc) in C.
 */
	.balign	4
FUNC_START(secondary_vector)
	b	1f
	BE_INSN(0x7d6000a6)	/* mfmsr  r11 */
	BE_INSN(0x616b0001)	/* ori    r11,r11,1       MSR[LE] */
	BE_INSN(0x39800001)	/* li     r12,1 */
	BE_INSN(0x798cf806)	/* sldi   r12,r12,63 */
	BE_INSN(0x7d6b6378)	/* or     r11,r11,r12     MSR[SF] */
	BE_INSN(0x429f0005)	/* bcl    20,31,$+4 */
	BE_INSN(0x7d4802a6)	/* mflr   r10             r10 = start + 0x1c */
	BE_INSN(0x394a0014)	/* addi   r10,r10,0x14    r10 = start + 0x30 */
	BE_INSN(0x7d5a03a6)	/* mtsrr0 r10 */
	BE_INSN(0x7d7b03a6)	/* mtsrr1 r11 */
	BE_INSN(0x4c000024)	/* rfid */
1:	LOAD_IMM64(r11, BOOT_MSR)
	mtmsrd	r11
	isync
	LOAD_IMM64(r12, 2f)
	mtctr	r12
	bctr
2:	LOAD_IMM64(r2, .TOC.)
	clrldi	r3, r3, 32
	LOAD_IMM64(r4, smp_cpus)
	sldi	r5, r3, 3
	ldx	r13, r4, r5
	addi	r13, r13, PERCPU_R13_BIAS
	mtspr	SPR_SPRG0, r13
	ld	r1, PC_BOOT_SP(r13)
	li	r0, 0
	stdu	r0, -STACK_FRAME_MIN(r1)
	mftb	r4
	std	r4, PC_STACK_GUARD(r13)
	std	r2, PC_KERNEL_TOC(r13)
	subi	r3, r13, PERCPU_R13_BIAS
	bl	arch_secondary_start
	nop
3:	b	3b
FUNC_END(secondary_vector)

	.section ".bss.boot_stack", "aw", @nobits
	.balign	16
	.globl	boot_stack
boot_stack:
	.space	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:
