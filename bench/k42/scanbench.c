/*
 * Sequential scan of a SCAN_MIB MiB file (./k42 bench; docs/hot-swap.md,
 * "The adaptive FCM"): bench/scan_server serves two identical synthetic
 * files through FRs; the first is mapped with the default demand policy,
 * the second with an adaptive FCM, which switches itself to prefetching
 * once it sees the scan. Each is read once, a word per page (every word
 * read is checked), with upcalls enabled so that every fault that waits
 * for the server is reflected to this process. Prints, per file, the
 * timebase ticks per page (guest instructions under -icount) and the
 * reflected faults, and the FCM's own counts.
 *
 * With `-- --swap` it measures a kernel FCM hot swap instead (booted at
 * 1 and 4 CPUs): a worker on a dispatcher on every CPU writes its pages
 * of an anonymous region without pause while SWAPS swaps between the
 * demand and prefetch policies drop its translations; prints how long
 * each swap held the region's callers (the kernel's count, mediator in
 * to switch) and how long the swapper's fcm_swap calls took, per swap.
 * Each swap waits until every worker has made two more passes, so that
 * every swap meets faults (and writes) from every CPU.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fcm.h>
#include <k42/vp.h>
#include "scan.h"

#ifndef SCAN_MIB
#define SCAN_MIB 64
#endif
#define PAGES ((uint64_t)SCAN_MIB * 256)
#define VA0 0x200000000ul

static uint64_t self;

#define SWAPS 100
#define SWAP_VA 0x180000000ul
#define SWAP_PAGES 64	/* per worker */
static volatile int stop;
static unsigned nworkers, done;
static uint64_t passes[K42_VPS_MAX];	/* each worker's whole passes */

static void *swap_worker(void *arg)
{
	volatile uint64_t *mem = (volatile uint64_t *)(SWAP_VA + (uintptr_t)arg * SWAP_PAGES * K42_PAGE_SIZE);

	for (uint64_t pass = 1; !stop; pass++) {
		for (uint64_t p = 0; p < SWAP_PAGES; p++)
			mem[p * 512] = pass;
		__atomic_store_n(&passes[(uintptr_t)arg], pass, __ATOMIC_RELEASE);
		k42_thread_yield();
	}
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int swap_bench(void)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	struct k42_fcminfo fi;
	uint64_t t0, t1 = 0, milli;
	long rc = 0;

	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		if (k42_vp_start((unsigned)c) != c)
			return 1;
	nworkers = k42_vp_count();
	if (k42_sc_mem_map_anon(self, SWAP_VA, nworkers * SWAP_PAGES * K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE) != 0)
		return 2;
	for (unsigned w = 0; w < nworkers; w++)
		if (!k42_thread_create_on(w, swap_worker, (void *)(uintptr_t)w, NULL))
			return 3;
	/* Each swap starts while every worker writes: after the worker's
	 * pass that began after the swap before (it refaults every page). */
	for (unsigned i = 0; i < SWAPS && rc == 0; i++) {
		uint64_t seen[K42_VPS_MAX];

		for (unsigned w = 0; w < nworkers; w++)
			seen[w] = __atomic_load_n(&passes[w], __ATOMIC_ACQUIRE);
		for (unsigned w = 0; w < nworkers; w++)
			while (__atomic_load_n(&passes[w], __ATOMIC_ACQUIRE) < seen[w] + 2)
				k42_thread_yield();
		t0 = k42_timebase();
		while ((rc = k42_sc_fcm_swap(self, SWAP_VA, (K42_FCM_PREFETCH - (i & 1)) | K42_FCM_SWAP_UNMAP)) ==
		       -K42_EAGAIN)
			k42_thread_yield();
		t1 += k42_timebase() - t0;
	}
	stop = 1;
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < nworkers)
		k42_thread_yield();
	if (rc != 0 || k42_sc_fcm_info(self, SWAP_VA, (uint64_t)&fi) != 0 || fi.swaps != SWAPS ||
	    fi.resident != nworkers * SWAP_PAGES) {
		k42_printf("scanbench: swaps failed: %ld, %lu swaps, %lu pages\n", rc, fi.swaps, fi.resident);
		return 4;
	}
	k42_printf("BENCH fcmswap_cpus %ld\n", ncpus);
	milli = fi.hold_ticks * 1000 / SWAPS;
	k42_printf("BENCH fcmswap_hold_ticks_per_op %lu.%03lu\n", milli / 1000, milli % 1000);
	milli = t1 * 1000 / SWAPS;
	k42_printf("BENCH fcmswap_call_ticks_per_op %lu.%03lu\n", milli / 1000, milli % 1000);
	k42_printf("scanbench: %d FCM swaps under %u workers on %ld CPUs: %lu faults held\n", SWAPS,
		   nworkers, ncpus, fi.held);
	k42_printf("BENCH done\n");
	return 0;
}

static int scan(const char *name, uint64_t f, uint64_t va)
{
	struct k42_fcminfo fi;
	uint64_t bad = 0, r0 = k42_pgflt_reflected, t0 = k42_timebase(), t1, r1, milli;

	for (uint64_t p = 0; p < PAGES; p++) {
		volatile uint64_t *w = (volatile uint64_t *)(va + p * K42_PAGE_SIZE);

		if (w[p % 512] != scan_word(f, p * K42_PAGE_SIZE, p % 512))
			bad++;
	}
	t1 = k42_timebase();
	r1 = k42_pgflt_reflected;
	if (bad || k42_sc_fcm_info(self, va, (uint64_t)&fi) != 0) {
		k42_printf("scanbench: %s: %lu bad words\n", name, bad);
		return -1;
	}
	milli = (t1 - t0) * 1000 / PAGES;
	k42_printf("BENCH scan_%s_ticks_per_op %lu.%03lu\n", name, milli / 1000, milli % 1000);
	k42_printf("BENCH scan_%s_reflected %lu\n", name, r1 - r0);
	k42_printf("scanbench: %s: %lu pages, %lu reflected faults, FCM: policy %s, %lu switches, "
		   "%lu waits, %lu pages read ahead\n", name, PAGES, r1 - r0, fi.impl, fi.swaps, fi.waits,
		   fi.ahead);
	return 0;
}

int main(uint64_t arg)
{
	long srv;
	struct k42_ipc_msg m;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	if (k42_argc > 1 && strcmp(k42_argv[1], "--swap") == 0)
		return swap_bench();
	srv = k42_spawn_path("bench/scan_server", K42_PRIO_GENERAL, PAGES);
	if (srv <= 0)
		return 1;
	for (uint64_t f = 0; f < SCAN_FILES; f++) {
		long rc;

		for (int tries = 0;; tries++) {
			m.op = k42_ipc_op(SCAN_IFACE, 1, 1, 0, 0);
			m.w[0] = f;
			if ((rc = k42_call((uint64_t)srv, &m, 1000)) == 0 || tries > 1000)
				break;
			k42_thread_sleep_us(1000);
		}
		if (rc != 0 || m.w[1] != PAGES * K42_PAGE_SIZE ||
		    k42_sc_mem_map_file(self, VA0 + f * (PAGES * K42_PAGE_SIZE), m.w[1], K42_PROT_READ, m.w[0]) != 0) {
			k42_printf("scanbench: cannot map file %lu: %ld\n", f, rc);
			return 2;
		}
	}
	if (k42_sc_fcm_swap(self, VA0 + PAGES * K42_PAGE_SIZE, K42_FCM_ADAPTIVE) != 0)
		return 3;
	k42_printf("BENCH scan_mib %u\n", SCAN_MIB);
	if (scan("demand", 0, VA0) < 0 || scan("adaptive", 1, VA0 + PAGES * K42_PAGE_SIZE) < 0)
		return 4;
	k42_sc_proc_kill((uint64_t)srv);
	k42_printf("BENCH done\n");
	return 0;
}
