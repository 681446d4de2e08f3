/*
 * Helper of hostile_fr_test (tests/user/hostile_fr_test.c): a hostile file
 * server, and the clients that fault on the file it serves. A file
 * server owns its dispatcher's shared page, and with it the message ring
 * the kernel puts page-in requests into without the kernel lock
 * (`fr_send_*` in mm/): it may move the ring's head and tail, write
 * garbage into it, stop draining it, answer with forged fr_complete, or
 * die with requests on their way.
 * arg = mode | flags << 8.
 *  mode 1, server: an FR of HFR_PAGES pages of file HFR_FILE_ID (bytes as
 *    tests/file_server's); its handle at HFR_CTL[0], then 1 at [1]. Flags
 *    (HFR_*): SCRIBBLE: a dispatcher on every other CPU (two on CPU 0 with
 *    one CPU) writes garbage into dispatcher 0's ring head, tail and
 *    messages without pause; FORGE: every answer is followed by
 *    completions that must be refused (the same page again with a bad
 *    handle, unaligned, past the end, of a key or index not ours), those
 *    accepted counted at [3]; MUTE: the ring is never read. Answers so
 *    far at [2].
 *  mode 2, client: maps HFR_CTL and waits for the test to write the FR
 *    handle at [0] and its flags at [1] (CLI_*); maps the file, makes its
 *    FCM prefetch if asked, and reads pages in pseudo-random orders from
 *    a dispatcher on every CPU, checking bytes: reads at [8 + i], wrong
 *    bytes at [24 + i] for dispatcher i; exits 0 when every dispatcher
 *    did HFR_READS reads with no wrong byte (the test ends it otherwise);
 *    with CLI_LOOP it reads until the test writes 1 at [2], and exits 0
 *    if every dispatcher read and saw no wrong byte. With CLI_COW it
 *    also clones the file's mapping copy-on-write (mem_cow, at
 *    HFR_COW_VA: faults resolved by fcm_cow_file_fault without the kernel
 *    lock when the file page is resident), and each dispatcher writes
 *    its mark into the pages it owns there (page % dispatchers) at every
 *    509th byte, reads each page it reads in the file in the clone too:
 *    its own marks where it wrote them, the file's bytes everywhere else,
 *    and the file's view never shows a mark.
 */
#include <k42/fcm.h>
#include "hostile_fr.h"
#include "storm.h"

static volatile uint64_t *const ctl = (volatile uint64_t *)HFR_CTL;
static uint64_t flags;
static int loop;	/* a client reading until told to stop (HFR_CLI_LOOP) */
static int cow;		/* HFR_CLI_COW */

static uint8_t byte_at(uint64_t o)
{
	return (uint8_t)((o * 7 + o / 4096) & 0xff);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---- the server ---- */

static struct k42_disp_shared *const sh0 = (struct k42_disp_shared *)K42_DISP_VA;
static uint64_t fr;

/* One write of garbage into dispatcher 0's ring. */
static void scribble(uint64_t r)
{
	switch (r % 7) {
	case 0:	/* a tail past the head: the ring looks over-full */
		sh0->msg_tail = sh0->msg_head + 1 + (r >> 8) % 40;
		break;
	case 1:	/* a tail far behind: the ring looks full */
		sh0->msg_tail = sh0->msg_head - K42_DISP_MSGS - (r >> 8) % 4;
		break;
	case 2:	/* the kernel's own head moved */
		sh0->msg_head = r >> 20;
		break;
	case 3:
		sh0->msg_head = ~0ull - (r >> 8) % 4;
		sh0->msg_tail = (r >> 8) % 3;
		break;
	case 4:	/* garbage in a slot */
		sh0->msgs[(r >> 8) % K42_DISP_MSGS].op = r;
		sh0->msgs[(r >> 16) % K42_DISP_MSGS].w[0] = r * 3;
		break;
	case 5:	/* one short of full, or nearly empty */
		sh0->msg_tail = sh0->msg_head - K42_DISP_MSGS + 1;
		break;
	default:
		sh0->msg_tail = sh0->msg_head - (r >> 8) % (K42_DISP_MSGS + 2);
	}
}

/* Bursts of garbage, each followed by an empty ring left alone a while,
 * so that requests keep going in (and race the next burst). */
__attribute__((noreturn)) static void scribbler(uint64_t me)
{
	uint64_t x = 0x2545f4914f6cdd1dull * (me + 3);

	for (;;) {
		uint64_t r = rnd(&x), n = 1 + r % 8, quiet = (r >> 32) % 20000;

		for (uint64_t i = 0; i < n; i++)
			scribble(rnd(&x));
		sh0->msg_tail = sh0->msg_head;
		for (uint64_t i = 0; i < quiet; i++)
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	}
}

/* Completions the kernel must refuse (off was just answered). */
static void forge(uint64_t off, uint64_t *x)
{
	const uint64_t bad[] = {
		off + 1, off | 4095, (uint64_t)HFR_PAGES * K42_PAGE_SIZE,
		((uint64_t)HFR_PAGES + 1000) * K42_PAGE_SIZE, ~0ull & ~4095ull, 1ull << 63,
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctl[4]++;
		if (k42_sc_fr_complete(fr, bad[i], rnd(x) & 1 ? 0 : rnd(x)) >= 0)
			ctl[3]++;
	}
	/* Another key, another index, garbage. */
	ctl[4] += 3;
	if (k42_sc_fr_complete(fr ^ (1ull << 32), off, 0) >= 0)
		ctl[3]++;
	if (k42_sc_fr_complete(fr ^ 1, off, 0) >= 0 && (fr ^ 1) != fr)
		ctl[3]++;
	if (k42_sc_fr_complete(rnd(x), off, 0) >= 0)
		ctl[3]++;
	/* The same page again, with its right bytes: it may have been asked
	 * for again meanwhile (evicted), so no count either way. */
	(void)k42_sc_fr_complete(fr, off, 0);
}

static void drain(uint64_t *x)
{
	uint8_t *page = (uint8_t *)K42_PPC_PAGE_VA;

	/* The head may be garbage (our own scribbling): a bounded pass. */
	for (int n = 0; n < 2 * K42_DISP_MSGS && sh0->msg_tail != sh0->msg_head; n++) {
		struct k42_msg m = sh0->msgs[sh0->msg_tail % K42_DISP_MSGS];
		uint64_t off = m.w[2];

		sh0->msg_tail++;
		if (m.sender != 0 || m.op != K42_MSG_FR_PAGEIN || m.w[1] != HFR_FILE_ID ||
		    (off & 4095) || off >= (uint64_t)HFR_PAGES * K42_PAGE_SIZE)
			continue;
		for (uint64_t i = 0; i < K42_PAGE_SIZE; i++)
			page[i] = byte_at(off + i);
		if (k42_sc_fr_complete(m.w[0], off, 0) == 0)
			ctl[2]++;
		if (flags & HFR_FORGE)
			forge(off, x);
	}
}

static int server(void)
{
	uint64_t self = k42_info(K42_INFO_PID), x = 0x9e3779b97f4a7c15ull ^ self;
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), rc;

	if (k42_sc_mem_map_anon(self, HFR_CTL, K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 10;
	rc = k42_sc_fr_create(HFR_FILE_ID, (uint64_t)HFR_PAGES * K42_PAGE_SIZE);
	if (rc < 0)
		return 11;
	fr = (uint64_t)rc;
	ctl[0] = fr;
	k42_disable();	/* dispatcher 0 reads its ring itself, no libk42 upcalls */
	if (flags & HFR_SCRIBBLE)
		storm_start(scribbler, ncpus > 1 ? ncpus - 1 : 2, 0 + (ncpus > 1), ncpus > 1 ? 1 : 2);
	__atomic_store_n(&ctl[1], 1, __ATOMIC_RELEASE);
	for (;;) {
		__atomic_exchange_n(&sh0->pending, 0, __ATOMIC_ACQ_REL);
		if (!(flags & HFR_MUTE))
			drain(&x);
		k42_sc_block();
	}
}

/* ---- the client ---- */

static uint64_t check_page(uint64_t pg, uint64_t salt)
{
	const volatile uint8_t *f = (const volatile uint8_t *)HFR_FILE_VA;
	uint64_t bad = 0;

	for (uint64_t i = salt % 61; i < K42_PAGE_SIZE; i += 509) {
		uint64_t o = pg * K42_PAGE_SIZE + i;

		bad += f[o] != byte_at(o);
	}
	return bad;
}

/* ---- CLI_COW: the clone ---- */
static uint64_t ndisp = 1;		/* dispatchers reading (page owners) */
static uint8_t cow_written[HFR_PAGES];	/* written by its owner (only it) */

static uint8_t mark(uint64_t o, uint64_t me)
{
	return (uint8_t)(~byte_at(o) ^ (0x11 * (me + 1)));
}

/* Page pg of the clone, read by dispatcher me: written by its owner at
 * every 509th byte (marks) or not; the bytes between are the file's. Its
 * owner writes it the first time. Wrong bytes found. */
static uint64_t cow_page(uint64_t pg, uint64_t salt, uint64_t me)
{
	volatile uint8_t *c = (volatile uint8_t *)HFR_COW_VA;
	uint64_t bad = 0, owner = pg % ndisp;

	if (owner == me && !cow_written[pg]) {
		for (uint64_t i = 0; i < K42_PAGE_SIZE; i += 509)
			c[pg * K42_PAGE_SIZE + i] = mark(pg * K42_PAGE_SIZE + i, me);
		cow_written[pg] = 1;
	}
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i += 509) {
		uint64_t o = pg * K42_PAGE_SIZE + i;

		if (owner == me)	/* (others' marks may come at any time) */
			bad += c[o] != mark(o, me);
		o += 1 + salt % 61;	/* between marks: the file's */
		if (o < (pg + 1) * K42_PAGE_SIZE)
			bad += c[o] != byte_at(o);
	}
	return bad;
}

static void reads(uint64_t me)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (me + 1) + k42_timebase();

	for (int i = 0; (loop || i < HFR_READS) && !ctl[2]; i++) {
		uint64_t r = rnd(&x);

		ctl[24 + me] += check_page(r % HFR_PAGES, r >> 32);
		if (cow)
			ctl[24 + me] += cow_page(r % HFR_PAGES, r >> 40, me);
		ctl[8 + me]++;
	}
}

__attribute__((noreturn)) static void reader(uint64_t me)
{
	reads(me);
	storm_park();
}

static int client(void)
{
	uint64_t self = k42_info(K42_INFO_PID), cf, bad = 0;
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	int n;

	if (k42_sc_mem_map_anon(self, HFR_CTL, K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 20;
	while (!__atomic_load_n(&ctl[1], __ATOMIC_ACQUIRE))
		k42_thread_sleep_us(1000);
	cf = ctl[1];
	loop = (cf & HFR_CLI_LOOP) != 0;
	if (k42_sc_mem_map_file(self, HFR_FILE_VA, (uint64_t)HFR_PAGES * K42_PAGE_SIZE,
				K42_PROT_READ, ctl[0]) != 0)
		return 21;
	if ((cf & HFR_CLI_PREFETCH) && k42_sc_fcm_swap(self, HFR_FILE_VA, K42_FCM_PREFETCH) != 0)
		return 22;
	cow = (cf & HFR_CLI_COW) != 0;
	if (cow && (k42_sc_mem_cow(self, HFR_COW_VA, HFR_FILE_VA, (uint64_t)HFR_PAGES * K42_PAGE_SIZE) != 0 ||
		    k42_sc_mem_protect(self, HFR_COW_VA, (uint64_t)HFR_PAGES * K42_PAGE_SIZE,
				       K42_PROT_READ | K42_PROT_WRITE) != 0))
		return 23;	/* (the clone is read-only, as the file's view, until made writable) */
	ndisp = (uint64_t)(ncpus > 1 ? ncpus - 1 : 1) + 1;
	n = storm_start(reader, ncpus > 1 ? ncpus - 1 : 1, ncpus > 1 ? 1 : 0, 1);
	if (cf & HFR_CLI_ENABLED) {
		reads(0);	/* faults reflected to libk42 */
	} else {
		k42_disable();	/* faults wait in the kernel */
		reads(0);
		k42_enable();
	}
	for (int i = 0; i < n; i++) {
		while ((loop || ctl[8 + i] < HFR_READS) && !ctl[2])
			k42_thread_sleep_us(2000);
		bad += ctl[24 + i] + !ctl[8 + i];
	}
	return bad || (ctl[2] && !loop) ? 1 : 0;
}

int main(uint64_t arg)
{
	flags = (arg >> 8) & 0xff;
	switch (arg & 0xff) {
	case 1:
		return server();
	case 2:
		return client();
	}
	return 99;
}
