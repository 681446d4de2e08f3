/*
 * Hostile programs against the PPC fast path (run as init; docs/security.md,
 * "Regression tests"): the assembly of arch/ppc64/kern/ppc_fast.S decodes
 * user values with translation off, so every pid, handle, flag and length
 * a process can pass is tried there, and the races the brief of the path
 * names: a handle of a call that ended, a pid of an ended process (and its
 * slot taken again), a reply from a process that is not the call's server,
 * a reply while the caller is being killed, a call to itself, a call from
 * a process ending on another CPU, op lengths at the limits, r0 with high
 * bits. Afterwards the kernel must still serve, no call state may be left
 * (K42_INFO_IPC_CALLS back to its start) and no frame lost.
 * Helper: tests/user/hostile_ppc.c (servers A and B, callers).
 */
#include "check.h"
#include <k42/procinfo.h>

#define HP_IFACE 0x4850
#define HELD_ANSWER 0x77
#define ROUNDS 12

static uint64_t self;

/* Frames neither free nor kmem's cache must come back, and every kernel
 * object (as quota_test and the soak compare them). */
static uint64_t frames(uint64_t *objs)
{
	EXPECT(settle_deferred(30) == 0, "deferred frees never settled");
	k42_thread_sleep_us(10000);
	settle_deferred(30);
	*objs = k42_info(K42_INFO_KMEM_OBJECTS);
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

static void raw_sc(uint64_t num, const uint64_t a[8], uint64_t out[8])
{
	register uint64_t r0 __asm__("r0") = num;
	register uint64_t r3 __asm__("r3") = a[0], r4 __asm__("r4") = a[1], r5 __asm__("r5") = a[2],
			  r6 __asm__("r6") = a[3], r7 __asm__("r7") = a[4], r8 __asm__("r8") = a[5],
			  r9 __asm__("r9") = a[6], r10 __asm__("r10") = a[7];
	int s = k42_disable_save();

	__asm__ volatile("sc"
			 : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), "+r"(r8),
			   "+r"(r9), "+r"(r10)
			 :
			 : "r11", "r12", "ctr", "xer", "cr0", "cr1", "cr5", "cr6", "cr7", "memory");
	out[0] = r3, out[1] = r4, out[2] = r5, out[3] = r6;	/* (before any call) */
	out[4] = r7, out[5] = r8, out[6] = r9, out[7] = r10;
	k42_restore(s);
}

static uint64_t op(uint32_t ord, uint32_t len)
{
	return k42_ipc_op(HP_IFACE, 1, ord, 0, len);
}

/* A register-only call: status, words in out[2..7]. */
static long call(uint64_t target, uint64_t o, uint64_t w0, uint64_t out[8])
{
	uint64_t a[8] = { target, o, w0, w0 + 1, w0 + 2, w0 + 3, w0 + 4, w0 + 5 };

	raw_sc(K42_SC_PPC_CALL, a, out);
	return (long)out[0];
}

/* A's echo is right: w[i] * 7 + our pid. */
static int echo_ok(uint64_t a_pid, uint64_t w0)
{
	uint64_t out[8];

	if (call(a_pid, op(1, 0), w0, out) != 0)
		return 0;
	for (int i = 0; i < 6; i++)
		if (out[2 + i] != (w0 + (uint64_t)i) * 7 + self)
			return 0;
	return 1;
}

static long spawn(unsigned mode, uint64_t pid)
{
	long p = k42_spawn_path("tests/hostile_ppc", K42_PRIO_GENERAL, mode | pid << 8);

	EXPECT(p > 0, "spawn mode %u: %ld", mode, p);
	return p;
}

/* B holds a call: its handle (0 after 30 s). */
static uint64_t held_of(uint64_t b_pid)
{
	uint64_t out[8];

	for (int i = 0; i < 30000; i++) {
		if (call(b_pid, op(6, 0), 0, out) == 0 && out[2])
			return out[2];
		k42_thread_sleep_us(1000);
	}
	return 0;
}

static void bad_targets(uint64_t a_pid)
{
	uint64_t m = K42_PID_SLOT_MASK, out[8];
	const uint64_t t[] = {
		0, self, a_pid | 1ull << 32, a_pid | 1ull << 63, a_pid + (1ull << K42_PID_SLOT_BITS),
		a_pid ^ (1ull << K42_PID_SLOT_BITS), (a_pid & ~m) | m, (a_pid & ~m) | (m + 1), 0xffffffffull, ~0ull,
		~0ull << K42_PID_SLOT_BITS | (a_pid & m),
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long rc = call(t[i], op(1, 0), 1, out);

		EXPECT(rc == -K42_ESRCH || rc == -K42_EINVAL, "call to %#lx: %ld", t[i], rc);
	}
	/* op lengths: the page's size passes (the general path), past it not. */
	EXPECT(call(a_pid, op(1, K42_IPC_PAGE_BYTES), 1, out) == 0, "call with a full page");
	EXPECT(call(a_pid, op(1, K42_IPC_PAGE_BYTES + 1), 1, out) == -K42_EINVAL, "page + 1");
	EXPECT(call(a_pid, op(1, 0) | K42_IPC_OP_LEN_MASK, 1, out) == -K42_EINVAL, "len mask");
	EXPECT(call(a_pid, ~(K42_IPC_OP_LEN_MASK | K42_IPC_OP_FLAGS_MASK << K42_IPC_OP_FLAGS_SHIFT),
		    1, out) == -K42_ENOSYS, "garbage op: %ld", (long)out[0]);
	/* r0 with bits above the call number is no ppc_call nor ppc_reply. */
	{
		uint64_t a[8] = { a_pid, op(1, 0), 1, 2, 3, 4, 5, 6 };
		const uint64_t nums[] = { K42_SC_PPC_CALL | 1ull << 32, K42_SC_PPC_CALL | 1ull << 63,
					  K42_SC_PPC_REPLY | 1ull << 32,
					  K42_SC_PPC_REPLY_IDLE | 1ull << 32, ~0ull };

		for (unsigned i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			raw_sc(nums[i], a, out);
			EXPECT((long)out[0] == -K42_ENOSYS, "r0 %#lx: %ld", nums[i], (long)out[0]);
		}
	}
	/* A reply from a process that serves nothing, idle or not. */
	{
		uint64_t a[8] = { 1ull << 16 | 1, 0, K42_IPC_REPLY_IDLE, 0, 0, 0, 0, 0 };

		raw_sc(K42_SC_PPC_REPLY, a, out);
		EXPECT((long)out[0] == -K42_EBADH, "idle reply by a non-server: %ld", (long)out[0]);
		EXPECT(k42_sc_ppc_reply_idle(0, 0, 0, 0, 0, 0, 0, 0, 1ull << 16 | 1) == -K42_EBADH,
		       "ppc_reply_idle by a non-server");
	}
	EXPECT(echo_ok(a_pid, 100), "A answers after bad targets");
}

static void held_calls(uint64_t a_pid, uint64_t b_pid)
{
	uint64_t out[8], h;
	long v, st = 0;
	int status, state;

	/* A call B holds: answered by us and by server A (not its server). */
	v = spawn(2, b_pid);
	h = held_of(b_pid);
	EXPECT(h != 0, "B never held a call");
	if (h) {
		uint64_t a[8] = { h, 0, K42_IPC_REPLY_IDLE, 0x6666, 0, 0, 0, 0 };

		raw_sc(K42_SC_PPC_REPLY, a, out);
		EXPECT((long)out[0] == -K42_EBADH, "our idle reply to B's call: %ld", (long)out[0]);
		a[2] = 0;
		raw_sc(K42_SC_PPC_REPLY, a, out);
		EXPECT((long)out[0] == -K42_EBADH, "our reply to B's call: %ld", (long)out[0]);
		EXPECT(k42_sc_ppc_reply_idle(0, 0, 0x6666, 0, 0, 0, 0, 0, h) == -K42_EBADH,
		       "our ppc_reply_idle to B's call");
		EXPECT(call(a_pid, op(8, 0), h, out) == 0, "A replies to B's call");
		EXPECT((long)out[2] == -K42_EBADH && (long)out[3] == -K42_EBADH &&
			       (long)out[4] == -K42_EBADH,
		       "A's replies to B's call: %ld %ld %ld", (long)out[2], (long)out[3],
		       (long)out[4]);
		EXPECT(k42_sc_proc_status((uint64_t)v, (uint64_t *)&st) == K42_PROC_RUNNING,
		       "B's caller still waits");
		EXPECT(call(b_pid, op(7, 0), 0, out) == 0, "B answers");
		EXPECT(out[2] == 0 && (long)out[3] == -K42_EBADH, "B's answers: %ld then %ld",
		       (long)out[2], (long)out[3]);
	}
	state = k42_wait((uint64_t)v, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "B's caller: state %d status %d", state,
	       status);

	/* A held call whose caller is killed: B's answer finds it gone. */
	v = spawn(2, b_pid);
	h = held_of(b_pid);
	EXPECT(h != 0, "B never held the second call");
	k42_sc_proc_kill((uint64_t)v);
	state = k42_wait((uint64_t)v, &status);
	EXPECT(state == K42_PROC_KILLED, "killed caller: state %d", state);
	if (h) {
		EXPECT(call(b_pid, op(7, 0), 0, out) == 0, "B answers the dead");
		EXPECT((long)out[2] == -K42_EDEAD && (long)out[3] == -K42_EBADH,
		       "answers to a killed caller: %ld then %ld", (long)out[2], (long)out[3]);
	}
}

static void one_round(int r, uint64_t a_pid)
{
	uint64_t out[8];
	long v;
	int status, state;

	/* Killed mid-call to A (A spins 2 ms a call): the reply, fast
	 * or not, finds the caller gone or answers it before. */
	v = spawn(3, a_pid);
	k42_thread_sleep_us(1000 + (unsigned)r * 700);
	k42_sc_proc_kill((uint64_t)v);
	state = k42_wait((uint64_t)v, &status);
	EXPECT(state == K42_PROC_KILLED, "round %d: looping caller state %d status %d", r,
	       state, status);
	/* Calls from a second dispatcher while the process ends. */
	v = spawn(4, a_pid);
	state = k42_wait((uint64_t)v, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "round %d: mid-exit caller %d/%d", r,
	       state, status);
	/* A server that ends while we call it: then its pid is stale, with
	 * a new server idle for the fast path. */
	v = spawn(5, 0);
	for (int i = 0; i < 100000; i++) {
		long rc = call((uint64_t)v, op(1, 0), (uint64_t)i, out);

		if (rc == -K42_ESRCH || rc == -K42_EDEAD)
			break;
		EXPECT(rc == 0 && out[2] == (uint64_t)i * 7 + self,
		       "round %d: ending server, call %d: %ld, words %#lx %#lx %#lx %#lx %#lx %#lx",
		       r, i, rc, out[2], out[3], out[4], out[5], out[6], out[7]);
		if (rc != 0)
			break;
	}
	state = k42_wait((uint64_t)v, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "short server %d/%d", state, status);
	{
		long w = spawn(0, 0);

		if (w > 0) {
			EXPECT(echo_ok((uint64_t)w, 5), "a new server");
			EXPECT(call((uint64_t)v, op(1, 0), 1, out) == -K42_ESRCH, "stale pid %ld: %ld",
			       v, (long)out[0]);
			k42_sc_proc_kill((uint64_t)w);
			k42_wait((uint64_t)w, &status);
		}
	}
}

/* Servers A and B, the attacks (all of them unless `warm`), A and B
 * ended: so their own growth (B's threads) is no part of the figures. */
static void session(int warm, uint64_t calls0)
{
	uint64_t out[8];
	long a_pid = spawn(0, 0), b_pid = spawn(1, 0);
	int status;

	if (a_pid <= 0 || b_pid <= 0)
		return;
	EXPECT(echo_ok((uint64_t)a_pid, 1), "A echoes");
	for (int r = 0; warm && r < 2; r++) {
		held_calls((uint64_t)a_pid, (uint64_t)b_pid);
		one_round(0, (uint64_t)a_pid);
	}
	if (!warm) {
		bad_targets((uint64_t)a_pid);
		/* A forges replies to every record but its call's. */
		EXPECT(call((uint64_t)a_pid, op(2, 0), 0, out) == 0, "forge call");
		k42_printf("hostile_ppc_test: %lu forged replies, %lu answered something\n", out[3],
			   out[2]);
		EXPECT(out[2] == 0 && out[3] > 8000, "forged: %lu of %lu answered", out[2], out[3]);
		EXPECT(echo_ok((uint64_t)a_pid, 200), "A answers after forging");
		/* A answers one call twice. */
		EXPECT(call((uint64_t)a_pid, op(3, 0), 0, out) == 0 && out[2] == 0x5151,
		       "double: first answer %#lx", out[2]);
		EXPECT(call((uint64_t)a_pid, op(4, 0), 0, out) == 0, "double report");
		EXPECT(out[2] == 0 && (long)out[3] == -K42_EBADH, "double: first %ld second %ld",
		       (long)out[2], (long)out[3]);
		held_calls((uint64_t)a_pid, (uint64_t)b_pid);
		for (int r = 1; r <= ROUNDS; r++)
			one_round(r, (uint64_t)a_pid);
		EXPECT(echo_ok((uint64_t)a_pid, 300), "A answers at the end");
		EXPECT(k42_info(K42_INFO_IPC_CALLS) == calls0, "calls in use: %lu, at the start %lu",
		       k42_info(K42_INFO_IPC_CALLS), calls0);
		k42_printf("hostile_ppc_test: fast calls %lu, fast replies %lu, calls in use %lu\n",
			   k42_info(K42_INFO_PPC_FAST_CALLS), k42_info(K42_INFO_PPC_FAST_REPLIES),
			   k42_info(K42_INFO_IPC_CALLS));
		EXPECT(k42_info(K42_INFO_PPC_FAST_STALE) == 0, "stale fast words: %lu",
		       k42_info(K42_INFO_PPC_FAST_STALE));
	}
	k42_sc_proc_kill((uint64_t)a_pid);
	k42_sc_proc_kill((uint64_t)b_pid);
	k42_wait((uint64_t)a_pid, &status);
	k42_wait((uint64_t)b_pid, &status);
	EXPECT(k42_info(K42_INFO_IPC_CALLS) == calls0, "calls in use after the servers: %lu",
	       k42_info(K42_INFO_IPC_CALLS));
}

int main(uint64_t arg)
{
	uint64_t calls0, frames0, objs0, frames1, objs1;

	(void)arg;
	self = k42_info(K42_INFO_PID);
	calls0 = k42_info(K42_INFO_IPC_CALLS);
	/* Warm-up: every scenario once, so that our own heap has grown to
	 * what they need. */
	session(1, calls0);
	frames0 = frames(&objs0);
	session(0, calls0);
	/* Every child, the servers included, left nothing behind. */
	frames1 = frames(&objs1);
	k42_printf("hostile_ppc_test: free and cached frames %lu after the warm-up, %lu at the end; "
		   "kernel objects %lu, %lu\n", frames0, frames1, objs0, objs1);
	EXPECT(frames1 == frames0 && objs1 == objs0, "frames or kernel objects not returned");
	return verdict("hostile_ppc_test");
}
