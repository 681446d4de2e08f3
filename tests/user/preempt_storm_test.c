/*
 * Preemption by the tick on every CPU (issue 16; docs/smp.md, "Without
 * the kernel lock": ticks), run as init. Two dispatchers per CPU
 * (disp_create, as vp_test) each run a long computation that keeps
 * sixteen integer and eight floating-point values live in registers;
 * the two share their CPU, so each time slice ends in a preemption that
 * saves one's registers and resumes the other's. Afterwards the main
 * dispatcher runs the same computations itself and compares: a register
 * lost or mixed up by a switch, on either path, changes the result.
 * Every dispatcher must have been preempted at least once. One verdict
 * line.
 */
#include "storm.h"

#define ITERS 400000

static struct {
	uint64_t done[K42_VPS_MAX];
	uint64_t result[K42_VPS_MAX];
	uint64_t cpu[K42_VPS_MAX];
} ctl __attribute__((aligned(128)));

/* Sixteen integer and eight floating-point values, each its own scalar
 * so that the compiler keeps them all in registers through the loop
 * (an array would live on the stack). */
#define XS(x) (x ^= x << 13, x ^= x >> 7, x ^= x << 17)
#define FS(f, x) (f = f * 1.0000001 + (double)(x & 0xff) * 1e-9)

static uint64_t fbits(double f)
{
	uint64_t b;

	__builtin_memcpy(&b, &f, 8);
	return b;
}

static uint64_t work(uint64_t seed)
{
	uint64_t k = seed * 0x9e3779b97f4a7c15ull + 1;
	uint64_t a0 = k + 1, a1 = k + 2, a2 = k + 3, a3 = k + 4, a4 = k + 5, a5 = k + 6, a6 = k + 7,
		 a7 = k + 8, a8 = k + 9, a9 = k + 10, a10 = k + 11, a11 = k + 12, a12 = k + 13,
		 a13 = k + 14, a14 = k + 15, a15 = k + 16;
	double f0 = (double)seed + 1.5, f1 = f0 + 1, f2 = f0 + 2, f3 = f0 + 3, f4 = f0 + 4,
	       f5 = f0 + 5, f6 = f0 + 6, f7 = f0 + 7;

	for (int n = 0; n < ITERS; n++) {
		XS(a0); XS(a1); XS(a2); XS(a3); XS(a4); XS(a5); XS(a6); XS(a7);
		XS(a8); XS(a9); XS(a10); XS(a11); XS(a12); XS(a13); XS(a14); XS(a15);
		FS(f0, a0); FS(f1, a1); FS(f2, a2); FS(f3, a3);
		FS(f4, a4); FS(f5, a5); FS(f6, a6); FS(f7, a7);
	}
	return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + 9 * a8 +
	       10 * a9 + 11 * a10 + 12 * a11 + 13 * a12 + 14 * a13 + 15 * a14 + 16 * a15 +
	       (fbits(f0) ^ fbits(f1) ^ fbits(f2) ^ fbits(f3) ^ fbits(f4) ^ fbits(f5) ^ fbits(f6) ^
		fbits(f7));
}

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	ctl.result[me] = work(me);
	__atomic_store_n(&ctl.done[me], 1, __ATOMIC_RELEASE);
	storm_park();
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t wrong = 0, unpreempted = 0;
	int n;

	(void)arg;
	/* Two on every CPU. */
	n = storm_start(vp_main, 2 * ncpus, 0, 2);
	storm_wait(ctl.done, 1, 1, n, 1, 240);
	storm_check_cpus(ctl.cpu, 1, 1, n, 0, 2);
	for (int i = 1; i < n; i++) {
		const struct k42_disp_shared *sh =
			(const struct k42_disp_shared *)(K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE);

		EXPECT(ctl.done[i] == 1, "dispatcher %d did not finish", i);
		wrong += ctl.done[i] == 1 && ctl.result[i] != work((uint64_t)i);
		unpreempted += sh->preemptions == 0;
	}
	k42_printf("preempt_storm_test: %d dispatchers on %ld CPUs; %lu wrong results, %lu never "
		   "preempted\n", n - 1, ncpus, wrong, unpreempted);
	EXPECT(wrong == 0, "%lu results differ from the same computation unpreempted", wrong);
	EXPECT(unpreempted == 0, "%lu dispatchers were never preempted", unpreempted);
	return verdict("preempt_storm_test");
}
