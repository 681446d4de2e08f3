/*
 * Thread switch cost (for the benchmark command; run as init): the raw
 * context switch between two threads (k42_ctx_switch, no scheduler), and
 * a yield through the FIFO policy, in timebase ticks per switch. Under
 * `-icount shift=0` a guest instruction is 0.512 ticks (512 MHz timebase).
 */
#include "check.h"

#define N 200000

static void report(const char *name, uint64_t ticks)
{
	uint64_t milli = ticks * 1000 / N;

	k42_printf("BENCH %s_ticks_per_op %lu.%03lu\n", name, milli / 1000, milli % 1000);
}

int main(uint64_t arg)
{
	uint64_t sw, y;

	(void)arg;
	sw = k42_thread_switch_bench(N);
	y = k42_thread_yield_bench(N);
	EXPECT(sw > 0 && y > 0, "switch %lu yield %lu (0: switches missing)", sw, y);
	if (sw > 0 && y > 0) {
		report("thread_switch", sw);
		report("thread_yield", y);
		k42_puts("BENCH done\n");
	}
	return verdict("tswitch_bench");
}
