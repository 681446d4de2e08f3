/*
 * Source of asm-offsets.h: each DEFINE() emits a marker into the compiler's
 * assembly output, which tools/gen_asm_offsets.py turns into #defines for the
 * .S files. Compiled with -S only; never linked.
 */
#include <stddef.h>
#include <kern/percpu.h>
#include <arch/trapframe.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <k42/syscall_nums.h>
#include <k42/ipc.h>
#include <k42/layout.h>
#include <arch/context.h>
#include <arch/hat_radix.h>
#include <kern/ipc_call.h>
#include <kern/process.h>
#include <kern/smp.h>
#include <kern/trace.h>

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
	PCPU(PC_USER_MSR, arch.user_msr);
	PCPU(PC_RT_IDLE, arch.rt_idle);
	PCPU(PC_RT_IN_CALL, arch.rt_in_call);
	PCPU(PC_RT_RUNNING, arch.rt_running);
	PCPU(PC_BOOT_SP, arch.boot_sp);
	PCPU(PC_FAST_CUR, arch.fast_cur);
	PCPU(PC_CURRENT, current);
	DEFINE(DISP_CTX, offsetof(struct dispatcher, ctx));
	DEFINE(SC_PPC_CALL, K42_SC_PPC_CALL);
	DEFINE(SC_PPC_REPLY, K42_SC_PPC_REPLY);
	DEFINE(SC_PPC_REPLY_IDLE, K42_SC_PPC_REPLY_IDLE);
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
	/* The all-assembly PPC fast path (ppc_fast.S). */
	PCPU(PC_LOCAL_LOCK, local_lock.word);
	PCPU(PC_CPU_ID, cpu_id);
	PCPU(PC_SPR_OWNER, spr_owner);
	PCPU(PC_VSX_OWNER, vsx_owner);
	PCPU(PC_LAST_PID, last_pid);
	PCPU(PC_FAST_CALLS, ppc_fast_calls);
	PCPU(PC_FAST_REPLIES, ppc_fast_replies);
	PCPU(PC_CALL_CACHE, call_cache);
	PCPU(PC_NCALL_CACHE, ncall_cache);
	PCPU(PC_TRACE_MASK, trace_mask);
	DEFINE(FAST_TRACE_MASK, K42_TRACE_MASK_PPC | K42_TRACE_MASK_DISP);
	DEFINE(D_PROC, offsetof(struct dispatcher, proc));
	DEFINE(D_SHARED, offsetof(struct dispatcher, shared));
	DEFINE(D_ENTRY_CALL, offsetof(struct dispatcher, entries[K42_ENTRY_IPC_CALL]));
	DEFINE(D_UPCALL_STACK, offsetof(struct dispatcher, upcall_stack));
	DEFINE(D_STATE, offsetof(struct dispatcher, state));
	DEFINE(D_RT, offsetof(struct dispatcher, rt));
	DEFINE(D_SHARED_VA, offsetof(struct dispatcher, shared_va));
	DEFINE(D_NPGFLT_BACKLOG, offsetof(struct dispatcher, npgflt_backlog));
	DEFINE(D_CALL, offsetof(struct dispatcher, call));
	DEFINE(D_QUEUED_HEAD, offsetof(struct dispatcher, calls_queued.head));
	DEFINE(D_ACTIVE_HEAD, offsetof(struct dispatcher, calls_active.head));
	DEFINE(D_ACTIVE_TAIL, offsetof(struct dispatcher, calls_active.tail));
	DEFINE(D_NCALLS, offsetof(struct dispatcher, ncalls));
	DEFINE(D_CALL_TIMED, offsetof(struct dispatcher, call_timed));
	DEFINE(D_VSX_ON, offsetof(struct dispatcher, vsx_on));
	DEFINE(D_USER_SPR0, offsetof(struct dispatcher, user_spr[0]));
	DEFINE(D_FR_UNSENT, offsetof(struct dispatcher, fr_unsent));
	DEFINE(D_REFLECT_SC, offsetof(struct dispatcher, reflect_sc));
	DEFINE(D_FAST_OFF, offsetof(struct dispatcher, fast_off));
	DEFINE(FAST_OFF_CALL_CALLER_V, FAST_OFF_CALL_CALLER);
	DEFINE(FAST_OFF_CALL_SERVER_V, FAST_OFF_CALL_SERVER);
	DEFINE(FAST_OFF_REPLY_SERVER_V, FAST_OFF_REPLY_SERVER);
	DEFINE(FAST_OFF_REPLY_CALLER_V, FAST_OFF_REPLY_CALLER);
	DEFINE(TF_OWNER, offsetof(struct trap_frame, owner));
	DEFINE(DS_RUNNING_V, DS_RUNNING);
	DEFINE(SH_DISABLED, offsetof(struct k42_disp_shared, disabled));
	DEFINE(SH_PENDING, offsetof(struct k42_disp_shared, pending));
	DEFINE(SH_SAVED_VALID, offsetof(struct k42_disp_shared, saved_valid));
	DEFINE(SH_NOW_TB, offsetof(struct k42_disp_shared, now_tb));
	DEFINE(SH_UPCALLS, offsetof(struct k42_disp_shared, upcalls));
	DEFINE(SH_CALL_TIMEOUT_TB, offsetof(struct k42_disp_shared, call_timeout_tb));
	DEFINE(SH_CALL_GRANT_LEN, offsetof(struct k42_disp_shared, call_grant_len));
	DEFINE(SH_DEFER_IO, offsetof(struct k42_disp_shared, defer_io));
	DEFINE(P_PID, offsetof(struct process, pid));
	DEFINE(P_STATE, offsetof(struct process, state));
	DEFINE(P_REDIRECTED, offsetof(struct process, redirected));
	DEFINE(P_HAT, offsetof(struct process, hat));
	DEFINE(P_DISP, offsetof(struct process, disp));
	DEFINE(P_VPS1, offsetof(struct process, vps[1]));
	DEFINE(PROC_RUNNING_V, K42_PROC_RUNNING);
	DEFINE(PID_SLOT_MASK, K42_PID_SLOT_MASK);
	DEFINE(PROC_MAX_V, PROC_MAX);
	DEFINE(PID_SLOT_SIZE, sizeof(struct pid_slot));
	DEFINE(PID_SLOT_P, offsetof(struct pid_slot, p));
	DEFINE(HAT_ASID, offsetof(struct hat, asid));
	DEFINE(HAT_CPUS, offsetof(struct hat, cpus));
	DEFINE(C_GEN, offsetof(struct ipc_call, gen));
	DEFINE(C_STATE, offsetof(struct ipc_call, state));
	DEFINE(C_ASYNC, offsetof(struct ipc_call, async));
	DEFINE(C_IDX, offsetof(struct ipc_call, idx));
	DEFINE(C_CALLER, offsetof(struct ipc_call, caller));
	DEFINE(C_SERVER, offsetof(struct ipc_call, server));
	DEFINE(C_CALLER_PID, offsetof(struct ipc_call, caller_pid));
	DEFINE(C_OP, offsetof(struct ipc_call, op));
	DEFINE(C_W0, offsetof(struct ipc_call, w[0]));
	DEFINE(C_BUF, offsetof(struct ipc_call, buf));
	DEFINE(C_LEN, offsetof(struct ipc_call, len));
	DEFINE(C_GRANT_VA, offsetof(struct ipc_call, grant_va));
	DEFINE(C_GRANT_LEN, offsetof(struct ipc_call, grant_len));
	DEFINE(C_GRANT_PROT, offsetof(struct ipc_call, grant_prot));
	DEFINE(C_PREV, offsetof(struct ipc_call, prev));
	DEFINE(C_NEXT, offsetof(struct ipc_call, next));
	DEFINE(C_SIZE, sizeof(struct ipc_call));
	DEFINE(CALL_ACTIVE_V, CALL_ACTIVE);
	DEFINE(CALL_FREE_V, CALL_FREE);
	DEFINE(CALL_INDEX_BITS, IPC_CALL_INDEX_BITS);
	DEFINE(CALLS_MAX, K42_IPC_CALLS_MAX);
	DEFINE(CALLS_PER_SERVER, K42_IPC_CALLS_PER_SERVER);
	DEFINE(CALL_CACHE_MAX, IPC_CALL_CACHE);
	DEFINE(MSR_VEC_UNITS_HI, (MSR_VECTOR_UNITS >> 16) & 0xffff);
	DEFINE(MSR_VEC_UNITS_LO, MSR_VECTOR_UNITS & 0xffff);
	DEFINE(USER_TOP_SHIFT, __builtin_ctzll(K42_USER_TOP));
	DEFINE(DISP_VA_HI, K42_DISP_VA >> 32);
	DEFINE(PAGE_SHIFT_V, __builtin_ctzll(K42_PAGE_SIZE));
}

/* What ppc_fast.S builds from the constants above in fewer instructions. */
_Static_assert(USER_MSR == (MSR_SF | (USER_MSR & 0xffff)), "USER_MSR: SF and low bits");
_Static_assert(MSR_VECTOR_UNITS < (1ull << 32), "vector units below bit 32");
_Static_assert((K42_USER_TOP & (K42_USER_TOP - 1)) == 0, "K42_USER_TOP a power of two");
_Static_assert((K42_DISP_VA & 0xffffffffull) == 0 && (K42_DISP_VA >> 32) < 0x8000, "K42_DISP_VA");
_Static_assert(K42_PID_SLOT_MASK <= 0xffff && PROC_MAX < 0x8000, "slot fits andi.");
_Static_assert(CALL_FREE == 0, "ppc_fast.S frees a record by storing r0 (0) as its state");
_Static_assert(IPC_CALL_INDEX_BITS == 16 && K42_IPC_CALLS_MAX <= 0x8000, "handle index");
_Static_assert(((K42_TRACE_MASK_PPC | K42_TRACE_MASK_DISP) & ~0xffffull) == 0, "andi. mask");
_Static_assert(sizeof(((struct k42_disp_shared *)0)->upcalls) == 8, "upcalls is 64-bit");
_Static_assert(sizeof(enum disp_state) == 4, "dispatcher state is a word");
/* The widths ppc_fast.S loads and stores these fields with. */
#define FIELD_SIZE(type, field, n) \
	_Static_assert(sizeof(((type *)0)->field) == (n), #type "." #field " is " #n " bytes")
FIELD_SIZE(struct dispatcher, state, 4);
FIELD_SIZE(struct dispatcher, has_ctx, 2);
FIELD_SIZE(struct dispatcher, cpu, 2);
FIELD_SIZE(struct dispatcher, rt, 8);
/* disp_rt_word's layout of the `rt` doubleword (one ld/std in ppc_fast.S). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rt: little-endian layout");
_Static_assert(offsetof(struct dispatcher, rt) % 8 == 0 &&
	       offsetof(struct dispatcher, state) == offsetof(struct dispatcher, rt) &&
	       offsetof(struct dispatcher, has_ctx) == offsetof(struct dispatcher, rt) + 4 &&
	       offsetof(struct dispatcher, cpu) == offsetof(struct dispatcher, rt) + 6, "rt layout");
_Static_assert(SMP_MAX_CPUS <= 0x10000, "a CPU id fits the rt word's 16 bits");
FIELD_SIZE(struct dispatcher, index, 4);
FIELD_SIZE(struct dispatcher, npgflt_backlog, 4);
FIELD_SIZE(struct dispatcher, ncalls, 4);
FIELD_SIZE(struct dispatcher, call_timed, 4);
FIELD_SIZE(struct dispatcher, vsx_on, 4);
FIELD_SIZE(struct dispatcher, fr_unsent, 4);
FIELD_SIZE(struct dispatcher, reflect_sc, 4);
FIELD_SIZE(struct process, pid, 4);
FIELD_SIZE(struct process, state, 4);
FIELD_SIZE(struct process, redirected, 4);
FIELD_SIZE(struct hat, asid, 4);
FIELD_SIZE(struct hat, cpus, 8);
FIELD_SIZE(struct ipc_call, gen, 4);
FIELD_SIZE(struct ipc_call, state, 1);
FIELD_SIZE(struct ipc_call, async, 1);
FIELD_SIZE(struct ipc_call, idx, 2);
FIELD_SIZE(struct ipc_call, grant_len, 8);
FIELD_SIZE(struct percpu, local_lock.word, 4);
FIELD_SIZE(struct percpu, cpu_id, 4);
FIELD_SIZE(struct percpu, last_pid, 4);
FIELD_SIZE(struct percpu, ncall_cache, 4);
FIELD_SIZE(struct percpu, trace_mask, 8);
FIELD_SIZE(struct k42_disp_shared, disabled, 8);
FIELD_SIZE(struct k42_disp_shared, pending, 8);
FIELD_SIZE(struct k42_disp_shared, saved_valid, 8);
FIELD_SIZE(struct k42_disp_shared, defer_io, 8);
FIELD_SIZE(struct k42_disp_shared, call_timeout_tb, 8);
FIELD_SIZE(struct k42_disp_shared, call_grant_len, 8);

