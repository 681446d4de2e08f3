/*
 * What the files of PPC's general path share: kern/ppc.c (calls,
 * replies, accept, grants, messages), kern/ppc_timed.c (bounded calls,
 * ppc_cancel) and kern/ppc_async.c (asynchronous calls). Under the
 * kernel lock, but for ppc_async_handoff, which kern/ppc_cross.c also
 * runs under the local locks.
 */
#ifndef KERN_PPC_GENERAL_H
#define KERN_PPC_GENERAL_H

#include <stdint.h>
#include <arch/context.h>
#include <k42/dispatcher.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/ppc_cross.h>
#include <kern/sched.h>

/* kern/ppc.c: take the grant the caller wrote into its shared page for c
 * (and clear it): 0, or -K42_EINVAL for one out of bounds. */
long ppc_take_grant(struct dispatcher *cur, struct ipc_call *c);

/* kern/ppc_timed.c: d off its CPU's list of bounded calls; cur's call,
 * just begun, onto this CPU's list if bounded (else off any list). */
void ppc_untime(struct dispatcher *d);
void ppc_call_bound(struct dispatcher *cur);

/* kern/ppc_async.c: an async call's page bytes from its caller's buffer
 * into the server's PPC page (0 or -K42_EFAULT); ppc_reply to the async
 * call c of a live caller. */
int ppc_async_request_in(const struct ipc_call *c, struct dispatcher *server);
long ppc_reply_async(struct trap_frame *tf, struct dispatcher *cur, struct ipc_call *c,
		     long status, uint32_t len, const uint64_t *w, uint64_t lenflags);

/* The reply to async call c handed to its caller at K42_ENTRY_IPC_RETURN
 * (ppc_takes_return held): the record freed, the server after its reply,
 * the caller entered with the call's handle in r3 and the reply's status,
 * length and words after it, and the processor handed to it. With the
 * kernel lock (kern/ppc_async.c) or the caller's CPU's local lock, the
 * caller on this CPU (kern/ppc_cross.c). */
static inline void ppc_async_handoff(struct trap_frame *tf, struct dispatcher *cur,
				     struct ipc_call *c, long status, uint32_t len,
				     const uint64_t *w, uint64_t lenflags)
{
	struct dispatcher *caller = c->caller;
	uint64_t h = ipc_call_handle(c);	/* before the free bumps its generation */

	ipc_call_free(c);
	server_after_reply(tf, cur, lenflags);
	ppc_upcall_into(tf, caller, K42_ENTRY_IPC_RETURN);
	ctx_set_result(tf, 0, h);
	ppc_set_return_regs(tf, 1, status, len, w);
	sched_handoff(tf, caller);
}

#endif
