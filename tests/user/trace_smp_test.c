/*
 * Tracing on every CPU (run as init with several CPUs, checked on the host
 * by the test runner, trace/smp_cpus): a thread on a dispatcher of its own
 * on each CPU logs app.marker(1000 + cpu) MARKS times, each after a kernel
 * call, with every class enabled. The dump at power-off must hold a
 * segment per CPU, each CPU's markers in that CPU's ring, and kernel
 * events (timer ticks, switches) from more than one CPU.
 */
#include <k42/ktrace.h>
#include "check.h"

#define MARKS 20

static uint64_t logged[K42_TRACE_CPUS_MAX], wrong_cpu[K42_TRACE_CPUS_MAX];

static void *marker(void *arg)
{
	uint64_t cpu = (uint64_t)arg;

	for (int i = 0; i < MARKS; i++) {
		k42_sc_yield();	/* a kernel entry on this CPU */
		if (k42_info(K42_INFO_CPU) != cpu || k42_disp()->cpu != cpu)
			wrong_cpu[cpu]++;
		trace_app_marker(1000 + cpu);
		logged[cpu]++;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

int main(uint64_t arg)
{
	uint64_t ncpus = k42_info(K42_INFO_CPUS_ONLINE);
	k42_thread_t *t[K42_TRACE_CPUS_MAX];
	unsigned vp[K42_TRACE_CPUS_MAX];

	(void)arg;
	EXPECT(ncpus >= 2 && ncpus <= K42_VPS_MAX, "%lu CPUs online: this test wants 2 .. %d", ncpus,
	       K42_VPS_MAX);
	if (ncpus < 2 || ncpus > K42_VPS_MAX)
		return verdict("trace_smp_test");
	EXPECT(k42_trace_attach() == 0, "attaching to the trace buffers");
	for (uint64_t c = 0; c < ncpus; c++)
		EXPECT(k42_trace_user_bufs[c].ring != 0, "not attached to CPU %lu's buffer", c);
	for (uint64_t c = 0; c < ncpus; c++) {
		long v = c == k42_vp_cpu(0) ? 0 : k42_vp_start((unsigned)c);

		EXPECT(v >= 0, "dispatcher on CPU %lu: %ld", c, v);
		if (v < 0)
			return verdict("trace_smp_test");
		vp[c] = (unsigned)v;
	}
	k42_sc_trace_mask(K42_TRACE_MASK_ALL);
	for (uint64_t c = 0; c < ncpus; c++) {
		t[c] = k42_thread_create_on(vp[c], marker, (void *)c, NULL);
		EXPECT(t[c] != NULL, "thread on CPU %lu", c);
	}
	for (uint64_t c = 0; c < ncpus; c++)
		if (t[c])
			k42_thread_join(t[c], NULL);
	k42_sc_trace_mask(0);
	for (uint64_t c = 0; c < ncpus; c++) {
		EXPECT(logged[c] == MARKS, "CPU %lu logged %lu markers", c, logged[c]);
		EXPECT(wrong_cpu[c] == 0, "CPU %lu's thread ran elsewhere %lu times", c, wrong_cpu[c]);
	}
	k42_printf("trace_smp_test: %d markers from each of %lu CPUs\n", MARKS, ncpus);
	return verdict("trace_smp_test");
}
