/*
 * Tracing from user space (docs/tracing.md): the three hooks <k42/trace.h>
 * needs, bound to what the kernel maps into every process — the enabled
 * mask is the first word of the read-only page at K42_TRACE_VA (one load),
 * and the buffer is the ring of the CPU the dispatcher runs on (the `cpu`
 * word of its shared page), shared with the kernel and every process
 * there. Include this, then call the generated trace_*() functions, e.g.
 * trace_app_marker(7).
 */
#ifndef K42_KTRACE_H
#define K42_KTRACE_H

#include <stdint.h>
#include <k42/dispatcher.h>
#include <k42/layout.h>
#include <k42/trace.h>

/* Attached by libk42 at start, one per CPU; ring == NULL if attaching
 * failed (or the CPU has no buffer). */
extern struct k42_trace_buf k42_trace_user_bufs[K42_TRACE_CPUS_MAX];

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

/* The ring of the CPU we run on. A dispatcher moved to another CPU between
 * the read and the write logs that one event into its old CPU's ring:
 * harmless, as any number of writers may share a ring. */
static inline struct k42_trace_buf *k42_trace_cpu_buf(void)
{
	uint64_t cpu = 0;
	struct k42_trace_buf *b;

#ifdef __powerpc64__
	uint64_t va;

	__asm__ volatile("mfspr %0, 259" : "=r"(va));	/* our shared page (SPRG3) */
	cpu = ((const volatile struct k42_disp_shared *)va)->cpu;
	if (cpu >= K42_TRACE_CPUS_MAX)
		return 0;	/* the page is ours to scribble on */
#endif
	b = &k42_trace_user_bufs[cpu];
	return b->ring ? b : 0;
}

#include <k42/trace_events.h>

/* Attach to the kernel's buffer (libk42 does it at start); 0 or an error. */
int k42_trace_attach(void);

#endif
