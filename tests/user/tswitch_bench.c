/*
 * Thread switch cost (for the benchmark command; run as init): the raw
 * context switch between two threads (k42_ctx_switch, no scheduler), and
 * a yield through the FIFO policy, in timebase ticks per switch. Under
 * `-icount shift=0` a tick is 1.95 guest instructions (512 MHz timebase).
 */
#include "check.h"

#define N 100000

int main(uint64_t arg)
{
	uint64_t sw, y;

	(void)arg;
	sw = k42_thread_switch_bench(N);
	y = k42_thread_yield_bench(N);
	k42_printf("BENCH thread_switch_ticks_per_op %lu\n", sw);
	k42_printf("BENCH thread_yield_ticks_per_op %lu\n", y);
	EXPECT(sw > 0 && y > 0, "switch %lu yield %lu", sw, y);
	return verdict("tswitch_bench");
}
