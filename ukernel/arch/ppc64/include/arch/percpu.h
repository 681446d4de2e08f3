/*
 * ppc64 part of the per-CPU area, and how the kernel finds it: r13 always
 * holds the per-CPU address plus PERCPU_R13_BIAS while in the kernel, and
 * SPRG0 holds the same value so exception entry can recover it.
 *
 * The bias exists because GCC's stack protector (and Debian's prebuilt
 * libfdt.a) read the canary at -0x7010(r13), the ppc64 glibc TLS layout; with
 * the bias, that slot is the first word of struct percpu.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#define PERCPU_R13_BIAS 0x7010

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Words per RTAS argument block: token, nargs, nret and up to 13 values. */
#define RTAS_ARGS_WORDS 16

struct arch_percpu {
	uint64_t exc_r1;	/* exception entry scratch */
	uint64_t exc_r11;
	uint64_t exc_r12;
	uint64_t kstack_top;	/* stack used when entering from user mode */
	uint64_t kernel_toc;	/* r2 for the kernel */
	uint64_t boot_sp;	/* a secondary's first stack (head.S secondary_vector) */
	uint64_t fast_cur;	/* sc_fast.S: the dispatcher that made the kernel call */
	uint64_t user_msr;	/* USER_MSR, one load for ppc_fast.S's MAKE_CURRENT */
	/* A dispatcher's `rt` word (state, has_ctx, cpu; kern/dispatcher.h)
	 * on this CPU, as ppc_fast.S tests and sets it: idle with no
	 * context, in a call with its context, running with none. */
	uint64_t rt_idle, rt_in_call, rt_running;
	uint32_t rtas_args[RTAS_ARGS_WORDS];	/* big-endian, never shared between CPUs */
};

struct percpu;

static inline struct percpu *arch_this_cpu(void)
{
	register uintptr_t r13 __asm__("r13");
	return (struct percpu *)(r13 - PERCPU_R13_BIAS);
}
#endif

#endif
