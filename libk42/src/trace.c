/*
 * libk42's side of tracing: attach to every CPU's buffer the kernel maps
 * (CPU c's control page at K42_TRACE_CTL_VA + c pages, its ring at
 * K42_TRACE_RING_VA + c rings), checking each one's geometry. Only
 * readers (the trace_stream server, tests) attach, when they start: a
 * process that only writes events goes by the description the kernel
 * keeps in its dispatcher's shared page (<k42/ktrace.h>) and never
 * touches, so never faults in, the other CPUs' pages.
 */
#include <k42/k42.h>
#include <k42/ktrace.h>

struct k42_trace_buf k42_trace_user_bufs[K42_TRACE_CPUS_MAX];

int k42_trace_attach(void)
{
	uint64_t n = ((const volatile uint64_t *)K42_TRACE_VA)[K42_TRACE_INFO_CPUS];
	const uint64_t ring_bytes = 8ull << K42_TRACE_RING_SHIFT;
	int rc = 0;

	if (n == 0 || n > K42_TRACE_CPUS_MAX)
		return -K42_EINVAL;
	for (uint64_t c = 0; c < n && rc == 0; c++) {
		rc = k42_trace_buf_attach(&k42_trace_user_bufs[c],
					  (struct k42_trace_ctl *)(K42_TRACE_CTL_VA + c * K42_PAGE_SIZE),
					  (uint64_t *)(K42_TRACE_RING_VA + c * ring_bytes),
					  1ull << K42_TRACE_RING_SHIFT);
		/* The writer's fast path takes the geometry as constants. */
		if (rc == 0 && (k42_trace_user_bufs[c].block_shift != K42_TRACE_BLOCK_SHIFT ||
				k42_trace_user_bufs[c].ring_shift != K42_TRACE_RING_SHIFT))
			rc = -K42_EINVAL;
	}
	return rc;
}
