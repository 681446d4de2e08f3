/*
 * The all-assembly PPC fast path (docs/performance.md): the commonest
 * register-only ppc_call and its reply by ppc_reply_idle, decoded and
 * handed over here with no C, no kernel stack and no run-queue pass.
 * It is kern/ppc_fast.c's path with what is rare there left to it:
 * anything these checks do not take goes to ppc_fast_call or
 * ppc_fast_reply (C) with every register as the caller left it, and those
 * take it or decline to the general path (kern/ppc.c) in turn.
 *
 * Taken here only (each further condition is one C handles, slower):
 *  - no trace class of the call's events (PPC, DISP) is on, so no event
 *    is due (with tracing on the C path writes them);
 *  - this CPU's local lock is free at the first try (C waits for it);
 *  - call: the server has only its dispatcher 0 (no vps[1]); the address
 *    space was active on this CPU before (the HAT's CPU bit is set, so no
 *    atomic update is needed); a free record in this CPU's cache;
 *  - reply: room in this CPU's record cache (no pool put), no grant (the
 *    cache holds clean records only); the caller's address space was
 *    active here before.
 * The rarely-changing conditions are read from each dispatcher's "may be
 * entered fast" word (d->fast_off, kern/disp_fast.h: reflection, a bounded
 * call, page-ins or fault completions owed, the IPC-call entry, the
 * server process running, not redirected, with no second dispatcher),
 * which is derived from those fields by every path that writes them; a
 * set bit sends the call to C, which reads the fields themselves. What
 * changes on every round trip, a dispatcher's state, has_ctx and cpu, is
 * one doubleword (d->rt, kern/dispatcher.h), compared with and set to the
 * per-CPU values rt_idle, rt_in_call and rt_running in one access each.
 * Everything else is checked exactly as kern/ppc_fast.c checks it, under
 * the same lock (this CPU's local lock, which the kernel lock's holder
 * takes for every CPU: see kern/ppc_fast.c for why what is touched here is
 * this CPU's own), with the same state changes in the same order of
 * visibility (all of them before the lock's release).
 *
 * Registers on entry: r13 the per-CPU area (biased), SRR0/1 the caller's
 * pc and msr, its r12 in PC_EXC_R12 and r13 in SPRG1.
 *  - ppc_fast_call_asm: the caller's context is in its ctx already
 *    (sc_fast.S) but r0 and r3..r10: r12 = the caller, r2 = the kernel
 *    TOC, r3..r10 = target, op, w0..w5. r11, r14..r31 and every CR field
 *    are free (r0 after the decode). Declined: r0, r3..r10 and r12
 *    intact, to sc_fast_call_c. Taken, the caller's r3..r10 need no
 *    place in its ctx: every way back to a caller parked in a call (the
 *    reply, fast or not, -K42_EDEAD, -K42_EINTR, -K42_ETIMEDOUT) sets all
 *    of them (set_caller_result, ppc_fast_reply_asm).
 *  - ppc_fast_reply_asm: a ppc_reply_idle, nothing stored yet; r3..r11 =
 *    status, len (0, checked), w0..w5, handle: r3..r10 are what the
 *    caller receives, so they go through untouched. The server's r2 and
 *    r14..r21 are parked in its ctx and its CR in r0 (it waits idle with
 *    no context afterwards, so on success they are dropped). Declined:
 *    they come back and r0 is the call number again, to
 *    sc_fast_reply_general (every register as the server left it: a
 *    reflected call goes on to its personality as it was made).
 * What user mode gets (no register leaks): the server entered for a call
 * sees r1 (its upcall stack), r3 (caller pid), r4..r10 (op and words, the
 * caller's arguments), r11 (handle), r12 (entry) and zero everywhere else
 * (r0, r2, r13..r31, lr, ctr, xer, cr); the caller resumed by a reply sees
 * its own saved context with r3..r10 = status, 0 page bytes, w0..w5, and
 * CTR and XER 0 (clobbered by a kernel call; never stored on the call). The
 * MSR is USER_MSR, plus the FP/VMX/VSX enables only for the dispatcher
 * whose vector state is loaded on this CPU; VRSAVE and SPRG3 are the
 * entered dispatcher's.
 */
#include <arch/asm.h>
#include <arch/spr.h>
#include <arch/radix.h>
#include <arch/trapframe.h>
#include "asm-offsets.h"

#define CTX(field) (DISP_CTX + (field))
#define GPR(n) CTX(TF_GPR0 + (n) * 8)

/* Take this CPU's local lock at the first try, or branch to `busy`. */
.macro	LOCAL_TRYLOCK addr, one, tmp, busy
	li	\one, 1
	addi	\addr, r13, PC_LOCAL_LOCK
1:	lwarx	\tmp, 0, \addr
	cmpwi	\tmp, 0
	bne-	\busy
	stwcx.	\one, 0, \addr
	bne-	1b
	isync
.endm

/* sched_make_current's steps for dispatcher d of process p (HAT h) on
 * this CPU (d->cpu is this CPU already, the HAT's CPU bit is set, and no
 * switch event is due): VRSAVE and SPRG3 handed over, current and state,
 * the address space. msr gets USER_MSR, with the vector enables if d's
 * vector state is the loaded one. The state goes with has_ctx and cpu as
 * one `rt` word, DS_RUNNING with no context here: d's word was tested
 * under this lock (the server idle here, the caller in its call here), so
 * only the state and has_ctx change. */
.macro	MAKE_CURRENT d, p, h, msr, t1, t2
	lwz	\t1, P_PID(\p)
	stw	\t1, PC_LAST_PID(r13)
	ld	\t1, PC_SPR_OWNER(r13)
	cmpld	\t1, \d
	beq	3f
	cmpdi	\t1, 0
	beq	4f
	mfspr	\t2, SPR_VRSAVE
	std	\t2, D_USER_SPR0(\t1)
4:	ld	\t2, D_USER_SPR0(\d)
	ld	\t1, D_SHARED_VA(\d)
	mtspr	SPR_VRSAVE, \t2
	mtspr	SPR_SPRG3, \t1
	std	\d, PC_SPR_OWNER(r13)
3:	std	\d, PC_CURRENT(r13)
	ld	\t1, PC_RT_RUNNING(r13)
	std	\t1, D_RT(\d)
	lwz	\t1, HAT_ASID(\h)
	mtspr	SPR_PIDR, \t1
	isync
	ld	\t1, PC_VSX_OWNER(r13)
	ld	\msr, PC_USER_MSR(r13)		/* USER_MSR */
	cmpld	\t1, \d
	bne	5f
	oris	\msr, \msr, MSR_VEC_UNITS_HI
	ori	\msr, \msr, MSR_VEC_UNITS_LO
5:
.endm

/* The dispatcher d may run here (sched_can_run_here): vsx_on is 0 or
 * this CPU + 1 (cpu holds this CPU's id). */
.macro	CAN_RUN_HERE d, cpu, t1, t2, no
	lwz	\t1, D_VSX_ON(\d)
	cmpwi	cr1, \t1, 0
	addi	\t2, \cpu, 1
	cmplw	cr5, \t1, \t2
	beq	cr1, 6f
	bne	cr5, \no
6:
.endm

/* The HAT of process p is set (into h) and was active on this CPU. */
.macro	HAT_HERE p, h, cpu, t1, no
	ld	\h, P_HAT(\p)
	cmpdi	\h, 0
	beq	\no
	ld	\t1, HAT_CPUS(\h)
	srd	\t1, \t1, \cpu
	andi.	\t1, \t1, 1
	beq	\no
.endm

	.text
FUNC_START(ppc_fast_call_asm)
	LOCAL_TRYLOCK r14, r15, r16, sc_fast_call_c
	/* Decode the caller (disp_plain_caller, stricter: a dispatcher that
	 * reflects its calls goes to C), no time bound, no grant, no trace.
	 * Its word (kern/disp_fast.h): no reflection, no bounded call
	 * outstanding, no page-in messages owed. */
	ld	r17, D_SHARED(r12)
	lwz	r16, D_STATE(r12)
	lwz	r18, D_FAST_OFF(r12)
	ld	r21, SH_DEFER_IO(r17)
	ld	r22, SH_CALL_TIMEOUT_TB(r17)
	ld	r23, SH_CALL_GRANT_LEN(r17)
	ld	r24, PC_TRACE_MASK(r13)
	cmpwi	cr1, r16, DS_RUNNING_V
	andi.	r24, r24, FAST_TRACE_MASK
	andi.	r18, r18, FAST_OFF_CALL_CALLER_V
	or	r21, r21, r22
	or	r23, r23, r24
	or	r18, r18, r21
	or.	r18, r18, r23
	bne	call_decline
	bne	cr1, call_decline
	/* process_lookup(r3): any 64-bit value may come. */
	srdi.	r16, r3, 32
	bne	call_decline
	andi.	r16, r3, PID_SLOT_MASK
	beq	call_decline
	cmplwi	r16, PROC_MAX_V
	bgt	call_decline
	addis	r18, r2, proc_pids@toc@ha
	addi	r18, r18, proc_pids@toc@l
	mulli	r16, r16, PID_SLOT_SIZE
	add	r18, r18, r16
	ld	r18, PID_SLOT_P(r18)		/* tp */
	cmpdi	r18, 0
	beq	call_decline
	lwz	r16, P_PID(r18)
	cmpld	r16, r3
	bne	call_decline
	/* Not the caller. Its dispatcher t: here, idle, no context,
	 * enabled, nothing queued, may run here; and its word: the process
	 * alive, not redirected, with no second dispatcher, t owing no
	 * fault completions or page-in messages, its entry set and in user
	 * space (kern/disp_fast.h). */
	ld	r27, D_PROC(r12)		/* the caller's process */
	addi	r19, r18, P_DISP		/* t */
	cmpld	cr5, r27, r18
	beq	cr5, call_decline
	ld	r21, D_SHARED(r19)		/* t's shared page */
	lwz	r20, PC_CPU_ID(r13)
	ld	r16, D_RT(r19)			/* state, has_ctx, cpu */
	ld	r17, PC_RT_IDLE(r13)		/* DS_IDLE, no context, here */
	cmpld	cr1, r16, r17
	bne	cr1, call_decline
	ld	r17, SH_DISABLED(r21)
	ld	r23, D_QUEUED_HEAD(r19)
	lwz	r24, D_FAST_OFF(r19)
	andi.	r24, r24, FAST_OFF_CALL_SERVER_V
	or	r23, r23, r24
	or.	r16, r17, r23
	bne	call_decline
	CAN_RUN_HERE r19, r20, r16, r17, call_decline
	HAT_HERE r18, r23, r20, r16, call_decline
	/* A record from this CPU's cache, within the server's share. */
	ld	r24, PC_CALL_CACHE(r13)
	lwz	r25, D_NCALLS(r19)
	cmpdi	cr1, r24, 0
	cmplwi	cr5, r25, CALLS_PER_SERVER
	beq	cr1, call_decline
	bge	cr5, call_decline

	/* Invoke: nothing below can fail. The record (ipc_call_init and the
	 * request, kept for ppc_forward), onto t's active list. A record in
	 * the cache is clean (kern/ipc_call.h: no async, buffer or grant). */
	ld	r16, C_NEXT(r24)
	lwz	r17, PC_NCALL_CACHE(r13)
	std	r16, PC_CALL_CACHE(r13)
	subi	r17, r17, 1
	stw	r17, PC_NCALL_CACHE(r13)
	addi	r25, r25, 1
	stw	r25, D_NCALLS(r19)
	li	r0, 0
	ld	r16, D_ACTIVE_TAIL(r19)
	lwz	r3, P_PID(r27)			/* the caller's pid, for t's r3 */
	std	r0, C_NEXT(r24)
	std	r16, C_PREV(r24)
	std	r19, C_SERVER(r24)
	std	r12, C_CALLER(r24)
	/* (async, buf, len and the grant are 0 in a cached record.) */
	std	r3, C_CALLER_PID(r24)
	std	r4, C_OP(r24)
	std	r5, C_W0(r24)
	std	r6, C_W0 + 8(r24)
	std	r7, C_W0 + 16(r24)
	std	r8, C_W0 + 24(r24)
	std	r9, C_W0 + 32(r24)
	std	r10, C_W0 + 40(r24)
	li	r17, CALL_ACTIVE_V
	stb	r17, C_STATE(r24)
	cmpdi	r16, 0
	beq	1f
	std	r24, C_NEXT(r16)
	b	2f
1:	std	r24, D_ACTIVE_HEAD(r19)
2:	std	r24, D_ACTIVE_TAIL(r19)
	/* The caller waits in the call, its context in its ctx: its rt
	 * word DS_IN_CALL with its context here (it runs here, so its cpu
	 * is this CPU already, sched_make_current). */
	li	r16, 1
	ld	r17, PC_RT_IN_CALL(r13)
	std	r12, CTX(TF_OWNER)(r12)
	std	r17, D_RT(r12)
	std	r24, D_CALL(r12)
	/* t's shared page: disabled, the time, an upcall more. */
	mftb	r17
	ld	r25, SH_UPCALLS(r21)
	std	r16, SH_DISABLED(r21)
	std	r17, SH_NOW_TB(r21)
	addi	r25, r25, 1
	std	r25, SH_UPCALLS(r21)
	MAKE_CURRENT r19, r18, r23, r26, r16, r17
	/* Its handle, the counter, the lock released. */
	lwz	r16, C_GEN(r24)
	lhz	r11, C_IDX(r24)
	rldimi	r11, r16, CALL_INDEX_BITS, 0	/* gen << 16 | idx (idx < 2^16) */
	ld	r16, PC_FAST_CALLS(r13)
	ld	r1, D_UPCALL_STACK(r19)
	ld	r12, D_ENTRY_CALL(r19)		/* (read under the lock, as tested) */
	addi	r16, r16, 1
	std	r16, PC_FAST_CALLS(r13)
	lwsync
	stw	r0, PC_LOCAL_LOCK(r13)
	/* Enter t at its IPC-call entry (ctx_set_fast_entry's registers). */
	mtsrr0	r12
	mtsrr1	r26
	clrrdi	r1, r1, 4
	subi	r1, r1, STACK_FRAME_MIN
	mtlr	r0
	mtctr	r0
	mtxer	r0
	mtcrf	0xff, r0
	li	r2, 0
	.irp	n, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	li	\n, 0
	.endr
	rfid
	b	.

call_decline:
	lwsync
	li	r16, 0
	stw	r16, PC_LOCAL_LOCK(r13)
	b	sc_fast_call_c
FUNC_END(ppc_fast_call_asm)

FUNC_START(ppc_fast_reply_asm)
	mfcr	r0				/* the server's CR, back if declined */
	ld	r12, PC_CURRENT(r13)		/* the server */
	std	r2, GPR(2)(r12)
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21
	std	\n, GPR(\n)(r12)
	.endr
	ld	r2, PC_KERNEL_TOC(r13)
	LOCAL_TRYLOCK r14, r15, r16, reply_restore
	/* Decode the server (disp_plain_caller, stricter as for the call;
	 * its word: no reflection, no page-in messages owed): nothing saved
	 * to resume, nothing pending or queued, no trace. */
	ld	r20, D_SHARED(r12)
	lwz	r16, D_STATE(r12)
	cmpwi	cr1, r16, DS_RUNNING_V
	lwz	r14, D_FAST_OFF(r12)
	ld	r16, SH_DEFER_IO(r20)
	ld	r17, SH_SAVED_VALID(r20)
	ld	r18, SH_PENDING(r20)
	ld	r19, D_QUEUED_HEAD(r12)
	ld	r21, PC_TRACE_MASK(r13)
	andi.	r21, r21, FAST_TRACE_MASK
	andi.	r14, r14, FAST_OFF_REPLY_SERVER_V
	or	r16, r16, r17
	or	r18, r18, r19
	or	r14, r14, r16
	or	r18, r18, r21
	or.	r14, r14, r18
	bne	reply_decline
	bne	cr1, reply_decline
	/* ipc_call_lookup(r11, server): any 64-bit value may come. */
	srdi.	r14, r11, CALL_INDEX_BITS + 31	/* generation above 2^31 - 1 */
	bne	reply_decline
	clrldi	r15, r11, 64 - CALL_INDEX_BITS
	cmpldi	r15, CALLS_MAX
	bge	reply_decline
	addis	r17, r2, ipc_call_table@toc@ha
	addi	r17, r17, ipc_call_table@toc@l
	mulli	r15, r15, C_SIZE
	add	r17, r17, r15			/* c */
	srdi	r14, r11, CALL_INDEX_BITS
	lwz	r15, C_GEN(r17)
	cmpld	r15, r14
	bne	reply_decline
	lbz	r15, C_STATE(r17)
	ld	r16, C_SERVER(r17)
	lbz	r14, C_ASYNC(r17)
	ld	r18, C_CALLER(r17)		/* its caller */
	cmpwi	cr1, r15, CALL_ACTIVE_V
	cmpld	cr5, r16, r12
	cmpwi	cr6, r14, 0
	cmpdi	cr7, r18, 0
	bne	cr1, reply_decline
	bne	cr5, reply_decline
	bne	cr6, reply_decline
	beq	cr7, reply_decline
	/* The caller waits on this call, here, with its context, owes
	 * nothing, will not be upcalled for pending events, resumes at a
	 * user address and may run here. */
	ld	r14, D_RT(r18)			/* state, has_ctx, cpu */
	ld	r16, PC_RT_IN_CALL(r13)		/* DS_IN_CALL, its context, here */
	ld	r15, D_CALL(r18)
	lwz	r19, PC_CPU_ID(r13)
	cmpld	cr1, r14, r16
	cmpld	cr5, r15, r17
	bne	cr1, reply_decline
	bne	cr5, reply_decline
	lwz	r14, D_FAST_OFF(r18)		/* no fault completions or page-ins owed */
	ld	r16, CTX(TF_NIP)(r18)
	ld	r21, C_GRANT_LEN(r17)		/* (C frees a lent call: the cache stays clean) */
	srdi	r16, r16, USER_TOP_SHIFT
	andi.	r14, r14, FAST_OFF_REPLY_CALLER_V
	or	r16, r16, r21
	or.	r14, r14, r16
	bne	reply_decline
	ld	r21, D_SHARED(r18)
	ld	r14, SH_DISABLED(r21)
	cmpdi	r14, 0
	bne	1f
	ld	r14, SH_PENDING(r21)
	cmpdi	r14, 0
	bne	reply_decline
1:	CAN_RUN_HERE r18, r19, r14, r15, reply_decline
	ld	r21, D_PROC(r18)		/* the caller's process */
	HAT_HERE r21, r2, r19, r14, reply_decline
	lwz	r15, PC_NCALL_CACHE(r13)
	cmplwi	r15, CALL_CACHE_MAX
	bge	reply_decline

	/* Invoke: the record off the server's active list and freed into
	 * this CPU's cache (ipc_call_free_active_here); its handle goes
	 * stale. */
	li	r0, 0
	std	r0, D_CALL(r18)
	ld	r16, C_PREV(r17)
	ld	r14, C_NEXT(r17)
	cmpdi	r16, 0
	beq	1f
	std	r14, C_NEXT(r16)
	b	2f
1:	std	r14, D_ACTIVE_HEAD(r12)
2:	cmpdi	r14, 0
	beq	1f
	std	r16, C_PREV(r14)
	b	2f
1:	std	r16, D_ACTIVE_TAIL(r12)
2:	lwz	r16, D_NCALLS(r12)
	lwz	r14, C_GEN(r17)
	subi	r16, r16, 1
	stw	r16, D_NCALLS(r12)
	stb	r0, C_STATE(r17)		/* CALL_FREE (0: asm-offsets.c) */
	std	r0, C_SERVER(r17)
	std	r0, C_CALLER(r17)
	std	r0, C_PREV(r17)
	addi	r14, r14, 1			/* ipc_call_next_gen */
	clrldi.	r14, r14, 33
	bne	1f
	li	r14, 1
1:	stw	r14, C_GEN(r17)
	ld	r16, PC_CALL_CACHE(r13)
	addi	r15, r15, 1
	std	r16, C_NEXT(r17)
	std	r17, PC_CALL_CACHE(r13)
	stw	r15, PC_NCALL_CACHE(r13)
	/* The server waits idle with no context (server_after_reply): its
	 * rt word DS_IDLE here (it runs here: its cpu is this CPU). */
	ld	r16, PC_RT_IDLE(r13)
	std	r0, SH_DISABLED(r20)
	std	r16, D_RT(r12)
	/* The caller runs again (MAKE_CURRENT clears its has_ctx). */
	MAKE_CURRENT r18, r21, r2, r20, r14, r15
	ld	r16, PC_FAST_REPLIES(r13)
	addi	r16, r16, 1
	std	r16, PC_FAST_REPLIES(r13)
	lwsync
	stw	r0, PC_LOCAL_LOCK(r13)
	/* Resume the caller: its saved context, r3..r10 the reply as the
	 * server sent it (ppc_reply_idle's registers are the caller's: r3
	 * status, r4 0 page bytes, checked by the vector, r5..r10 w0..w5). */
	ld	r12, CTX(TF_NIP)(r18)
	mtsrr1	r20
	mtsrr0	r12
	ld	r12, CTX(TF_LR)(r18)
	mtlr	r12
	mtctr	r0				/* clobbered by a kernel call: 0, */
	mtxer	r0				/* not the server's (sc_fast.S) */
	ld	r12, CTX(TF_CR)(r18)
	mtcrf	0xff, r12
	/* r0 stays 0 and r12 the caller's own CR: both are clobbered by a
	 * kernel call (docs/kernel-interface.md), and neither holds anything
	 * of the kernel's or the server's. r18 (the caller's dispatcher, a
	 * kernel address, the base of these loads) is loaded last. */
	.irp	n, 1, 2, 11, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	\n, GPR(\n)(r18)
	.endr
	ld	r18, GPR(18)(r18)
	rfid
	b	.

reply_decline:
	lwsync
	li	r14, 0
	stw	r14, PC_LOCAL_LOCK(r13)
reply_restore:
	mfmsr	r14				/* translation back on (sc_fast.S) */
	ori	r14, r14, MSR_IR | MSR_DR
	mtmsrd	r14
	ld	r2, GPR(2)(r12)
	.irp	n, 14, 15, 16, 17, 18, 19, 20, 21
	ld	\n, GPR(\n)(r12)
	.endr
	mtcrf	0xff, r0
	li	r0, SC_PPC_REPLY_IDLE
	b	sc_fast_reply_general
FUNC_END(ppc_fast_reply_asm)
