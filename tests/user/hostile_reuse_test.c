/*
 * Stale FR handles against slots reused right after their free (run as
 * init; docs/security.md, "Regression tests"): since session 13 an FR's
 * slot is freed after quiescence outside the kernel lock (fr_fcm_gone ->
 * fr_free, mm/fr.c), and fr_create takes the first free slot, so a new
 * FR lands in the slot of the one just destroyed, under a new key. While
 * dispatchers on every CPU (two on CPU 0 with one CPU) hammer the
 * handles already destroyed with fr_ctl and fr_complete (both kernel
 * fast paths without the kernel lock, mm/sys_mem.c) and mem_map_file,
 * dispatcher 0 creates, uses, maps, destroys and re-creates FRs; every
 * call with a destroyed handle must be -K42_EBADH (or a refusal from
 * mem_map_file), never reach the FR that now lives in its slot; the live
 * handle must work every time; most new FRs must have reused the slot.
 * Twice: the second pass must leave frames and kernel objects where the
 * first did.
 */
#include "check.h"
#include "storm.h"
#include <k42/dispatcher.h>

#define ROUNDS 200
#define MAP_VA 0x30000000ul	/* racer i maps at MAP_VA + i * 64 KiB */
#define FR_BYTES (4 * K42_PAGE_SIZE)

static volatile uint64_t stale[8];	/* destroyed handles, newest at [n % 8] */
static volatile uint64_t nstale, stop;
static uint64_t bad, tries[K42_VPS_MAX], self;
static uint8_t bufs[K42_VPS_MAX][K42_PAGE_SIZE] __attribute__((aligned(4096)));

static void count_bad(const char *what, uint64_t h, long rc)
{
	if (__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED) <= 8)
		k42_printf("hostile_reuse_test: bad: %s with handle %#lx: %ld\n", what, h, rc);
}

/* Calls with handles destroyed before they were published: all refused. */
__attribute__((noreturn)) static void racer(uint64_t me)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (me + 1);

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t n = __atomic_load_n(&nstale, __ATOMIC_ACQUIRE), h;
		long rc;

		if (!n)
			continue;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		h = stale[(n - 1 - x % (n < 8 ? n : 8)) % 8];
		rc = k42_sc_fr_ctl(h, K42_FR_CTL_PULL, 0, (uint64_t)(uintptr_t)bufs[me], 1);
		if (rc != -K42_EBADH)
			count_bad("fr_ctl pull", h, rc);
		rc = k42_sc_fr_ctl(h, K42_FR_CTL_DROP, FR_BYTES, 0, 0);
		if (rc != -K42_EBADH)
			count_bad("fr_ctl drop", h, rc);
		rc = k42_sc_fr_complete(h, (x >> 20) % 4 * K42_PAGE_SIZE, 0);
		if (rc != -K42_EBADH)
			count_bad("fr_complete", h, rc);
		if ((x & 15) == 0) {
			uint64_t va = MAP_VA + me * 0x10000;

			rc = k42_sc_mem_map_file(self, va, FR_BYTES, K42_PROT_READ, h);
			if (rc >= 0) {
				count_bad("mem_map_file", h, rc);
				k42_sc_mem_unmap(self, va, FR_BYTES);
			}
		}
		tries[me]++;
	}
	storm_park();
}

/* One pass: ROUNDS FRs made, used, destroyed, published as stale. The
 * number whose slot was the one destroyed just before. */
static int pass(void)
{
	uint64_t prev = 0;
	int same = 0;

	for (int r = 0; r < ROUNDS; r++) {
		long h = k42_sc_fr_create((uint64_t)r + 1, FR_BYTES), rc;

		if (h <= 0) {
			count_bad("fr_create", 0, h);
			break;
		}
		if (prev && ((uint64_t)h & 0xffffffffu) == (prev & 0xffffffffu))
			same++;
		for (unsigned k = 0; k < 8 && k < nstale; k++)
			if ((uint64_t)h == stale[k])
				count_bad("a new FR with an old handle", (uint64_t)h, 0);
		/* The live one works, and is ours to map. */
		rc = k42_sc_fr_ctl((uint64_t)h, K42_FR_CTL_PULL, 0, (uint64_t)(uintptr_t)bufs[0], 1);
		if (rc != -K42_ENOENT)
			count_bad("fr_ctl pull on the live FR", (uint64_t)h, rc);
		rc = k42_sc_mem_map_file(self, MAP_VA, FR_BYTES, K42_PROT_READ, (uint64_t)h);
		if (rc != 0)
			count_bad("mem_map_file of the live FR", (uint64_t)h, rc);
		else if ((rc = k42_sc_mem_unmap(self, MAP_VA, FR_BYTES)) != 0)
			count_bad("mem_unmap of the live FR", (uint64_t)h, rc);
		/* Live a while in the old one's slot, under the racers' calls
		 * with the old one's handle (a lookup that did not check the
		 * key would let them in: tried, they are). */
		k42_thread_sleep_us(2000);
		rc = k42_sc_fr_destroy((uint64_t)h);
		if (rc != 0)
			count_bad("fr_destroy", (uint64_t)h, rc);
		stale[nstale % 8] = (uint64_t)h;
		__atomic_store_n(&nstale, nstale + 1, __ATOMIC_RELEASE);
		prev = (uint64_t)h;
		/* Its slot comes back after quiescence: wait for that, so the
		 * next fr_create reuses it while the racers use its old key. */
		settle_deferred(10);
	}
	return same;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t frames[2], objs[2], n = 0;
	int same[2], nd;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	nd = storm_start(racer, ncpus > 1 ? ncpus - 1 : 2, ncpus > 1 ? 1 : 0, ncpus > 1 ? 1 : 2);
	for (int p = 0; p < 2; p++) {
		same[p] = pass();
		settle_deferred(30);
		frames[p] = k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
		objs[p] = k42_info(K42_INFO_KMEM_OBJECTS);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 1; i < nd; i++)
		n += tries[i];
	k42_printf("hostile_reuse_test: %d FRs destroyed, %d and %d in the slot just freed; %lu rounds "
		   "of stale-handle calls from %d dispatchers on %ld CPUs; %lu bad\n", 2 * ROUNDS,
		   same[0], same[1], n, nd - 1, ncpus, bad);
	k42_printf("hostile_reuse_test: free frames %lu -> %lu, kernel objects %lu -> %lu\n",
		   frames[0], frames[1], objs[0], objs[1]);
	EXPECT(bad == 0, "%lu bad", bad);
	EXPECT(same[0] > ROUNDS / 2 && same[1] > ROUNDS / 2, "slots reused %d, %d of %d", same[0],
	       same[1], ROUNDS);
	EXPECT(n > (uint64_t)ROUNDS, "the racers made %lu rounds of calls", n);
	EXPECT(frames[1] == frames[0] && objs[1] == objs[0], "frames or kernel objects not returned");
	return verdict("hostile_reuse_test");
}
