/*
 * Kernel-call fuzzer: `arg` random kernel calls with random arguments,
 * from a fixed seed so a failure can be replayed. Arguments mix small
 * numbers, pids, page-aligned user addresses, kernel addresses and raw
 * random words. Calls that would legitimately end or stall this process
 * (exit, block, killing itself, unmapping its own program or stack) are
 * steered: their pid or ranges are redirected to a scratch window.
 */
#include <stdlib.h>
#include <k42/k42.h>

#define SCRATCH 0x40000000ul
#define SCRATCH_LEN (64ul << 20)

static uint64_t state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static uint64_t arg_of(uint64_t self)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return rnd() % 16;
	case 2:
		return self + rnd() % 8;			/* self or a nearby pid */
	case 3:
		return SCRATCH + (rnd() % (SCRATCH_LEN / 4096)) * 4096;
	case 4:
		return 0xc000000000000000ul + (rnd() % 0x1000000);	/* kernel */
	case 5:
		return K42_USER_TOP - 4096 * (rnd() % 4);
	case 6:
		return 4096 * (1 + rnd() % 64);			/* a length */
	case 7:
		return (uint64_t)-(long)(rnd() % 64);		/* negative */
	default:
		return rnd();
	}
}

/* Keep memory calls on self inside the scratch window. */
static void steer(uint64_t num, uint64_t self, uint64_t a[8])
{
	if (num == K42_SC_MEM_UNMAP || num == K42_SC_MEM_PROTECT || num == K42_SC_MEM_WRITE ||
	    num == K42_SC_MEM_COW || num == K42_SC_MEM_MAP_ANON || num == K42_SC_MEM_MAP_FILE) {
		if (a[0] == self) {
			a[1] = SCRATCH + (a[1] % (SCRATCH_LEN / 4096)) * 4096;
			if (num == K42_SC_MEM_COW)
				a[2] = SCRATCH + (a[2] % (SCRATCH_LEN / 4096)) * 4096;
			a[2] %= SCRATCH_LEN / 4;
			if (num == K42_SC_MEM_WRITE)
				a[3] %= 8192;
		}
	}
	if (num == K42_SC_MEM_READ) {
		a[2] = SCRATCH + (a[2] % (SCRATCH_LEN / 4096)) * 4096;	/* destination is ours */
		a[3] %= 8192;
	}
	if (num == K42_SC_PROC_KILL && a[0] == self)
		a[0] = self + 1;
	/* A synchronous call to a process that never takes calls (another
	 * fuzzer: disabled throughout) waits until it does; there is no
	 * cancellation yet (issue 12 item 14). Calls are fuzzed by ipc_fuzzer. */
	if (num == K42_SC_PPC_CALL && a[0] != self)
		a[0] = 0;
	if (num == K42_SC_DEBUG_WRITE)
		a[0] |= 0xc000000000000000ul;	/* refused: no garbage on the console */
	if (num == K42_SC_DISP_INIT)
		a[1] = 0;			/* keep our own entry points */
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), calls = arg ? arg : 100000, errs[128] = { 0 };

	/* Started with a startup block (the soak): fuzzer CALLS SEED. */
	if (k42_argc >= 3) {
		calls = strtoul(k42_argv[1], NULL, 0);
		state ^= strtoul(k42_argv[2], NULL, 0) * 0x9e3779b97f4a7c15ull;
	}
	uint64_t ok = 0;

	k42_disable();	/* no upcalls: the fuzzer's own state stays simple */
	for (uint64_t i = 0; i < calls; i++) {
		uint64_t num = rnd() % (K42_SC_COUNT + 4), a[8], out[7];
		long rc;

		for (int j = 0; j < 8; j++)
			a[j] = arg_of(self);
		/* disp_create runs random code of ours on another dispatcher:
		 * a fault there legitimately ends this process; disp_idle
		 * drops our registers (we would be entered afresh, with
		 * this loop's thread gone, as it asks). */
		if (num == K42_SC_EXIT || num == K42_SC_BLOCK || num == K42_SC_DISP_RESUME ||
		    num == K42_SC_DISP_CREATE || num == K42_SC_DISP_IDLE)
			num = K42_SC_NULL;
		steer(num, self, a);
		{
			register uint64_t r0 __asm__("r0") = num;
			register uint64_t r3 __asm__("r3") = a[0], r4 __asm__("r4") = a[1],
					  r5 __asm__("r5") = a[2], r6 __asm__("r6") = a[3],
					  r7 __asm__("r7") = a[4], r8 __asm__("r8") = a[5],
					  r9 __asm__("r9") = a[6], r10 __asm__("r10") = a[7];

			__asm__ volatile("sc" : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6),
					 "+r"(r7), "+r"(r8), "+r"(r9), "+r"(r10)
					 : : "r11", "r12", "ctr", "xer", "cr0", "cr1", "cr5", "cr6",
					   "cr7", "memory");
			rc = (long)r3;
			out[0] = r4;
		}
		(void)out;
		if (rc >= 0)
			ok++;
		else if (-rc < 128)
			errs[-rc]++;
	}
	k42_printf("fuzzer: %lu calls, %lu succeeded; refusals:", calls, ok);
	for (int e = 1; e < 128; e++)
		if (errs[e])
			k42_printf(" E%d=%lu", e, errs[e]);
	k42_puts("\n");
	return 0;
}
