/*
 * What the files of PPC's general path share: kern/ppc.c (calls,
 * replies, accept, grants, messages), kern/ppc_timed.c (bounded calls,
 * ppc_cancel) and kern/ppc_async.c (asynchronous calls). Under the
 * kernel lock.
 */
#ifndef KERN_PPC_GENERAL_H
#define KERN_PPC_GENERAL_H

#include <stdint.h>
#include <arch/context.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>

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

#endif
