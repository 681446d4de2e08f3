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
ENTRY(k42_entry_ipc_call, k42_on_ipc_call)
ENTRY(k42_entry_ipc_return, k42_on_run)
ENTRY(k42_entry_ipc_retry, k42_on_softintr)
ENTRY(k42_entry_syscall, k42_on_syscall)
