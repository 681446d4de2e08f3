/*
 * The register-only fast path of PPC IPC (kern/ppc_fast.c), entered from
 * the architecture's `sc` vector for the current dispatcher (the caller),
 * with its kernel-call registers as the arguments: ppc_call's target, op
 * and words; ppc_reply's handle, status, flags and first five words (the
 * sixth, r11, is in its ctx); ppc_reply_idle's status, len and words (its
 * handle, r11, is in its ctx). A call's whole context is in cur->ctx
 * already; a reply's only what the C code clobbers (r0..r2, r11..r13,
 * the SPRs). Each returns 1 when it made another dispatcher current (its
 * ctx holds what the exit loads), or 0, having changed nothing but (for
 * a reply) storing its argument registers into the ctx too, when the
 * general path must take the call.
 */
#ifndef KERN_PPC_FAST_H
#define KERN_PPC_FAST_H

#include <stdint.h>

long ppc_fast_call(uint64_t target, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2,
		   uint64_t w3, uint64_t w4, uint64_t w5);
long ppc_fast_reply(uint64_t h, uint64_t status, uint64_t flags, uint64_t w0, uint64_t w1,
		    uint64_t w2, uint64_t w3, uint64_t w4);
long ppc_fast_reply_idle(uint64_t status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			 uint64_t w3, uint64_t w4, uint64_t w5);

#endif
