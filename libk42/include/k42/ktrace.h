/*
 * Tracing from user space (docs/tracing.md): the three hooks <k42/trace.h>
 * needs, bound to what the kernel maps into every process — the enabled
 * mask is the first word of the read-only page at K42_TRACE_VA (one load),
 * and the buffer is this CPU's ring, shared with the kernel. Include this,
 * then call the generated trace_*() functions, e.g. trace_app_marker(7).
 */
#ifndef K42_KTRACE_H
#define K42_KTRACE_H

#include <stdint.h>
#include <k42/layout.h>
#include <k42/trace.h>

/* Attached by libk42 at start; ring == NULL if attaching failed. */
extern struct k42_trace_buf k42_trace_user_buf;

static inline uint64_t k42_trace_now(void)
{
	uint64_t t;

	__asm__ volatile("mftb %0" : "=r"(t));
	return t;
}

static inline uint64_t k42_trace_mask(void)
{
	return *(const volatile uint64_t *)K42_TRACE_VA;
}

static inline struct k42_trace_buf *k42_trace_cpu_buf(void)
{
	return k42_trace_user_buf.ring ? &k42_trace_user_buf : 0;
}

#include <k42/trace_events.h>

/* Attach to the kernel's buffer (libk42 does it at start); 0 or an error. */
int k42_trace_attach(void);

#endif
