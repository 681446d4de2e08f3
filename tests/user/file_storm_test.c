/*
 * File pages used from every CPU while the file's FCM evicts them (issue
 * 16; docs/smp.md, "Without the kernel lock": file faults), run as init.
 * tests/file_server serves a 640-page file, more than a file FCM keeps
 * resident (256): a dispatcher on every CPU (disp_create, as vp_test)
 * and the main one read pages of the mapped file in their own
 * pseudo-random orders, several passes each, and check bytes of every
 * page they read. Misses (page-ins, on the locked path) evict the oldest
 * pages, unmapping them everywhere and freeing their frames, while other
 * CPUs take resident pages without the kernel lock: a translation left
 * behind by an eviction, or a page mapped after its frame went, would
 * show another page's bytes (each byte depends on its file offset).
 * The dispatchers of one process share its lock, so the same storm also
 * runs in one child process per CPU mapping the same file (this program
 * with arg = the server's pid and a seed): their misses evict pages the
 * others map, under no lock the others hold but the kernel lock's (and
 * the local lock of their CPUs that the unlocked path takes).
 * The file server answers the page-ins (fr_complete) without the kernel
 * lock when it can (mm/fr.c): at more than one CPU some must have been,
 * and their waiters, on every CPU, woken right. The misses themselves
 * (the page-in sent, the faulting dispatcher waiting for it, the
 * evictions they make) run without the kernel lock when they can
 * (kern/user_fault.c fault_miss): some must have, at every CPU count.
 * Then the FCM is made to prefetch (fcm_swap, once the children are
 * gone) and every dispatcher scans the whole file from its own start:
 * read-ahead page-ins are sent without the kernel lock too (some must
 * be), with evictions, and every page's bytes are checked again.
 * Every value is checked; one verdict line.
 */
#include <k42/fcm.h>
#include "storm.h"

#define FILE_VA 0x30000000ul
#define PAGES 640
#define READS 1500	/* page reads per dispatcher */

static struct {
	uint64_t go;
	uint64_t done[K42_VPS_MAX];
	uint64_t bad[K42_VPS_MAX];	/* wrong bytes each one saw */
	uint64_t done2[K42_VPS_MAX];	/* the prefetching scans */
	uint64_t bad2[K42_VPS_MAX];
	uint64_t cpu[K42_VPS_MAX];
} ctl __attribute__((aligned(128)));

/* file_server's bytes: offset o holds (o * 7 + o / 4096) & 0xff. */
static uint64_t check_page(uint64_t pg, uint64_t salt)
{
	const volatile uint8_t *f = (const volatile uint8_t *)FILE_VA;
	uint64_t bad = 0;

	for (uint64_t i = salt % 61; i < K42_PAGE_SIZE; i += 509) {
		uint64_t o = pg * K42_PAGE_SIZE + i;

		bad += f[o] != (uint8_t)((o * 7 + o / 4096) & 0xff);
	}
	return bad;
}

static uint64_t storm(uint64_t me)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (me + 1), bad = 0;

	for (int i = 0; i < READS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bad += check_page(x % PAGES, x >> 32);
	}
	return bad;
}

/* One sequential pass over the file from dispatcher me's own start. */
static uint64_t scan(uint64_t me)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < PAGES; i++)
		bad += check_page((me * (PAGES / 4) + i) % PAGES, i * 31 + me);
	return bad;
}

/* This dispatcher's shared page (SPRG3, as in idle_storm_test). */
static uint64_t sprg3(void)
{
	uint64_t v;

	__asm__ volatile("mfspr %0, 259" : "=r"(v));
	return v;
}

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	struct k42_disp_shared *sh = (struct k42_disp_shared *)sprg3();

	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	while (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) < 1)
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	ctl.bad[me] = storm(me);
	__atomic_store_n(&ctl.done[me], 1, __ATOMIC_RELEASE);
	/* Blocked (not spinning beside the children) until main kicks it;
	 * disabled, so block returns at once while anything is pending. */
	for (;;) {
		__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		if (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) >= 2)
			break;
		k42_sc_block();
	}
	ctl.bad2[me] = scan(me);
	__atomic_store_n(&ctl.done2[me], 1, __ATOMIC_RELEASE);
	storm_park();
}

/* A child: the storm in a process of its own; its exit status says. */
static int child(uint64_t srv, uint64_t seed)
{
	uint64_t self = k42_info(K42_INFO_PID), bad;
	struct k42_ipc_msg m;
	long rc;

	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call(srv, &m, 1000);
	if (rc != 0 || k42_sc_mem_map_file(self, FILE_VA, m.w[1], K42_PROT_READ, m.w[0]) != 0) {
		k42_printf("file_storm_test: child %lu: no file (%ld)\n", seed, rc);
		return 2;
	}
	k42_disable();
	bad = storm(seed);
	k42_enable();
	k42_printf("file_storm_test: child %lu on CPU %lu: %lu wrong bytes\n", seed,
		   k42_info(K42_INFO_CPU), bad);
	return bad != 0;
}

#define CHILD_ARG (1ull << 62)

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), first = ncpus > 1 ? 1 : 0, srv, rc,
	     kids[K42_VPS_MAX];
	uint64_t self = k42_info(K42_INFO_PID), bad,
		 unlocked = k42_info(K42_INFO_FR_COMPLETES_UNLOCKED),
		 misses = k42_info(K42_INFO_FR_MISSES_UNLOCKED), ahead;
	struct k42_fcminfo fi = { 0 };
	int n, nkids = 0;

	if (arg & CHILD_ARG)
		return child(arg & 0xffffffffu, (arg >> 32) & 0xffff);
	if (!(srv = storm_file_map(PAGES, FILE_VA)))
		return verdict("file_storm_test");
	/* Disabled, so that every fault of this dispatcher waits in the
	 * kernel as the others' do (they run without libk42). */
	k42_disable();
	n = storm_start(vp_main, ncpus - first, first, 1);	/* one on every other CPU */
	for (long c = 0; c < ncpus && c < K42_VPS_MAX; c++) {
		kids[nkids] = k42_spawn_path("tests/file_storm_test", K42_PRIO_GENERAL,
					     CHILD_ARG | (uint64_t)(100 + c) << 32 | (uint64_t)srv);
		EXPECT(kids[nkids] > 0, "spawn child %ld: %ld", c, kids[nkids]);
		if (kids[nkids] > 0)
			nkids++;
	}
	__atomic_store_n(&ctl.go, 1, __ATOMIC_RELEASE);
	bad = storm(0);
	k42_enable();	/* a disabled dispatcher is not preempted for the others */
	storm_wait(ctl.done, 1, 1, n, 1, 120);	/* blocked: init's class is above the server's */
	storm_check_cpus(ctl.cpu, 1, 1, n, first, 1);
	for (int i = 1; i < n; i++) {
		EXPECT(ctl.done[i] == 1, "dispatcher %d did not finish", i);
		bad += ctl.bad[i];
	}
	for (int i = 0; i < nkids; i++) {
		int status = -1, state = k42_wait((uint64_t)kids[i], &status);

		EXPECT(state == K42_PROC_EXITED && status == 0, "child %d: state %d, status %d", i,
		       state, status);
	}
	/* The server's answers: without the kernel lock when the waiters'
	 * CPUs' local locks are free (mm/fr.c fr_complete_unlocked). */
	unlocked = k42_info(K42_INFO_FR_COMPLETES_UNLOCKED) - unlocked;
	misses = k42_info(K42_INFO_FR_MISSES_UNLOCKED) - misses;
	k42_printf("file_storm_test: %d dispatchers on %ld CPUs and %d processes, %d reads each of "
		   "a %d-page file; %lu wrong bytes; %lu page-ins answered and %lu misses sent "
		   "without the kernel lock\n",
		   n, ncpus, nkids, READS, PAGES, bad, unlocked, misses);
	EXPECT(bad == 0, "%lu wrong bytes (a stale translation of an evicted page)", bad);
	EXPECT(ncpus == 1 || unlocked > 0, "no page-in was answered without the kernel lock");
	EXPECT(misses > 0, "no miss was sent without the kernel lock");

	/* Read-ahead: the FCM prefetches once only this process maps it
	 * (a child's regions go with its end). */
	for (int i = 0; i < 2000 && (rc = k42_sc_fcm_swap(self, FILE_VA, K42_FCM_PREFETCH)) == -K42_EPERM;
	     i++)
		k42_thread_sleep_us(1000);
	EXPECT(rc == 0 && k42_sc_fcm_info(self, FILE_VA, (uint64_t)&fi) == 0 &&
		       fi.impl_id == K42_FCM_PREFETCH,
	       "prefetch policy: %ld, impl %u", rc, fi.impl_id);
	ahead = k42_info(K42_INFO_FR_AHEAD_UNLOCKED);
	k42_disable();
	__atomic_store_n(&ctl.go, 2, __ATOMIC_RELEASE);
	for (int i = 1; i < n; i++)
		k42_sc_disp_kick((uint64_t)i, K42_SOFTINTR_USER0);
	bad = scan(0);
	k42_enable();
	storm_wait(ctl.done2, 1, 1, n, 1, 120);
	for (int i = 1; i < n; i++) {
		EXPECT(ctl.done2[i] == 1, "dispatcher %d did not finish its scan", i);
		bad += ctl.bad2[i];
	}
	ahead = k42_info(K42_INFO_FR_AHEAD_UNLOCKED) - ahead;
	k42_printf("file_storm_test: prefetching scans by %d dispatchers: %lu wrong bytes; %lu "
		   "read-ahead page-ins sent without the kernel lock\n", n, bad, ahead);
	EXPECT(bad == 0, "%lu wrong bytes in the prefetching scans", bad);
	EXPECT(ahead > 0, "no read-ahead page-in was sent without the kernel lock");
	return verdict("file_storm_test");
}
