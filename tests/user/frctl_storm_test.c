/*
 * The server's fr_ctl from every CPU while its file's pages are written
 * and read from every CPU (issue 16; docs/smp.md, "Without the kernel
 * lock": fr_ctl), run as init, which is the file's server: it makes the
 * FR, answers its page-ins from its own copy of the file (`backing`) and
 * gives the FR's handle to one child process per CPU, which maps the file
 * writable.
 *
 * - Pages [0, WPAGES): each belongs to one child, which writes it whole
 *   every round (a stamp of page, round and word) and reads it back. A
 *   dispatcher of the server on every CPU (disp_create) pulls its share
 *   of these pages (K42_FR_CTL_PULL) straight into `backing` over and
 *   over: each pull unmaps the page everywhere and cleans it, so the
 *   next store faults and dirties it again. When the children are done
 *   the server pulls what is left and every word of `backing` must hold
 *   the last round: a write fault whose writable mapping came after a
 *   pull had cleaned the page would leave its writes dirty-less, never
 *   pulled.
 * - Pages [WPAGES, NPAGES): constant bytes the children read, while the
 *   same dispatchers drop them (K42_FR_CTL_DROP: unmapped everywhere,
 *   frames freed, read in again on the next fault) and write the same
 *   bytes into them (K42_FR_CTL_PUSH): a translation an other CPU kept
 *   after a drop would show the bytes of whatever the frame holds next.
 *
 * The buffers are the server's anonymous memory, touched first, so its
 * calls take the path without the kernel lock. Every value is checked;
 * one verdict line.
 */
#include "storm.h"

#define FILE_VA 0x30000000ul
#define WPAGES 64
#define NPAGES 96
#define ROUNDS 24
#define WORDS (K42_PAGE_SIZE / 8)
#define FILE_ID 66

static uint64_t backing[NPAGES][WORDS] __attribute__((aligned(4096)));
static uint64_t fr;

static struct {
	uint64_t go, stop, nvps;
	uint64_t done[K42_VPS_MAX];
	uint64_t bad[K42_VPS_MAX];	/* unexpected fr_ctl results */
	uint64_t pulls[K42_VPS_MAX], drops[K42_VPS_MAX], pushes[K42_VPS_MAX];
	uint64_t cpu[K42_VPS_MAX];
} ctl __attribute__((aligned(128)));

static uint64_t stamp(uint64_t pg, uint64_t round, uint64_t w)
{
	return pg << 48 | round << 32 | ((w * 2654435761u) & 0xffffffffu);
}

static uint64_t constant(uint64_t pg, uint64_t w)
{
	return ~(pg << 40 | w * 40503u);
}

/* Page-ins: the server's copy of the page, in the PPC page. */
static void on_message(const struct k42_msg *m)
{
	uint64_t pg = m->w[2] / K42_PAGE_SIZE;

	if (m->sender != 0 || m->op != K42_MSG_FR_PAGEIN || m->w[1] != FILE_ID || pg >= NPAGES)
		return;
	__builtin_memcpy(k42_ppc_page(), backing[pg], K42_PAGE_SIZE);
	k42_sc_fr_complete(m->w[0], m->w[2], 0);
}

__attribute__((noreturn)) void vp_main(uint64_t me);

/* A server dispatcher: pull its share of the written pages, drop the
 * constant ones and push their bytes again, until told to stop. */
void vp_main(uint64_t me)
{
	uint64_t n = ctl.nvps, it = 0;

	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	/* Disabled, so never preempted: yield while waiting, or the
	 * dispatchers sharing its CPU (init's, at 1 CPU) never run. */
	while (__atomic_load_n(&ctl.go, __ATOMIC_ACQUIRE) < 1)
		k42_sc_yield();
	while (!__atomic_load_n(&ctl.stop, __ATOMIC_ACQUIRE)) {
		for (uint64_t pg = me - 1; pg < WPAGES; pg += n) {
			long rc = k42_sc_fr_ctl(fr, K42_FR_CTL_PULL, pg * K42_PAGE_SIZE,
						(uint64_t)(uintptr_t)backing[pg], 1);

			if (rc == (long)(pg * K42_PAGE_SIZE))
				ctl.pulls[me]++;
			else if (rc != -K42_ENOENT)
				ctl.bad[me]++;
		}
		/* Drops now and then: each costs the children page-ins, which
		 * init's dispatcher serves on CPU 0. */
		if (++it % 16 == me % 16) {
			long rc = k42_sc_fr_ctl(fr, K42_FR_CTL_DROP, WPAGES * K42_PAGE_SIZE, 0, 0);

			ctl.drops[me] += rc > 0 ? (uint64_t)rc : 0;
			ctl.bad[me] += rc < 0;
		} else {
			uint64_t pg = WPAGES + (it * 7 + me) % (NPAGES - WPAGES);
			long rc = k42_sc_fr_ctl(fr, K42_FR_CTL_PUSH, pg * K42_PAGE_SIZE,
						(uint64_t)(uintptr_t)backing[pg], K42_PAGE_SIZE);

			ctl.pushes[me] += rc == 1;
			ctl.bad[me] += rc != 0 && rc != 1;
		}
		k42_sc_yield();	/* a disabled dispatcher: let the children run here */
	}
	__atomic_store_n(&ctl.done[me], 1, __ATOMIC_RELEASE);
	storm_park();
}

/* A child's check: 1 if wrong, and the first wrong one is reported. */
static uint64_t wrong(uint64_t me, const char *where, uint64_t r, uint64_t pg, uint64_t w,
		      uint64_t got, uint64_t want)
{
	static int told;

	if (got == want)
		return 0;
	if (!told++)
		k42_printf("frctl_storm_test: child %lu round %lu: %s page %lu word %lu: 0x%lx, "
			   "not 0x%lx\n", me, r, where, pg, w, got, want);
	return 1;
}

/* A child: write its pages every round, read them and the constant ones. */
static int child(uint64_t handle, uint64_t me, uint64_t nkids)
{
	volatile uint64_t *f = (volatile uint64_t *)FILE_VA;
	uint64_t self = k42_info(K42_INFO_PID), bad = 0;

	if (k42_sc_mem_map_file(self, FILE_VA, NPAGES * K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE, handle) != 0) {
		k42_printf("frctl_storm_test: child %lu: cannot map the file\n", me);
		return 2;
	}
	k42_disable();	/* every fault waits in the kernel */
	for (uint64_t r = 1; r <= ROUNDS; r++) {
		for (uint64_t pg = me; pg < WPAGES; pg += nkids)
			for (uint64_t w = 0; w < WORDS; w++)
				f[pg * WORDS + w] = stamp(pg, r, w);
		for (uint64_t pg = me; pg < WPAGES; pg += nkids)
			for (uint64_t w = 0; w < WORDS; w += 7)
				bad += wrong(me, "written", r, pg, w, f[pg * WORDS + w],
					     stamp(pg, r, w));
		for (uint64_t i = 0; i < 8; i++) {
			uint64_t pg = WPAGES + (r * 5 + i * 3 + me) % (NPAGES - WPAGES);

			for (uint64_t w = (r + i) % 5; w < WORDS; w += 5)
				bad += wrong(me, "dropped", r, pg, w, f[pg * WORDS + w],
					     constant(pg, w));
		}
	}
	k42_enable();
	k42_printf("frctl_storm_test: child %lu on CPU %lu: %lu wrong values\n", me,
		   k42_info(K42_INFO_CPU), bad);
	return bad != 0;
}

#define CHILD_ARG (1ull << 63)

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), first = ncpus > 1 ? 1 : 0, rc,
	     kids[K42_VPS_MAX];
	uint64_t stale = 0, bad = 0, pulls = 0, drops = 0, pushes = 0, last = 0,
		 frees = k42_info(K42_INFO_FREES_UNLOCKED);
	int n, nkids = 0;

	if (arg & CHILD_ARG)
		return child(arg & 0x7fffffff000000fful, (arg >> 8) & 0xff, (arg >> 16) & 0xff);
	for (uint64_t pg = 0; pg < NPAGES; pg++)
		for (uint64_t w = 0; w < WORDS; w++)
			backing[pg][w] = pg < WPAGES ? stamp(pg, 0, w) : constant(pg, w);
	k42_on_messages(on_message);
	rc = k42_sc_fr_create(FILE_ID, NPAGES * K42_PAGE_SIZE);
	EXPECT(rc > 0, "fr_create: %ld", rc);
	if (rc <= 0)
		return verdict("frctl_storm_test");
	fr = (uint64_t)rc;
	EXPECT((fr & 0xffffff00ul) == 0, "FR handle 0x%lx: slot past 255", fr);
	EXPECT(k42_sc_fr_ctl(fr, K42_FR_CTL_WRITABLE, 0, 0, 0) == 0, "writable");
	k42_disable();
	/* One on every other CPU; they wait for `go`, so nvps is set first. */
	ctl.nvps = (uint64_t)(ncpus - first < K42_VPS_MAX - 1 ? ncpus - first : K42_VPS_MAX - 1);
	n = storm_start(vp_main, ncpus - first, first, 1);
	k42_enable();
	/* In init's class: the server's dispatchers, disabled, yield to
	 * them, and a yield passes over a lower class. */
	for (long c = 0; c < ncpus && c < 8; c++) {
		kids[nkids] = k42_spawn_path("tests/frctl_storm_test", K42_PRIO_SYSTEM,
					     CHILD_ARG | fr | (uint64_t)c << 8 |
						     (uint64_t)(ncpus < 8 ? ncpus : 8) << 16);
		EXPECT(kids[nkids] > 0, "spawn child %ld: %ld", c, kids[nkids]);
		if (kids[nkids] > 0)
			nkids++;
	}
	__atomic_store_n(&ctl.go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < nkids; i++) {
		int status = -1, state = k42_wait((uint64_t)kids[i], &status);

		EXPECT(state == K42_PROC_EXITED && status == 0, "child %d: state %d, status %d", i,
		       state, status);
	}
	__atomic_store_n(&ctl.stop, 1, __ATOMIC_RELEASE);
	storm_wait(ctl.done, 1, 1, n, 1, 120);
	storm_check_cpus(ctl.cpu, 1, 1, n, first, 1);
	for (int i = 1; i < n; i++) {
		EXPECT(ctl.done[i] == 1, "dispatcher %d did not stop", i);
		bad += ctl.bad[i];
		pulls += ctl.pulls[i];
		drops += ctl.drops[i];
		pushes += ctl.pushes[i];
	}
	/* What the children wrote last and nobody pulled yet. */
	for (uint64_t pg = 0; pg < WPAGES; pg++) {
		rc = k42_sc_fr_ctl(fr, K42_FR_CTL_PULL, pg * K42_PAGE_SIZE,
				   (uint64_t)(uintptr_t)backing[pg], 1);
		last += rc >= 0;
		EXPECT(rc == (long)(pg * K42_PAGE_SIZE) || rc == -K42_ENOENT, "last pull of %lu: %ld",
		       pg, rc);
	}
	for (uint64_t pg = 0; pg < NPAGES; pg++)
		for (uint64_t w = 0; w < WORDS; w++)
			stale += backing[pg][w] != (pg < WPAGES ? stamp(pg, ROUNDS, w) : constant(pg, w));
	k42_printf("frctl_storm_test: %d dispatchers on %ld CPUs and %d processes, %lu pulls, %lu "
		   "drops, %lu pushes, %lu last pulls; %lu failed calls, %lu stale words\n",
		   n - 1, ncpus, nkids, pulls, drops, pushes, last, bad, stale);
	EXPECT(pulls > 0 && drops > 0 && pushes > 0, "the storm did not pull, drop and push");
	EXPECT(bad == 0, "%lu fr_ctl calls failed", bad);
	EXPECT(stale == 0, "%lu words of the file were not pulled (a dirty page lost)", stale);
	/* The dropped frames, freed after quiescence: by the tick and idle
	 * paths without the kernel lock where they are ripe (kern/quiesce.c). */
	frees = k42_info(K42_INFO_FREES_UNLOCKED) - frees;
	k42_printf("frctl_storm_test: %lu dropped frames freed without the kernel lock\n", frees);
	EXPECT(ncpus == 1 || frees > 0, "no retired frame was freed without the kernel lock");
	return verdict("frctl_storm_test");
}
