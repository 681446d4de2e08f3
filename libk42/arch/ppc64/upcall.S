/*
 * Dispatcher entry points (K42_ENTRY_*). The kernel enters with r12 = the
 * entry address, r1 = the registered upcall stack, upcalls disabled, and
 * the event's arguments in r3..r10. Each stub sets up the TOC and calls
 * its C handler (runtime.c, ipc.c), which never returns: it resumes a
 * thread, or idles.
 */
#include <k42/syscall_nums.h>
#include "../../src/ipc_regs.h"
#define ENTRY(name, handler)				\
	.globl name;					\
	.type name, @function;				\
name:							\
	addis	2, 12, (.TOC. - name)@ha;		\
	addi	2, 2, (.TOC. - name)@l;			\
	bl	handler;				\
	nop;						\
	trap;						\
	.size name, . - name

	.text
ENTRY(k42_entry_run, k42_on_run)
ENTRY(k42_entry_softintr, k42_on_softintr)
ENTRY(k42_entry_trap, k42_on_trap)
ENTRY(k42_entry_pgflt, k42_on_pgflt)
	/* r11 = the call handle, passed as the ninth argument (ELFv2: in
	 * the parameter save area of our frame, 96(r1)), so every
	 * dispatcher keeps its own. A call to a register-level entry
	 * (k42_serve_regs) goes to it from here while the lean conditions
	 * hold (ipc_regs.c); otherwise, with
	 * k42_ipc_full 0 the lean handler-mode entry serves it (ipc.c). */
	.globl k42_entry_ipc_call
	.type k42_entry_ipc_call, @function
k42_entry_ipc_call:
	addis	2, 12, (.TOC. - k42_entry_ipc_call)@ha
	addi	2, 2, (.TOC. - k42_entry_ipc_call)@l
	li	0, 0
	stdu	0, -112(1)
	std	11, 96(1)
	/* The table, set only while k42_ipc_full is 0. */
	addis	12, 2, k42_ipc_regs_fast@toc@ha
	ld	12, k42_ipc_regs_fast@toc@l(12)
	cmpdi	12, 0
	beq	2f
	/* Its entry at the op's ordinal, for exactly this op word. */
	rldicl	11, 4, 48, 48
	lwz	0, 4(12)
	cmpld	11, 0
	bge	2f
	ld	12, 8(12)
	sldi	11, 11, 4
	add	12, 12, 11
	ld	0, 0(12)
	cmpd	0, 4
	bne	2f
	/* No interrupted context, no request tracing. */
	mfspr	11, 259
	ld	0, K42_DISP_SAVED_VALID(11)
	cmpdi	0, 0
	bne	2f
	addis	11, 2, k42_ipc_regs_trace@toc@ha
	ld	11, k42_ipc_regs_trace@toc@l(11)
	ld	11, 0(11)
	rldicl.	11, 11, 64 - K42_TRACE_REQUEST_BIT, 63
	bne	2f
	/* The handler state of dispatcher 0 (the only one while the table
	 * is set): in_handler++, handler_call = the handle. */
	ld	12, 8(12)
	addis	11, 2, k42_vps@toc@ha
	addi	11, 11, k42_vps@toc@l
	lwz	0, K42_VP_IN_HANDLER(11)
	addic	0, 0, 1			/* (addi with r0 would give 1) */
	stw	0, K42_VP_IN_HANDLER(11)
	ld	0, 96(1)
	std	0, K42_VP_HANDLER_CALL(11)
	/* The caller {pid, 0, rights}: k42_ipc_regs_caller, whose object
	 * and rights k42_serve_regs set, with the pid stored now; its
	 * address in r3; r4 the op, r5..r10 the words as the kernel
	 * delivered them. */
	addis	11, 2, k42_ipc_regs_caller@toc@ha
	std	3, k42_ipc_regs_caller@toc@l(11)
	addi	3, 11, k42_ipc_regs_caller@toc@l
	mtctr	12
	bctrl
	/* (r2 is kept: one TOC.) Back only if the reply did not leave us
	 * idle in the kernel. */
	bl	k42_ipc_regs_done
	nop
	trap
2:	addis	12, 2, k42_ipc_full@toc@ha
	lwz	12, k42_ipc_full@toc@l(12)
	cmpwi	12, 0
	bne	1f
	bl	k42_on_ipc_call_lean
	nop
	trap
1:	bl	k42_on_ipc_call
	nop
	trap
	.size k42_entry_ipc_call, . - k42_entry_ipc_call

	/* void k42_ipc_reply_regs(long status, uint64_t len, uint64_t w0..w5)
	 * (<k42/ipc.h>): a register-level entry's answer to the call being
	 * served (dispatcher 0's handler_call; 0: taken, nothing to do).
	 * While the lean conditions hold (the table still set), nothing
	 * is ready or pending and len is 0, the lean entry's idle reply: handler_call and
	 * current cleared, in_handler back, and ppc_reply_idle(status, len,
	 * w0..w5, handle): the arguments are already in its registers, which
	 * are the caller's (r3..r10), and the handle goes to r11. Otherwise
	 * k42_ipc_reply_regs_slow (ipc_regs.c). */
	.globl k42_ipc_reply_regs
	.type k42_ipc_reply_regs, @function
k42_ipc_reply_regs:
	addis	2, 12, (.TOC. - k42_ipc_reply_regs)@ha
	addi	2, 2, (.TOC. - k42_ipc_reply_regs)@l
	.localentry k42_ipc_reply_regs, . - k42_ipc_reply_regs
	addis	11, 2, k42_vps@toc@ha
	addi	11, 11, k42_vps@toc@l
	ld	0, K42_VP_HANDLER_CALL(11)	/* (r0: ppc_reply_idle's r11 at the end) */
	cmpdi	0, 0
	beqlr
	addis	12, 2, k42_ipc_regs_fast@toc@ha
	ld	12, k42_ipc_regs_fast@toc@l(12)
	cmpdi	12, 0
	beq	3f
	ld	12, K42_VP_NREADY(11)
	or	12, 12, 4		/* page bytes: the message path's (checked) */
	cmpdi	12, 0
	bne	3f
	mfspr	12, 259
	ld	12, K42_DISP_PENDING(12)
	cmpdi	12, 0
	bne	3f
	li	12, 0
	std	12, K42_VP_HANDLER_CALL(11)
	std	12, K42_VP_CURRENT(11)
	lwz	12, K42_VP_IN_HANDLER(11)
	addi	12, 12, -1
	stw	12, K42_VP_IN_HANDLER(11)
	mr	11, 0
	li	0, K42_SC_PPC_REPLY_IDLE
	sc
	/* Not taken (the caller went, or work came): back in the handler. */
	addis	11, 2, k42_vps@toc@ha
	addi	11, 11, k42_vps@toc@l
	lwz	12, K42_VP_IN_HANDLER(11)
	addi	12, 12, 1
	stw	12, K42_VP_IN_HANDLER(11)
	blr
3:	b	k42_ipc_reply_regs_slow
	.size k42_ipc_reply_regs, . - k42_ipc_reply_regs
	/* A reply to an async call: r3 = handle, r4 = status, r5 = length,
	 * r6..r11 = w0..w5; r11 is the ninth argument as above. */
	.globl k42_entry_ipc_return
	.type k42_entry_ipc_return, @function
k42_entry_ipc_return:
	addis	2, 12, (.TOC. - k42_entry_ipc_return)@ha
	addi	2, 2, (.TOC. - k42_entry_ipc_return)@l
	li	0, 0
	stdu	0, -112(1)
	std	11, 96(1)
	bl	k42_on_ipc_return
	nop
	trap
	.size k42_entry_ipc_return, . - k42_entry_ipc_return
ENTRY(k42_entry_ipc_retry, k42_on_softintr)
ENTRY(k42_entry_syscall, k42_on_syscall)

/* A dispatcher started by k42_vp_start (vp.c): the kernel enters it like
 * a process, r12 = this address, r1 = its upcall stack, disabled. */
	.globl k42_vp_entry
	.type k42_vp_entry, @function
k42_vp_entry:
	addis	2, 12, (.TOC. - k42_vp_entry)@ha
	addi	2, 2, (.TOC. - k42_vp_entry)@l
	li	0, 0
	stdu	0, -32(1)
	bl	k42_vp_main
	nop
	trap
	.size k42_vp_entry, . - k42_vp_entry
