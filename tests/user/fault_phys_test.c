/*
 * Faults on fixed physical memory without the kernel lock, and no trace
 * pages touched by a process that does not read them (run as init, any
 * CPU count). Every process maps the trace pages (the mask page, a
 * control page and a ring per CPU: a physical FCM, mm/fcm_phys.c):
 *  - at start nothing is attached (k42_trace_user_bufs[] empty), so a
 *    process that only writes events never faults in the other CPUs'
 *    pages (docs/tracing.md);
 *  - reading the mask page, every CPU's control page and 16 pages of CPU
 *    0's ring adds nothing to K42_INFO_FAULTS_LOCKED (mm/fault.c,
 *    resolve_unlocked), while a child's fault on an unmapped address
 *    (killed) adds to it: the counter counts;
 *  - k42_trace_attach then attaches every CPU's buffer.
 * With arg 1 it is that child.
 */
#include <k42/ktrace.h>
#include "check.h"

#define RING_PAGES 16

int main(uint64_t arg)
{
	uint64_t ncpus = k42_info(K42_INFO_CPUS_ONLINE), sum = 0, locked0, locked1, locked2;
	int status = -1;
	long child;

	if (arg == 1) {
		(void)*(volatile uint64_t *)0x2000;	/* nothing is mapped there */
		return 0;
	}
	EXPECT(ncpus >= 1 && ncpus <= K42_TRACE_CPUS_MAX, "%lu CPUs online", ncpus);
	if (ncpus < 1 || ncpus > K42_TRACE_CPUS_MAX)
		return verdict("fault_phys_test");
	for (uint64_t c = 0; c < K42_TRACE_CPUS_MAX; c++)
		EXPECT(k42_trace_user_bufs[c].ring == 0, "CPU %lu's buffer attached at start", c);

	locked0 = k42_info(K42_INFO_FAULTS_LOCKED);
	sum += ((const volatile uint64_t *)K42_TRACE_VA)[K42_TRACE_INFO_CPUS];
	for (uint64_t c = 0; c < ncpus; c++)
		sum += *(const volatile uint64_t *)(K42_TRACE_CTL_VA + c * K42_PAGE_SIZE);
	for (uint64_t p = 0; p < RING_PAGES; p++)
		sum += *(const volatile uint64_t *)(K42_TRACE_RING_VA + p * K42_PAGE_SIZE);
	locked1 = k42_info(K42_INFO_FAULTS_LOCKED);
	EXPECT(locked1 == locked0, "%lu faults on %lu trace pages took the kernel lock",
	       locked1 - locked0, 1 + ncpus + RING_PAGES);
	(void)sum;

	child = k42_spawn_path("tests/fault_phys_test", K42_PRIO_GENERAL, 1);
	EXPECT(child > 0, "spawn: %ld", child);
	if (child > 0)
		EXPECT(k42_wait((uint64_t)child, &status) == K42_PROC_KILLED,
		       "the child's fault on an unmapped address did not kill it");
	locked2 = k42_info(K42_INFO_FAULTS_LOCKED);
	EXPECT(locked2 > locked1, "the child's fatal fault was not counted (%lu, %lu)", locked1,
	       locked2);

	EXPECT(k42_trace_attach() == 0, "attaching to the trace buffers");
	for (uint64_t c = 0; c < ncpus; c++)
		EXPECT(k42_trace_user_bufs[c].ring != 0, "CPU %lu's buffer not attached", c);
	return verdict("fault_phys_test");
}
