/*
 * Register-level server entries (k42_serve_regs; <k42/ipc.h>, docs/idl.md
 * "Register-level entries"): the registration, the word the IPC-call stub
 * tests, and the C side of the assembly path in upcall.S.
 */
#include <k42/ktrace.h>
#include "internal.h"
#include "ipc_regs.h"

/*
 * Register-level entries (k42_serve_regs; docs/idl.md, "Register-level
 * entries"). k42_entry_ipc_call (upcall.S) takes a call to one of them
 * in assembly, before the lean entry: when k42_ipc_regs_fast is set (it
 * is the registered table while k42_ipc_full is 0, i.e. exactly when the
 * lean entry would run; NULL otherwise, see k42_ipc_full_set), the op
 * word is the one the table holds at its ordinal (so not one of libk42's
 * own interfaces, which k42_serve_regs refuses), the dispatcher has no
 * interrupted context and the request trace class is off. Those are the
 * lean entry's own conditions, and what it would do for the call is what
 * the stub does: the handler state set (in_handler, handler_call; on
 * dispatcher 0, the one there is), the caller {pid, 0, rights} built,
 * and the generated entry called with the request words where the kernel
 * left them. The entry answers with k42_ipc_reply_regs (upcall.S), which
 * makes the lean entry's idle reply, the results moved into the reply's
 * registers, if the lean conditions still hold after the implementation
 * ran and nothing became ready or pending, and otherwise calls
 * k42_ipc_reply_regs_slow below. What follows a reply that returns is
 * k42_ipc_regs_done. Every other call takes the paths it took before.
 */
const struct k42_ipc_regs *k42_ipc_regs_fast, *k42_ipc_regs_tab;
/* The caller struct the stub passes: one is enough, as only dispatcher
 * 0 takes the stub, disabled, one call at a time, and a caller struct
 * lives no longer than the entry's call (as one on the upcall stack did). */
struct k42_ipc_caller k42_ipc_regs_caller;
/* The trace mask's address, one load away (K42_TRACE_VA needs four
 * instructions to build). */
const volatile uint64_t *const k42_ipc_regs_trace = (const volatile uint64_t *)K42_TRACE_VA;

_Static_assert(__builtin_offsetof(struct k42_vp, nready) == K42_VP_NREADY &&
		       __builtin_offsetof(struct k42_vp, current) == K42_VP_CURRENT &&
		       __builtin_offsetof(struct k42_vp, in_handler) == K42_VP_IN_HANDLER &&
		       __builtin_offsetof(struct k42_vp, handler_call) == K42_VP_HANDLER_CALL &&
		       __builtin_offsetof(struct k42_disp_shared, pending) == K42_DISP_PENDING &&
		       __builtin_offsetof(struct k42_disp_shared, saved_valid) == K42_DISP_SAVED_VALID &&
		       K42_TRACE_MASK_REQUEST == 1ull << K42_TRACE_REQUEST_BIT,
	       "ipc_regs.h is out of date");

long k42_serve_regs(const struct k42_ipc_regs *t, uint64_t rights)
{
	int s;
	long rc = 0;

	if (t && k42_ipc_lib_iface(t->iface))
		return -K42_EINVAL;	/* libk42 answers those itself */
	/* upcall.S calls the entry whose op word equals the call's: an
	 * empty slot must hold ~0 (no valid op word), or a client could
	 * name it and make the server call a null function. */
	for (uint32_t i = 0; t && i < t->n; i++)
		if (!t->m[i].fn && t->m[i].op != ~0ull)
			return -K42_EINVAL;
	s = k42_disable_save();
	if (t && k42_ipc_regs_tab && k42_ipc_regs_tab != t) {
		rc = -K42_EBUSY;
	} else {
		__atomic_store_n(&k42_ipc_regs_fast, NULL, __ATOMIC_SEQ_CST);
		k42_ipc_regs_caller.object = 0;
		k42_ipc_regs_caller.rights = rights;
		k42_ipc_regs_tab = t;
		if (__atomic_load_n(&k42_ipc_full, __ATOMIC_SEQ_CST) == 0)
			__atomic_store_n(&k42_ipc_regs_fast, t, __ATOMIC_SEQ_CST);
	}
	k42_restore(s);
	return rc;
}

/* k42_ipc_reply_regs when its idle reply does not apply (upcall.S):
 * answer as the lean entry answers a message, the words and the page
 * bytes already in the PPC page passed on (a length past the page is the
 * handler's bad reply: -K42_EINVAL, as reply_on answers it). */
void k42_ipc_reply_regs_slow(long status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			     uint64_t w3, uint64_t w4, uint64_t w5);
void k42_ipc_reply_regs_slow(long status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			     uint64_t w3, uint64_t w4, uint64_t w5)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_vp *v = &k42_vps[((uint64_t)sh - K42_DISP_VA) / K42_PAGE_SIZE];
	uint64_t h = v->handler_call;
	int bad = len > K42_IPC_PAGE_BYTES;
	struct k42_ipc_msg m = { bad ? (uint64_t)-K42_EINVAL : (uint64_t)status,
				 { w0, w1, w2, w3, w4, w5 }, bad ? 0 : (uint32_t)len,
				 (uint8_t *)K42_PPC_PAGE_VA + ((uint64_t)sh - K42_DISP_VA) };

	if (!h)
		return;		/* taken: answered by somebody else */
	v->handler_call = 0;
	v->in_handler--;
	k42_ipc_reply_on(v, m.page, h, &m, !v->nready && !sh->pending && !k42_update_ending);
	v->in_handler++;	/* (k42_ipc_regs_done ends the handler) */
}

/* After a register-level entry returned (upcall.S): its reply was not an
 * idle one the kernel took, or somebody else answers the call. */
__attribute__((noreturn)) void k42_ipc_regs_done(void);
void k42_ipc_regs_done(void)
{
	struct k42_vp *v = k42_vp_self();

	v->in_handler--;
	if (v->handler_call) {
		/* (An entry that did not answer: never leave a caller waiting.) */
		struct k42_ipc_msg m = { (uint64_t)-K42_EPROTO, { 0 }, 0, k42_ppc_page() };
		uint64_t h = v->handler_call;

		v->handler_call = 0;
		k42_ipc_reply_on(v, m.page, h, &m, 0);
	}
	if (k42_update_ending)
		k42_sc_exit(0);	/* replaced (update.c; the entry may have ended us) */
	k42_dispatch();
}
