/*
 * A process's own dispatcher pages as targets (run as init; docs/security.md,
 * "Regression tests"): the shared page and the PPC page are the kernel's
 * frames, mapped at K42_DISP_VA and K42_PPC_PAGE_VA by the kernel, not
 * regions, and the PPC fast path copies page bytes between two of them
 * through the linear map. A child maps anonymous regions over all of
 * them, makes calls with page bytes (synchronous, and asynchronous with
 * its buffer in such a region), unmaps them under its own PPC page,
 * clones them copy-on-write and shares them with a child of its own,
 * creates a dispatcher over a region page already in use, and ends. The
 * kernel must stand, other processes' calls must stay right, and frames,
 * kernel objects and processes must come back.
 */
#include <k42/procinfo.h>
#include "storm.h"

#define CHILD (1ull << 62)
#define OVER_LEN (2 * K42_VPS_MAX * K42_PAGE_SIZE)	/* from K42_DISP_VA: every shared and PPC page */
#define COPY_VA 0x48000000ul

static uint64_t srv;
static int hung;	/* children that had to be ended */

/* One async call of ordinal 1 with len bytes at buf (disabled, collected). */
static long acall(uint32_t len, uint64_t seed, uint64_t buf)
{
	struct k42_disp_shared *sh = storm_disp_shared();
	uint64_t out[8];
	long h = k42_sc_ppc_call_async(srv, cross_op(1, len), seed * 13, seed * 13 + 0x10001,
				       seed * 13 + 2 * 0x10001, seed * 13 + 3 * 0x10001,
				       seed * 13 + 4 * 0x10001, seed * 13 + 5 * 0x10001, buf);

	if (h < 0)
		return h;
	for (;;) {
		long r;

		/* The bit first, then the look: a reply that comes between
		 * them sets it again, and the block returns at once. */
		__atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL);
		r = k42_sc_ppc_collect(out);

		if (r == h)
			return (long)out[0];
		if (r != -K42_EAGAIN)
			return -10000;
		k42_sc_block();
	}
}

__attribute__((noreturn)) static void parked(uint64_t me)
{
	(void)me;
	storm_park();
}

#define F_COW 1
#define F_SHARE 2
#define F_DISP 4

static int child(uint64_t server, unsigned flags)
{
	uint64_t self = k42_info(K42_INFO_PID);
	uint64_t spare = K42_PPC_PAGE_VA + (K42_VPS_MAX - 1) * K42_PAGE_SIZE;	/* no dispatcher's yet */
	uint64_t out[7];
	long rc, kid;
	int s, ok = 1;

	srv = server;
	/* Regions over every dispatcher page: allowed or refused, either way
	 * the real pages stay the kernel's. */
	rc = k42_sc_mem_map_anon(self, K42_DISP_VA, OVER_LEN, K42_PROT_READ | K42_PROT_WRITE);
	if (rc != 0 && rc != -K42_EINVAL && rc != -K42_EEXIST)
		return 10;
	/* Calls with page bytes still work through the real PPC page. */
	for (uint32_t len = 1; len <= K42_IPC_PAGE_BYTES; len = len * 3 + 1)
		if (!cross_sync_call((long)srv, len, len + 5, self))
			return 11;
	if (!cross_sync_call((long)srv, K42_IPC_PAGE_BYTES, 9, self))
		return 12;
	/* An async buffer on a dispatcher page no dispatcher has yet (a
	 * region page, if the region was made) and on our own PPC page. */
	s = k42_disable_save();
	if (rc == 0) {
		for (uint32_t j = 0; j < 300; j++)
			((volatile uint8_t *)spare)[j] = (uint8_t)(7 + j * 3);
		ok = acall(300, 7, spare) == 0 && cross_echo_ok((const uint8_t *)spare, 300, 7);
	}
	(void)acall(200, 8, K42_PPC_PAGE_VA + 100);	/* (its bytes are ours either way) */
	(void)acall(200, 8, K42_DISP_VA + 64);	/* our shared page: a reply may scribble it */
	k42_restore(s);
	if (!ok)
		return 13;
	if (rc == 0) {
		/* Clone the region copy-on-write, share it with a child, then
		 * create a dispatcher over a page of it already in use. */
		kid = flags & F_SHARE ? k42_sc_proc_create((uint64_t)"ppcpage_kid", 11, K42_PRIO_BACKGROUND) : 0;
		if (flags & F_COW)
			rc = k42_sc_mem_cow(self, COPY_VA, K42_DISP_VA, OVER_LEN);
		if (kid > 0)
			rc = k42_sc_mem_share((uint64_t)kid, K42_DISP_VA, K42_DISP_VA, OVER_LEN);
		if (flags & F_DISP)
			(void)k42_sc_disp_create(0, (uint64_t)(uintptr_t)parked,
						 (uint64_t)(uintptr_t)&storm_stacks[1][STORM_STACK], 1);
		if (kid > 0)
			k42_sc_proc_kill((uint64_t)kid);
		(void)k42_sc_mem_unmap(self, COPY_VA, OVER_LEN);
		/* Last: the region goes, and with it our own mappings of the
		 * real pages (we only hurt ourselves): end at once. */
		k42_disable();
		rc = k42_sc_mem_unmap(self, K42_DISP_VA, OVER_LEN);
		(void)k42_sc_ppc_call(srv, cross_op(1, 64), 1, 2, 3, 4, 5, 6, out);
		k42_sc_exit(0);
	}
	return 0;
}

static uint64_t frames(uint64_t *objs)
{
	EXPECT(settle_deferred(30) == 0, "deferred frees never settled");
	k42_thread_sleep_us(10000);
	settle_deferred(30);
	*objs = k42_info(K42_INFO_KMEM_OBJECTS);
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

static void session(void)
{
	long server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_GENERAL, 0), a;
	uint64_t self = k42_info(K42_INFO_PID);
	int status = -1, state;

	EXPECT(server > 0, "spawn server: %ld", server);
	/* A dispatcher over a page of the region; with its copy-on-write
	 * clone (which unmaps the child's own view of its dispatcher pages:
	 * it may hang itself); with a child it tries to share them with. */
	static const unsigned variants[] = { F_DISP, F_COW | F_DISP, F_COW | F_SHARE | F_DISP };

	for (int r = 0; r < (int)(sizeof(variants) / sizeof(variants[0])); r++) {
		a = k42_spawn_path("tests/hostile_ppcpage_test", K42_PRIO_GENERAL,
				   CHILD | (uint64_t)variants[r] << 32 | (uint64_t)server);
		EXPECT(a > 0, "spawn child: %ld", a);
		/* It may hang itself (its view of its own shared page gone):
		 * ended after about a second. */
		for (int i = 0; i < 1000; i++) {
			struct k42_procinfo info;

			if (k42_sc_proc_describe((uint64_t)a, (uint64_t)&info) < 0 ||
			    info.state != K42_PROC_RUNNING)
				break;
			k42_thread_sleep_us(1000);
		}
		hung += k42_sc_proc_kill((uint64_t)a) == 0;
		state = k42_wait((uint64_t)a, &status);
		EXPECT((state == K42_PROC_EXITED && status == 0) || state == K42_PROC_KILLED,
		       "child: state %d, check %d failed", state, status);
		/* Another process's calls with bytes stay right. */
		for (uint32_t len = 0; len <= K42_IPC_PAGE_BYTES; len += 1023)
			EXPECT(cross_sync_call(server, len, len + r, self), "our call of %u bytes", len);
	}
	k42_sc_proc_kill((uint64_t)server);
	k42_wait((uint64_t)server, &status);
	EXPECT(k42_sc_null() == 0, "the kernel answers");
}

int main(uint64_t arg)
{
	uint64_t frames0, objs0, frames1, objs1;

	if (arg & CHILD)
		return child(arg & 0xffffffffu, (unsigned)(arg >> 32) & 0xff);
	session();	/* warm-up */
	session();
	frames0 = frames(&objs0);
	session();
	frames1 = frames(&objs1);
	k42_printf("hostile_ppcpage_test: %d children ended by the test\n", hung);
	k42_printf("hostile_ppcpage_test: %lu CPUs; free and cached frames %lu, then %lu; kernel "
		   "objects %lu, %lu; %lu processes\n", k42_info(K42_INFO_CPUS_ONLINE), frames0,
		   frames1, objs0, objs1, k42_info(K42_INFO_PROCESSES));
	EXPECT(frames1 == frames0 && objs1 == objs0, "frames or kernel objects not returned");
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "processes left");
	return verdict("hostile_ppcpage_test");
}
