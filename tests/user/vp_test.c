/*
 * Dispatchers of one process on every CPU (disp_create; docs/smp.md), run
 * as init. Each further dispatcher runs vp_main on its own CPU in the
 * process's address space, with no libk42 (no thread pointer):
 *  1. fault storm: every dispatcher touches every page of one fresh shared
 *     region at once and counts itself in each page atomically;
 *  2. TLB shootdown: the main dispatcher unmaps the region and maps a
 *     fresh one while the others keep running (spinning on a control
 *     word), rewrites it, and the others read it back: a stale
 *     translation would show the old frame's value;
 *  3. identity and kicks: each dispatcher reads its own shared-page
 *     address from SPRG3 (SPR 259), blocks, and is woken by disp_kick.
 * Every value is checked; a dispatcher must report from the CPU it was
 * created on.
 */
#include "check.h"

#define REGION 0x30000000ul
#define PAGES 48
#define ROUNDS 20
#define STACK 16384
#define WORDS (K42_PAGE_SIZE / 8)

static uint8_t stacks[K42_VPS_MAX][STACK] __attribute__((aligned(16)));

static struct {
	uint64_t go;			/* phase the main dispatcher asks for */
	uint64_t done[K42_VPS_MAX];	/* last phase each dispatcher finished */
	uint64_t bad[K42_VPS_MAX];	/* wrong values each one saw */
	uint64_t cpu[K42_VPS_MAX];	/* the CPU each one ran on */
	uint64_t sprg3[K42_VPS_MAX];	/* what SPR 259 said there */
	uint64_t kicks[K42_VPS_MAX];	/* kicks each one saw */
} ctl __attribute__((aligned(128)));

static void wait_go(uint64_t phase)
{
	while (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) < phase)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
}

static void touch_all(int me)
{
	volatile uint64_t *r = (volatile uint64_t *)REGION;

	for (int p = 0; p < PAGES; p++)
		__atomic_fetch_add((uint64_t *)&r[p * WORDS + 0], 1, __ATOMIC_RELAXED);
	(void)me;
}

/* Round k (phase 2 + k): each page holds k + page number. */
static uint64_t check_round(uint64_t k)
{
	volatile uint64_t *r = (volatile uint64_t *)REGION;
	uint64_t bad = 0;

	for (int p = 0; p < PAGES; p++)
		bad += r[p * WORDS + 1] != k * 1000 + (uint64_t)p;
	return bad;
}

__attribute__((noreturn)) void vp_main(uint64_t me);

#define KICK K42_SOFTINTR_USER0

static uint64_t sprg3(void)
{
	uint64_t v;

	__asm__ volatile("mfspr %0, 259" : "=r"(v));
	return v;
}

void vp_main(uint64_t me)
{
	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	ctl.sprg3[me] = sprg3();
	wait_go(1);
	touch_all((int)me);
	__atomic_store_n(&ctl.done[me], 1, __ATOMIC_RELEASE);
	for (uint64_t k = 1; k <= ROUNDS; k++) {
		wait_go(1 + k);
		ctl.bad[me] += check_round(k);
		__atomic_store_n(&ctl.done[me], 1 + k, __ATOMIC_RELEASE);
	}
	/* 3: sleep in the kernel until kicked (still disabled: the kick
	 * only sets the bit and wakes us). */
	for (;;) {
		struct k42_disp_shared *sh = (struct k42_disp_shared *)sprg3();

		k42_sc_block();
		if (__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL) & KICK) {
			ctl.kicks[me]++;
			__atomic_store_n(&ctl.done[me], ROUNDS + 2, __ATOMIC_RELEASE);
		}
	}
}

static int all_done(int n, uint64_t phase)
{
	for (int i = 1; i <= n; i++)
		if (__atomic_load_n(&ctl.done[i], __ATOMIC_ACQUIRE) < phase)
			return 0;
	return 1;
}

static int wait_all(int n, uint64_t phase)
{
	uint64_t until = k42_timebase() + 30 * k42_info(K42_INFO_TIMEBASE_HZ);

	while (!all_done(n, phase))
		if (k42_timebase() > until)
			return 0;
	return 1;
}

static void fill(uint64_t k)
{
	volatile uint64_t *r = (volatile uint64_t *)REGION;

	for (int p = 0; p < PAGES; p++)
		r[p * WORDS + 1] = k * 1000 + (uint64_t)p;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), idx;
	uint64_t self = k42_info(K42_INFO_PID), bad = 0;
	int n = 0;

	(void)arg;
	EXPECT(k42_sc_mem_map_anon(self, REGION, PAGES * K42_PAGE_SIZE,
				   K42_PROT_READ | K42_PROT_WRITE) == 0, "map");
	/* One more dispatcher on every CPU (one on CPU 0 with a single CPU). */
	for (long c = ncpus > 1 ? 1 : 0; c < ncpus && n + 1 < K42_VPS_MAX; c++) {
		idx = k42_sc_disp_create((uint64_t)c, (uint64_t)(uintptr_t)vp_main,
					 (uint64_t)(uintptr_t)&stacks[n + 1][STACK], (uint64_t)(n + 1));
		EXPECT(idx == n + 1, "disp_create on CPU %ld: %ld", c, idx);
		if (idx != n + 1)
			break;
		n++;
	}
	EXPECT(k42_sc_disp_create((uint64_t)ncpus, (uint64_t)(uintptr_t)vp_main,
				  (uint64_t)(uintptr_t)&stacks[0][STACK], 0) == -K42_EINVAL,
	       "a CPU that is not online");
	EXPECT(k42_sc_disp_create(0, 2, (uint64_t)(uintptr_t)&stacks[0][STACK], 0) == -K42_EINVAL,
	       "a misaligned entry");

	/* 1: every dispatcher faults into the same pages at once. */
	__atomic_store_n(&ctl.go, 1, __ATOMIC_RELEASE);
	touch_all(0);
	EXPECT(wait_all(n, 1), "fault storm did not finish");
	for (int p = 0; p < PAGES; p++) {
		uint64_t v = ((volatile uint64_t *)REGION)[p * WORDS];

		EXPECT(v == (uint64_t)n + 1, "page %d counted %lu of %d", p, v, n + 1);
	}
	for (int i = 1; i <= n; i++)
		EXPECT(ctl.cpu[i] == (uint64_t)(ncpus > 1 ? i : 0), "dispatcher %d ran on CPU %lu",
		       i, ctl.cpu[i]);

	/* 2: new frames under the same addresses while the others run. */
	for (uint64_t k = 1; k <= ROUNDS; k++) {
		EXPECT(k42_sc_mem_unmap(self, REGION, PAGES * K42_PAGE_SIZE) == 0, "unmap %lu", k);
		EXPECT(k42_sc_mem_map_anon(self, REGION, PAGES * K42_PAGE_SIZE,
					   K42_PROT_READ | K42_PROT_WRITE) == 0, "map %lu", k);
		fill(k);
		__atomic_store_n(&ctl.go, 1 + k, __ATOMIC_RELEASE);
		if (!wait_all(n, 1 + k)) {
			EXPECT(0, "round %lu did not finish", k);
			break;
		}
	}
	/* 3: identity and kicks. */
	EXPECT(sprg3() == K42_DISP_VA, "SPRG3 of dispatcher 0: 0x%lx", sprg3());
	for (int i = 1; i <= n; i++) {
		EXPECT(ctl.sprg3[i] == K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE,
		       "SPRG3 of dispatcher %d: 0x%lx", i, ctl.sprg3[i]);
		EXPECT(k42_sc_disp_kick((uint64_t)i, KICK) == 0, "kick %d", i);
	}
	EXPECT(wait_all(n, ROUNDS + 2), "kicked dispatchers did not wake");
	for (int i = 1; i <= n; i++)
		EXPECT(ctl.kicks[i] == 1, "dispatcher %d saw %lu kicks", i, ctl.kicks[i]);
	EXPECT(k42_sc_disp_kick(K42_VPS_MAX, KICK) == -K42_EINVAL, "kick beyond the table");
	EXPECT(k42_sc_disp_kick((uint64_t)n + 1, KICK) == -K42_ESRCH, "kick of no dispatcher");
	EXPECT(k42_sc_disp_kick(1, K42_SOFTINTR_TIMER) == -K42_EPERM, "kick with a kernel bit");
	EXPECT(k42_sc_disp_kick(1, 0) == -K42_EINVAL, "kick with no bits");
	for (int i = 1; i <= n; i++)
		bad += ctl.bad[i];
	k42_printf("vp_test: %d dispatchers on %ld CPUs, %d pages, %d remaps; %lu stale values\n",
		   n + 1, ncpus, PAGES, ROUNDS, bad);
	EXPECT(bad == 0, "%lu stale values read after remapping", bad);
	return verdict("vp_test");
}
