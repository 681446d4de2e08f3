/*
 * Register-level server entries (docs/idl.md, "Register-level entries"),
 * run as init against stub_regs_server, which serves idl/bench.idl by
 * k42_serve and registers bench_regs. Checked:
 * - generated stubs' calls of bench's scalar methods (null, inc) answer
 *   right, and none of them reaches the server's handler (it counts)
 *   in a block of 2,000 (one of 3 tries; an event that lands in a
 *   block may send at most 2 down the full path);
 * - an implementation's error comes back with no words;
 * - a reply defines every word: after a call whose arguments filled all
 *   six words, the five inc does not return come back 0 and the length 0;
 * - calls the entries do not answer exactly (a one-way flag, an unknown
 *   ordinal, a version of bench that does not exist) reach the handler
 *   and its dispatcher, with its answers;
 * - with request tracing on, libk42's lean path is not taken, so the
 *   handler serves inc, with the same answer.
 */
#include <k42/k42.h>
#include <k42/ktrace.h>
#include "bench.h"
#include "check.h"

#define REGS_PROBE 0x4b43

static uint64_t server;

static uint64_t probe(uint64_t *settled)
{
	uint64_t out[7];
	long rc = k42_sc_ppc_call(server, k42_ipc_op(REGS_PROBE, 1, 1, 0, 0), 0, 0, 0, 0, 0, 0, out);

	EXPECT(rc == 0, "probe: %ld\n", rc);
	if (settled)
		*settled = out[2];
	return out[1];
}

static uint64_t via_handler(void)
{
	return probe(NULL);
}

/* inc by the bare kernel call, every word set: the answer's words. */
static long raw_inc(uint64_t a, uint32_t flags, uint32_t version, uint64_t out[7])
{
	uint64_t op = k42_ipc_op(BENCH_IFACE_ID, version, BENCH_ORD_INC, flags, 0);

	for (int i = 0; i < 7; i++)
		out[i] = 0x5a5a5a5a5a5a5a5aull;
	return k42_sc_ppc_call(server, op, a, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, out);
}

int main(uint64_t arg)
{
	long pid = k42_spawn_path("tests/stub_regs_server", K42_PRIO_GENERAL, 0), rc;
	uint64_t out[7], b, base = ~0ull;
	unsigned bad = 0;
	int clean = 0;

	(void)arg;
	EXPECT(pid > 0, "spawn server: %ld\n", pid);
	if (pid <= 0)
		return verdict("stub_regs_test");
	server = (uint64_t)pid;
	/* Wait until it has settled: its main has registered the entries
	 * and waits idle (until then it holds an interrupted context, and
	 * every call takes the full path: give it the CPU), and no timer of
	 * its start is left (on a slow host the probes took turns with main,
	 * calls_turn.c; the turn's timer would wake it later, and the next
	 * call would find an event pending and take the full path). */
	for (int i = 0; i < 10000; i++) {
		uint64_t settled = 0, before = probe(&settled);

		if (settled && bench_null(server) == 0 && (base = via_handler()) == before)
			break;
		k42_thread_sleep_us(1000);
	}
	/* Blocks of 2,000 calls (inc and null). A wall-clock event landing
	 * in a block (on a loaded host the guest runs slowly against the
	 * timebase: a message, a tick) leaves the server something to take,
	 * and the call that finds it pending takes the full path. So a block
	 * may lose at most 2 calls that way, and one of 3 must be clean;
	 * entries not used would send all 2,000 to the handler. */
	for (int block = 0; block < 3 && !clean; block++) {
		for (uint64_t i = 0; i < 1000; i++) {
			b = 0;
			rc = bench_inc(server, i * 7919, &b);
			if (rc != 0 || b != i * 7919 + 1)
				bad++;
			if (bench_null(server) != 0)
				bad++;
		}
		b = via_handler() - base;
		base += b;
		clean = b == 0;
		if (b)
			k42_printf("stub_regs_test: block %d: %lu of 2000 calls took the full path\n",
				   block + 1, b);
		EXPECT(b <= 2, "%lu of 2000 scalar calls reached the handler\n", b);
	}
	EXPECT(bad == 0, "%u wrong answers of inc/null\n", bad);
	EXPECT(clean, "no block of 2000 scalar calls passed the handler by\n");

	rc = bench_inc(server, ~0ull, &b);
	EXPECT(rc == -K42_ERANGE, "inc's error: %ld\n", rc);
	rc = raw_inc(~0ull, 0, 1, out);
	EXPECT(rc == -K42_ERANGE && out[0] == 0 && out[1] == 0 && out[2] == 0 && out[6] == 0,
	       "an error carries no words: rc %ld len %lu w0 %lx w1 %lx w5 %lx\n", rc, out[0],
	       out[1], out[2], out[6]);

	rc = raw_inc(41, 0, 1, out);
	EXPECT(rc == 0 && out[0] == 0 && out[1] == 42, "raw inc: rc %ld len %lu w0 %lu\n", rc,
	       out[0], out[1]);
	EXPECT(out[2] == 0 && out[3] == 0 && out[4] == 0 && out[5] == 0 && out[6] == 0,
	       "reply words inc does not return: %lx %lx %lx %lx %lx\n", out[2], out[3], out[4],
	       out[5], out[6]);
	EXPECT(via_handler() == base, "the register-level calls reached the handler\n");

	/* Not the entries' op words: the handler's dispatcher answers. */
	rc = raw_inc(41, K42_IPC_FLAG_ONEWAY, 1, out);
	EXPECT(rc == -K42_EPROTO, "a call of inc flagged one-way: %ld\n", rc);
	rc = k42_sc_ppc_call(server, k42_ipc_op(BENCH_IFACE_ID, 1, 9, 0, 0), 0, 0, 0, 0, 0, 0, out);
	EXPECT(rc == -K42_ENOSYS, "unknown ordinal: %ld\n", rc);
	rc = raw_inc(41, 0, 2, out);
	EXPECT(rc == -K42_EVERSION, "version 2: %ld\n", rc);
	b = via_handler() - base;
	EXPECT(b == 3, "the handler saw %lu of the 3 calls not for the entries\n", b);

	/* Request tracing on: the lean path (and the entries) step aside. */
	if (k42_sc_trace_mask(K42_TRACE_MASK_REQUEST) >= 0) {
		rc = raw_inc(99, 0, 1, out);
		k42_sc_trace_mask(0);
		EXPECT(rc == 0 && out[1] == 100 && out[2] == 0, "traced inc: %ld %lu\n", rc, out[1]);
		b = via_handler() - base;
		EXPECT(b == 4, "with tracing on the handler saw %lu calls, not 4\n", b);
	} else {
		EXPECT(0, "init may set the trace mask\n");
	}

	k42_sc_proc_kill(server);
	return verdict("stub_regs_test");
}
