/*
 * The adaptive file FCM (run as init; docs/hot-swap.md, "The adaptive
 * FCM"): bench/scan_server serves a 1,024-page synthetic file; mapped
 * here with an adaptive FCM, a sequential scan must switch it to
 * prefetching by itself (and take far fewer reflected faults than pages),
 * random access must switch it back, and every word read is checked. A
 * process may set the policy only of a file FCM no other process maps.
 * An adaptive anonymous FCM does the same through the kernel's swap
 * protocol (a mediator, held faults, drain): sequential first touches
 * swap it to prefetch, random ones back to demand. A prefetching one maps
 * what it gives frames ahead in the same fault (counts checked exactly).
 */
#include <string.h>
#include <k42/fcm.h>
#include "check.h"
#include "../../bench/k42/scan.h"

#define PAGES 1024
#define VA 0x200000000ul

static uint64_t self, bad;

static void touch(uint64_t p)
{
	volatile uint64_t *w = (volatile uint64_t *)(VA + p * K42_PAGE_SIZE);

	if (w[p % 512] != scan_word(0, p * K42_PAGE_SIZE, p % 512) && ++bad <= 5)
		k42_printf("fcmadapt_test: page %lu: %lx\n", p, w[p % 512]);
}

#define ANON_VA 0x300000000ul
#define ANON_PAGES 256

static void anon_part(void)
{
	volatile uint64_t *mem = (volatile uint64_t *)ANON_VA;
	struct k42_fcminfo fi;
	uint64_t wrong = 0;

	EXPECT(k42_sc_mem_map_anon(self, ANON_VA, ANON_PAGES * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) == 0,
	       "map anon");
	EXPECT(k42_sc_fcm_swap(self, ANON_VA, K42_FCM_ADAPTIVE | K42_FCM_SWAP_UNMAP) == -K42_EINVAL,
	       "adaptive takes no flag");
	EXPECT(k42_sc_fcm_swap(self, ANON_VA, K42_FCM_ADAPTIVE) == 0, "adaptive anon");
	EXPECT(k42_sc_fcm_info(self, ANON_VA, (uint64_t)&fi) == 0 && fi.adaptive == 1 &&
	       fi.impl_id == K42_FCM_DEMAND && fi.swaps == 0, "adaptive demand at first: %s", fi.impl);
	/* Sequential first touches of the first half. */
	for (uint64_t i = 0; i < ANON_PAGES / 2; i++)
		mem[i * 512] = i + 1;
	EXPECT(k42_sc_fcm_info(self, ANON_VA, (uint64_t)&fi) == 0 && fi.impl_id == K42_FCM_PREFETCH &&
	       !fi.swapping && fi.swaps == 1 && fi.adaptive == 1 && fi.ahead > 0,
	       "prefetch after a sequential run: %s, %lu swaps, %lu ahead", fi.impl, fi.swaps, fi.ahead);
	/* Random first touches of the second half: back to demand. */
	for (uint64_t i = 0; i < ANON_PAGES / 2; i++) {
		uint64_t pg = ANON_PAGES / 2 + (i * 37) % (ANON_PAGES / 2);

		mem[pg * 512] = pg + 1;
	}
	EXPECT(k42_sc_fcm_info(self, ANON_VA, (uint64_t)&fi) == 0 && fi.impl_id == K42_FCM_DEMAND &&
	       !fi.swapping && fi.swaps == 2 && fi.adaptive == 1,
	       "demand after random access: %s, %lu swaps", fi.impl, fi.swaps);
	EXPECT(fi.resident == ANON_PAGES, "%lu pages resident of %u", fi.resident, ANON_PAGES);
	for (uint64_t i = 0; i < ANON_PAGES; i++)
		if (mem[i * 512] != i + 1)
			wrong++;
	EXPECT(wrong == 0, "%lu anonymous pages wrong", wrong);
	k42_printf("fcmadapt_test: adaptive anonymous FCM: %s -> prefetch -> %s in %lu swaps, %lu faults held, "
		   "%lu pages read ahead\n", "demand", fi.impl, fi.swaps, fi.held, fi.ahead);
	/* Asking for a policy ends the adaptation. */
	EXPECT(k42_sc_fcm_swap(self, ANON_VA, K42_FCM_DEMAND) == 0 &&
	       k42_sc_fcm_info(self, ANON_VA, (uint64_t)&fi) == 0 && fi.adaptive == 0, "adaptation off");
	EXPECT(k42_sc_mem_unmap(self, ANON_VA, ANON_PAGES * K42_PAGE_SIZE) == 0, "unmap anon");
}

/*
 * A prefetching anonymous FCM maps the pages it gives frames ahead of a
 * fault in that same fault: a sequential first touch of a region takes
 * one fault per window. The expected counts follow the policy
 * (docs/hot-swap.md): a fault that continues the run doubles the window
 * (2, 4, ... up to FCM_AHEAD_MAX = 16), any other sets it to 0; the next
 * fault of the scan is just past what was mapped. Twice at the same
 * address: the first round makes the page-table pages, the second checks
 * our frames exactly.
 */
#define AHEAD_VA 0x340000000ul
#define AHEAD_PAGES 200

static uint64_t own_frames(void)
{
	uint64_t used[1] = { 0 };

	k42_sc_proc_limit(self, K42_QUOTA_FRAMES, K42_QUOTA_QUERY, used);
	return used[0];
}

static void ahead_round(int check)
{
	volatile uint64_t *mem = (volatile uint64_t *)AHEAD_VA;
	struct k42_fcminfo fi;
	uint64_t own0, own1, faults = 0, ahead = 0, next = ~0ul, wrong = 0;
	unsigned window = 0;
	long rc;

	/* An unmapped page's frame is uncharged when it is freed, after
	 * quiescence on every CPU: with more than one CPU the last round's
	 * may still be charged now. */
	settle_deferred(30);
	own0 = own_frames();

	for (uint64_t pg = 0; pg < AHEAD_PAGES;) {
		uint64_t o;

		faults++;
		window = pg == next ? (window ? (window * 2 > 16 ? 16 : window * 2) : 2) : 0;
		for (o = pg + 1; o <= pg + window && o < AHEAD_PAGES; o++)
			ahead++;
		next = o;
		pg = o;
	}
	EXPECT(k42_sc_mem_map_anon(self, AHEAD_VA, AHEAD_PAGES * K42_PAGE_SIZE,
				   K42_PROT_READ | K42_PROT_WRITE) == 0, "map the prefetch region");
	while ((rc = k42_sc_fcm_swap(self, AHEAD_VA, K42_FCM_PREFETCH)) == -K42_EAGAIN)
		;
	EXPECT(rc == 0, "swap to prefetch: %ld", rc);
	for (uint64_t i = 0; i < AHEAD_PAGES; i++)
		mem[i * 512] = i * 3 + 1;
	EXPECT(k42_sc_fcm_info(self, AHEAD_VA, (uint64_t)&fi) == 0 && fi.impl_id == K42_FCM_PREFETCH,
	       "prefetch FCM: %s", fi.impl);
	EXPECT(fi.faults == faults && fi.ahead == ahead && fi.mapped_ahead == ahead &&
	       fi.resident == AHEAD_PAGES && faults + ahead == AHEAD_PAGES,
	       "sequential scan of %u pages: %lu faults (want %lu), %lu ahead (want %lu), %lu mapped "
	       "ahead, %lu resident", AHEAD_PAGES, fi.faults, faults, fi.ahead, ahead, fi.mapped_ahead,
	       fi.resident);
	for (uint64_t i = 0; i < AHEAD_PAGES; i++)
		if (mem[i * 512] != i * 3 + 1 || mem[i * 512 + 1] != 0)
			wrong++;
	EXPECT(wrong == 0, "%lu prefetched pages wrong", wrong);
	own1 = own_frames();
	EXPECT(k42_sc_mem_unmap(self, AHEAD_VA, AHEAD_PAGES * K42_PAGE_SIZE) == 0, "unmap the prefetch region");
	settle_deferred(30);
	if (check) {
		EXPECT(own1 - own0 == AHEAD_PAGES, "frames for %u pages: %lu", AHEAD_PAGES, own1 - own0);
		EXPECT(own_frames() == own0, "frames after unmap: %lu, before %lu", own_frames(), own0);
		k42_printf("fcmadapt_test: prefetch maps ahead: %u pages in %lu faults, %lu mapped ahead\n",
			   AHEAD_PAGES, fi.faults, fi.mapped_ahead);
	}
}

int main(uint64_t arg)
{
	struct k42_fcminfo fi, before;
	struct k42_ipc_msg m;
	uint64_t r0, seq_reflected, rnd_reflected, x = 12345, fr = 0;
	long srv, child, rc = -1;
	int status;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	srv = k42_spawn_path("bench/scan_server", K42_PRIO_GENERAL, PAGES);
	EXPECT(srv > 0, "spawn: %ld", srv);
	for (int tries = 0; srv > 0 && tries < 1000; tries++) {
		m.op = k42_ipc_op(SCAN_IFACE, 1, 1, 0, 0);
		m.w[0] = 0;
		if ((rc = k42_call((uint64_t)srv, &m, 1000)) == 0)
			break;
		k42_thread_sleep_us(1000);
	}
	EXPECT(rc == 0 && m.w[1] == PAGES * K42_PAGE_SIZE, "file: %ld", rc);
	if (rc != 0)
		return verdict("fcmadapt_test");
	fr = m.w[0];
	EXPECT(k42_sc_mem_map_file(self, VA, m.w[1], K42_PROT_READ, fr) == 0, "map");
	EXPECT(k42_sc_fcm_info(self, VA, (uint64_t)&fi) == 0 && fi.impl_id == K42_FCM_DEMAND && !fi.adaptive,
	       "demand at first: %d %u", fi.impl_id, fi.adaptive);
	EXPECT(k42_sc_fcm_swap(self, VA, K42_FCM_ADAPTIVE | K42_FCM_SWAP_UNMAP) == -K42_EINVAL,
	       "no unmap flag for a file FCM");
	EXPECT(k42_sc_fcm_swap(self, VA, 9) == -K42_EINVAL, "no such policy");
	EXPECT(k42_sc_fcm_swap(self, VA, K42_FCM_ADAPTIVE) == 0, "adaptive");
	EXPECT(k42_sc_fcm_info(self, VA, (uint64_t)&before) == 0 && before.adaptive == 1, "adaptive on");

	/* A sequential scan: it must switch itself to prefetching. */
	r0 = k42_pgflt_reflected;
	for (uint64_t p = 0; p < PAGES; p++)
		touch(p);
	seq_reflected = k42_pgflt_reflected - r0;
	EXPECT(k42_sc_fcm_info(self, VA, (uint64_t)&fi) == 0, "info");
	EXPECT(fi.impl_id == K42_FCM_PREFETCH && strcmp(fi.impl, "file-prefetch") == 0,
	       "prefetching after the scan: %s", fi.impl);
	EXPECT(fi.swaps == before.swaps + 1, "one switch: %lu", fi.swaps - before.swaps);
	EXPECT(fi.ahead >= PAGES / 2, "%lu pages read ahead", fi.ahead);
	EXPECT(seq_reflected > 0 && seq_reflected < PAGES / 8, "%lu reflected faults for %u pages",
	       seq_reflected, PAGES);
	EXPECT(fi.waits - before.waits == seq_reflected, "the FCM's %lu waits are the %lu reflected faults",
	       fi.waits - before.waits, seq_reflected);

	/* Random access (pages far apart; most were evicted: 256 stay): back
	 * to demand, and nothing read ahead any more. */
	r0 = k42_pgflt_reflected;
	before = fi;
	for (int i = 0; i < 64; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		touch((x >> 33) % PAGES);
	}
	rnd_reflected = k42_pgflt_reflected - r0;
	EXPECT(k42_sc_fcm_info(self, VA, (uint64_t)&fi) == 0, "info");
	EXPECT(fi.impl_id == K42_FCM_DEMAND && strcmp(fi.impl, "file-demand") == 0 && fi.adaptive == 1,
	       "demand after random access: %s", fi.impl);
	EXPECT(fi.swaps == before.swaps + 1, "one switch back: %lu", fi.swaps - before.swaps);
	EXPECT(fi.ahead - before.ahead < 64, "%lu pages read ahead on random access", fi.ahead - before.ahead);
	EXPECT(bad == 0, "%lu bad words", bad);

	/* Another process maps the file too: not ours alone to set. */
	child = k42_spawn_path("tests/stuck", K42_PRIO_GENERAL, 0);
	EXPECT(child > 0, "spawn: %ld", child);
	if (child > 0) {
		EXPECT(k42_sc_mem_map_file((uint64_t)child, VA, PAGES * K42_PAGE_SIZE, K42_PROT_READ, fr) == 0,
		       "map into the child");
		EXPECT(k42_sc_fcm_swap(self, VA, K42_FCM_PREFETCH) == -K42_EPERM, "a shared file FCM");
		EXPECT(k42_sc_proc_kill((uint64_t)child) == 0 && k42_wait((uint64_t)child, &status) ==
		       K42_PROC_KILLED, "kill the child");
	}
	k42_printf("fcmadapt_test: sequential scan of %u pages: %lu reflected faults, %lu pages read ahead, "
		   "switched to %s; 64 random pages: %lu reflected, back to %s\n", PAGES, seq_reflected,
		   before.ahead, before.impl, rnd_reflected, fi.impl);
	k42_sc_proc_kill((uint64_t)srv);
	anon_part();
	ahead_round(0);
	ahead_round(1);
	return verdict("fcmadapt_test");
}
