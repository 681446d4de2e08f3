/*
 * Host test of messages at the size limits (maxmsg.idl): full-page buffers
 * and strings in every direction, spilled words plus a near-full buffer,
 * a 4096-byte fixed array; one byte more is refused on the client side, and
 * a reply claiming one byte more is refused too.
 */
#include <stdlib.h>
#include <string.h>

#include <k42/errno.h>

#include "loopback.h"
#include "maxmsg.h"

#define H 1

static uint32_t sum_bytes(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

long maxmsg_put_max_impl(const struct k42_ipc_caller *caller,
			 const uint8_t *data, uint32_t data_len, uint32_t *sum)
{
	(void)caller;
	lb_impl_enter();
	*sum = sum_bytes(data, data_len) + data_len;
	return 0;
}

long maxmsg_get_max_impl(const struct k42_ipc_caller *caller, uint32_t n,
			 uint8_t fill, uint8_t *data, uint32_t data_cap,
			 uint32_t *data_len)
{
	(void)caller;
	lb_impl_enter();
	if (n > data_cap)
		return -K42_E2BIG;
	memset(data, fill, n);
	*data_len = n;
	return 0;
}

long maxmsg_str_max_impl(const struct k42_ipc_caller *caller, const char *s,
			 char *r, uint32_t r_cap)
{
	size_t n = strlen(s);

	(void)caller;
	lb_impl_enter();
	if (n >= r_cap)
		return -K42_E2BIG;
	memcpy(r, s, n + 1);
	r[0] = 'R';
	return 0;
}

long maxmsg_echo_max_impl(const struct k42_ipc_caller *caller, uint8_t *data,
			  uint32_t data_cap, uint32_t *data_len)
{
	(void)caller;
	lb_impl_enter();
	for (uint32_t i = 0; i < *data_len && i < data_cap; i++)
		data[i] = (uint8_t)~data[i];
	return 0;
}

long maxmsg_split_impl(const struct k42_ipc_caller *caller, const uint8_t *a,
		       uint32_t a_len, const uint8_t *b, uint32_t b_len,
		       uint64_t *sum)
{
	(void)caller;
	lb_impl_enter();
	*sum = (uint64_t)sum_bytes(a, a_len) * 100000 + sum_bytes(b, b_len);
	return 0;
}

long maxmsg_many_words_impl(const struct k42_ipc_caller *caller, uint64_t a,
			    uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			    uint64_t f, uint64_t g, uint64_t h, uint64_t i,
			    uint64_t j, uint64_t k, const uint8_t *tail,
			    uint32_t tail_len, uint64_t *sum)
{
	(void)caller;
	lb_impl_enter();
	*sum = a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h +
	       9 * i + 10 * j + 11 * k + sum_bytes(tail, tail_len);
	return 0;
}

long maxmsg_fixed_max_impl(const struct k42_ipc_caller *caller,
			   const uint8_t blob[4096], uint8_t back[4096])
{
	(void)caller;
	lb_impl_enter();
	for (int i = 0; i < 4096; i++)
		back[i] = blob[4095 - i];
	return 0;
}

static void set_len(struct k42_ipc_msg *m)
{
	/* A hostile server claiming 4097 bytes of reply data. */
	m->w[0] = 4097;
	m->len = 4097;
}

int main(void)
{
	uint8_t *page = malloc(4097), *out = malloc(4096);
	char *s = malloc(4097), *r = malloc(4096);
	uint32_t sum = 0, n = 0;
	uint64_t sum64 = 0;
	unsigned long sent;
	long rc;

	lb_bind(H, maxmsg_dispatch, 0);
	memset(page, 1, 4097);

	rc = maxmsg_put_max(H, page, 4096, &sum);
	CHECK(rc == 0 && sum == 8192, "put_max: a full 4096-byte page in");
	sent = lb_delivered;
	CHECK(maxmsg_put_max(H, page, 4097, &sum) == -K42_E2BIG && lb_delivered == sent,
	      "put_max: 4097 bytes refused before sending");

	rc = maxmsg_get_max(H, 4096, 0x5a, out, 4096, &n);
	CHECK(rc == 0 && n == 4096 && out[0] == 0x5a && out[4095] == 0x5a,
	      "get_max: a full page out into an exact 4096-byte buffer");
	CHECK(maxmsg_get_max(H, 4096, 1, out, 4095, &n) == -K42_E2BIG,
	      "get_max: one byte short of room -> E2BIG, no overrun");
	lb_set_reply_hook(set_len);
	CHECK(maxmsg_get_max(H, 8, 1, out, 4096, &n) == -K42_EPROTO,
	      "get_max: reply claiming 4097 bytes -> EPROTO");
	lb_set_reply_hook(NULL);

	memset(s, 'x', 4095);
	s[4095] = '\0';
	rc = maxmsg_str_max(H, s, r, 4096);
	CHECK(rc == 0 && strlen(r) == 4095 && r[0] == 'R' && r[4094] == 'x',
	      "str_max: 4095-byte string both ways");
	CHECK(maxmsg_str_max(H, s, r, 4095) == -K42_E2BIG,
	      "str_max: out buffer without room for the NUL -> E2BIG");
	s[4095] = 'x';
	s[4096] = '\0';
	sent = lb_delivered;
	CHECK(maxmsg_str_max(H, s, r, 4096) == -K42_E2BIG && lb_delivered == sent,
	      "str_max: 4096-byte string refused before sending");

	memset(out, 0x0f, 4096);
	n = 4096;
	rc = maxmsg_echo_max(H, out, 4096, &n);
	CHECK(rc == 0 && n == 4096 && out[0] == 0xf0 && out[4095] == 0xf0,
	      "echo_max: 4096-byte inout buffer");

	rc = maxmsg_split(H, page, 2048, page, 2040, &sum64);
	CHECK(rc == 0 && sum64 == 2048ull * 100000 + 2040,
	      "split: 2048 + 2040 bytes in one page");

	rc = maxmsg_many_words(H, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000, page, 4040, &sum64);
	CHECK(rc == 0 && sum64 == 55 + 11000 + 4040,
	      "many_words: 11 words (6 spilled) + a 4040-byte buffer");
	CHECK(maxmsg_many_words(H, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, page, 4041,
				&sum64) == -K42_E2BIG,
	      "many_words: 4041-byte tail refused");

	for (int i = 0; i < 4096; i++)
		page[i] = (uint8_t)i;
	rc = maxmsg_fixed_max(H, page, out);
	CHECK(rc == 0 && out[0] == 255 && out[4095] == 0,
	      "fixed_max: 4096-byte fixed array both ways");

	free(page);
	free(out);
	free(s);
	free(r);
	return lb_finish();
}
