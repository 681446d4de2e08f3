/*
 * Server of ppc_cross_test (tests/user/ppc_cross_test.c): ONE dispatcher
 * (no k42_vp_serve_all), so callers on the other CPUs find it busy, their
 * calls queue, it takes them with ppc_accept and replies to callers
 * waiting on other CPUs. Argument 0: handler mode; 1: thread mode, each
 * call on its own thread, which yields so that calls overlap. Every answer
 * is a function of what the call carried:
 *  - ordinal 1: w0..w5 mixed with the caller; request bytes (if any) come
 *    back xor'ed with a key from w0;
 *  - ordinal 2: w0 % 200 + 1 reply bytes made from w0, no request bytes;
 *  - ordinal 3: as ordinal 1 at once (no busy loop, no yield), with w5
 *    replaced by the CPU it was served on (ppc_move_test: an idle server
 *    is moved to its caller's CPU);
 *  - ordinal 4: as ordinal 1, after spinning w0 % 16 ms by the timebase
 *    (call_expire_test: bounded calls expire while taken or queued).
 * Argument 2: not a server but noise: a dispatcher on every CPU (two on
 * the first) that yields in the kernel without end, so every CPU's run
 * queue changes under its fast paths while callers are woken onto it
 * from other CPUs.
 */
#include <k42/k42.h>

#define CROSS_IFACE 0x5843

static int threads;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t len = k42_ipc_op_len(m->op), ord = k42_ipc_op_ordinal(m->op);
	uint64_t w0 = m->w[0];
	volatile uint64_t spin = 0;

	if (k42_ipc_op_iface(m->op) != CROSS_IFACE || ord < 1 || ord > 4) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	for (int i = 0; i < 6; i++)
		m->w[i] = m->w[i] * 5 + caller + (uint64_t)i;
	if (ord == 4) {
		uint64_t until = k42_timebase() + (w0 % 16) * (k42_info(K42_INFO_TIMEBASE_HZ) / 1000);

		while ((int64_t)(k42_timebase() - until) < 0)
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
		ord = 1;
	}
	if (ord == 3) {
		for (uint32_t i = 0; i < len; i++)
			m->page[i] ^= (uint8_t)(0x3c + w0);
		m->len = len;
		m->w[5] = k42_disp()->cpu;
		m->op = 0;
		return;
	}
	/* Busy a while, so that calls from the other CPUs queue. */
	for (int i = 0; i < 200 + (int)(w0 % 300); i++)
		spin += (uint64_t)i;
	if (threads)
		k42_thread_yield();
	if (ord == 1) {
		for (uint32_t i = 0; i < len; i++)
			m->page[i] ^= (uint8_t)(0x3c + w0);
		m->len = len;
	} else {
		uint32_t n = (uint32_t)(w0 % 200) + 1;

		for (uint32_t i = 0; i < n; i++)
			m->page[i] = (uint8_t)(w0 + i * 7);
		m->len = n;
	}
	m->op = 0;
}

static void *yielder(void *arg)
{
	(void)arg;
	for (;;)
		k42_sc_yield();
	return NULL;
}

int main(uint64_t arg)
{
	struct k42_sem never;

	if (arg == 2) {
		long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);

		for (long c = 0; c < ncpus && c < K42_VPS_MAX - 1; c++) {
			long v = k42_vp_start((unsigned)c);

			if (v > 0)
				k42_thread_create_on((unsigned)v, yielder, NULL, NULL);
		}
		yielder(NULL);
	}

	threads = arg == 1;
	if (threads)
		k42_serve_threads(handle);
	else
		k42_serve(handle);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}
