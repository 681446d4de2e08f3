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
/* The rings are the geometry of <k42/layout.h> (k42_trace_attach checks
 * it), and the buffer is always there while a class is enabled: the
 * writer's fast path counts on both (<k42/trace.h>). */
#define K42_TRACE_FIXED_BLOCK_SHIFT K42_TRACE_BLOCK_SHIFT
#define K42_TRACE_FIXED_RING_SHIFT  K42_TRACE_RING_SHIFT
#define K42_TRACE_BUF_NONNULL
#define K42_TRACE_NOW_IS_MFTB
#include <k42/trace.h>

/* One per CPU, filled by k42_trace_attach (readers call it; writers need
 * none of it); ring == NULL before that, if attaching failed, or for a
 * CPU with no buffer. */
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

/* The ring of the CPU we run on, as the kernel describes it in our
 * dispatcher's shared page (SPRG3): one mfspr and the loads of the
 * fields. A dispatcher moved to another CPU between the read and the write
 * logs that one event into its old CPU's ring: harmless, as any number of
 * writers may share a ring. Never NULL; its ring is set whenever a class
 * can be enabled (the mask page is mapped only with the rings). */
static inline struct k42_trace_buf *k42_trace_cpu_buf(void)
{
#ifdef __powerpc64__
	uint64_t va;

	__asm__ volatile("mfspr %0, 259" : "=r"(va));	/* our shared page (SPRG3) */
	return &((struct k42_disp_shared *)va)->trace_buf;
#else
	return &k42_trace_user_bufs[0];
#endif
}

#include <k42/trace_events.h>

/* Attach to every CPU's buffer (k42_trace_user_bufs), for a reader; 0 or
 * an error. Calling it again attaches again. */
int k42_trace_attach(void);

#endif
