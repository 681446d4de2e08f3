/*
 * Helper of hostile_ppc_test (tests/user/hostile_ppc_test.c): servers and
 * callers that attack the PPC fast path (arch/ppc64/kern/ppc_fast.S, run
 * with translation off, and kern/ppc_fast.c). arg = mode | pid << 8:
 *  0 server A: handler mode, one dispatcher idle with no context (the
 *    assembly's case both ways). Its handler forges replies itself.
 *  1 server B: thread mode, holds calls (k42_ipc_defer) for the test.
 *  2 caller of B (pid): one call B holds; exit 0 if the answer is right.
 *  3 caller of A (pid): slow calls for ever, each answer checked (exit 1
 *    on a wrong one); the test kills it mid-call. A answers them with up
 *    to a page of bytes, so replies with bytes reach dead callers too.
 *  4 caller of A (pid) from a second dispatcher while dispatcher 0 ends
 *    the process: a call from a process mid-exit (on another CPU at 4).
 *  5 short-lived server: handler mode, serves for a few ms, then exits.
 * Answers are functions of the call, so a reply that reached the wrong
 * caller or carried the wrong words shows.
 */
#include <k42/k42.h>
#include <k42/vp.h>

#define HP_IFACE 0x4850
#define HELD_ANSWER 0x77

void k42_ipc_taken(void);	/* (libk42 internal: someone else answered) */

/* A raw kernel call: r0 = num, r3..r10 = a[0..7]; out[0..7] = r3..r10. */
static void raw_sc(uint64_t num, const uint64_t a[8], uint64_t out[8])
{
	register uint64_t r0 __asm__("r0") = num;
	register uint64_t r3 __asm__("r3") = a[0], r4 __asm__("r4") = a[1], r5 __asm__("r5") = a[2],
			  r6 __asm__("r6") = a[3], r7 __asm__("r7") = a[4], r8 __asm__("r8") = a[5],
			  r9 __asm__("r9") = a[6], r10 __asm__("r10") = a[7];

	__asm__ volatile("sc"
			 : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), "+r"(r8),
			   "+r"(r9), "+r"(r10)
			 :
			 : "r11", "r12", "ctr", "xer", "cr0", "cr1", "cr5", "cr6", "cr7", "memory");
	out[0] = r3, out[1] = r4, out[2] = r5, out[3] = r6;
	out[4] = r7, out[5] = r8, out[6] = r9, out[7] = r10;
}

static long reply_raw(uint64_t h, uint64_t flags, uint64_t w0)
{
	uint64_t a[8] = { h, 0, flags, w0, 0, 0, 0, 0 }, out[8];

	raw_sc(K42_SC_PPC_REPLY, a, out);
	return (long)out[0];
}

/* ppc_reply_idle (the assembly's reply when len is 0): the handle in r11,
 * the rest in the caller's registers. */
static long reply_idle_raw(uint64_t h, uint64_t len, uint64_t w0)
{
	return k42_sc_ppc_reply_idle(0, len, w0, 0, 0, 0, 0, 0, h);
}

/* A synchronous register-only call (the fast path's), disabled. */
static long call_raw(uint64_t target, uint64_t op, uint64_t w0, uint64_t *r0)
{
	uint64_t a[8] = { target, op, w0, w0 + 1, w0 + 2, w0 + 3, w0 + 4, w0 + 5 }, out[8];
	int s = k42_disable_save();

	raw_sc(K42_SC_PPC_CALL, a, out);
	k42_restore(s);
	if (r0)
		*r0 = out[2];
	return (long)out[0];
}

static uint64_t op(uint32_t ord)
{
	return k42_ipc_op(HP_IFACE, 1, ord, 0, 0);
}

static long double_rc[2], held_rc[2];
static uint64_t held;

/* Every handle but h's own index, with generations 1..gens, and values
 * out of range: none may answer anything (-K42_EBADH), idle flag or not. */
static uint64_t forge(uint64_t h, uint64_t *tried)
{
	static const uint64_t odd[] = {
		0, 1, ~0ull, 0xffff, K42_IPC_CALLS_MAX, K42_IPC_CALLS_MAX - 1,
		0x7fffffffull << 16, 0x80000000ull << 16, 1ull << 47, 1ull << 63,
	};
	uint64_t bad = 0, n = 0, idx = h & 0xffff, gen = h >> 16;

	for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		uint64_t v[3] = { odd[i], odd[i] | h, odd[i] ^ h };

		for (int j = 0; j < 3; j++) {
			if (v[j] == h)
				continue;
			bad += reply_raw(v[j], K42_IPC_REPLY_IDLE, 1) != -K42_EBADH;
			bad += reply_raw(v[j], 0, 1) != -K42_EBADH;
			bad += reply_idle_raw(v[j], 0, 1) != -K42_EBADH;
			bad += reply_idle_raw(v[j], 1, 1) != -K42_EBADH;
			n += 4;
		}
	}
	/* h's own index, other generations (one is stale, one not yet). */
	for (uint64_t g = gen > 2 ? gen - 2 : 1; g <= gen + 2; g++) {
		if (g == gen)
			continue;
		bad += reply_raw(g << 16 | idx, K42_IPC_REPLY_IDLE, 1) != -K42_EBADH;
		bad += reply_idle_raw(g << 16 | idx, 0, 1) != -K42_EBADH;
		n += 2;
	}
	/* Every other record, its generation guessed 1..4 and ours. */
	for (uint64_t i = 0; i < K42_IPC_CALLS_MAX; i++) {
		if (i == idx)
			continue;
		for (uint64_t g = 1; g <= 4; g++) {
			bad += reply_raw(g << 16 | i, K42_IPC_REPLY_IDLE, 1) != -K42_EBADH;
			n++;
		}
		bad += reply_raw(gen << 16 | i, 0, 1) != -K42_EBADH;
		/* With page bytes: the vector sends these to kern/ppc_fast.c
		 * (idle) or the general path, which copy nothing unchecked. */
		bad += reply_raw(gen << 16 | i, K42_IPC_REPLY_IDLE | K42_IPC_PAGE_BYTES, 1) != -K42_EBADH;
		bad += reply_raw((gen + 1) << 16 | i, K42_IPC_REPLY_IDLE | 1, 1) != -K42_EBADH;
		bad += reply_raw(gen << 16 | i, 100, 1) != -K42_EBADH;
		bad += reply_idle_raw(gen << 16 | i, 0, 1) != -K42_EBADH;
		bad += reply_idle_raw(gen << 16 | i, K42_IPC_PAGE_BYTES, 1) != -K42_EBADH;
		n += 6;
	}
	/* Our own handle with flags no reply may carry. */
	bad += reply_raw(h, 1ull << 40, 1) != -K42_EINVAL;
	bad += reply_raw(h, K42_IPC_REPLY_IDLE | (K42_IPC_PAGE_BYTES + 1), 1) != -K42_EINVAL;
	bad += reply_raw(h, K42_IPC_REPLY_LEN_MASK, 1) != -K42_EINVAL;
	/* ppc_reply_idle's len: no flag (not even the idle one) and at most
	 * a page; refused with the call kept. */
	bad += reply_idle_raw(h, K42_IPC_REPLY_IDLE, 1) != -K42_EINVAL;
	bad += reply_idle_raw(h, K42_IPC_REPLY_LEN_MASK + 1, 1) != -K42_EINVAL;
	bad += reply_idle_raw(h, K42_IPC_PAGE_BYTES + 1, 1) != -K42_EINVAL;
	bad += reply_idle_raw(h, ~0ull, 1) != -K42_EINVAL;
	n += 7;
	*tried = n;
	return bad;
}

static void handle_a(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op);
	uint64_t h = k42_ipc_handle(), t0;

	if (k42_ipc_op_iface(m->op) != HP_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	m->len = 0;
	switch (ord) {
	case 1:	/* echo: a function of the caller and every word */
	case 10:
		if (ord == 10)	/* slow: spin ~2 ms (the killer's window) */
			for (t0 = k42_timebase(); k42_timebase() - t0 < k42_info(K42_INFO_TIMEBASE_HZ) / 500;)
				;
		for (int i = 0; i < 6; i++)
			m->w[i] = m->w[i] * 7 + caller;
		if (ord == 10) {	/* page bytes to a caller that may be dead by now */
			m->len = (uint32_t)(m->w[0] % (K42_IPC_PAGE_BYTES + 1));
			for (uint32_t i = 0; i < m->len; i++)
				m->page[i] = (uint8_t)(caller + i);
		}
		m->op = 0;
		return;
	case 2:	/* forge replies to everything but this call */
		m->w[0] = forge(h, &m->w[1]);
		m->op = 0;
		return;
	case 3:	/* answer, then answer the same handle again */
		double_rc[0] = reply_raw(h, 0, 0x5151);
		k42_ipc_taken();
		double_rc[0] |= reply_raw(h, K42_IPC_REPLY_IDLE, 0x5252) != -K42_EBADH ? 0x100 : 0;
		double_rc[1] = reply_raw(h, 0, 0x5353);
		return;
	case 4:	/* report case 3 */
		m->w[0] = (uint64_t)double_rc[0];
		m->w[1] = (uint64_t)double_rc[1];
		m->op = 0;
		return;
	case 8:	/* answer a call of another server's (w0) */
		t0 = m->w[0];
		m->w[0] = (uint64_t)reply_raw(t0, K42_IPC_REPLY_IDLE, 0x6666);
		m->w[1] = (uint64_t)reply_raw(t0, 0, 0x6666);
		m->w[2] = (uint64_t)reply_idle_raw(t0, 0, 0x6666);
		m->op = 0;
		return;
	default:
		m->op = (uint64_t)-K42_ENOSYS;
	}
}

/* Mode 5: echo, and end (exit from the handler, mid-call) once called
 * for 3 ms. */
static void handle_ending(uint64_t caller, struct k42_ipc_msg *m)
{
	static uint64_t first;
	uint64_t now = k42_timebase();

	if (!first)
		first = now;
	if (now - first > k42_info(K42_INFO_TIMEBASE_HZ) / 333)
		k42_sc_exit(0);
	handle_a(caller, m);
}

static void handle_b(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op);
	struct k42_ipc_msg r = { 0 };

	(void)caller;
	m->len = 0;
	switch (ord) {
	case 5:	/* hold this call */
		__atomic_store_n(&held, k42_ipc_defer(), __ATOMIC_RELEASE);
		return;
	case 6:	/* which call is held */
		m->w[0] = __atomic_load_n(&held, __ATOMIC_ACQUIRE);
		m->op = 0;
		return;
	case 7:	/* answer it, twice */
		r.w[0] = HELD_ANSWER;
		held_rc[0] = k42_ipc_reply(held, &r);
		held_rc[1] = k42_ipc_reply(held, &r);
		m->w[0] = (uint64_t)held_rc[0];
		m->w[1] = (uint64_t)held_rc[1];
		__atomic_store_n(&held, 0, __ATOMIC_RELEASE);
		m->op = 0;
		return;
	default:
		m->op = (uint64_t)-K42_ENOSYS;
	}
}

static void wait_forever(void)
{
	struct k42_sem never;

	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
}

static uint64_t target;

static void *vp1_caller(void *arg)
{
	(void)arg;
	for (uint64_t i = 0;; i++) {
		uint64_t w0;
		long rc = call_raw(target, op(1), i, &w0);

		if (rc == 0 && w0 != i * 7 + k42_info(K42_INFO_PID))
			k42_sc_exit(1);	/* someone else's answer */
		if (rc < 0 && rc != -K42_EDEAD)
			k42_sc_exit(2);
	}
	return NULL;
}

int main(uint64_t arg)
{
	unsigned mode = arg & 0xff;
	uint64_t self = k42_info(K42_INFO_PID), w0, t0;
	long rc;

	target = arg >> 8;
	switch (mode) {
	case 0:
		k42_serve(handle_a);
		wait_forever();
		return 0;
	case 1:
		k42_serve_threads(handle_b);
		wait_forever();
		return 0;
	case 2:
		rc = call_raw(target, op(5), 9, &w0);
		return rc == 0 && w0 == HELD_ANSWER ? 0 : 1;
	case 3:
		for (uint64_t i = 1;; i++) {
			uint8_t *page = k42_ppc_page();
			uint32_t n = (uint32_t)((i * 7 + self) % (K42_IPC_PAGE_BYTES + 1));
			int s = k42_disable_save(), ok;

			rc = call_raw(target, op(10), i, &w0);
			ok = rc == 0 && w0 == i * 7 + self;
			for (uint32_t j = 0; ok && j < n; j += 61)
				ok = page[j] == (uint8_t)(self + j);
			k42_restore(s);
			if (!ok)
				return 1;
		}
	case 4: {
		unsigned cpus = (unsigned)k42_info(K42_INFO_CPUS_ONLINE);
		long vp = k42_vp_start(cpus > 1 ? 1 : 0);

		if (vp < 0 || !k42_thread_create_on((unsigned)vp, vp1_caller, NULL, NULL))
			return 3;
		/* Let it call a while, then end the process under it. */
		for (t0 = k42_timebase(); k42_timebase() - t0 < k42_info(K42_INFO_TIMEBASE_HZ) / 200;)
			k42_thread_yield();
		k42_sc_exit(0);
		return 0;
	}
	case 5:
		/* (It ends from its handler: a handler-mode server called
		 * without a pause never runs its threads, so a sleep here
		 * could wait for ever; see docs/security.md.) */
		k42_serve(handle_ending);
		wait_forever();
		return 0;
	}
	return 4;
}
