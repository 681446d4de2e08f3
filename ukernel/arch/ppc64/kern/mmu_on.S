/*
 * arch_mmu_on (see arch/mmu.h): rfid to the caller's return address,
 * moved into the kernel's linear mapping, with instruction and data
 * relocation on. r1, r2 and r13 already hold 0xc000... addresses.
 */
#include <arch/asm.h>
#include <arch/spr.h>

	.text
FUNC_START(arch_mmu_on)
	mflr	r3
	LOAD_IMM64(r4, 0xc000000000000000)
	or	r3, r3, r4
	mtsrr0	r3
	mfmsr	r5
	ori	r5, r5, MSR_IR | MSR_DR
	mtsrr1	r5
	rfid
	b	.
FUNC_END(arch_mmu_on)
