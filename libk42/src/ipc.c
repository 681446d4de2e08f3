/*
 * The IPC runtime: serving incoming calls, one-way messages, and calls out.
 *
 * Every call the kernel delivers carries a call handle (r11 at the
 * IPC-call entry, or the result of ppc_accept for calls queued while we
 * were disabled); the reply names it, so a server can hold many calls and
 * answer them in any order. In thread mode (k42_serve_threads) each call
 * runs on its own thread and may block; its request bytes are copied out
 * of the process's PPC page into the thread's own message buffer first,
 * since the next call's bytes land in the same page. In handler mode
 * (k42_serve) the handler runs at once on the upcall stack, disabled, on
 * the PPC page itself.
 *
 * libk42 answers the process-control interface (idl/proc.idl) itself,
 * before the program's handler, so every process can be inspected and
 * have its scheduler swapped, even one that never called k42_serve.
 * One-way IDL methods arrive as messages (ppc_send): those from a process
 * with the ONEWAY flag go to the IPC handler too, in handler context (the
 * handler must not block for them), and their reply is dropped.
 *
 * Calls out (k42_call) copy the thread's message bytes into the PPC page
 * and back while disabled, so threads never see each other's data. A
 * thread of a process with other threads calls asynchronously instead
 * (k42_ipc_call_wait, in ipc_async.c with the other calls that do not
 * hold the dispatcher).
 *
 * Several dispatchers (k42/vp.h): each has its own PPC page
 * (k42_ppc_page), handler-mode slots and upcall stack, so every one of
 * them makes calls from its own CPU and, once k42_vp_serve_all registered
 * it, serves the calls made on its CPU (the kernel picks the server's
 * dispatcher on the caller's CPU). Replies are matched to waiters under
 * k42_sync_lock (a waiter of k42_ipc_finish may be on any dispatcher).
 */
#include <k42/ktrace.h>
#include <string.h>
#include "internal.h"
#include "proc.h"
#include "ioevent.h"
#include "update.h"
#include "swap.h"
#include <k42/hotswap.h>

void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5, uint64_t handle);
void k42_on_ipc_call_lean(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
			  uint64_t w3, uint64_t w4, uint64_t w5, uint64_t handle);
uint32_t k42_ipc_full = K42_IPC_FULL_MODE;	/* (internal.h) */

static k42_ipc_handler ipc_handler;
/* Outside threads (handler mode), per dispatcher: k42_ipc_grant's and
 * the call bound's slots (the call a handler serves: k42_vp.handler_call). */
static uint64_t handler_grant[K42_VPS_MAX][3];
static uint64_t handler_timeout_tb[K42_VPS_MAX];
#define VPI (k42_vp_self()->index)

/* The calling thread's grant slot, or (outside threads) v's handlers'. */
static inline uint64_t *grant_slot_on(struct k42_vp *v)
{
	return v->current && !v->in_handler ? &v->current->grant_va : handler_grant[v->index];
}

static uint64_t *grant_slot(void)
{
	return grant_slot_on(k42_vp_self());
}

void k42_ipc_grant(const void *buf, uint64_t len, unsigned prot)
{
	uint64_t *g = grant_slot();

	g[0] = (uint64_t)buf;
	g[1] = len;
	g[2] = prot;
}

/* Disabled, right before the call: hand the pending grant to the kernel
 * (v: this dispatcher, sh: its shared page). */
static inline void grant_out_on(struct k42_vp *v, struct k42_disp_shared *sh)
{
	uint64_t *g = grant_slot_on(v);

	sh->call_grant_va = g[0];
	sh->call_grant_prot = g[2];
	sh->call_grant_len = g[1];
	g[1] = 0;
}

void k42_ipc_grant_out(void)
{
	grant_out_on(k42_vp_self(), k42_disp());
}

uint64_t k42_ipc_handle(void)
{
	if (k42_current && !k42_in_handler)
		return k42_current->serve[8];
	return k42_vp_self()->handler_call;
}

long k42_ipc_grant_read(uint64_t handle, uint64_t off, void *dst, uint64_t len)
{
	return k42_sc_ppc_grant_copy(handle, off, (uint64_t)dst, len, K42_GRANT_FROM_CALLER);
}

long k42_ipc_grant_write(uint64_t handle, uint64_t off, const void *src, uint64_t len)
{
	return k42_sc_ppc_grant_copy(handle, off, (uint64_t)src, len, K42_GRANT_TO_CALLER);
}

void *k42_ipc_bulk_alloc(uint32_t len)
{
	return calloc(1, len ? len : 1);
}

void k42_ipc_bulk_free(void *p)
{
	free(p);
}
static int serve_threads;
static k42_msg_handler msg_handler;
uint64_t k42_ipc_refused;		/* calls answered -K42_ENOMEM for lack of a thread */

static void handle(uint64_t caller, struct k42_ipc_msg *m, uint64_t h);

/* The interfaces libk42 answers itself, as one mask (their ids are small). */
_Static_assert(PROC_IFACE_ID < 64 && IOEVENT_IFACE_ID < 64 && UPDATE_IFACE_ID < 64 &&
	       SWAP_IFACE_ID < 64, "libk42's own interface ids fit one mask");
#define LIB_IFACES ((1ull << PROC_IFACE_ID) | (1ull << IOEVENT_IFACE_ID) | \
		    (1ull << UPDATE_IFACE_ID) | (1ull << SWAP_IFACE_ID))

/* One-way messages to the program that arrived before it took calls
 * (k42_ipc_open): kept here in order and handed to the handler once it
 * does, as the kernel keeps calls. Only dispatcher 0 runs before then
 * (k42_vp_start opens first), so only it adds; after the open nobody
 * adds, and each entry is claimed by one dispatcher (held_next). When
 * the array is full the rest stay in the kernel's ring, so a sender is
 * refused (-K42_EAGAIN) rather than losing a message. */
static struct k42_msg held[K42_DISP_MSGS];
static uint32_t held_n, held_next;

/* A one-way IDL call (no page data travels with ppc_send). */
static int oneway_call(const struct k42_msg *km)
{
	struct k42_ipc_msg m = { km->op, { km->w[0], km->w[1], km->w[2], km->w[3], km->w[4],
					   km->w[5] }, 0, k42_ppc_page() };

	if (km->sender == 0 || !(k42_ipc_op_flags(km->op) & K42_IPC_FLAG_ONEWAY))
		return 0;
	if (k42_ipc_op_len(km->op) == 0)
		handle(km->sender, &m, 0);
	return 1;
}

/* Calls are taken once the program is ready for them: when it installs
 * its handler, or when it first has nothing to run (then only libk42's
 * own interfaces answer). Until then the kernel queues them. */
int k42_ipc_is_open;

void k42_ipc_open(void)
{
	int s = k42_disable_save();

	if (!k42_ipc_is_open) {
		k42_ipc_is_open = 1;
		k42_register_entries(1);
		/* The held one-way messages go to the handler now, before
		 * what the ring got since and before the calls queued
		 * meanwhile (a drain takes messages before calls), in
		 * handler context as a drain runs them. */
		if (held_n) {
			k42_in_handler++;
			k42_ipc_dispatch_msgs();
			k42_in_handler--;
		}
	}
	k42_ipc_accept_all();
	k42_restore(s);
}

/* A one-way IDL call to the program's own interfaces (not libk42's):
 * held while calls are (before k42_ipc_open). */
static int program_oneway(const struct k42_msg *km)
{
	uint32_t iface = k42_ipc_op_iface(km->op);

	return km->sender != 0 && (k42_ipc_op_flags(km->op) & K42_IPC_FLAG_ONEWAY) &&
	       !(iface < 64 && ((LIB_IFACES >> iface) & 1));
}

void k42_serve(k42_ipc_handler fn)
{
	ipc_handler = fn;
	serve_threads = 0;
	k42_ipc_full_set(K42_IPC_FULL_MODE, !fn);
	k42_ipc_open();
}

void k42_serve_threads(k42_ipc_handler fn)
{
	k42_ipc_full_set(K42_IPC_FULL_MODE, 1);
	ipc_handler = fn;
	serve_threads = 1;
	k42_ipc_open();
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

	/* Messages held before the program took calls go first. */
	if (k42_ipc_is_open && __atomic_load_n(&held_next, __ATOMIC_RELAXED) < held_n) {
		uint32_t i;

		while ((i = __atomic_fetch_add(&held_next, 1, __ATOMIC_RELAXED)) < held_n)
			oneway_call(&held[i]);
	}
	while (sh->msg_tail != sh->msg_head) {
		struct k42_msg m = sh->msgs[sh->msg_tail % K42_DISP_MSGS];

		if (!k42_ipc_is_open && program_oneway(&m)) {
			if (held_n == K42_DISP_MSGS)
				return;	/* the rest wait in the ring (see held) */
			held[held_n++] = m;
			__atomic_store_n(&sh->msg_tail, sh->msg_tail + 1, __ATOMIC_RELEASE);
			continue;
		}
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

/* Reply to call `h` (disabled) with the message in m; page bytes are
 * copied into the PPC page unless they are there already. Returns the
 * kernel's answer (-K42_EDEAD: the caller has gone); with idle set and a
 * live caller it does not return. */
/* Answer call h with m (idle: and wait idle in the kernel, unless a
 * thread became ready); v is this dispatcher, ppc its PPC page. */
static inline __attribute__((always_inline)) long reply_on(struct k42_vp *v, uint8_t *ppc, uint64_t h,
							   struct k42_ipc_msg *m, int idle)
{
	if (idle) {
		/* Going idle in the kernel: another dispatcher that gives us a
		 * thread from now on kicks us (as k42_idle). */
		__atomic_store_n(&v->idle, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&v->nready, __ATOMIC_RELAXED)) {
			v->idle = 0;
			idle = 0;
		}
	}
	if (m->len > K42_IPC_PAGE_BYTES) {
		m->op = (uint64_t)-K42_EINVAL;	/* a handler's bad reply */
		m->len = 0;
	}
	if (m->len && m->page != ppc)
		memcpy(ppc, m->page, m->len);
	if (idle)	/* (the kernel's fast path takes this one in assembly) */
		return k42_sc_ppc_reply_idle(m->op, m->len, m->w[0], m->w[1], m->w[2], m->w[3],
					     m->w[4], m->w[5], h);
	return k42_sc_ppc_reply(h, m->op, m->len, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				m->w[5]);
}

static inline __attribute__((always_inline)) long reply(uint64_t h, struct k42_ipc_msg *m, int idle)
{
	return reply_on(k42_vp_self(), k42_ppc_page(), h, m, idle);
}

long k42_ipc_reply(uint64_t h, struct k42_ipc_msg *m)
{
	int s = k42_disable_save();
	long rc = reply(h, m, 0);

	k42_restore(s);
	return rc;
}

/* The call being served is answered by somebody else (or forwarded):
 * the path that took it must not reply. */
void k42_ipc_taken(void)
{
	if (serve_threads && k42_current && !k42_in_handler)
		k42_current->serve[8] = 0;
	else
		k42_vp_self()->handler_call = 0;
}

int k42_ipc_threaded(void)
{
	return serve_threads;
}

void k42_ipc_run_handler(uint64_t caller, struct k42_ipc_msg *m)
{
	if (ipc_handler)
		ipc_handler(caller, m);
	else
		m->op = (uint64_t)-K42_ENOSYS;
}

/* Serve one call (h: its handle; 0 for a one-way message) on v, this
 * dispatcher (inline for the handler-mode entry, k42_on_ipc_call). */
static inline __attribute__((always_inline)) void handle_on(struct k42_vp *v, uint64_t caller,
							    struct k42_ipc_msg *m, uint64_t h)
{
	uint32_t iface = k42_ipc_op_iface(m->op), ord = k42_ipc_op_ordinal(m->op);
	/* (One test for libk42's own interfaces, so the program's calls pay
	 * one branch for them, not four.) */
	int lib = iface < 64 && ((LIB_IFACES >> iface) & 1);

	trace_request_begin(iface, ord);
	if (__builtin_expect(!lib, 1)) {
		uint32_t gen, prev;

		if (!ipc_handler) {
			m->op = (uint64_t)-K42_ENOSYS;
			m->len = 0;
		} else if (__builtin_expect(k42_update_holding, 0) && h &&
			   k42_update_hold(caller, m, h)) {
			/* While a live update holds the program's calls, this
			 * one waits with them (the one branch every call pays). */
			k42_ipc_taken();
			trace_request_end(iface, ord, 0);
			return;
		} else {
			/* An activation: swaps wait for those of the generation
			 * before them (<k42/hotswap.h>); its slot as act_slot
			 * (hotswap.c) finds it. */
			uint32_t *slot = v->current && !v->in_handler ? &v->current->act
								      : &k42_handler_act;

			gen = k42_act_enter_at(slot, &prev);
			ipc_handler(caller, m);
			k42_act_exit_at(slot, gen, prev);
		}
	} else {
		struct k42_ipc_caller who = { caller, 0, ~0ull };

		if (iface == PROC_IFACE_ID)
			proc_dispatch(&who, m);
		else if (iface == IOEVENT_IFACE_ID)
			ioevent_dispatch(&who, m);
		else if (iface == UPDATE_IFACE_ID)
			k42_update_handle(&who, m, h);
		else
			k42_swap_handle(&who, m);
	}
	/* (The class tested here too: GCC keeps the writer out of line.) */
	if (__builtin_expect(k42_trace_on(K42_TRACE_MASK_REQUEST), 0))
		trace_request_end(iface, ord, (int64_t)m->op);
}

static void handle(uint64_t caller, struct k42_ipc_msg *m, uint64_t h)
{
	handle_on(k42_vp_self(), caller, m, h);
}

uint64_t k42_ipc_defer(void)
{
	struct k42_thread *t = k42_current;
	uint64_t h;

	if (!t || k42_in_handler || !t->serve[8])
		return 0;
	h = t->serve[8];
	t->serve[8] = 0;
	return h;
}

static void after_reply(void *arg)
{
	(void)arg;
	k42_dispatch();
}

/* A serving thread: its call is in t->serve, its bytes in t->ipc_page. */
static void serve_main(struct k42_thread *t)
{
	struct k42_ipc_msg m = { t->serve[1], { t->serve[2], t->serve[3], t->serve[4], t->serve[5],
						 t->serve[6], t->serve[7] },
				 k42_ipc_op_len(t->serve[1]), t->ipc_page };
	struct k42_disp_shared *sh = k42_disp();

	k42_restore(0);
	handle(t->serve[0], &m, t->serve[8]);
	k42_disable();
	__atomic_sub_fetch(&k42_threads_alive, 1, __ATOMIC_RELEASE);
	k42_current = NULL;
	/* Recycled by this dispatcher once off this stack (k42_dispatch):
	 * another dispatcher may take it from the free list at once. */
	k42_thread_reap_later(t);
	if (!t->serve[8])
		k42_on_upcall_stack(after_reply, NULL);	/* deferred: another thread replies */
	/* Nothing else to run: the reply leaves us idle, with no context. */
	reply(t->serve[8], &m, !k42_nready && !sh->pending && !sh->saved_valid && !k42_update_ending);
	if (k42_update_ending)
		k42_sc_exit(0);	/* replaced (update.c) */
	k42_on_upcall_stack(after_reply, NULL);
}

/* A thread for call h, its request bytes copied out of the PPC page. */
static struct k42_thread *serving_thread(uint64_t h, uint64_t caller, uint64_t op, const uint64_t *w)
{
	struct k42_thread *t = k42_thread_alloc(K42_THREAD_STACK);
	uint32_t len = k42_ipc_op_len(op);

	if (t && !t->ipc_page)
		t->ipc_page = malloc(K42_IPC_PAGE_BYTES);
	if (!t || !t->ipc_page) {
		struct k42_ipc_msg m = { (uint64_t)-K42_ENOMEM, { 0 }, 0, k42_ppc_page() };

		if (t)
			k42_thread_recycle(t);
		k42_ipc_refused++;
		reply(h, &m, 0);
		return NULL;
	}
	if (len)
		memcpy(t->ipc_page, k42_ppc_page(), len > K42_IPC_PAGE_BYTES ? K42_IPC_PAGE_BYTES : len);
	t->serve[0] = caller;
	t->serve[1] = op;
	for (int i = 0; i < 6; i++)
		t->serve[2 + i] = w[i];
	t->serve[8] = h;
	t->id = 0;
	t->prio = K42_PRIO_MAX;
	t->tickets = 100;
	__atomic_add_fetch(&k42_threads_alive, 1, __ATOMIC_RELAXED);
	k42_thread_setup(t, serve_main);
	return t;
}

/* Calls queued for us while we were disabled (K42_SOFTINTR_CALL). */
void k42_ipc_accept_all(void)
{
	struct k42_vp *v = k42_vp_self();
	uint64_t out[8];
	long h;

	if (!k42_ipc_is_open)
		return;
	/* Handler-mode calls served inline, on the stack of the running
	 * thread (v->current, if any), hold it up: they take turns with it
	 * and the ready threads as k42_dispatch's do (calls_turn.c). */
	if (!serve_threads && !k42_calls_may_serve(v, v->current != NULL)) {
		v->calls_waiting = 1;	/* the threads' turn */
		return;
	}
	while ((h = k42_sc_ppc_accept(out)) >= 0) {
		if (serve_threads) {
			struct k42_thread *t = serving_thread((uint64_t)h, out[0], out[1], &out[2]);

			if (t)
				k42_sched_enqueue(t);
		} else {
			struct k42_ipc_msg m = { out[1], { out[2], out[3], out[4], out[5], out[6], out[7] },
						 k42_ipc_op_len(out[1]), k42_ppc_page() };

			/* In the handler (as k42_ipc_serve_queued): a thread may
			 * be current here, and k42_ipc_handle, k42_ipc_taken and
			 * k42_ipc_defer must see the handler's call, not its. */
			k42_in_handler++;
			k42_vp_self()->handler_call = (uint64_t)h;
			handle(out[0], &m, (uint64_t)h);
			k42_in_handler--;
			if (k42_vp_self()->handler_call)
				reply((uint64_t)h, &m, 0);
			k42_vp_self()->handler_call = 0;
			if (k42_update_ending)
				k42_sc_exit(0);	/* replaced (update.c) */
			if (k42_calls_turn_over(v, v->current != NULL))
				break;	/* the threads' turn (calls_turn.c) */
		}
	}
}

void k42_ipc_calls_arrived(int droppable)
{
	if (droppable && !serve_threads && k42_ipc_is_open)
		k42_vp_self()->calls_waiting = 1;
	else
		k42_ipc_accept_all();
}

void k42_ipc_serve_queued(void)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_vp *v = k42_vp_self();
	uint64_t out[8];
	long h;

	v->calls_waiting = 0;
	while ((h = k42_sc_ppc_accept(out)) >= 0) {
		struct k42_ipc_msg m = { out[1], { out[2], out[3], out[4], out[5], out[6], out[7] },
					 k42_ipc_op_len(out[1]), k42_ppc_page() };

		k42_in_handler++;
		k42_vp_self()->handler_call = (uint64_t)h;
		handle(out[0], &m, (uint64_t)h);
		k42_in_handler--;
		if (k42_vp_self()->handler_call) {
			/* Taken one at a time: the kernel raises K42_SOFTINTR_CALL
			 * again for calls still queued when we go idle. */
			k42_vp_self()->handler_call = 0;
			k42_current = NULL;
			reply((uint64_t)h, &m, !k42_nready && !sh->pending && !k42_update_ending);
		}
		k42_vp_self()->handler_call = 0;
		if (k42_update_ending)
			k42_sc_exit(0);	/* replaced (update.c) */
		if (k42_calls_turn_over(v, 0))
			break;	/* the ready threads' turn (calls_turn.c) */
		if (sh->pending) {
			/* Events first (a timer may make a thread ready, which
			 * starts the turns): k42_dispatch drains, then serves on. */
			v->calls_waiting = 1;
			break;
		}
	}
}

/* Thread mode: the call gets its own thread; the interrupted one waits
 * its turn. (Out of line: the handler-mode path below is the hot one.) */
static __attribute__((noreturn, noinline)) void call_on_thread(struct k42_thread *cur, uint64_t h,
								uint64_t caller, uint64_t op,
								const uint64_t *w)
{
	struct k42_thread *t = serving_thread(h, caller, op, w);

	if (cur)
		k42_sched_enqueue(cur);
	if (t)
		k42_run(t);
	k42_dispatch();
}

void k42_on_ipc_call(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w3, uint64_t w4, uint64_t w5, uint64_t h)
{
	/* The dispatcher's page read once (SPRG3): a handler does not move. */
	struct k42_disp_shared *sh = k42_disp();
	struct k42_vp *v = &k42_vps[((uint64_t)sh - K42_DISP_VA) / K42_PAGE_SIZE];
	/* The words go to memory at once, so nothing keeps them in registers
	 * across the calls below. */
	struct k42_ipc_msg m = { op, { w0, w1, w2, w3, w4, w5 }, k42_ipc_op_len(op),
				 (uint8_t *)K42_PPC_PAGE_VA + ((uint64_t)sh - K42_DISP_VA) };
	/* (An idle server, the common case, has no interrupted context.) */
	struct k42_thread *cur = sh->saved_valid ? k42_take_saved() : NULL;

	if (serve_threads)
		call_on_thread(cur, h, caller, op, m.w);

	v->in_handler++;
	v->handler_call = h;
	handle_on(v, caller, &m, h);
	v->in_handler--;
	if (!v->handler_call) {
		/* Taken: answered later, or forwarded. */
	} else if (!cur && !v->nready && !sh->pending && !k42_update_ending) {
		v->handler_call = 0;
		v->current = NULL;
		reply_on(v, m.page, h, &m, 1);
	} else {
		reply_on(v, m.page, h, &m, 0);
	}
	v->handler_call = 0;
	if (k42_update_ending)
		k42_sc_exit(0);	/* replaced (update.c) */
	if (cur) {
		k42_sched_enqueue(cur);
		v->current = NULL;
	}
	k42_dispatch();
}

/* For ipc_regs.c: reply_on, and whether libk42 answers an interface. */
long k42_ipc_reply_on(struct k42_vp *v, uint8_t *ppc, uint64_t h, struct k42_ipc_msg *m, int idle)
{
	return reply_on(v, ppc, h, m, idle);
}

int k42_ipc_lib_iface(uint32_t iface)
{
	return iface < 64 && ((LIB_IFACES >> iface) & 1);
}

/*
 * The lean handler-mode entry: k42_entry_ipc_call (upcall.S) comes here
 * instead of k42_on_ipc_call when k42_ipc_full is 0, i.e. the program
 * serves in handler mode (k42_serve) on its one dispatcher, publishes no
 * swappable objects and no live update holds its calls. Then, for a call
 * that also finds the dispatcher idle (no interrupted context), names none
 * of libk42's own interfaces and no request trace class is on, what the
 * full path does besides running the handler is void: no thread to take
 * or to queue, no activation to count (on one dispatcher, disabled,
 * nothing else of the program runs beside the handler, so no swap or
 * update can wait for it or start under it), no hold, no trace event.
 * The handler runs at once on the PPC page and its answer goes back as
 * the full path sends it (reply_on: idle if nothing else is to run),
 * except that an idle reply raises no idle flag and needs no fence: the
 * flag tells other dispatchers to kick us when they hand us a thread
 * (k42_vp_poke), and with k42_ipc_full still 0 after the handler there
 * are none (K42_IPC_FULL_VPS is set before a second dispatcher exists and
 * never cleared; nothing else of the program runs beside the handler to
 * start one), and nready can only change on this dispatcher. The flag
 * keeps whatever it had (a stale 1 costs a spurious kick at worst), and
 * k42_dispatch clears it if the kernel does not take the idle reply. Any
 * other call takes the full path from the start.
 */
void k42_on_ipc_call_lean(uint64_t caller, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
			  uint64_t w3, uint64_t w4, uint64_t w5, uint64_t h)
{
	struct k42_disp_shared *sh = k42_disp();
	uint32_t iface = k42_ipc_op_iface(op);
	uint8_t *ppc;
	struct k42_vp *v;
	struct k42_ipc_msg m;

	if (__builtin_expect(sh->saved_valid || (iface < 64 && ((LIB_IFACES >> iface) & 1)) ||
				     k42_trace_on(K42_TRACE_MASK_REQUEST),
			     0))
		k42_on_ipc_call(caller, op, w0, w1, w2, w3, w4, w5, h);	/* (does not return) */
	v = &k42_vps[((uint64_t)sh - K42_DISP_VA) / K42_PAGE_SIZE];
	m.op = op;
	m.w[0] = w0;
	m.w[1] = w1;
	m.w[2] = w2;
	m.w[3] = w3;
	m.w[4] = w4;
	m.w[5] = w5;
	m.len = k42_ipc_op_len(op);
	m.page = ppc = (uint8_t *)K42_PPC_PAGE_VA + ((uint64_t)sh - K42_DISP_VA);
	v->in_handler++;
	v->handler_call = h;
	ipc_handler(caller, &m);
	v->in_handler--;
	if (v->handler_call) {
		v->handler_call = 0;
		if (__builtin_expect(k42_ipc_full || v->nready || sh->pending, 0)) {
			/* (The handler started a dispatcher, or work came: as
			 * the full path answers.) */
			reply_on(v, ppc, h, &m, !v->nready && !sh->pending && !k42_update_ending);
		} else {
			/* Idle, and no other dispatcher can hand us a thread
			 * meanwhile (one dispatcher), so no idle flag to raise
			 * first as reply_on does. */
			v->current = NULL;
			if (m.len > K42_IPC_PAGE_BYTES) {
				m.op = (uint64_t)-K42_EINVAL;	/* a handler's bad reply */
				m.len = 0;
			}
			if (m.len && m.page != ppc)
				memcpy(ppc, m.page, m.len);
			k42_sc_ppc_reply_idle(m.op, m.len, m.w[0], m.w[1], m.w[2], m.w[3], m.w[4],
					      m.w[5], h);
		}
	}
	/* (An idle reply returns only if the kernel did not take it.) */
	if (k42_update_ending)
		k42_sc_exit(0);	/* replaced (update.c; the handler may have ended us) */
	k42_dispatch();
}

/* The calling thread's message buffer, or v's outside threads. */
static uint8_t handler_page[K42_VPS_MAX][K42_IPC_PAGE_BYTES];

static inline uint8_t *thread_page_on(struct k42_vp *v)
{
	struct k42_thread *t = v->current;

	if (!t || v->in_handler)
		return handler_page[v->index];
	if (!t->ipc_page)
		t->ipc_page = malloc(K42_IPC_PAGE_BYTES);
	return t->ipc_page ? t->ipc_page : NULL;
}


uint64_t k42_ipc_set_timeout_us(uint64_t us)
{
	uint64_t *slot = k42_current && !k42_in_handler ? &k42_current->ipc_timeout_tb
							: &handler_timeout_tb[VPI];
	uint64_t prev = *slot / (K42_SCHED_SLICE_TB / 10000);

	*slot = us * (K42_SCHED_SLICE_TB / 10000);
	return prev;
}

/* A call whose page bytes are in m->page (any buffer). */
long k42_ipc_call_copy(uint64_t target, struct k42_ipc_msg *m)
{
	uint32_t len = k42_ipc_op_len(m->op);
	uint64_t out[7];
	long rc;
	/* Disabled from copying the bytes in until they are copied out: the
	 * PPC page is the dispatcher's, shared by its threads; and disabled,
	 * we stay on this dispatcher, whose page and state are read once. */
	int s = k42_disable_save();
	struct k42_disp_shared *sh = k42_disp();
	struct k42_vp *v = &k42_vps[((uint64_t)sh - K42_DISP_VA) / K42_PAGE_SIZE];
	uint8_t *ppc = (uint8_t *)K42_PPC_PAGE_VA + ((uint64_t)sh - K42_DISP_VA);

	sh->call_timeout_tb = v->current && !v->in_handler ? v->current->ipc_timeout_tb
							    : handler_timeout_tb[v->index];
	if (len && len <= K42_IPC_PAGE_BYTES && m->page != ppc)
		memcpy(ppc, m->page, len);	/* (a longer one is refused by the kernel) */
	grant_out_on(v, sh);
	rc = k42_sc_ppc_call(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4], m->w[5], out);
	m->op = (uint64_t)rc;
	m->len = (uint32_t)out[0];
	for (int i = 0; i < 6; i++)
		m->w[i] = out[1 + i];
	if (m->len > K42_IPC_PAGE_BYTES)
		m->len = 0;
	if (m->len && m->page != ppc)
		memcpy(m->page, ppc, m->len);
	k42_restore(s);
	return rc;
}

long k42_call(uint64_t target, struct k42_ipc_msg *m, int tries)
{
	(void)tries;
	m->page = k42_ppc_page();
	return k42_ipc_call_copy(target, m);
}

long k42_ipc_call(k42_handle_t target, struct k42_ipc_msg *m)
{
	if (k42_ipc_op_flags(m->op) & K42_IPC_FLAG_ONEWAY) {
		grant_slot()[1] = 0;	/* a message lends nothing */
		return k42_sc_ppc_send(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				       m->w[5]);
	}
	/* Only this thread waits, if others could run meanwhile. */
	if (k42_threads_alive > 1) {
		struct k42_vp *v = k42_vp_self();

		if (v->current && !v->in_handler && !v->current->ipc_timeout_tb &&
		    m->page != k42_ppc_page())
			return k42_ipc_call_wait(target, m);
	}
	return k42_ipc_call_copy(target, m);
}

struct k42_ipc_msg *k42_ipc_msg_get(void)
{
	static struct k42_ipc_msg handler_msg;
	struct k42_vp *v = k42_vp_self();
	struct k42_thread *t = v->current;
	struct k42_ipc_msg *m = t && !v->in_handler ? &t->ipc_msg : &handler_msg;
	uint8_t *page = thread_page_on(v);

	/* (Field by field: a memset call costs more than these stores.) */
	m->op = 0;
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		m->w[i] = 0;
	m->len = 0;
	m->page = page ? page : k42_ppc_page();
	return m;
}
