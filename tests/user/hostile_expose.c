/*
 * Helper of hostile_expose_test (tests/user/hostile_expose_test.c).
 * arg = mode | uid << 8 | pid << 32; each sets its user id (proc_cred)
 * first. Modes:
 *  0 target: maps WIN (pattern bytes) and SECRET right after it, exposes
 *    WIN (mem_expose), writes 1 at READY and waits.
 *  1 target that exposes WIN and withdraws it (len 0) before READY.
 *  2 target that exposes WIN and exits once the test writes 1 at
 *    READY + 16 (after its reader has read).
 *  3 reader of target pid: the peek rules, status = the first check that
 *    failed (0: all held). Its uid is the target's, unless the test
 *    chose another.
 *  4 reader that must be refused everything (another uid, a withdrawn
 *    exposure): status 0 if every read is -K42_EPERM.
 *  5 reader that reads until the target ends: every read right or
 *    refused, never wrong bytes; its count of reads at COUNT.
 *  6 reader after the test unmapped WIN: refused or faulted, never 0.
 *  7 attacker of mem_expose itself, proc_times and fr_complete (uid
 *    1000; arg = 7 | FR handle << 8, the target's, whose index fits in
 *    the uid's place and whose key in the pid's): bad values only,
 *    status = the first check that failed.
 */
#include <k42/k42.h>
#include <k42/procinfo.h>

#define WIN 0x50000000ul
#define WIN_LEN (64ul << 10)
#define SECRET (WIN + WIN_LEN)
#define READY (WIN + 4 * WIN_LEN)
#define COUNT 0x60000000ul	/* mode 5's reads so far */

static uint8_t buf[WIN_LEN + 8192];

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static void wait_forever(void)
{
	struct k42_sem never;

	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
}

static long rd(uint64_t pid, uint64_t va, void *dst, uint64_t len)
{
	return k42_sc_mem_read(pid, va, (uint64_t)dst, len);
}

static int target(int mode)
{
	uint64_t self = k42_info(K42_INFO_PID);

	if (k42_sc_mem_map_anon(self, WIN, 2 * WIN_LEN, K42_PROT_READ | K42_PROT_WRITE) < 0 ||
	    k42_sc_mem_map_anon(self, READY, 4096, K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 10;
	for (uint64_t i = 0; i < WIN_LEN; i++) {
		((volatile uint8_t *)WIN)[i] = pattern(i);
		((volatile uint8_t *)SECRET)[i] = 0x5e;
	}
	if (k42_sc_mem_expose(WIN, WIN_LEN) != 0)
		return 11;
	if (mode == 1 && k42_sc_mem_expose(0, 0) != 0)
		return 12;
	/* An FR of ours, for the attacker's completions (mode 7). */
	((volatile uint64_t *)READY)[1] = (uint64_t)k42_sc_fr_create(1, WIN_LEN);
	__atomic_store_n((volatile uint64_t *)READY, 1, __ATOMIC_RELEASE);
	if (mode == 2) {	/* until the test says so (its reader is reading) */
		while (!__atomic_load_n((volatile uint64_t *)READY + 2, __ATOMIC_ACQUIRE))
			k42_thread_sleep_us(1000);
		return 0;
	}
	wait_forever();
	return 0;
}

static int reader(uint64_t t)
{
	uint64_t big = ~0ull;
	long rc;

	/* Inside: the bytes. */
	if (rd(t, WIN, buf, WIN_LEN) != 0)
		return 20;
	for (uint64_t i = 0; i < WIN_LEN; i++)
		if (buf[i] != pattern(i))
			return 21;
	if (rd(t, WIN + WIN_LEN - 8, buf, 8) != 0 || buf[0] != pattern(WIN_LEN - 8))
		return 22;
	/* Across either end, past it, the secret, lengths that wrap. */
	if ((rc = rd(t, WIN + WIN_LEN - 8, buf, 16)) != -K42_EPERM)
		return 23;
	if (rd(t, WIN - 8, buf, 16) != -K42_EPERM || rd(t, WIN - 4096, buf, 4096) != -K42_EPERM)
		return 24;
	if (rd(t, SECRET, buf, 8) != -K42_EPERM || rd(t, WIN, buf, WIN_LEN + 1) != -K42_EPERM)
		return 25;
	if (rd(t, WIN + 8, buf, big) != -K42_EPERM || rd(t, WIN + 8, buf, big - 4) != -K42_EPERM)
		return 26;
	if (rd(t, WIN + 8, buf, big - WIN + 1) != -K42_EPERM || rd(t, big, buf, 2) != -K42_EPERM)
		return 27;
	/* Into a destination we cannot write: refused, nothing crashes. */
	if (rd(t, WIN, (void *)0xc000000000001000ul, 64) >= 0 || rd(t, WIN, (void *)8, 64) >= 0)
		return 28;
	/* Reading is all: no write, no other management. */
	if (k42_sc_mem_write(t, WIN, (uint64_t)buf, 8) != -K42_EPERM)
		return 29;
	if (k42_sc_mem_unmap(t, WIN, WIN_LEN) != -K42_EPERM || k42_sc_proc_kill(t) != -K42_EPERM)
		return 30;
	return 0;
}

static int refused(uint64_t t)
{
	if (rd(t, WIN, buf, 8) != -K42_EPERM || rd(t, WIN, buf, WIN_LEN) != -K42_EPERM)
		return 40;
	return 0;
}

static int until_end(uint64_t t)
{
	uint64_t n = 0;

	/* Our count where the test reads it (it ends the target then). */
	if (k42_sc_mem_map_anon(k42_info(K42_INFO_PID), COUNT, 4096,
				K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 50;
	for (;;) {
		long rc = rd(t, WIN, buf, 256);

		if (rc == -K42_EPERM || rc == -K42_ESRCH)
			return n ? 0 : 51;
		if (rc != 0)
			return 52;
		for (int i = 0; i < 256; i++)
			if (buf[i] != pattern((uint64_t)i))
				return 53;
		__atomic_store_n((volatile uint64_t *)COUNT, ++n, __ATOMIC_RELEASE);
	}
}

static int unmapped(uint64_t t)
{
	long rc = rd(t, WIN, buf, 64);

	return rc < 0 ? 0 : 60;
}

static int attacker(uint64_t t)
{
	long mine;

	uint64_t self = k42_info(K42_INFO_PID);
	struct k42_proctimes pt;

	/* mem_expose: past the top, wrapping, over 4 MiB. */
	if (k42_sc_mem_expose(K42_USER_TOP - 4096, 8192) != -K42_EINVAL ||
	    k42_sc_mem_expose(~0ull - 100, 4096) != -K42_EINVAL ||
	    k42_sc_mem_expose(WIN, (4ul << 20) + 1) != -K42_EINVAL ||
	    k42_sc_mem_expose(WIN, ~0ull) != -K42_EINVAL ||
	    k42_sc_mem_expose(0xc000000000000000ul, 4096) != -K42_EINVAL)
		return 70;
	if (k42_sc_mem_expose(K42_USER_TOP - 4096, 4096) != 0 || k42_sc_mem_expose(0, 0) != 0)
		return 71;
	/* proc_times: bad pids and buffers. */
	{
		const uint64_t pids[] = { 0, ~0ull, 1ull << 32 | self, K42_PID_SLOT_MASK,
					  self + (1ull << K42_PID_SLOT_BITS), 0xffffffffull };

		for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
			if (k42_sc_proc_times(pids[i], (uint64_t)&pt) != -K42_ESRCH)
				return 72;
	}
	if (k42_sc_proc_times(self, 0xc000000000000000ul) >= 0 || k42_sc_proc_times(self, 0) >= 0 ||
	    k42_sc_proc_times(self, K42_USER_TOP - 8) >= 0 || k42_sc_proc_times(self, (uint64_t)&pt) != 0)
		return 73;
	/* fr_complete: no FR of ours, so nothing anyone serves may be
	 * answered, whatever the handle (unlocked path and locked). */
	for (uint64_t h = 0; h < 600; h++) {
		if (k42_sc_fr_complete(h, 0, 0) >= 0 || k42_sc_fr_complete(h, 4096, 0) >= 0 ||
		    k42_sc_fr_complete(h, 1, 0) >= 0 || k42_sc_fr_complete(h, 0, (uint64_t)-5) >= 0)
			return 74;
	}
	if (k42_sc_fr_complete(~0ull, 0, 0) >= 0 || k42_sc_fr_complete(1ull << 40, 0, 0) >= 0)
		return 75;
	/* Another process's FR (the test passes its handle): refused. */
	if (!t || k42_sc_fr_complete(t, 0, 0) != -K42_EBADH ||
	    k42_sc_fr_complete(t, 0, (uint64_t)-5) != -K42_EBADH || k42_sc_fr_destroy(t) >= 0)
		return 76;
	/* Our own FR with nothing asked: nothing to complete, again and again. */
	mine = k42_sc_fr_create(7, 1 << 20);
	if (mine < 0)
		return 77;
	for (int i = 0; i < 3; i++)
		if (k42_sc_fr_complete((uint64_t)mine, 0, 0) >= 0 ||
		    k42_sc_fr_complete((uint64_t)mine, 4096 * 300, 0) >= 0 ||
		    k42_sc_fr_complete((uint64_t)mine, ~0ull & ~4095ull, 0) >= 0 ||
		    k42_sc_fr_complete((uint64_t)mine, 5, 0) >= 0)
			return 78;
	if (k42_sc_fr_destroy((uint64_t)mine) != 0 || k42_sc_fr_complete((uint64_t)mine, 0, 0) >= 0)
		return 79;
	return 0;
}

int main(uint64_t arg)
{
	unsigned mode = arg & 0xff, uid = (unsigned)(arg >> 8) & 0xffffff;
	uint64_t t = arg >> 32;

	if (mode == 7) {	/* (an FR handle is 64 bits: index in the uid's place, uid 1000) */
		t = (arg & ~0xffffffffull) | uid;
		uid = 1000;
	}

	if (uid && k42_sc_proc_cred(k42_info(K42_INFO_PID), uid, uid) != 0)
		return 99;
	switch (mode) {
	case 0:
	case 1:
	case 2:
		return target((int)mode);
	case 3:
		return reader(t);
	case 4:
		return refused(t);
	case 5:
		return until_end(t);
	case 6:
		return unmapped(t);
	case 7:
		return attacker(t);
	}
	return 98;
}
