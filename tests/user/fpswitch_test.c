/*
 * libk42's thread switch keeps the FP and vector registers only once the
 * process has used them (`vector_used` in the shared page, switch.S).
 * Run as init: the process starts with the flag 0 (nothing of libk42's
 * start-up uses those registers) and two threads switch back and forth
 * many times without them. Then one thread puts its own values into
 * f14..f31 and v20..v31 (the first FP instruction traps; the kernel sets
 * the flag on every dispatcher of the process) while a second thread,
 * switched in between, puts different ones there: each must find its own
 * values after every switch. A dispatcher started afterwards must have
 * the flag from the start, and the threads are checked again across two
 * dispatchers. The word's K42_VECTOR_QUAD bit must be set exactly at one
 * CPU while the FP bit is clear, on every dispatcher (the plain switches
 * then take the quadword path, which the FP rounds leave again: the bit
 * is cleared when the FP bit is set).
 */
#include <k42/vp.h>
#include <k42/layout.h>
#include "check.h"

#define ROUNDS 2000

static volatile uint64_t turns[2];

static uint64_t flag_of(unsigned vp)
{
	const struct k42_disp_shared *sh =
		(const struct k42_disp_shared *)(K42_DISP_VA + (uint64_t)vp * K42_PAGE_SIZE);

	return sh->vector_used & K42_VECTOR_USED;
}

/* The other bit of the word: set exactly while one CPU is online and
 * the FP bit is clear (the switch then moves quadwords); the word is one
 * of 0, K42_VECTOR_USED, K42_VECTOR_QUAD, which the switch tells apart
 * with one signed compare. */
static int quad_right(unsigned vp)
{
	const struct k42_disp_shared *sh =
		(const struct k42_disp_shared *)(K42_DISP_VA + (uint64_t)vp * K42_PAGE_SIZE);
	uint64_t w = sh->vector_used;

	return !!(w & K42_VECTOR_QUAD) == (k42_info(K42_INFO_CPUS_ONLINE) == 1 && !(w & K42_VECTOR_USED)) &&
	       (w & ~(uint64_t)(K42_VECTOR_USED | K42_VECTOR_QUAD)) == 0;
}

/* Threads that never touch FP: they only count switches. */
static void *plain(void *arg)
{
	uint64_t me = (uint64_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		turns[me]++;
		k42_thread_yield();
	}
	return NULL;
}

/* f14..f31 and v20..v31 set from `seed`, then read back after `yields`
 * yields: returns how many of the 30 registers changed. */
static uint64_t fp_round(uint64_t seed, int yields)
{
	double f[18], g[18];
	uint64_t v[24] __attribute__((aligned(16))), w[24] __attribute__((aligned(16)));
	uint64_t bad = 0;

	for (int i = 0; i < 18; i++)
		f[i] = (double)(seed * 100 + (uint64_t)i) + 0.25;
	for (int i = 0; i < 24; i++)
		v[i] = seed << 32 | (uint64_t)i;
	__asm__ volatile(
		"lfd 14,0(%0)\n lfd 15,8(%0)\n lfd 16,16(%0)\n lfd 17,24(%0)\n lfd 18,32(%0)\n"
		"lfd 19,40(%0)\n lfd 20,48(%0)\n lfd 21,56(%0)\n lfd 22,64(%0)\n lfd 23,72(%0)\n"
		"lfd 24,80(%0)\n lfd 25,88(%0)\n lfd 26,96(%0)\n lfd 27,104(%0)\n lfd 28,112(%0)\n"
		"lfd 29,120(%0)\n lfd 30,128(%0)\n lfd 31,136(%0)\n"
		"lxv 52,0(%1)\n lxv 53,16(%1)\n lxv 54,32(%1)\n lxv 55,48(%1)\n lxv 56,64(%1)\n"
		"lxv 57,80(%1)\n lxv 58,96(%1)\n lxv 59,112(%1)\n lxv 60,128(%1)\n lxv 61,144(%1)\n"
		"lxv 62,160(%1)\n lxv 63,176(%1)\n"
		:: "b"(f), "b"(v) : "memory", "fr14", "fr15", "fr16", "fr17", "fr18", "fr19", "fr20", "fr21",
		  "fr22", "fr23", "fr24", "fr25", "fr26", "fr27", "fr28", "fr29", "fr30", "fr31", "v20", "v21",
		  "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
	for (int i = 0; i < yields; i++)
		k42_thread_yield();
	__asm__ volatile(
		"stfd 14,0(%0)\n stfd 15,8(%0)\n stfd 16,16(%0)\n stfd 17,24(%0)\n stfd 18,32(%0)\n"
		"stfd 19,40(%0)\n stfd 20,48(%0)\n stfd 21,56(%0)\n stfd 22,64(%0)\n stfd 23,72(%0)\n"
		"stfd 24,80(%0)\n stfd 25,88(%0)\n stfd 26,96(%0)\n stfd 27,104(%0)\n stfd 28,112(%0)\n"
		"stfd 29,120(%0)\n stfd 30,128(%0)\n stfd 31,136(%0)\n"
		"stxv 52,0(%1)\n stxv 53,16(%1)\n stxv 54,32(%1)\n stxv 55,48(%1)\n stxv 56,64(%1)\n"
		"stxv 57,80(%1)\n stxv 58,96(%1)\n stxv 59,112(%1)\n stxv 60,128(%1)\n stxv 61,144(%1)\n"
		"stxv 62,160(%1)\n stxv 63,176(%1)\n"
		:: "b"(g), "b"(w) : "memory");
	for (int i = 0; i < 18; i++)
		bad += g[i] != f[i];
	for (int i = 0; i < 12; i++)
		bad += w[2 * i] != v[2 * i] || w[2 * i + 1] != v[2 * i + 1];
	return bad;
}

static volatile uint64_t fp_bad, fp_rounds;

static void *fp_thread(void *arg)
{
	uint64_t seed = (uint64_t)arg;

	for (int i = 0; i < ROUNDS / 10; i++) {
		fp_bad += fp_round(seed * 1000 + (uint64_t)i, 1 + i % 3);
		fp_rounds++;
	}
	return NULL;
}

static void run_pair(void *(*fn)(void *), uint64_t a, uint64_t b)
{
	k42_thread_t *t0 = k42_thread_create(fn, (void *)a), *t1 = k42_thread_create(fn, (void *)b);

	EXPECT(t0 && t1, "thread_create failed\n");
	if (t0)
		k42_thread_join(t0, NULL);
	if (t1)
		k42_thread_join(t1, NULL);
}

int main(uint64_t arg)
{
	long vp;

	(void)arg;
	EXPECT(flag_of(0) == 0, "vector_used is %lu at start\n", flag_of(0));
	EXPECT(quad_right(0), "vector_used %lu at %ld CPUs\n",
	       ((struct k42_disp_shared *)K42_DISP_VA)->vector_used, k42_info(K42_INFO_CPUS_ONLINE));
	run_pair(plain, 0, 1);
	EXPECT(turns[0] == ROUNDS && turns[1] == ROUNDS, "plain threads ran %lu and %lu times\n",
	       turns[0], turns[1]);
	EXPECT(flag_of(0) == 0, "vector_used became %lu without FP use\n", flag_of(0));
	k42_printf("fpswitch_test: %d switches without FP state, flag %lu\n", 2 * ROUNDS,
		   flag_of(0));

	run_pair(fp_thread, 1, 2);
	EXPECT(flag_of(0) == 1, "vector_used is %lu after FP use\n", flag_of(0));
	EXPECT(quad_right(0), "vector_used %lu after FP use\n",
	       ((struct k42_disp_shared *)K42_DISP_VA)->vector_used);
	EXPECT(fp_rounds == 2 * (ROUNDS / 10) && fp_bad == 0, "%lu rounds, %lu registers lost\n",
	       fp_rounds, fp_bad);
	k42_printf("fpswitch_test: one dispatcher: %lu FP rounds, %lu registers lost, flag %lu\n",
		   fp_rounds, fp_bad, flag_of(0));

	/* A dispatcher started now has the flag at once; the threads may run
	 * on either. */
	vp = k42_vp_start(0);
	EXPECT(vp > 0, "k42_vp_start: %ld\n", vp);
	if (vp > 0) {
		EXPECT(flag_of((unsigned)vp) == 1, "dispatcher %ld starts with vector_used %lu\n", vp,
		       flag_of((unsigned)vp));
		EXPECT(quad_right((unsigned)vp), "dispatcher %ld's quadword bit\n", vp);
		fp_rounds = fp_bad = 0;
		run_pair(fp_thread, 3, 4);
		EXPECT(fp_rounds == 2 * (ROUNDS / 10) && fp_bad == 0,
		       "two dispatchers: %lu rounds, %lu registers lost\n", fp_rounds, fp_bad);
		k42_printf("fpswitch_test: two dispatchers: %lu FP rounds, %lu registers lost, "
			   "flag %lu\n", fp_rounds, fp_bad, flag_of((unsigned)vp));
	}
	return verdict("fpswitch_test");
}
