/*
 * libk42's side of tracing: attach to the per-CPU buffer the kernel maps at
 * K42_TRACE_CTL_VA / K42_TRACE_RING_VA, checking its geometry.
 */
#include <k42/k42.h>
#include <k42/ktrace.h>

struct k42_trace_buf k42_trace_user_buf;

int k42_trace_attach(void)
{
	return k42_trace_buf_attach(&k42_trace_user_buf, (struct k42_trace_ctl *)K42_TRACE_CTL_VA,
				    (uint64_t *)K42_TRACE_RING_VA,
				    1ull << K42_TRACE_RING_SHIFT);
}
