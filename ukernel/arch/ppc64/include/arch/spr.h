/*
 * POWER9 (ISA 3.0) special-purpose register numbers and MSR bits used by the
 * kernel, with accessors. Names follow the ISA.
 */
#ifndef ARCH_SPR_H
#define ARCH_SPR_H

#ifdef __ASSEMBLER__
#define U64_C(x) x
#else
#define U64_C(x) x##ull
#endif

#define SPR_XER    1
#define SPR_LR     8
#define SPR_CTR    9
#define SPR_DSISR  18
#define SPR_DAR    19
#define SPR_DEC    22
#define SPR_SRR0   26
#define SPR_SRR1   27
#define SPR_SPRG0  272	/* kernel: biased per-CPU pointer (r13 value) */
#define SPR_SPRG1  273	/* kernel: exception entry scratch (saved r13) */
#define SPR_SPRG2  274	/* kernel: exception entry scratch */
#define SPR_SPRG3  275	/* user-readable (via 259): the running dispatcher's shared-page VA (user_return.c) */
#define SPR_TBRL   268
#define SPR_PVR    287
#define SPR_VRSAVE 256	/* user read/write: switched per dispatcher (user_return.c) */
#define SPR_PIR    1023

/* MSR bits (ISA numbering is big-endian; these are the values). */
#define MSR_SF   (U64_C(1) << 63)	/* 64-bit mode */
#define MSR_HV   (U64_C(1) << 60)
#define MSR_VEC  (U64_C(1) << 25)	/* vector (VMX) available */
#define MSR_VSX  (U64_C(1) << 23)
#define MSR_EE   (U64_C(1) << 15)	/* external/decrementer interrupts enabled */
#define MSR_PR   (U64_C(1) << 14)	/* problem (user) state */
#define MSR_FP   (U64_C(1) << 13)	/* floating point available */
#define MSR_ME   (U64_C(1) << 12)	/* machine check enabled */
#define MSR_FE0  (U64_C(1) << 11)
#define MSR_SE   (U64_C(1) << 10)
#define MSR_BE   (U64_C(1) << 9)
#define MSR_FE1  (U64_C(1) << 8)
#define MSR_IR   (U64_C(1) << 5)	/* instruction relocation */
#define MSR_DR   (U64_C(1) << 4)	/* data relocation */
#define MSR_RI   (U64_C(1) << 1)	/* recoverable interrupt */
#define MSR_LE   (U64_C(1) << 0)	/* little-endian */

/* SRR1 bits set by a program interrupt (ISA 3.0 Book III 7.5.9). */
#define SRR1_PROGRAM_FPE   (U64_C(1) << (63 - 43))
#define SRR1_PROGRAM_ILL   (U64_C(1) << (63 - 44))
#define SRR1_PROGRAM_PRIV  (U64_C(1) << (63 - 45))
#define SRR1_PROGRAM_TRAP  (U64_C(1) << (63 - 46))

#ifndef __ASSEMBLER__
#include <stdint.h>

#define mfspr(n) ({ uint64_t v__; __asm__ volatile("mfspr %0, %1" : "=r"(v__) : "i"(n)); v__; })
#define mtspr(n, v) __asm__ volatile("mtspr %0, %1" : : "i"(n), "r"((uint64_t)(v)) : "memory")

static inline uint64_t mfmsr(void)
{
	uint64_t v;
	__asm__ volatile("mfmsr %0" : "=r"(v));
	return v;
}

static inline void mtmsrd(uint64_t v)
{
	__asm__ volatile("mtmsrd %0" : : "r"(v) : "memory");
}

/* Read the timebase (512 MHz on QEMU pseries). */
static inline uint64_t mftb(void)
{
	uint64_t v;
	__asm__ volatile("mftb %0" : "=r"(v));
	return v;
}
#endif

#endif
