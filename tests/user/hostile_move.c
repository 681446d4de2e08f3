/*
 * Helper of hostile_move_test (tests/user/hostile_move_test.c): a server
 * with ONE dispatcher in thread mode, so that callers on other CPUs move
 * it to theirs (kern/ppc_move.c), which holds calls past their callers'
 * bounds and then answers them, forges handles, and counts what the
 * kernel accepted. Interface HM_IFACE, ordinals:
 *  1 echo: w0..w4 come back as w * 5 + the caller's pid (as the kernel
 *    named it) + i, w5 as the CPU it was served on; the bytes come back
 *    XORed with 0x3c + w0; counted in `served`;
 *  2 hold: the call is deferred, its handle kept, never answered here;
 *  3 release: every held call is answered with a full page of 0xee and
 *    words of 0xbad, then answered again, then forged handles near each
 *    are tried; reply words: accepted, refused -K42_EDEAD, anything else
 *    (a second reply, or the held record under another generation, that
 *    was not -K42_EBADH), held;
 *  4 late: deferred, then answered after spinning w1 microseconds (with
 *    yields, so other calls go on) with w0 = w0, w1 = ~w0 and w2 % 4096
 *    + 1 bytes (w0 + j); the kernel's answer to that reply counted;
 *  5 stats: w0 accepted late replies, w1 refused -K42_EDEAD, w2 other,
 *    w3 echo calls served, w4 late calls taken and not yet answered (a
 *    call that expired while still queued never reaches the server).
 */
#include <k42/k42.h>

#define HM_IFACE 0x484d
#define HELD_MAX 64

static uint64_t held[HELD_MAX];
static unsigned nheld;
static uint64_t late_ok, late_dead, late_bad, served, late_busy;

static void release(struct k42_ipc_msg *m)
{
	static struct k42_ipc_msg r;
	static uint8_t page[K42_IPC_PAGE_BYTES];
	uint64_t acc = 0, dead = 0, other = 0, mine = k42_ipc_handle();
	unsigned n = __atomic_load_n(&nheld, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++) {
		long rc;

		r.op = 0;
		r.page = page;
		for (int k = 0; k < 6; k++)
			r.w[k] = 0xbad0bad0bad0ull + (uint64_t)k;
		for (unsigned j = 0; j < K42_IPC_PAGE_BYTES; j++)
			r.page[j] = 0xee;
		r.len = K42_IPC_PAGE_BYTES;
		rc = k42_ipc_reply(held[i], &r);
		acc += rc == 0;
		dead += rc == -K42_EDEAD;
		other += rc != 0 && rc != -K42_EDEAD;
		/* Once answered (or refused), the handle names nothing. */
		other += k42_ipc_reply(held[i], &r) != -K42_EBADH;
		{
			/* Its record under other generations (another index
			 * may name another call of ours, rightly). */
			const uint64_t forged[] = { held[i] ^ (1ull << 16), held[i] + (1ull << 16),
						    held[i] - (1ull << 16), held[i] ^ (1ull << 32),
						    ~held[i], held[i] | (1ull << 63) };

			for (unsigned k = 0; k < sizeof(forged) / sizeof(forged[0]); k++)
				if (forged[k] != mine)
					other += k42_ipc_reply(forged[k], &r) != -K42_EBADH;
		}
	}
	__atomic_store_n(&nheld, 0, __ATOMIC_RELEASE);
	m->w[0] = acc;
	m->w[1] = dead;
	m->w[2] = other;
	m->w[3] = n;
	m->len = 0;
	m->op = 0;
}

static void late(struct k42_ipc_msg *m)
{
	struct k42_ipc_msg r;
	uint8_t page[K42_IPC_PAGE_BYTES];
	uint64_t w0 = m->w[0], us = m->w[1], len = m->w[2] % K42_IPC_PAGE_BYTES + 1, h;
	uint64_t until = k42_timebase() + us * (k42_info(K42_INFO_TIMEBASE_HZ) / 1000000);
	long rc;

	__atomic_add_fetch(&late_busy, 1, __ATOMIC_RELAXED);
	h = k42_ipc_defer();
	while ((int64_t)(k42_timebase() - until) < 0)
		k42_thread_yield();
	r.op = 0;
	r.page = page;
	r.w[0] = w0;
	r.w[1] = ~w0;
	for (int k = 2; k < 6; k++)
		r.w[k] = 0;
	for (uint64_t j = 0; j < len; j++)
		r.page[j] = (uint8_t)(w0 + j);
	r.len = (uint32_t)len;
	rc = k42_ipc_reply(h, &r);
	if (rc == 0)
		__atomic_add_fetch(&late_ok, 1, __ATOMIC_RELAXED);
	else if (rc == -K42_EDEAD)
		__atomic_add_fetch(&late_dead, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&late_bad, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&late_busy, 1, __ATOMIC_RELEASE);
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t len = k42_ipc_op_len(m->op), ord = k42_ipc_op_ordinal(m->op);

	if (k42_ipc_op_iface(m->op) != HM_IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	switch (ord) {
	case 1: {
		uint8_t key = (uint8_t)(0x3c + m->w[0]);

		for (int i = 0; i < 5; i++)
			m->w[i] = m->w[i] * 5 + caller + (uint64_t)i;
		m->w[5] = k42_disp()->cpu;
		for (uint32_t j = 0; j < len; j++)
			m->page[j] ^= key;
		m->len = len;
		m->op = 0;
		__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
		return;
	}
	case 2: {
		unsigned i = __atomic_load_n(&nheld, __ATOMIC_ACQUIRE);

		if (i < HELD_MAX) {	/* (one held call at a time: the test waits for each) */
			held[i] = k42_ipc_defer();
			__atomic_store_n(&nheld, i + 1, __ATOMIC_RELEASE);
			return;
		}
		m->op = (uint64_t)-K42_ENOSPC;
		m->len = 0;
		return;
	}
	case 3:
		release(m);
		return;
	case 4:
		late(m);
		return;
	case 5:
		m->w[0] = __atomic_load_n(&late_ok, __ATOMIC_RELAXED);
		m->w[1] = __atomic_load_n(&late_dead, __ATOMIC_RELAXED);
		m->w[2] = __atomic_load_n(&late_bad, __ATOMIC_RELAXED);
		m->w[3] = __atomic_load_n(&served, __ATOMIC_RELAXED);
		m->w[4] = __atomic_load_n(&late_busy, __ATOMIC_ACQUIRE);
		m->len = 0;
		m->op = 0;
		return;
	default:
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
	}
}

int main(uint64_t arg)
{
	struct k42_sem never;

	(void)arg;
	k42_serve_threads(handle);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}
