/*
 * k42's side of ./k42 bench, run as init. Each figure is timed with the
 * timebase over many iterations after a warm-up (the best of three
 * repetitions counts); under QEMU -icount
 * shift=0 one instruction is one virtual nanosecond and the timebase runs
 * at 512 MHz, so instructions = ticks / 0.512 exactly. Prints one line per
 * figure: `BENCH name ticks_per_op`.
 */
#include <k42/k42.h>
#include <k42/ktrace.h>
#include <k42/thread.h>
#include "bench.h"

#ifndef ITERS
#define ITERS 20000
#endif
#define REPS 3

static uint64_t server;

static void report(const char *name, uint64_t best_ticks, uint64_t iters)
{
	uint64_t milli = best_ticks * 1000 / iters;

	k42_printf("BENCH %s %lu.%03lu\n", name, milli / 1000, milli % 1000);
}

static uint64_t time_null_syscall(void)
{
	uint64_t t0 = k42_timebase();

	for (int i = 0; i < ITERS; i++)
		k42_sc_null();
	return k42_timebase() - t0;
}

static uint64_t time_ppc(uint32_t payload)
{
	uint64_t out[7], op = k42_ipc_op(0x4b42, 1, payload ? 1 : 0, 0, payload);
	uint64_t *page = k42_ppc_page(), t0;

	t0 = k42_timebase();
	for (int i = 0; i < ITERS; i++) {
		for (uint32_t j = 0; j < payload / 8; j++)
			page[j] = j;
		k42_sc_ppc_call(server, op, (uint64_t)i, 0, 0, 0, 0, 0, out);
	}
	return k42_timebase() - t0;
}

static uint64_t best(uint64_t (*fn)(uint32_t), uint32_t arg)
{
	uint64_t b = UINT64_MAX;

	fn(arg);	/* warm up */
	for (int r = 0; r < REPS; r++) {
		uint64_t t = fn(arg);

		if (t < b)
			b = t;
	}
	return b;
}

static uint64_t stub_errors;

static uint64_t time_stub_call(uint32_t unused)
{
	uint64_t t0 = k42_timebase(), b;

	(void)unused;
	for (int i = 0; i < ITERS; i++)
		if (bench_inc(server, (uint64_t)i, &b) != 0 || b != (uint64_t)i + 1)
			stub_errors++;
	return k42_timebase() - t0;
}

static uint64_t time_trace_event(uint32_t unused)
{
	uint64_t t0 = k42_timebase();

	(void)unused;
	for (int i = 0; i < ITERS; i++)
		trace_app_event((uint64_t)i, 42);
	return k42_timebase() - t0;
}

static uint64_t time_thread_switch(uint32_t unused)
{
	(void)unused;
	return k42_thread_switch_bench(ITERS);	/* ITERS switches, both directions */
}

static uint64_t null_adapter(uint32_t unused)
{
	(void)unused;
	return time_null_syscall();
}

int main(uint64_t arg)
{
	struct k42_ipc_msg m;
	long pid;

	(void)arg;
	pid = k42_spawn_path("bench/kbench_server", K42_PRIO_GENERAL, 0);
	if (pid < 0)
		return 1;
	server = (uint64_t)pid;
	/* Wait until the server takes calls, then measure with upcalls off so
	 * nothing but the measured path runs. */
	m.op = k42_ipc_op(0x4b42, 1, 0, 0, 0);
	if (k42_call(server, &m, 1000) != 0)
		return 2;
	k42_disable();
	report("null_syscall_ticks_per_op", best(null_adapter, 0), ITERS);
	report("ppc_null_roundtrip_ticks_per_op", best(time_ppc, 0), ITERS);
	report("ppc_1k_roundtrip_ticks_per_op", best(time_ppc, 1024), ITERS);
	report("ppc_4k_roundtrip_ticks_per_op", best(time_ppc, 4096), ITERS);
	report("stub_roundtrip_ticks_per_op", best(time_stub_call, 0), ITERS);
	if (stub_errors) {
		k42_printf("kbench: %lu stub calls failed\n", stub_errors);
		return 3;
	}
	report("thread_switch_ticks_per_op", best(time_thread_switch, 0), ITERS);
	k42_sc_trace_mask(0);
	report("trace_event_disabled_ticks_per_op", best(time_trace_event, 0), ITERS);
	k42_sc_trace_mask(K42_TRACE_MASK_APP);
	report("trace_event_enabled_ticks_per_op", best(time_trace_event, 0), ITERS);
	k42_sc_trace_mask(0);
	k42_enable();
	k42_printf("BENCH done\n");
	return 0;
}
