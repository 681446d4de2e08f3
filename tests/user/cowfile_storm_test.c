/*
 * A private (copy-on-write) view of a file read and written from every CPU
 * while the file's FCM evicts (issue 16; docs/smp.md, "Without the kernel
 * lock": COW over a file), run as init with a dispatcher on every CPU
 * (disp_create, as vp_test). tests/file_server serves a 320-page file,
 * more than a file FCM keeps resident (256). Each round the main
 * dispatcher clones the mapped file with mem_cow, then:
 *  1. every dispatcher reads every page of the clone, in its own
 *     pseudo-random order, and checks every byte against the file's: the
 *     misses (page-ins, evictions) run beside other CPUs' faults on
 *     resident pages, which map the file's frames read-only without the
 *     kernel lock (mm/fcm_cow.c fcm_cow_file_fault);
 *  2. every dispatcher writes half of each page of its own share (every
 *     other 64-byte block: the rest must keep the file's bytes, from the
 *     copy of the file page the copy-on-write break made under the file
 *     FCM's lock) while it keeps reading the pages nobody writes, which
 *     keep missing and evicting;
 *  3. once all have written, every dispatcher checks every byte of every
 *     page: its writer's bytes, or the file's where nobody wrote. A
 *     read-only translation of the file's frame left after the break, or
 *     after an eviction, shows the file's (or another page's) bytes;
 *  4. the main dispatcher unmaps the clone.
 * At the end the file mapping itself must still show the file's bytes
 * (the writes were private), and some faults must have been resolved
 * without the kernel lock (K42_INFO_COW_FILE_UNLOCKED). One verdict line.
 */
#include "storm.h"

#define FILE_VA 0x30000000ul
#define DST 0x38000000ul
#define PAGES 320
#define ROUNDS 3

static struct {
	uint64_t go;			/* phase the main dispatcher asks for */
	uint64_t n;			/* dispatchers taking part, main included */
	uint64_t done[K42_VPS_MAX];	/* last phase each dispatcher finished */
	uint64_t bad[K42_VPS_MAX];	/* wrong bytes each one saw */
	uint64_t cpu[K42_VPS_MAX];	/* the CPU each one ran on */
} ctl __attribute__((aligned(128)));

/* file_server's byte at offset o. */
static uint8_t file_byte(uint64_t o)
{
	return (uint8_t)((o * 7 + o / 4096) & 0xff);
}

/* The byte writer w leaves at offset o in round k. */
static uint8_t mark_byte(uint64_t k, uint64_t w, uint64_t o)
{
	return (uint8_t)((o * 13 + o / 4096 * 5 + k * 29 + w * 71 + 1) & 0xff);
}

/* Who writes page p: dispatcher p % (n + 1), nobody if that is n. */
static uint64_t writer(uint64_t p, uint64_t n)
{
	return p % (n + 1);
}

/* A writer writes every other 64-byte block of its pages: the rest must
 * keep the file's bytes, which only the copy made at the break holds. */
static int written(uint64_t o)
{
	return (o / 64) % 2 == 0;
}

/* Wrong bytes in page p of the clone; w: its writer this round, or n
 * (nobody: the file's bytes). */
static uint64_t check_page(uint64_t k, uint64_t p, uint64_t w, uint64_t n)
{
	const volatile uint8_t *d = (const volatile uint8_t *)DST;
	uint64_t bad = 0;

	for (uint64_t o = p * K42_PAGE_SIZE; o < (p + 1) * K42_PAGE_SIZE; o++)
		bad += d[o] != (w == n || !written(o) ? file_byte(o) : mark_byte(k, w, o));
	return bad;
}

/* Blocked until the main dispatcher asks for phase (and kicks): a
 * dispatcher spinning here would keep the file server, a class below,
 * off its CPU while the others wait for page-ins. Disabled (it runs
 * without libk42), so block returns at once while a kick is pending. */
static void wait_go(uint64_t phase)
{
	struct k42_disp_shared *sh = storm_disp_shared();

	for (;;) {
		__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		if (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) >= phase)
			return;
		k42_sc_block();
	}
}

/* Phase 1: every page, in my own order, still the file's. */
static uint64_t read_all(uint64_t k, uint64_t me)
{
	uint64_t n = __atomic_load_n(&ctl.n, __ATOMIC_ACQUIRE), bad = 0;

	/* 97 is prime to PAGES: a permutation, started where I start. */
	for (uint64_t i = 0; i < PAGES; i++)
		bad += check_page(k, (me * 53 + k * 11 + i * 97) % PAGES, n, n);
	return bad;
}

/* Phase 2: write my pages, each followed by a read of an unwritten one. */
static uint64_t write_mine(uint64_t k, uint64_t me)
{
	volatile uint8_t *d = (volatile uint8_t *)DST;
	uint64_t n = __atomic_load_n(&ctl.n, __ATOMIC_ACQUIRE), bad = 0, r = me;

	for (uint64_t p = 0; p < PAGES; p++) {
		if (writer(p, n) != me)
			continue;
		for (uint64_t o = p * K42_PAGE_SIZE; o < (p + 1) * K42_PAGE_SIZE; o++)
			if (written(o))
				d[o] = mark_byte(k, me, o);
		r = (r * 7 + 3) % (PAGES / (n + 1));	/* the r-th unwritten page */
		bad += check_page(k, r * (n + 1) + n, n, n);
	}
	return bad;
}

/* Phase 3: every byte of every page, written or not. */
static uint64_t check_all(uint64_t k, uint64_t me)
{
	uint64_t n = __atomic_load_n(&ctl.n, __ATOMIC_ACQUIRE), bad = 0;

	for (uint64_t i = 0; i < PAGES; i++) {
		uint64_t p = (me * 41 + i) % PAGES;

		bad += check_page(k, p, writer(p, n), n);
	}
	return bad;
}

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	for (uint64_t k = 1; k <= ROUNDS; k++) {
		wait_go(3 * k);
		ctl.bad[me] += read_all(k, me);
		__atomic_store_n(&ctl.done[me], 3 * k, __ATOMIC_RELEASE);
		wait_go(3 * k + 1);
		ctl.bad[me] += write_mine(k, me);
		__atomic_store_n(&ctl.done[me], 3 * k + 1, __ATOMIC_RELEASE);
		wait_go(3 * k + 2);
		ctl.bad[me] += check_all(k, me);
		__atomic_store_n(&ctl.done[me], 3 * k + 2, __ATOMIC_RELEASE);
	}
	storm_park();
}

/* The main dispatcher's part of phase `phase`, then the wait for the
 * others': 1 if all finished. Disabled meanwhile, so that its faults
 * wait in the kernel as the others' do (they run without libk42); the
 * wait itself sleeps enabled (init's class is above the server's). */
static int phase_all(uint64_t k, uint64_t phase, uint64_t *bad, int n)
{
	__atomic_store_n(&ctl.go, phase, __ATOMIC_RELEASE);
	for (int i = 1; i < n; i++)
		k42_sc_disp_kick((uint64_t)i, K42_SOFTINTR_USER0);
	k42_disable();
	*bad += phase % 3 == 0 ? read_all(k, 0) : phase % 3 == 1 ? write_mine(k, 0) : check_all(k, 0);
	k42_enable();
	return storm_wait(ctl.done, 1, 1, n, phase, 120);
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), first = ncpus > 1 ? 1 : 0, rc;
	uint64_t self = k42_info(K42_INFO_PID), bad = 0, filebad = 0,
		 unlocked = k42_info(K42_INFO_COW_FILE_UNLOCKED);
	const volatile uint8_t *f = (const volatile uint8_t *)FILE_VA;
	int n;

	(void)arg;
	if (!storm_file_map(PAGES, FILE_VA))
		return verdict("cowfile_storm_test");
	/* One more dispatcher on every other CPU (two on CPU 0 with one CPU). */
	n = storm_start(vp_main, ncpus - first, first, 1);
	__atomic_store_n(&ctl.n, (uint64_t)n, __ATOMIC_RELEASE);
	for (uint64_t k = 1; k <= ROUNDS; k++) {
		rc = k42_sc_mem_cow(self, DST, FILE_VA, PAGES * K42_PAGE_SIZE);
		EXPECT(rc == 0, "mem_cow round %lu: %ld", k, rc);
		/* A private view may be written (the file's mapping may not). */
		if (rc == 0)
			rc = k42_sc_mem_protect(self, DST, PAGES * K42_PAGE_SIZE,
						K42_PROT_READ | K42_PROT_WRITE);
		EXPECT(rc == 0, "mem_protect round %lu: %ld", k, rc);
		if (rc != 0)
			break;
		if (!phase_all(k, 3 * k, &bad, n) || !phase_all(k, 3 * k + 1, &bad, n) ||
		    !phase_all(k, 3 * k + 2, &bad, n)) {
			EXPECT(0, "round %lu: phase %lu did not finish", k, ctl.go);
			break;
		}
		EXPECT(k42_sc_mem_unmap(self, DST, PAGES * K42_PAGE_SIZE) == 0, "unmap %lu", k);
	}
	for (int i = 1; i < n; i++)
		bad += ctl.bad[i];
	storm_check_cpus(ctl.cpu, 1, 1, n, first, 1);
	/* The writes were private: the file is as its server serves it. */
	k42_disable();
	for (uint64_t o = 0; o < PAGES * K42_PAGE_SIZE; o++)
		filebad += f[o] != file_byte(o);
	k42_enable();
	unlocked = k42_info(K42_INFO_COW_FILE_UNLOCKED) - unlocked;
	k42_printf("cowfile_storm_test: %d dispatchers on %ld CPUs, a %d-page file cloned %d times; "
		   "%lu wrong bytes in the clones, %lu in the file; %lu faults on the clones "
		   "without the kernel lock\n", n, ncpus, PAGES, ROUNDS, bad, filebad, unlocked);
	EXPECT(bad == 0, "%lu wrong bytes (a stale translation or a lost copy)", bad);
	EXPECT(filebad == 0, "%lu wrong bytes in the file (a private write reached it)", filebad);
	EXPECT(unlocked > 0, "no fault on a clone was resolved without the kernel lock");
	return verdict("cowfile_storm_test");
}
