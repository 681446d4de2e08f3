/*
 * Byte arrays beyond the PPC page through generated stubs (run as init):
 * idl/bigbuf.idl's 64 KiB `in`, `out` and `inout` parameters travel as
 * grants of the caller's buffer (docs/idl.md, "Bulk parameters"). Every
 * byte is checked, in both directions, at lengths around the page size;
 * and the edges: an over-long input refused before sending, a reply that
 * does not fit the caller's buffer refused without a byte written past
 * it, and a hand-made request whose length word lends nothing refused.
 */
#include <k42/k42.h>
#include "bigbuf.h"
#include "check.h"

#define MAX BIGBUF_MAX
#define GUARD 64

static uint8_t buf[MAX + GUARD], out[MAX + GUARD];

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

int main(uint64_t arg)
{
	static const uint32_t lens[] = { 0, 1, 4095, 4096, 4097, 40000, MAX - 1, MAX };
	long server = k42_spawn_path("tests/stub_bulk_server", K42_PRIO_GENERAL, 0), rc;
	uint64_t sum, hash, want_sum, want_hash;
	uint32_t len;

	(void)arg;
	EXPECT(server > 0, "spawn server: %ld", server);
	if (server <= 0)
		return verdict("stub_bulk_test");

	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint32_t n = lens[k], bad = 0;

		/* in: the server digests what it read from our buffer. */
		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(i, 7 + k);
		digest_of(buf, n, &want_sum, &want_hash);
		rc = bigbuf_digest(server, buf, n, &sum, &hash);
		EXPECT(rc == 0 && sum == want_sum && hash == want_hash,
		       "digest of %u bytes: rc %ld sum %lu/%lu", n, rc, sum, want_sum);

		/* out: every byte the server wrote into ours, none past n. */
		for (uint32_t i = 0; i < MAX + GUARD; i++)
			out[i] = 0xa5;
		len = 12345;
		rc = bigbuf_fill(server, n, 3 * k, out, MAX, &len);
		EXPECT(rc == 0 && len == n, "fill %u: rc %ld len %u", n, rc, len);
		for (uint32_t i = 0; i < n; i++)
			bad += out[i] != pattern(i, 3 * k);
		for (uint32_t i = n; i < MAX + GUARD; i++)
			bad += out[i] != 0xa5;
		EXPECT(bad == 0, "fill %u: %u bytes wrong", n, bad);

		/* inout: changed in place and grown by 100 (up to MAX). */
		uint32_t extra = n + 100 <= MAX ? 100 : MAX - n;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(i, k);
		for (uint32_t i = n; i < MAX + GUARD; i++)
			buf[i] = 0x5a;
		len = n;
		rc = bigbuf_bump(server, 9, extra, buf, MAX, &len);
		EXPECT(rc == 0 && len == n + extra, "bump %u: rc %ld len %u", n, rc, len);
		bad = 0;
		for (uint32_t i = 0; i < n; i++)
			bad += buf[i] != (uint8_t)(pattern(i, k) + 9);
		for (uint32_t i = n; i < n + extra; i++)
			bad += buf[i] != 9;
		for (uint32_t i = n + extra; i < MAX + GUARD; i++)
			bad += buf[i] != 0x5a;
		EXPECT(bad == 0, "bump %u: %u bytes wrong", n, bad);
	}

	/* Over the bound: refused by the stub. */
	rc = bigbuf_digest(server, buf, MAX + 1, &sum, &hash);
	EXPECT(rc == -K42_E2BIG, "digest of MAX + 1: %ld", rc);

	/* A reply longer than our buffer: refused, nothing written past it. */
	for (uint32_t i = 0; i < MAX + GUARD; i++)
		out[i] = 0xa5;
	len = 0;
	rc = bigbuf_fill(server, 20000, 1, out, 10000, &len);
	EXPECT(rc == -K42_E2BIG, "fill 20000 into 10000: %ld", rc);
	uint32_t bad = 0;

	for (uint32_t i = 10000; i < MAX + GUARD; i++)
		bad += out[i] != 0xa5;
	EXPECT(bad == 0, "fill into a short buffer wrote %u bytes past it", bad);

	/* A hand-made request claiming 5000 bytes it does not lend. */
	struct k42_ipc_msg *m = k42_ipc_msg_get();

	m->op = k42_ipc_op(BIGBUF_IFACE_ID, BIGBUF_VERSION, BIGBUF_ORD_DIGEST, 0, 0);
	m->w[0] = 5000;
	for (int i = 1; i < 6; i++)
		m->w[i] = 0;
	m->len = 0;
	rc = k42_ipc_call((uint64_t)server, m);
	EXPECT(rc == -K42_EPROTO, "digest without a grant: %ld", rc);

	/* And the server still answers. */
	rc = bigbuf_digest(server, buf, 3, &sum, &hash);
	EXPECT(rc == 0, "digest after the refusals: %ld", rc);

	k42_sc_proc_kill((uint64_t)server);
	return verdict("stub_bulk_test");
}
