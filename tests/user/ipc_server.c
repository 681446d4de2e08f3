/*
 * Helper server for ipc_test: a thread-mode server whose calls block and
 * are answered later, by handle, from another thread.
 *   1 HOLD  (w0 = token): deferred; answered by RELEASE with w0 = token * 7 + 1,
 *           w1 = caller pid, w2 = order of the answer (0 = first).
 *   2 COUNT: w0 = calls held now, w1 = most held at once, w2 = replies
 *           refused with -K42_EDEAD so far (callers that died), w3 = the
 *           stale reply's result (1 before any FORGE).
 *   3 RELEASE (w0 = 1: newest first, 0: oldest first): answers every held
 *           call; w0 = how many.
 *   4 FORGE: tries replies with forged handles (each must be refused) and
 *           answers w0..w2 with their results, w3 = 0 (is this the real
 *           answer: always), w4 = the handle of a call still held (for the
 *           caller to try), w5 = calls held; then replies once more on the
 *           now stale handle (its result shows in COUNT's w3).
 *   5 SLOW  (w0 = ms): sleeps, then answers w0 = ms.
 *   6 ECHO  (page bytes): sleeps w0 ms, then answers the bytes each plus 1,
 *           w0 = their sum, w1 = how many.
 *   7 GRANT_SUM (w0 = len): reads the caller's grant (bulk data by
 *           reference) and answers w0 = the sum of its bytes, w1 = the read's
 *           result, w2 = a write's into it (-K42_EACCES for a read-only
 *           grant), w3 = a read one byte past it (-K42_EINVAL).
 *   8 GRANT_FILL (w0 = len, w1 = seed): writes byte i = i * seed + 1 into
 *           the caller's grant; w0 = the write's result.
 *   9 STALE: w0 = a read through the handle of the previous GRANT_* call,
 *           answered since (-K42_EBADH).
 */
#include <stdlib.h>
#include <k42/k42.h>

#define IFACE 0x1c9
#define MAXHELD 1100

static struct held {
	uint64_t h, token, caller;
} held[MAXHELD];
static int nheld, maxheld;
static uint64_t dead_replies;
static long stale_result = 1;
static struct k42_mutex lock;
static uint64_t last_grant_call;

static void answer(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op), len = k42_ipc_op_len(m->op);

	m->len = 0;
	m->op = 0;
	switch (ord) {
	case 1:
		k42_mutex_lock(&lock);
		if (nheld == MAXHELD) {
			m->op = (uint64_t)-K42_EBUSY;
		} else {
			held[nheld].h = k42_ipc_defer();
			held[nheld].token = m->w[0];
			held[nheld].caller = caller;
			nheld++;
			if (nheld > maxheld)
				maxheld = nheld;
		}
		k42_mutex_unlock(&lock);
		break;
	case 2:
		m->w[0] = (uint64_t)nheld;
		m->w[1] = (uint64_t)maxheld;
		m->w[2] = dead_replies;
		m->w[3] = (uint64_t)stale_result;
		break;
	case 3: {
		int newest = m->w[0] == 1, n;

		k42_mutex_lock(&lock);
		n = nheld;
		for (int i = 0; i < n; i++) {
			struct held *x = &held[newest ? n - 1 - i : i];
			struct k42_ipc_msg r = { 0, { x->token * 7 + 1, x->caller, (uint64_t)i, 0, 0, 0 },
						 0, k42_ppc_page() };

			if (k42_ipc_reply(x->h, &r) == -K42_EDEAD)
				dead_replies++;
		}
		nheld = 0;
		k42_mutex_unlock(&lock);
		m->w[0] = (uint64_t)n;
		break;
	}
	case 4: {
		uint64_t me = k42_ipc_defer();
		struct k42_ipc_msg r = { 0, { 0 }, 0, k42_ppc_page() };

		/* Refused, each: a wrong generation, an index past the table,
		 * junk. Then the real answer, then the same handle again (stale). */
		r.w[0] = (uint64_t)k42_ipc_reply(me + (1ull << 16), &r);
		r.w[1] = (uint64_t)k42_ipc_reply((me & ~0xffffull) | 0xfff0, &r);
		r.w[2] = (uint64_t)k42_ipc_reply(0xdeadbeefcafeull, &r);
		k42_mutex_lock(&lock);
		r.w[4] = nheld ? held[0].h : 0;
		r.w[5] = (uint64_t)nheld;
		k42_mutex_unlock(&lock);
		r.w[3] = (uint64_t)k42_ipc_reply(me, &r);
		stale_result = k42_ipc_reply(me, &r);
		break;
	}
	case 5:
		k42_thread_sleep_us(m->w[0] * 1000);
		break;
	case 6: {
		uint64_t sum = 0;

		k42_thread_sleep_us(m->w[0] * 1000);
		m->len = len;
		for (uint32_t i = 0; i < m->len; i++) {
			sum += m->page[i];
			m->page[i]++;
		}
		m->w[0] = sum;
		m->w[1] = m->len;
		break;
	}
	case 7:
	case 8: {
		uint64_t n = m->w[0], seed = m->w[1], h = k42_ipc_handle(), sum = 0;
		uint8_t *b = malloc(n ? n : 1);

		last_grant_call = h;
		if (!b) {
			m->op = (uint64_t)-K42_ENOMEM;
			break;
		}
		if (ord == 7) {
			m->w[1] = (uint64_t)k42_ipc_grant_read(h, 0, b, n);
			for (uint64_t i = 0; i < n; i++)
				sum += b[i];
			m->w[0] = sum;
			m->w[2] = (uint64_t)k42_ipc_grant_write(h, 0, b, 1);
			m->w[3] = (uint64_t)k42_ipc_grant_read(h, n, b, 1);
		} else {
			for (uint64_t i = 0; i < n; i++)
				b[i] = (uint8_t)(i * seed + 1);
			m->w[0] = (uint64_t)k42_ipc_grant_write(h, 0, b, n);
		}
		free(b);
		break;
	}
	case 9: {
		uint8_t b;

		m->w[0] = (uint64_t)k42_ipc_grant_read(last_grant_call, 0, &b, 1);
		break;
	}
	default:
		m->op = (uint64_t)-K42_ENOSYS;
	}
}

int main(uint64_t arg)
{
	(void)arg;
	k42_mutex_init(&lock);
	k42_serve_threads(answer);
	for (;;)
		k42_thread_sleep_us(1000000);
}
