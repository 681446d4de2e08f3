/*
 * The register-only fast path of PPC IPC (kern/ppc_fast.c), entered from
 * the architecture's `sc` vector with the caller's registers already in
 * cur->ctx. Each returns 1 when it made another dispatcher current (its
 * ctx holds what the exit loads), or 0, having changed nothing, when the
 * general path must take the call.
 */
#ifndef KERN_PPC_FAST_H
#define KERN_PPC_FAST_H

#include <kern/dispatcher.h>

long ppc_fast_call(struct dispatcher *cur);
long ppc_fast_reply(struct dispatcher *cur);

#endif
