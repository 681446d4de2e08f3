/*
 * The dispatcher runtime of a single-threaded native program: program
 * start (entry points, upcall stack, enabling), and the upcall handlers.
 * The thread library (issue #5) replaces the "resume the one interrupted
 * context" policy below with a scheduler choosing among threads.
 *
 * Every handler runs on the upcall stack with upcalls disabled, and ends
 * by resuming the saved context (k42_sc_disp_resume, which re-enables) or
 * by blocking until there is something to do.
 */
#include <string.h>
#include <k42/k42.h>

#define UPCALL_STACK_SIZE (64 * 1024)

void k42_entry_run(void), k42_entry_softintr(void), k42_entry_trap(void),
	k42_entry_pgflt(void), k42_entry_ipc_call(void), k42_entry_ipc_return(void),
	k42_entry_ipc_retry(void);
void k42_start(uint64_t arg, uint64_t arg2);
uint64_t k42_initrd_size;
void k42_on_run(void);
void k42_on_softintr(void);
void k42_on_trap(uint64_t vector, uint64_t pc);
void k42_on_pgflt(uint64_t va, uint64_t token);
void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5);

static uint8_t upcall_stack[UPCALL_STACK_SIZE] __attribute__((aligned(16)));
static k42_ipc_handler ipc_handler;
static k42_msg_handler msg_handler;
volatile uint64_t k42_pgflt_reflected, k42_pgflt_completed;

void k42_serve(k42_ipc_handler fn)
{
	ipc_handler = fn;
}

void k42_on_messages(k42_msg_handler fn)
{
	msg_handler = fn;
}

void k42_disable(void)
{
	k42_disp()->disabled = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void k42_enable(void)
{
	struct k42_disp_shared *sh = k42_disp();

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sh->disabled = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Events that arrived while disabled: let the kernel deliver them. */
	if (sh->pending)
		k42_sc_yield();
}

void k42_start(uint64_t arg, uint64_t arg2)
{
	static const uint64_t entries[K42_ENTRY_COUNT] = {
		[K42_ENTRY_RUN] = (uint64_t)k42_entry_run,
		[K42_ENTRY_SOFTINTR] = (uint64_t)k42_entry_softintr,
		[K42_ENTRY_TRAP] = (uint64_t)k42_entry_trap,
		[K42_ENTRY_PGFLT] = (uint64_t)k42_entry_pgflt,
		[K42_ENTRY_IPC_CALL] = (uint64_t)k42_entry_ipc_call,
		[K42_ENTRY_IPC_RETURN] = (uint64_t)k42_entry_ipc_return,
		[K42_ENTRY_IPC_RETRY] = (uint64_t)k42_entry_ipc_retry,
	};
	long rc = k42_sc_disp_init((uint64_t)entries, K42_ENTRY_COUNT,
				   (uint64_t)(upcall_stack + sizeof(upcall_stack)));

	if (rc < 0) {
		k42_printf("libk42: disp_init failed: %s\n", k42_strerror(rc));
		k42_sc_exit(127);
	}
	if (arg == K42_INITRD_VA)
		k42_initrd_size = arg2;	/* init: the kernel passed the boot archive */
	k42_enable();
	k42_sc_exit((uint64_t)main(arg));
}

/* Handle everything pending; returns once nothing is. */
static void drain_pending(void)
{
	struct k42_disp_shared *sh = k42_disp();
	uint64_t bits;

	while ((bits = __atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL)) != 0) {
		if (bits & K42_SOFTINTR_MSG) {
			while (sh->msg_tail != sh->msg_head) {
				struct k42_msg m = sh->msgs[sh->msg_tail % K42_DISP_MSGS];

				__atomic_store_n(&sh->msg_tail, sh->msg_tail + 1, __ATOMIC_RELEASE);
				if (msg_handler)
					msg_handler(&m);
			}
		}
		if (bits & K42_SOFTINTR_PGFLT) {
			while (sh->pgflt_tail != sh->pgflt_head) {
				__atomic_store_n(&sh->pgflt_tail, sh->pgflt_tail + 1, __ATOMIC_RELEASE);
				k42_pgflt_completed++;
			}
		}
	}
}

/* Resume the interrupted context if there is one, else wait for events. */
__attribute__((noreturn)) static void finish_upcall(void)
{
	for (;;) {
		drain_pending();
		if (k42_disp()->saved_valid)
			k42_sc_disp_resume(1);
		k42_sc_block();
	}
}

void k42_on_run(void)
{
	finish_upcall();
}

void k42_on_softintr(void)
{
	finish_upcall();
}

void k42_on_trap(uint64_t vector, uint64_t pc)
{
	k42_printf("libk42: process %lu: unhandled exception 0x%lx at pc 0x%lx\n",
		   k42_info(K42_INFO_PID), vector, pc);
	k42_sc_exit(128);
}

void k42_on_pgflt(uint64_t va, uint64_t token)
{
	struct k42_disp_shared *sh = k42_disp();
	uint64_t done_before = k42_pgflt_completed;

	(void)va;
	(void)token;
	k42_pgflt_reflected++;
	/* Single-threaded: nothing else to run; wait for the completion, which
	 * also lets the file server run. The thread library runs other threads. */
	for (;;) {
		drain_pending();
		if (k42_pgflt_completed != done_before)
			break;
		k42_sc_block();
	}
	if (sh->saved_valid)
		k42_sc_disp_resume(1);
	finish_upcall();
}

void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct k42_ipc_msg m = { op, { w0, w1, w2, w3, w4, w5 }, k42_ipc_op_len(op), k42_ppc_page() };

	if (ipc_handler)
		ipc_handler(caller, &m);
	else
		m.op = (uint64_t)-K42_ENOSYS;
	k42_sc_ppc_return(m.op, m.len, m.w[0], m.w[1], m.w[2], m.w[3], m.w[4], m.w[5]);
	k42_sc_exit(126);	/* not reached: ppc_return does not return */
}

long k42_call(uint64_t target, struct k42_ipc_msg *m, int tries)
{
	struct k42_disp_shared *sh = k42_disp();
	uint64_t out[7];
	long rc;

	for (;;) {
		/* Disabled across the attempt, so a retry notice cannot slip by. */
		k42_disable();
		__atomic_and_fetch(&sh->pending, ~K42_SOFTINTR_RETRY, __ATOMIC_ACQ_REL);
		rc = k42_sc_ppc_call(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				     m->w[5], out);
		if ((rc == -K42_EDISABLED || rc == -K42_EBUSY) && --tries > 0) {
			/* The kernel raises K42_SOFTINTR_RETRY when the target can take it. */
			if (!(sh->pending & K42_SOFTINTR_RETRY))
				k42_sc_block();
			k42_enable();
			continue;
		}
		k42_enable();
		break;
	}
	m->op = (uint64_t)rc;
	m->len = (uint32_t)out[0];
	for (int i = 0; i < 6; i++)
		m->w[i] = out[1 + i];
	return rc;
}
