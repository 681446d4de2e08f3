/*
 * FP, VMX and VSX register state of user dispatchers, switched lazily: a
 * dispatcher gets the units on its first use (an unavailable interrupt),
 * and the registers move only when another dispatcher wants them.
 * Layout: VSR0..63 (16 bytes each), then FPSCR and VSCR.
 */
#ifndef ARCH_VSX_H
#define ARCH_VSX_H

#define VSX_STATE_SIZE (64 * 16 + 16 + 16)

#ifndef __ASSEMBLER__
void vsx_save(void *state);
void vsx_restore(const void *state);
#endif

#endif
