/*
 * Source of asm-offsets.h: each DEFINE() emits a marker into the compiler's
 * assembly output, which tools/gen_asm_offsets.py turns into #defines for the
 * .S files. Compiled with -S only; never linked.
 */
#include <stddef.h>
#include <kern/percpu.h>
#include <arch/trapframe.h>
#include <kern/dispatcher.h>
#include <k42/syscall_nums.h>
#include <k42/ipc.h>

#define DEFINE(sym, val) \
	__asm__ volatile("\n.ascii \"->" #sym " %0\"" : : "i"((long)(val)))

#define PCPU(sym, field) \
	DEFINE(sym, (long)offsetof(struct percpu, field) - PERCPU_R13_BIAS)

void asm_offsets(void);

void asm_offsets(void)
{
	PCPU(PC_STACK_GUARD, stack_guard);
	PCPU(PC_EXC_R1, arch.exc_r1);
	PCPU(PC_EXC_R11, arch.exc_r11);
	PCPU(PC_EXC_R12, arch.exc_r12);
	PCPU(PC_KSTACK_TOP, arch.kstack_top);
	PCPU(PC_KERNEL_TOC, arch.kernel_toc);
	PCPU(PC_BOOT_SP, arch.boot_sp);
	PCPU(PC_FAST_CUR, arch.fast_cur);
	PCPU(PC_CURRENT, current);
	DEFINE(DISP_CTX, offsetof(struct dispatcher, ctx));
	DEFINE(SC_PPC_CALL, K42_SC_PPC_CALL);
	DEFINE(SC_PPC_REPLY, K42_SC_PPC_REPLY);
	DEFINE(IPC_OP_LEN_MASK, K42_IPC_OP_LEN_MASK);
	DEFINE(IPC_REPLY_IDLE_SHIFT, __builtin_ctzll(K42_IPC_REPLY_IDLE));
	DEFINE(PERCPU_SIZE, sizeof(struct percpu));

	DEFINE(TF_GPR0, offsetof(struct trap_frame, gpr[0]));
	DEFINE(TF_NIP, offsetof(struct trap_frame, nip));
	DEFINE(TF_MSR, offsetof(struct trap_frame, msr));
	DEFINE(TF_LR, offsetof(struct trap_frame, lr));
	DEFINE(TF_CTR, offsetof(struct trap_frame, ctr));
	DEFINE(TF_CR, offsetof(struct trap_frame, cr));
	DEFINE(TF_XER, offsetof(struct trap_frame, xer));
	DEFINE(TF_DAR, offsetof(struct trap_frame, dar));
	DEFINE(TF_DSISR, offsetof(struct trap_frame, dsisr));
	DEFINE(TF_TRAP, offsetof(struct trap_frame, trap));
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
	/* Exception stack frame: ABI minimum frame, then the trap frame. */
	DEFINE(EXC_FRAME_SIZE, STACK_FRAME_MIN + sizeof(struct trap_frame));
	DEFINE(EXC_TF, STACK_FRAME_MIN);
}
