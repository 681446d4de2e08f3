/*
 * Host test of bulk parameters (idl/bigbuf.idl: bytes<65536> in, out and
 * inout) over the loopback transport, which lends and checks grants as
 * the kernel does: every byte both ways at lengths around the page size,
 * a request over the bound refused before sending, a reply that does not
 * fit the caller's buffer refused with nothing written past it, a
 * hand-built request claiming bytes it does not lend refused, and a
 * hostile reply length refused. Runs under ASan and UBSan.
 */
#include <stdlib.h>
#include <string.h>

#include <k42/errno.h>

#include "bigbuf.h"
#include "loopback.h"

#define H 1
#define MAX BIGBUF_MAX
#define GUARD 64

static uint8_t pattern(uint32_t i, uint32_t seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 8));
}

static void digest_of(const uint8_t *p, uint32_t n, uint64_t *sum, uint64_t *hash)
{
	uint64_t s = 0, h = 0xcbf29ce484222325ull;

	for (uint32_t i = 0; i < n; i++) {
		s += p[i];
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	*sum = s;
	*hash = h;
}

long bigbuf_digest_impl(const struct k42_ipc_caller *caller, const uint8_t *data,
			uint32_t data_len, uint64_t *sum, uint64_t *hash)
{
	(void)caller;
	lb_impl_enter();
	digest_of(data, data_len, sum, hash);
	return 0;
}

long bigbuf_fill_impl(const struct k42_ipc_caller *caller, uint32_t n, uint32_t seed,
		      uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	(void)caller;
	lb_impl_enter();
	if (n > data_cap)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < n; i++)
		data[i] = pattern(i, seed);
	*data_len = n;
	return 0;
}

long bigbuf_bump_impl(const struct k42_ipc_caller *caller, uint8_t add, uint32_t extra,
		      uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	(void)caller;
	lb_impl_enter();
	if (extra > data_cap - *data_len)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < *data_len; i++)
		data[i] = (uint8_t)(data[i] + add);
	memset(data + *data_len, add, extra);
	*data_len += extra;
	return 0;
}

static void long_reply(struct k42_ipc_msg *m)
{
	m->w[0] = MAX + 1;	/* a hostile server's length */
}

int main(void)
{
	static const uint32_t lens[] = { 0, 1, 4096, 4097, 40000, MAX };
	uint8_t *buf = malloc(MAX + GUARD), *out = malloc(MAX + GUARD);
	uint64_t sum, hash, ws, wh;
	unsigned long sent, grants;
	uint32_t len, bad;
	long rc;

	lb_bind(H, bigbuf_dispatch, 0);
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint32_t n = lens[k], extra = n + 100 <= MAX ? 100 : MAX - n;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(i, k);
		digest_of(buf, n, &ws, &wh);
		grants = lb_grants;
		rc = bigbuf_digest(H, buf, n, &sum, &hash);
		CHECK(rc == 0 && sum == ws && hash == wh, "digest: every byte read by reference");
		CHECK(lb_grants == grants + (n != 0), "digest: the buffer lent, not copied");

		memset(out, 0xa5, MAX + GUARD);
		len = 7;
		rc = bigbuf_fill(H, n, k, out, MAX, &len);
		bad = 0;
		for (uint32_t i = 0; i < n; i++)
			bad += out[i] != pattern(i, k);
		for (uint32_t i = n; i < MAX + GUARD; i++)
			bad += out[i] != 0xa5;
		CHECK(rc == 0 && len == n && bad == 0, "fill: every byte written by reference");

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(i, 2 * k);
		memset(buf + n, 0x5a, MAX + GUARD - n);
		len = n;
		rc = bigbuf_bump(H, 5, extra, buf, MAX, &len);
		bad = 0;
		for (uint32_t i = 0; i < n; i++)
			bad += buf[i] != (uint8_t)(pattern(i, 2 * k) + 5);
		for (uint32_t i = n; i < n + extra; i++)
			bad += buf[i] != 5;
		for (uint32_t i = n + extra; i < MAX + GUARD; i++)
			bad += buf[i] != 0x5a;
		CHECK(rc == 0 && len == n + extra && bad == 0, "bump: every byte both ways");
	}

	sent = lb_delivered;
	CHECK(bigbuf_digest(H, buf, MAX + 1, &sum, &hash) == -K42_E2BIG && lb_delivered == sent,
	      "digest: one byte over the bound refused before sending");
	len = MAX;
	CHECK(bigbuf_bump(H, 1, 0, buf, MAX - 1, &len) == -K42_EINVAL && lb_delivered == sent,
	      "bump: a length over the caller's own capacity refused before sending");

	memset(out, 0xa5, MAX + GUARD);
	CHECK(bigbuf_fill(H, 20000, 1, out, 10000, &len) == -K42_E2BIG,
	      "fill: a reply longer than the lent buffer refused");
	bad = 0;
	for (uint32_t i = 10000; i < MAX + GUARD; i++)
		bad += out[i] != 0xa5;
	CHECK(bad == 0, "fill: nothing written past the lent buffer");

	uint64_t w[K42_IPC_WORDS] = { 5000 };

	CHECK(lb_raw(H, k42_ipc_op(BIGBUF_IFACE_ID, 1, BIGBUF_ORD_DIGEST, 0, 0), w, NULL, 0,
		     NULL) == -K42_EPROTO,
	      "digest: a request claiming 5000 bytes it does not lend refused");
	w[0] = MAX + 1;
	CHECK(lb_raw(H, k42_ipc_op(BIGBUF_IFACE_ID, 1, BIGBUF_ORD_DIGEST, 0, 0), w, NULL, 0,
		     NULL) == -K42_EPROTO,
	      "digest: a length word over the bound refused");

	lb_set_reply_hook(long_reply);
	CHECK(bigbuf_fill(H, 10, 1, out, MAX, &len) == -K42_EPROTO,
	      "fill: a reply length over the bound refused");
	lb_set_reply_hook(NULL);

	free(buf);
	free(out);
	return lb_finish();
}
