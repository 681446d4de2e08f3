/*
 * The IPC runtime: serving incoming PPCs (on the upcall stack, or each on
 * a fresh thread from the free list), one-way messages, and calls out
 * that wait for the kernel's retry notice in the calling thread only.
 *
 * libk42 answers the process-control interface (idl/proc.idl) itself,
 * before the program's handler, so every process can be inspected and
 * have its scheduler swapped, even one that never called k42_serve.
 * One-way IDL methods arrive as messages (ppc_send): those from a process
 * with the ONEWAY flag go to the IPC handler too, in handler context (the
 * handler must not block for them), and their reply is dropped.
 *
 * ppc_return never returns to the thread that calls it: a serving thread
 * is finished when it replies. Before replying, the runtime raises its own
 * K42_SOFTINTR_RESCHED bit if threads are ready, so the kernel schedules
 * the dispatcher again instead of leaving it idle or parked in `block`.
 */
#include <k42/ktrace.h>
#include <string.h>
#include "internal.h"
#include "proc.h"
#include "ioevent.h"

void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5);

static k42_ipc_handler ipc_handler;
static int serve_threads;
static k42_msg_handler msg_handler;

static void handle(uint64_t caller, struct k42_ipc_msg *m);

/* A one-way IDL call (no page data travels with ppc_send). */
static int oneway_call(const struct k42_msg *km)
{
	struct k42_ipc_msg m = { km->op, { km->w[0], km->w[1], km->w[2], km->w[3], km->w[4],
					   km->w[5] }, 0, k42_ppc_page() };

	if (km->sender == 0 || !(k42_ipc_op_flags(km->op) & K42_IPC_FLAG_ONEWAY))
		return 0;
	if (k42_ipc_op_len(km->op) == 0)
		handle(km->sender, &m);
	return 1;
}

void k42_serve(k42_ipc_handler fn)
{
	ipc_handler = fn;
	serve_threads = 0;
}

void k42_serve_threads(k42_ipc_handler fn)
{
	ipc_handler = fn;
	serve_threads = 1;
}

void k42_on_messages(k42_msg_handler fn)
{
	msg_handler = fn;
}

void k42_ipc_dispatch_msgs(void)
{
	struct k42_disp_shared *sh = k42_disp();

	/* A full ring may have refused someone's I/O event: re-check anyway. */
	if (sh->msg_head - sh->msg_tail >= K42_DISP_MSGS)
		k42_io_event();

	while (sh->msg_tail != sh->msg_head) {
		struct k42_msg m = sh->msgs[sh->msg_tail % K42_DISP_MSGS];

		__atomic_store_n(&sh->msg_tail, sh->msg_tail + 1, __ATOMIC_RELEASE);
		/* The file layer's wake-up (idl/ioevent.idl, no arguments): the
		 * hot path of every pipe, so it skips the generic decoding. */
		if (m.sender && m.op == k42_ipc_op(IOEVENT_IFACE_ID, IOEVENT_VERSION, IOEVENT_ORD_EVENT,
						    K42_IPC_FLAG_ONEWAY, 0)) {
			k42_io_event();
			continue;
		}
		if (!oneway_call(&m) && msg_handler)
			msg_handler(&m);
	}
}

__attribute__((noreturn)) static void reply(struct k42_ipc_msg *m)
{
	if (m->len > K42_IPC_PAGE_BYTES) {
		m->op = (uint64_t)-K42_EINVAL;	/* a handler's bad reply */
		m->len = 0;
	}
	if (k42_nready)
		__atomic_or_fetch(&k42_disp()->pending, K42_SOFTINTR_RESCHED, __ATOMIC_RELEASE);
	k42_sc_ppc_return(m->op, m->len, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4], m->w[5]);
	k42_fatal("ppc_return failed");
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t iface = k42_ipc_op_iface(m->op), ord = k42_ipc_op_ordinal(m->op);

	trace_request_begin(iface, ord);
	if (iface == PROC_IFACE_ID) {
		struct k42_ipc_caller who = { caller, 0, ~0ull };

		proc_dispatch(&who, m);
	} else if (iface == IOEVENT_IFACE_ID) {
		struct k42_ipc_caller who = { caller, 0, ~0ull };

		ioevent_dispatch(&who, m);
	} else if (ipc_handler)
		ipc_handler(caller, m);
	else {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
	}
	trace_request_end(iface, ord, (int64_t)m->op);
}

/* A serving thread: its call's words are in t->serve. */
static void serve_main(struct k42_thread *t)
{
	struct k42_ipc_msg m = { t->serve[1], { t->serve[2], t->serve[3], t->serve[4], t->serve[5],
						 t->serve[6], t->serve[7] },
				 k42_ipc_op_len(t->serve[1]), k42_ppc_page() };

	k42_restore(0);
	handle(t->serve[0], &m);
	k42_disable();
	/* Finished: nothing runs on this stack again (one dispatcher, disabled
	 * until the reply has left). */
	k42_threads_alive--;
	k42_current = NULL;
	k42_thread_recycle(t);
	reply(&m);
}

void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_thread *t;

	/* Thread mode needs the interrupted thread's state in hand: either it
	 * is in the shared page, or nothing was running (idle). A thread that
	 * is itself in k42_sc_block stays parked in the kernel, and the call
	 * is served here. */
	if (serve_threads && (sh->saved_valid || !k42_current) &&
	    (t = k42_thread_alloc(K42_THREAD_STACK)) != NULL) {
		struct k42_thread *cur = k42_current;

		if (sh->saved_valid && !(sh->saved.nip >= (uint64_t)k42_idle &&
					 sh->saved.nip < (uint64_t)k42_idle_end)) {
			memcpy(&cur->regs, &sh->saved, sizeof(cur->regs));
			cur->full = 1;
			k42_vsx_save(cur->vsx);
			k42_sched_enqueue(cur);
		}
		sh->saved_valid = 0;
		t->serve[0] = caller;
		t->serve[1] = op;
		t->serve[2] = w0;
		t->serve[3] = w1;
		t->serve[4] = w2;
		t->serve[5] = w3;
		t->serve[6] = w4;
		t->serve[7] = w5;
		t->id = 0;
		t->prio = K42_PRIO_MAX;
		t->tickets = 100;
		k42_threads_alive++;
		k42_thread_setup(t, serve_main);
		k42_run(t);
	}
	struct k42_ipc_msg m = { op, { w0, w1, w2, w3, w4, w5 }, k42_ipc_op_len(op), k42_ppc_page() };

	k42_in_handler++;
	handle(caller, &m);
	k42_in_handler--;
	reply(&m);
}

static int can_block(void)
{
	return k42_current && !k42_in_handler;
}

long k42_call(uint64_t target, struct k42_ipc_msg *m, int tries)
{
	struct k42_disp_shared *sh = k42_disp();
	uint32_t len = k42_ipc_op_len(m->op);
	uint8_t *ppc = k42_ppc_page();
	int own = m->page && m->page != ppc;
	uint8_t *saved = NULL;
	uint64_t out[7];
	long rc;

	for (;;) {
		/* Disabled across the attempt, so a retry notice cannot slip by. */
		int s = k42_disable_save();

		/* The PPC page is the CPU's: whoever ran while we waited may
		 * have overwritten our request, so a retry puts it back. */
		if (own && len)
			memcpy(ppc, m->page, len < K42_PAGE_SIZE ? len : K42_PAGE_SIZE);
		else if (saved)
			memcpy(ppc, saved, len);
		rc = k42_sc_ppc_call(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				     m->w[5], out);
		if ((rc == -K42_EDISABLED || rc == -K42_EBUSY) && --tries > 0) {
			if (len && !own && !saved && len <= K42_PAGE_SIZE && (saved = malloc(len)) != NULL)
				memcpy(saved, k42_ppc_page(), len);
			if (len && !own && !saved) {
				k42_restore(s);
				break;	/* cannot keep the request: report the refusal */
			}
			/* The kernel raises K42_SOFTINTR_RETRY when the target can
			 * take calls: a thread waits for it while the others run. */
			if (can_block()) {
				k42_current->wnext = k42_retry_waiters;
				k42_retry_waiters = k42_current;
				k42_thread_block_self(K42_WAIT_EVENT);
			} else {
				if (!(sh->pending & K42_SOFTINTR_RETRY))
					k42_sc_block();
				if (sh->pending & K42_SOFTINTR_RETRY) {
					__atomic_and_fetch(&sh->pending, ~K42_SOFTINTR_RETRY, __ATOMIC_ACQ_REL);
					k42_wake_list(&k42_retry_waiters);
				}
			}
			k42_restore(s);
			continue;
		}
		/* The reply, while nobody else can have used the page. */
		if (own && rc >= 0 && out[0])
			memcpy(m->page, ppc, out[0] < K42_PAGE_SIZE ? out[0] : K42_PAGE_SIZE);
		k42_restore(s);
		break;
	}
	free(saved);
	m->op = (uint64_t)rc;
	m->len = (uint32_t)out[0];
	for (int i = 0; i < 6; i++)
		m->w[i] = out[1 + i];
	return rc;
}

long k42_ipc_call(k42_handle_t target, struct k42_ipc_msg *m)
{
	if (k42_ipc_op_flags(m->op) & K42_IPC_FLAG_ONEWAY)
		return k42_sc_ppc_send(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				       m->w[5]);
	return k42_call(target, m, 1000);
}

struct k42_ipc_msg *k42_ipc_msg_get(void)
{
	static struct k42_ipc_msg msgs[1];	/* per dispatcher */
	static uint8_t page[K42_PAGE_SIZE] __attribute__((aligned(16)));
	struct k42_ipc_msg *m = &msgs[0];

	/* Stubs encode into our own page; k42_call moves it to the CPU's PPC
	 * page only with upcalls disabled right before the call, so another
	 * process running on this CPU meanwhile cannot change our request. */
	memset(m, 0, sizeof(*m));
	m->page = page;
	return m;
}
