/*
 * Page-ins a file server's message ring had no room for, sent later
 * without the kernel lock (issue 16; docs/smp.md, "Without the kernel
 * lock": the server's fr_complete; mm/fr.c fr_flush_unlocked), run as
 * init. tests/file_server, made slow (it spins before each answer),
 * serves a 1,024-page file, four times what a file FCM keeps; the FCM
 * is made to prefetch, and two dispatchers per CPU (disp_create, as
 * file_storm_test) scan the whole file from their own starts, checking
 * every byte of every page. Each miss sends up to 32 read-ahead page-ins
 * besides its own, so the server's 32-message ring fills and the rest
 * wait, unsent (fr_unsent); the server's next fr_complete, disabled in
 * its message handler, sends what fits without the kernel lock while
 * misses and read-ahead from other CPUs add to the same FRs' lists and
 * other CPUs' completions of the same FR take page-ins off them. A
 * page-in lost or sent twice, or a page filled from a wrong message,
 * hangs a scanner or shows wrong bytes. Some page-ins must have been
 * sent this way. One verdict line.
 */
#include <k42/fcm.h>
#include "storm.h"

#define FILE_VA 0x30000000ul
#define PAGES 1024
#define PASSES 2
#define PER_CPU 2
#define FILE_SLOW (1ull << 32)	/* tests/file_server: answer slowly */

static struct {
	uint64_t go;
	uint64_t done[K42_VPS_MAX];
	uint64_t bad[K42_VPS_MAX];	/* wrong bytes each one saw */
	uint64_t cpu[K42_VPS_MAX];
} ctl __attribute__((aligned(128)));

/* file_server's bytes: offset o holds (o * 7 + o / 4096) & 0xff; every
 * byte of page pg checked, 8 at a time. */
static uint64_t check_page(uint64_t pg)
{
	const volatile uint64_t *f = (const volatile uint64_t *)(FILE_VA + pg * K42_PAGE_SIZE);
	uint64_t bad = 0;

	for (uint64_t w = 0; w < K42_PAGE_SIZE / 8; w++) {
		uint64_t v = f[w];

		for (int b = 0; b < 8; b++) {
			uint64_t o = pg * K42_PAGE_SIZE + w * 8 + (uint64_t)b;

			bad += (uint8_t)(v >> (8 * b)) != (uint8_t)((o * 7 + o / 4096) & 0xff);
		}
	}
	return bad;
}

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	uint64_t bad = 0;

	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	while (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) < 1)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	for (int p = 0; p < PASSES; p++)
		for (uint64_t i = 0; i < PAGES; i++)
			bad += check_page((me * (PAGES / 7) + i) % PAGES);
	ctl.bad[me] = bad;
	__atomic_store_n(&ctl.done[me], 1, __ATOMIC_RELEASE);
	storm_park();
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), srv, rc = -1;
	uint64_t self = k42_info(K42_INFO_PID), bad = 0, flushed, completed;
	struct k42_fcminfo fi = { 0 };
	struct k42_ipc_msg m;
	int n, all;

	srv = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, FILE_SLOW | PAGES);
	EXPECT(srv > 0, "spawn: %ld", srv);
	if (srv <= 0)
		return verdict("frflush_storm_test");
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)srv, &m, 1000);
	EXPECT(rc == 0 && m.w[1] == PAGES * K42_PAGE_SIZE, "get fr: %ld, size %lu", rc, m.w[1]);
	if (rc == 0)
		rc = k42_sc_mem_map_file(self, FILE_VA, m.w[1], K42_PROT_READ, m.w[0]);
	EXPECT(rc == 0, "map file: %ld", rc);
	if (rc != 0)
		return verdict("frflush_storm_test");
	while ((rc = k42_sc_fcm_swap(self, FILE_VA, K42_FCM_PREFETCH)) == -K42_EAGAIN)
		k42_thread_sleep_us(1000);
	EXPECT(rc == 0 && k42_sc_fcm_info(self, FILE_VA, (uint64_t)&fi) == 0 &&
		       fi.impl_id == K42_FCM_PREFETCH,
	       "prefetch policy: %ld, impl %u", rc, fi.impl_id);
	flushed = k42_info(K42_INFO_FR_FLUSHES_UNLOCKED);
	completed = k42_info(K42_INFO_FR_COMPLETES_UNLOCKED);
	n = storm_start(vp_main, ncpus * PER_CPU, 0, PER_CPU);
	__atomic_store_n(&ctl.go, 1, __ATOMIC_RELEASE);
	all = storm_wait(ctl.done, 1, 1, n, 1, 150);
	EXPECT(all, "a scanner did not finish (a page-in lost?)");
	storm_check_cpus(ctl.cpu, 1, 1, n, 0, PER_CPU);
	for (int i = 1; i < n; i++)
		bad += ctl.bad[i];
	flushed = k42_info(K42_INFO_FR_FLUSHES_UNLOCKED) - flushed;
	completed = k42_info(K42_INFO_FR_COMPLETES_UNLOCKED) - completed;
	k42_printf("frflush_storm_test: %d dispatchers on %ld CPUs, %d passes over a %d-page file, "
		   "every byte checked; %lu wrong bytes; %lu page-ins answered and %lu unsent ones "
		   "sent without the kernel lock\n",
		   n - 1, ncpus, PASSES, PAGES, bad, completed, flushed);
	EXPECT(bad == 0, "%lu wrong bytes", bad);
	EXPECT(flushed > 0, "no unsent page-in was sent without the kernel lock");
	return verdict("frflush_storm_test");
}
