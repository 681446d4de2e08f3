/*
 * Dispatcher entry points (K42_ENTRY_*). The kernel enters with r12 = the
 * entry address, r1 = the registered upcall stack, upcalls disabled, and
 * the event's arguments in r3..r10. Each stub sets up the TOC and calls
 * its C handler (runtime.c, ipc.c), which never returns: it resumes a
 * thread, or idles.
 */
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
	 * dispatcher keeps its own. With k42_ipc_full 0 the lean
	 * handler-mode entry serves it (ipc.c). */
	.globl k42_entry_ipc_call
	.type k42_entry_ipc_call, @function
k42_entry_ipc_call:
	addis	2, 12, (.TOC. - k42_entry_ipc_call)@ha
	addi	2, 2, (.TOC. - k42_entry_ipc_call)@l
	li	0, 0
	stdu	0, -112(1)
	std	11, 96(1)
	addis	12, 2, k42_ipc_full@toc@ha
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
