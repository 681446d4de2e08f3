/*
 * User register context on ppc64, as generic kernel code sees it: the
 * saved trap frame of a dispatcher, read and written through these helpers
 * so kern/ never touches register numbers.
 *
 * Kernel-call convention: r0 = call number, r3..r10 = arguments; r3 = the
 * result, r4..r10 = further results.
 */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <string.h>
#include <arch/spr.h>
#include <arch/trapframe.h>
#include <k42/dispatcher.h>
#include <k42/layout.h>

#define USER_MSR (MSR_SF | MSR_EE | MSR_PR | MSR_ME | MSR_IR | MSR_DR | MSR_RI | MSR_LE)
#define MSR_VECTOR_UNITS (MSR_FP | MSR_VEC | MSR_VSX)

/* Leave the kernel into the user context in tf (vectors.S). Only
 * user_return() and user_return_unlocked() call it. */
__attribute__((noreturn)) void arch_return_to_user(struct trap_frame *tf);
/* The one way back to user mode (arch/ppc64/kern/user_return.c): checks and
 * forces the current dispatcher's frame, then leaves the kernel. */
__attribute__((noreturn)) void user_return(struct trap_frame *tf);
/* user_return for an entry that did not take the kernel lock. */
__attribute__((noreturn)) void user_return_unlocked(struct trap_frame *tf);

static inline uint64_t ctx_call_number(const struct trap_frame *tf)
{
	return tf->gpr[0];
}

static inline void ctx_set_call_number(struct trap_frame *tf, uint64_t n)
{
	tf->gpr[0] = n;
}

static inline uint64_t ctx_arg(const struct trap_frame *tf, int i)
{
	return tf->gpr[3 + i];
}

static inline void ctx_set_result(struct trap_frame *tf, int i, uint64_t v)
{
	tf->gpr[3 + i] = v;
}

/* A reflected call the kernel answers (disp_answer): r3 = v and CR0.SO
 * clear, the `sc` convention of a call that succeeded. */
static inline void ctx_set_answer(struct trap_frame *tf, uint64_t v)
{
	tf->gpr[3] = v;
	tf->cr &= ~0x10000000ull;
}

static inline uint64_t ctx_pc(const struct trap_frame *tf)
{
	return tf->nip;
}

/* Run the kernel call that entered with tf again on the way back to user
 * mode: `sc` left SRR0 at the instruction after it (the call's registers,
 * r0 and r3..r10, must still be as it found them). */
static inline void ctx_restart_call(struct trap_frame *tf)
{
	tf->nip -= 4;
}

static inline int ctx_is_user(const struct trap_frame *tf)
{
	return (tf->msr & MSR_PR) != 0;
}

/* Which dispatcher's values a frame holds (see trap_frame.owner). */
static inline void ctx_set_owner(struct trap_frame *tf, const void *d)
{
	tf->owner = (uint64_t)(uintptr_t)d;
}

static inline int ctx_owned_by(const struct trap_frame *tf, const void *d)
{
	return tf->owner == (uint64_t)(uintptr_t)d;
}

/* Whole-frame copy and clear, unrolled (42 words): frames are copied on
 * every dispatcher switch and cleared on every entry at an entry point
 * (kern/sched.c), where memcpy's and memset's loops cost about 150 and 90
 * instructions. */
#define CTX_WORDS (sizeof(struct trap_frame) / sizeof(uint64_t))
_Static_assert(sizeof(struct trap_frame) % sizeof(uint64_t) == 0, "frame of whole words");

static inline void ctx_copy(struct trap_frame *dst, const struct trap_frame *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

#pragma GCC unroll 64
	for (unsigned i = 0; i < CTX_WORDS; i++)
		d[i] = s[i];
}

static inline void ctx_clear(struct trap_frame *tf)
{
	uint64_t *d = (uint64_t *)tf;

#pragma GCC unroll 64
	for (unsigned i = 0; i < CTX_WORDS; i++)
		d[i] = 0;
}

/* A clean user context for dispatcher d: every register zero, user MSR. */
static inline void ctx_init_user(struct trap_frame *tf, const void *d)
{
	ctx_clear(tf);
	tf->msr = USER_MSR;
	ctx_set_owner(tf, d);
}

/*
 * Start dispatcher d at pc on stack sp (ELFv2: r12 = entry for the TOC
 * set-up). Every other register is scrubbed to zero: whatever the frame
 * held before (another process's state after a switch, the caller's in a
 * PPC) must not reach d.
 */
static inline void ctx_set_entry(struct trap_frame *tf, const void *d, uint64_t pc, uint64_t sp)
{
	ctx_init_user(tf, d);
	tf->nip = pc;
	tf->gpr[12] = pc;
	tf->gpr[1] = (sp & ~15ull) - STACK_FRAME_MIN;
}

/* ctx_set_entry for a frame that already holds d's own registers (and
 * is owned by d): the other registers keep d's values, not scrubbed. */
static inline void ctx_reenter(struct trap_frame *tf, uint64_t pc, uint64_t sp)
{
	tf->msr = USER_MSR;
	tf->nip = pc;
	tf->gpr[12] = pc;
	tf->gpr[1] = (sp & ~15ull) - STACK_FRAME_MIN;
}

/*
 * The register-only PPC fast path (kern/ppc_fast.c, sc_fast.S): a user
 * MSR for the frame the fast exit loads, and an entry state of which the
 * exit takes only pc, msr, r1 and r3..r12 (r12 = pc for the ELFv2 TOC
 * set-up; the call registers are set with ctx_set_result), zeroing every
 * other register itself.
 */
static inline void ctx_set_user_msr(struct trap_frame *tf, int owns_vector_units)
{
	tf->msr = USER_MSR | (owns_vector_units ? MSR_VECTOR_UNITS : 0);
}

static inline void ctx_set_fast_entry(struct trap_frame *tf, uint64_t pc, uint64_t sp,
				      int owns_vector_units)
{
	tf->nip = pc;
	tf->gpr[12] = pc;
	tf->gpr[1] = (sp & ~15ull) - STACK_FRAME_MIN;
	ctx_set_user_msr(tf, owns_vector_units);
}

/*
 * The architectural half of the one return to user mode (kern/user_return.c):
 * force a user MSR whatever the frame says (only the FP/VMX/VSX enables are
 * kept, and only for the dispatcher whose vector state is loaded), and
 * report whether the pc is a user address.
 */
static inline int ctx_force_user(struct trap_frame *tf, int owns_vector_units)
{
	tf->msr = USER_MSR | (owns_vector_units ? MSR_VECTOR_UNITS : 0);
	return tf->nip < K42_USER_TOP;
}

static inline void ctx_to_user_regs(const struct trap_frame *tf, struct k42_user_regs *r)
{
	memcpy(r->gpr, tf->gpr, sizeof(r->gpr));
	r->nip = tf->nip;
	r->lr = tf->lr;
	r->ctr = tf->ctr;
	r->cr = tf->cr;
	r->xer = tf->xer;
}

static inline void ctx_from_user_regs(struct trap_frame *tf, const struct k42_user_regs *r)
{
	memcpy(tf->gpr, r->gpr, sizeof(r->gpr));
	tf->nip = r->nip;
	tf->lr = r->lr;
	tf->ctr = r->ctr;
	tf->cr = r->cr;
	tf->xer = r->xer;
	tf->msr = USER_MSR;	/* never from user memory */
}

#endif
