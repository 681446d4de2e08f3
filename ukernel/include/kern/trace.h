/*
 * Kernel tracing: the three hooks <k42/trace.h> wants, bound to the per-CPU
 * area (mask and buffer are one r13-relative access each), and the kernel's
 * trace set-up, control and dump. Events are the generated trace_*()
 * functions of <k42/trace_events.h>; see docs/tracing.md.
 */
#ifndef KERN_TRACE_H
#define KERN_TRACE_H

#include <stdint.h>
#include <arch/spr.h>
#include <k42/layout.h>
#include <kern/percpu.h>

/* Every CPU's ring has the geometry of <k42/layout.h>, and while any class
 * is enabled every CPU has one (trace_set_mask keeps the mask 0 until
 * trace_init has made them): the writer's fast path may count on both. */
#define K42_TRACE_FIXED_BLOCK_SHIFT K42_TRACE_BLOCK_SHIFT
#define K42_TRACE_FIXED_RING_SHIFT  K42_TRACE_RING_SHIFT
#define K42_TRACE_BUF_NONNULL
#define K42_TRACE_NOW_IS_MFTB

static inline uint64_t k42_trace_now(void)
{
	return mftb();
}

static inline uint64_t k42_trace_mask(void)
{
	return this_cpu()->trace_mask;
}

static inline struct k42_trace_buf *k42_trace_cpu_buf(void)
{
	return &this_cpu()->trace_buf;
}

#include <k42/trace_events.h>

struct process;

/* Allocate and initialise every online CPU's buffer (once, after the CPUs
 * are started); classes from the boot option; stream: K42_TRACE_MODE_STREAM
 * (a user-level consumer drains the rings) instead of flight. */
int trace_init(const char *classes, int stream);
/* Map the trace pages into a new process. */
int trace_map_into(struct process *p);
/* On every decrementer interrupt (so at least every 2^31 ticks): close
 * this CPU's block if its header is too old for its events' 32-bit
 * timestamps (k42_trace_keep_time). Lock-free, any context. */
void trace_tick(void);
/* Describe CPU cpu's ring to a dispatcher in its shared page (struct
 * k42_disp_shared trace_buf, the user writers' buffer): when it is made
 * and whenever it moves to another CPU. */
struct k42_disp_shared;
void trace_disp_bind(struct k42_disp_shared *sh, unsigned cpu);
/* Enable classes (bit per class) on every CPU; returns the previous mask. */
uint64_t trace_set_mask(uint64_t mask);
/* Write the buffers that hold events to the console (one dump, a segment
 * per CPU, base64 between markers). In stream mode only what the consumer
 * has not taken: a one-block segment per block from `consumed` on. */
void trace_dump_console(void);

#endif
