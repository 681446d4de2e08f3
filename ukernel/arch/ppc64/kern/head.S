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

	.section ".bss.boot_stack", "aw", @nobits
	.balign	16
	.globl	boot_stack
boot_stack:
	.space	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:
