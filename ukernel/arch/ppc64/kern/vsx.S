/*
 * Save and restore all 64 VSX registers with FPSCR and VSCR (see
 * arch/vsx.h). The units are switched on in the kernel only for this.
 */
#include <arch/asm.h>
#include <arch/spr.h>

#define UNITS_HI ((MSR_FP | MSR_VEC | MSR_VSX) >> 16)

	.text
/* void vsx_save(void *state) */
FUNC_START(vsx_save)
	mfmsr	r5
	oris	r6, r5, UNITS_HI
	ori	r6, r6, MSR_FP
	mtmsrd	r6
	isync
	.set	n, 0
	.rept	64
	stxv	n, n * 16(r3)
	.set	n, n + 1
	.endr
	mffs	0
	stfd	0, 64 * 16(r3)
	mfvscr	0
	li	r4, 64 * 16 + 16
	stvx	0, r3, r4
	lxv	0, 0(r3)		/* vs0 and vs32 were used as scratch */
	lxv	32, 32 * 16(r3)
	mtmsrd	r5
	isync
	blr
FUNC_END(vsx_save)

/* void vsx_restore(const void *state) */
FUNC_START(vsx_restore)
	mfmsr	r5
	oris	r6, r5, UNITS_HI
	ori	r6, r6, MSR_FP
	mtmsrd	r6
	isync
	lfd	0, 64 * 16(r3)
	mtfsf	0xff, 0
	li	r4, 64 * 16 + 16
	lvx	0, r3, r4
	mtvscr	0
	.set	n, 0
	.rept	64
	lxv	n, n * 16(r3)
	.set	n, n + 1
	.endr
	mtmsrd	r5
	isync
	blr
FUNC_END(vsx_restore)
