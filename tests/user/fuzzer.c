/*
 * Kernel-call fuzzer: `arg` random kernel calls with random arguments,
 * from a fixed seed so a failure can be replayed. Arguments mix small
 * numbers, pids, page-aligned user addresses, kernel addresses and raw
 * random words. Calls that would legitimately end or stall this process
 * (exit, block, killing itself, unmapping its own program or stack) are
 * steered: their pid or ranges are redirected to a scratch window.
 * The calls are made from several dispatchers at once, one on every other
 * CPU (a second one on CPU 0 with one CPU), each with its own stream of
 * the same seed, so calls of one process meet in the kernel on several
 * CPUs (fast paths without the kernel lock included).
 */
#include <stdlib.h>
#include <k42/k42.h>
#include <k42/vp.h>

#define SCRATCH 0x40000000ul
#define SCRATCH_LEN (64ul << 20)

/* One dispatcher's stream of calls and what came of them. */
struct fz {
	uint64_t state, calls, ok, errs[128];
};

static uint64_t rnd_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(uint64_t *st)
{
	uint64_t state = *st;

	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	*st = state;
	return state;
}

static uint64_t arg_of(uint64_t *st, uint64_t self)
{
	switch (rnd(st) % 10) {
	case 0:
		return 0;
	case 1:
		return rnd(st) % 16;
	case 2:
		return self + rnd(st) % 8;			/* self or a nearby pid */
	case 3:
		return SCRATCH + (rnd(st) % (SCRATCH_LEN / 4096)) * 4096;
	case 4:
		return 0xc000000000000000ul + (rnd(st) % 0x1000000);	/* kernel */
	case 5:
		return K42_USER_TOP - 4096 * (rnd(st) % 4);
	case 6:
		return 4096 * (1 + rnd(st) % 64);			/* a length */
	case 7:
		return (uint64_t)-(long)(rnd(st) % 64);		/* negative */
	default:
		return rnd(st);
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

/* `f->calls` random calls, disabled (no upcalls: the state stays simple),
 * and it stays disabled: a random disp_reflect may have turned reflection
 * on, which would take our next enabled call. */
static void fuzz(struct fz *f)
{
	uint64_t self = k42_info(K42_INFO_PID);

	k42_disable();

	for (uint64_t i = 0; i < f->calls; i++) {
		uint64_t num = rnd(&f->state) % (K42_SC_COUNT + 4), a[8];
		long rc;

		for (int j = 0; j < 8; j++)
			a[j] = arg_of(&f->state, self);
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
		}
		if (rc >= 0)
			f->ok++;
		else if (-rc < 128)
			f->errs[-rc]++;
	}
}

#define FZ_MAX 8
static struct fz fz[FZ_MAX];
static int done;

/* Another dispatcher's: its calls, then out of the way (disabled) until
 * dispatcher 0 ends the process. */
static void *fuzz_thread(void *p)
{
	fuzz(p);
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	for (;;)
		k42_sc_yield();
	return NULL;
}

int main(uint64_t arg)
{
	uint64_t calls = arg ? arg : 100000, ok = 0, errs[128] = { 0 };
	unsigned cpus = (unsigned)k42_info(K42_INFO_CPUS_ONLINE), n = 1;

	/* Started with a startup block (the soak): fuzzer CALLS SEED. */
	if (k42_argc >= 3) {
		calls = strtoul(k42_argv[1], NULL, 0);
		rnd_state ^= strtoul(k42_argv[2], NULL, 0) * 0x9e3779b97f4a7c15ull;
	}
	/* Dispatchers of ours on the other CPUs (with one, beside us). */
	for (unsigned c = 1; n < FZ_MAX && c < (cpus > 1 ? cpus : 2); c++) {
		long vp = k42_vp_start(c % cpus);

		if (vp < 0)
			break;
		fz[n].state = rnd_state ^ (0x9e3779b97f4a7c15ull * n);
		fz[n].calls = calls / (cpus > 1 ? cpus : 2);
		if (!k42_thread_create_on((unsigned)vp, fuzz_thread, &fz[n], NULL))
			break;
		n++;
	}
	fz[0].state = rnd_state;
	fz[0].calls = calls - (n - 1) * (calls / (cpus > 1 ? cpus : 2));
	fuzz(&fz[0]);
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < (int)n - 1)
		k42_sc_yield();
	for (unsigned i = 0; i < n; i++) {
		ok += fz[i].ok;
		for (int e = 1; e < 128; e++)
			errs[e] += fz[i].errs[e];
	}
	k42_printf("fuzzer: %lu calls from %u dispatchers, %lu succeeded; refusals:", calls, n, ok);
	for (int e = 1; e < 128; e++)
		if (errs[e])
			k42_printf(" E%d=%lu", e, errs[e]);
	k42_puts("\n");
	return 0;
}
