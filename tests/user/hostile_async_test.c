/*
 * Hostile buffers of asynchronous calls (run as init; docs/security.md,
 * "Regression tests"): an async call's page bytes come from, and its
 * reply's go to, a buffer in the caller's memory, copied without the
 * kernel lock when it is resident anonymous memory
 * (mm/usercopy_resident.c, from kern/ppc_cross.c) and by the locked path
 * otherwise. A child of this program (the attacker) calls
 * tests/ppc_cross_server asynchronously with buffers that straddle a
 * region's end, lie in a read-only region, in a mapped file, on an
 * unmapped guard page, at bad addresses; then dispatchers on every CPU
 * make async calls into a region that the main dispatcher unmaps, maps
 * again, protects, and clones copy-on-write without pause. Every call
 * must end in its right reply or a refusal, nothing may be written
 * outside the caller's writable memory, a victim's memory must stay
 * intact, and frames, kernel objects and processes must come back
 * (a warm-up session first).
 */
#include <k42/procinfo.h>
#include "storm.h"

#define CHILD (1ull << 62)
#define A_VA 0x40000000ul	/* 2 pages, writable; the page after: unmapped */
#define RO_VA 0x40100000ul	/* 1 page, read-only */
#define FILE_VA 0x30000000ul	/* tests/file_server's file, read-only */
#define R_VA 0x48000000ul	/* the raced region, 16 pages */
#define R_LEN (16 * K42_PAGE_SIZE)
#define COW_VA 0x49000000ul
#define CTL_VA 0x4a000000ul	/* the racers' counts */
#define RACE_CALLS 600
#define WIN 0x50000000ul	/* the victim's (tests/hostile_expose mode 0) */
#define WIN_LEN (64ul << 10)

static uint64_t srv;

/* One async call of ordinal ord, w0 = w0, len page bytes at buf; its
 * reply waited for (disabled, by ppc_collect): the call's error, or the
 * reply's status with its words and length in out. */
static long acall(uint32_t ord, uint32_t len, uint64_t w0, uint64_t buf, uint64_t out[8])
{
	struct k42_disp_shared *sh = storm_disp_shared();
	long h = k42_sc_ppc_call_async(srv, cross_op(ord, len), w0, w0 + 1, w0 + 2, w0 + 3, w0 + 4,
				       w0 + 5, buf);

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
			return -10000 - r;	/* (a reply to a call we did not make) */
		k42_sc_block();
	}
}

static int bytes_are(uint64_t va, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (((volatile uint8_t *)va)[i] != v)
			return 0;
	return 1;
}

static int file_byte_ok(uint64_t o)
{
	return ((volatile uint8_t *)FILE_VA)[o] == (uint8_t)((o * 7 + o / 4096) & 0xff);
}

/* The buffers that must be refused or answered right; the first check
 * that failed, or 0. */
static int static_checks(uint64_t self)
{
	uint64_t out[8], a_end = A_VA + 2 * K42_PAGE_SIZE, probe;
	long rc;
	int s = k42_disable_save(), bad = 0;

	/* Right: a buffer inside A, bytes there and back. */
	for (uint32_t j = 0; j < 300; j++)
		((volatile uint8_t *)A_VA)[100 + j] = (uint8_t)(j * 3 + 1);
	rc = acall(1, 300, 77, A_VA + 100, out);
	if (rc != 0 || out[1] != 300)
		bad = 1;
	for (uint32_t j = 0; !bad && j < 300; j++)
		if (((volatile uint8_t *)A_VA)[100 + j] != (uint8_t)((uint8_t)(j * 3 + 1) ^ (uint8_t)(0x3c + 77)))
			bad = 2;
	/* Request bytes across A's end: refused (never a read past it). */
	rc = acall(1, 200, 5, a_end - 100, out);
	if (!bad && rc >= 0)
		bad = 3;
	/* Reply bytes across A's end (w0 % 200 + 1 = 200): refused. */
	rc = acall(2, 0, 199, a_end - 100, out);
	if (!bad && rc != -K42_EFAULT)
		bad = 4;
	/* Nothing appeared past A. */
	if (!bad && k42_sc_mem_read(self, a_end, (uint64_t)&probe, 8) >= 0)
		bad = 5;
	/* Reply bytes into the read-only page: refused, the page unchanged. */
	rc = acall(2, 0, 99, RO_VA + 8, out);
	if (!bad && (rc != -K42_EFAULT || !bytes_are(RO_VA, K42_PAGE_SIZE, 0x77)))
		bad = 6;
	/* Request bytes from the mapped file (read right), reply into it:
	 * refused, the file's bytes unchanged. */
	rc = acall(1, 400, 3, FILE_VA + 4096 + 50, out);
	if (!bad && rc != -K42_EFAULT)
		bad = 7;
	for (uint64_t o = 4096; !bad && o < 4096 + 600; o++)
		if (!file_byte_ok(o))
			bad = 8;
	/* Reply bytes into the file: refused. */
	rc = acall(2, 0, 150, FILE_VA + 3 * 4096, out);
	if (!bad && rc != -K42_EFAULT)
		bad = 9;
	/* Bad addresses: at the top, wrapping, kernel, the guard page, 0. */
	{
		const uint64_t bufs[] = { K42_USER_TOP - 100, ~0ull - 50, 0xc000000000000000ul,
					  a_end + 8, 0, 8, K42_USER_TOP };

		for (unsigned i = 0; !bad && i < sizeof(bufs) / sizeof(bufs[0]); i++) {
			rc = acall(1, 200, 11, bufs[i], out);
			if (rc >= 0)
				bad = 20 + (int)i;
			rc = acall(2, 0, 199, bufs[i], out);
			if (!bad && rc >= 0)
				bad = 30 + (int)i;
		}
	}
	/* A length past the page: refused at the call. */
	if (!bad && acall(1, K42_IPC_PAGE_BYTES + 1, 1, A_VA, out) != -K42_EINVAL)
		bad = 40;
	k42_restore(s);
	return bad;
}

static volatile uint64_t *const ctl = (volatile uint64_t *)CTL_VA;

/* A racer: async calls whose bytes come from and go to its own part of
 * R while main remaps it: a reply or a refusal, nothing else. */
__attribute__((noreturn)) static void racer(uint64_t me)
{
	uint64_t out[8], buf = R_VA + ((me * 3) % 16) * K42_PAGE_SIZE + (me % 4) * 1024;

	for (uint64_t i = 0; i < RACE_CALLS; i++) {
		long rc = acall(1 + (uint32_t)(i & 1), i & 1 ? 0 : (uint32_t)(i % 700) + 1, i * 7 + me,
				buf, out);

		if (rc == 0)
			ctl[16 + me]++;
		else if (rc != -K42_EFAULT)
			ctl[32 + me]++;	/* neither: wrong */
		ctl[me]++;
	}
	ctl[48 + me] = 1;
	storm_park();
}

static int race(uint64_t self)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	int n, bad = 0;
	uint64_t rounds = 0, calls = 0, replied = 0, t0 = k42_timebase();

	n = storm_start(racer, ncpus > 1 ? ncpus - 1 : 2, ncpus > 1 ? 1 : 0, ncpus > 1 ? 1 : 2);
	for (;;) {
		int all = 1;

		for (int i = 1; i < n; i++)
			all &= ctl[48 + i] == 1;
		if (all)
			break;
		switch (rounds++ % 5) {
		case 0:
			k42_sc_mem_unmap(self, R_VA, R_LEN);
			k42_sc_mem_map_anon(self, R_VA, R_LEN, K42_PROT_READ | K42_PROT_WRITE);
			break;
		case 1:	/* touch half of it: some pages resident, some not */
			for (uint64_t o = 0; o < R_LEN; o += 2 * K42_PAGE_SIZE)
				(void)k42_sc_mem_write(self, R_VA + o, (uint64_t)&o, 8);
			break;
		case 2:
			k42_sc_mem_protect(self, R_VA, R_LEN / 2, K42_PROT_READ);
			k42_sc_mem_protect(self, R_VA, R_LEN / 2, K42_PROT_READ | K42_PROT_WRITE);
			break;
		case 3:	/* R becomes a copy-on-write layer's source */
			k42_sc_mem_cow(self, COW_VA, R_VA, R_LEN);
			break;
		default:
			k42_sc_mem_unmap(self, COW_VA, R_LEN);
		}
		if (k42_timebase() - t0 > 240 * k42_info(K42_INFO_TIMEBASE_HZ)) {
			for (int i = 1; i < n; i++)
				k42_printf("hostile_async_test: racer %d: %lu calls, done %lu\n", i,
					   ctl[i], ctl[48 + i]);
			return 50;	/* a reply that never came */
		}
	}
	for (int i = 1; i < n; i++) {
		bad |= ctl[32 + i] ? 51 : 0;
		calls += ctl[i];
		replied += ctl[16 + i];
	}
	k42_printf("hostile_async_test: %d racers, %lu changes of their region; %lu of %lu calls "
		   "answered, the rest refused\n", n - 1, rounds, replied, calls);
	return bad || calls != (uint64_t)(n - 1) * RACE_CALLS ? 51 : 0;
}

static int child(uint64_t server, uint64_t files)
{
	uint64_t self = k42_info(K42_INFO_PID);
	struct k42_ipc_msg m;
	int bad;

	srv = server;
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	if (k42_sc_mem_map_anon(self, A_VA, 2 * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0 ||
	    k42_sc_mem_map_anon(self, RO_VA, K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0 ||
	    k42_sc_mem_map_anon(self, R_VA, R_LEN, K42_PROT_READ | K42_PROT_WRITE) < 0 ||
	    k42_sc_mem_map_anon(self, CTL_VA, K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 90;
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i++)
		((volatile uint8_t *)RO_VA)[i] = 0x77;
	if (k42_sc_mem_protect(self, RO_VA, K42_PAGE_SIZE, K42_PROT_READ) != 0)
		return 91;
	if (k42_call(files, &m, 1000) != 0 ||
	    k42_sc_mem_map_file(self, FILE_VA, m.w[1], K42_PROT_READ, m.w[0]) != 0)
		return 92;
	if ((bad = static_checks(self)) != 0)
		return bad;
	return race(self);
}

static uint64_t frames(uint64_t *objs)
{
	EXPECT(settle_deferred(30) == 0, "deferred frees never settled");
	k42_thread_sleep_us(10000);
	settle_deferred(30);
	*objs = k42_info(K42_INFO_KMEM_OBJECTS);
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

static void end(long p)
{
	int status;

	k42_sc_proc_kill((uint64_t)p);
	k42_wait((uint64_t)p, &status);
}

static void session(void)
{
	long server = k42_spawn_path("tests/ppc_cross_server", K42_PRIO_GENERAL, 0),
	     files = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, 16),
	     victim = k42_spawn_path("tests/hostile_expose", K42_PRIO_GENERAL, 0), a;
	uint64_t ready = 0, bytes = k42_info(K42_INFO_PPC_ASYNC_BYTES);
	static uint8_t win[WIN_LEN];
	int status = -1, state;

	EXPECT(server > 0 && files > 0 && victim > 0, "spawn: %ld %ld %ld", server, files, victim);
	for (int i = 0; i < 30000 && ready != 1; i++) {
		(void)k42_sc_mem_read((uint64_t)victim, WIN + 4 * WIN_LEN, (uint64_t)&ready, 8);
		k42_thread_sleep_us(1000);
	}
	EXPECT(ready == 1, "victim never ready");
	/* (The server answers once it serves: a first call waits for that.) */
	a = k42_spawn_path("tests/hostile_async_test", K42_PRIO_GENERAL,
			   CHILD | (uint64_t)files << 32 | (uint64_t)server);
	EXPECT(a > 0, "spawn attacker: %ld", a);
	state = k42_wait((uint64_t)a, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "attacker: state %d, check %d failed", state,
	       status);
	k42_printf("hostile_async_test: %lu async byte copies without the kernel lock\n",
		   k42_info(K42_INFO_PPC_ASYNC_BYTES) - bytes);
	EXPECT(k42_sc_mem_read((uint64_t)victim, WIN, (uint64_t)win, WIN_LEN) == 0, "read victim");
	for (uint64_t i = 0; i < WIN_LEN; i++)
		if (win[i] != (uint8_t)(i * 7 + 3)) {
			EXPECT(0, "victim's byte %lu changed", i);
			break;
		}
	end(victim);
	end(files);
	end(server);
	EXPECT(k42_sc_null() == 0, "the kernel answers");
}

int main(uint64_t arg)
{
	uint64_t frames0, objs0, frames1, objs1;

	if (arg & CHILD)
		return child(arg & 0xffffffffu, (arg >> 32) & 0x3fffffffu);
	/* Warm-up: two sessions (the second still grows a kernel object
	 * once; every later one comes back to the same figures). */
	session();
	session();
	frames0 = frames(&objs0);
	session();
	frames1 = frames(&objs1);
	k42_printf("hostile_async_test: %lu CPUs; free and cached frames %lu, then %lu; kernel "
		   "objects %lu, %lu; %lu processes\n", k42_info(K42_INFO_CPUS_ONLINE), frames0,
		   frames1, objs0, objs1, k42_info(K42_INFO_PROCESSES));
	EXPECT(frames1 == frames0 && objs1 == objs0, "frames or kernel objects not returned");
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "processes left");
	return verdict("hostile_async_test");
}
