/*
 * Host test of the generated alltypes stubs, client -> loopback -> server:
 * every type and direction round trips, inputs over their bounds are
 * refused before sending, out buffers are never overrun, rights, versions
 * and unknown ordinals give their defined errors. Hostile peers are in
 * test_alltypes_hostile.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k42/errno.h>

#include "alltypes_test.h"
#include "loopback.h"

static void test_scalars(void)
{
	uint64_t sum = 0;
	uint8_t a; uint16_t b; uint32_t c; uint64_t d;
	int8_t e; int16_t f; int32_t g; int64_t h; bool t; k42_handle_t k;
	long rc;

	rc = alltypes_scalars_in(H_ALL, UINT8_MAX, UINT16_MAX, UINT32_MAX,
				 UINT64_MAX, INT8_MIN, INT16_MIN, INT32_MIN,
				 INT64_MIN, true, 0xfeedull, &sum);
	CHECK(rc == 0, "scalars_in: extremes accepted");
	CHECK(sum == at_digest(UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX,
			       INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN, true,
			       0xfeedull), "scalars_in: all ten values arrive (4 spilled)");
	CHECK(at_caller.pid == 4242 && at_caller.object == H_ALL,
	      "scalars_in: implementation gets the caller identity");
	rc = alltypes_scalars_in(H_ALL, 1, 2, 3, 4, INT8_MAX, INT16_MAX,
				 INT32_MAX, INT64_MAX, false, 0, &sum);
	CHECK(rc == 0 && sum == at_digest(1, 2, 3, 4, INT8_MAX, INT16_MAX,
					  INT32_MAX, INT64_MAX, false, 0),
	      "scalars_in: signed maxima");

	rc = alltypes_scalars_out(H_ALL, 0, &a, &b, &c, &d, &e, &f, &g, &h, &t, &k);
	CHECK(rc == 0 && a == UINT8_MAX && b == UINT16_MAX && c == UINT32_MAX &&
	      d == UINT64_MAX && e == INT8_MIN && f == INT16_MIN &&
	      g == INT32_MIN && h == INT64_MIN && t && k == 0x8000000000000001ull,
	      "scalars_out: extremes come back (reply spills)");
	rc = alltypes_scalars_out(H_ALL, 99, &a, &b, &c, &d, &e, &f, &g, &h, &t, &k);
	CHECK(rc == 0 && a == 1 && b == 2 && c == 3 && d == 99 &&
	      e == INT8_MAX && f == INT16_MAX && g == INT32_MAX &&
	      h == INT64_MAX && !t && k == 0, "scalars_out: signed maxima");
}

static void test_inout(void)
{
	uint8_t a = 255;
	int64_t b = INT64_MIN;
	bool c = false;
	alltypes_color_t col = ALLTYPES_COLOR_GREEN;
	alltypes_delta_t d = ALLTYPES_DELTA_DOWN;
	alltypes_wide_t w = ALLTYPES_WIDE_ZERO;
	k42_handle_t h = 0x1234;
	long rc = alltypes_scalars_inout(H_ALL, &a, &b, &c, &col, &d, &w, &h);

	CHECK(rc == 0 && a == 0 && b == INT64_MAX && c && col == ALLTYPES_COLOR_BLUE &&
	      d == ALLTYPES_DELTA_UP && w == ALLTYPES_WIDE_TOP && h == 0xedcb,
	      "scalars_inout: every inout scalar updated");
}

static void fill_shape(struct alltypes_shape *s)
{
	memset(s, 0xff, sizeof *s);	/* garbage in the padding */
	s->id = 0x1122334455667788ull;
	for (int i = 0; i < 4; i++) {
		s->corners[i].x = -i;
		s->corners[i].y = i * 100;
		s->corners[i].c = i % 2 ? ALLTYPES_COLOR_BLUE : ALLTYPES_COLOR_GREEN;
		s->corners[i].visible = i % 2;
	}
	s->tags[0] = 1; s->tags[1] = 2; s->tags[2] = 0xffff;
	s->owner = 77;
	s->d = ALLTYPES_DELTA_UP;
	for (int i = 0; i < ALLTYPES_NAME_MAX; i++)
		s->name[i] = (uint8_t)('a' + i % 26);
}

static int same_shape(const struct alltypes_shape *x,
		      const struct alltypes_shape *y)
{
	if (x->id != y->id || x->owner != y->owner || x->d != y->d ||
	    memcmp(x->tags, y->tags, sizeof x->tags) ||
	    memcmp(x->name, y->name, sizeof x->name))
		return 0;
	for (int i = 0; i < 4; i++)
		if (x->corners[i].x != y->corners[i].x ||
		    x->corners[i].y != y->corners[i].y ||
		    x->corners[i].c != y->corners[i].c ||
		    x->corners[i].visible != y->corners[i].visible)
			return 0;
	return 1;
}

/* Set by a request hook: did every padding byte of the structs request
 * (shape at 0, point at 112, plain at 128) arrive as zero? */
static int pad_zero;

static void check_padding(struct k42_ipc_msg *m)
{
	static const int pads[] = { 106, 107, 108, 109, 110, 111, 122, 123,
				    124, 125, 126, 127 };

	pad_zero = m->len == 144;
	for (int i = 0; i < 4; i++)	/* after each corner's bool */
		pad_zero = pad_zero && m->page[8 + i * 12 + 10] == 0 &&
			   m->page[8 + i * 12 + 11] == 0;
	for (unsigned i = 0; i < sizeof pads / sizeof pads[0]; i++)
		pad_zero = pad_zero && m->page[pads[i]] == 0;
}

static void test_structs(void)
{
	struct alltypes_shape s, r, want;
	struct alltypes_point p;
	struct alltypes_plain q = { 1, 2, 3 }, qr;
	long rc;

	fill_shape(&s);
	at_transform_shape(&s, &want);
	memset(&p, 0xff, sizeof p);	/* garbage in the padding */
	p.x = 21; p.y = 5; p.c = ALLTYPES_COLOR_RED; p.visible = true;
	memset(k42_ipc_msg_get()->page, 0xee, K42_IPC_PAGE_BYTES);	/* stale */
	lb_set_request_hook(check_padding);
	rc = alltypes_structs(H_ALL, &s, &r, &p, &q, &qr);
	lb_set_request_hook(NULL);
	CHECK(pad_zero, "structs: padding bytes travel as zeroes, not caller memory");
	CHECK(rc == 0 && same_shape(&r, &want),
	      "structs: nested struct, struct array, handle, enum, u8 array");
	CHECK(p.x == 42 && p.y == 5 && p.c == ALLTYPES_COLOR_RED && p.visible,
	      "structs: inout struct");
	CHECK(qr.a == 2 && qr.b == 1 && qr.c == ~3ull, "structs: unpadded struct");
}

static void test_arrays(void)
{
	uint32_t xs[8] = { 0, 1, 2, 3, 4, 5, 6, 0x7fff };
	int16_t ys[8];
	bool flags[5] = { true, false, true, false, false };
	alltypes_color_t cs[4] = { ALLTYPES_COLOR_RED, ALLTYPES_COLOR_GREEN,
				   ALLTYPES_COLOR_BLUE, ALLTYPES_COLOR_GREEN };
	struct alltypes_point pts[2];
	k42_handle_t hs[2] = { 10, 20 };
	long rc = alltypes_arrays(H_ALL, xs, ys, flags, cs, pts, hs);
	int ok = rc == 0;

	for (int i = 0; i < 8; i++)
		ok = ok && ys[i] == -(int16_t)xs[i];
	CHECK(ok, "arrays: in u32[8] -> out i16[8]");
	CHECK(!flags[0] && flags[1] && !flags[2] && flags[3] && flags[4],
	      "arrays: inout bool[5]");
	CHECK(pts[0].c == ALLTYPES_COLOR_BLUE && pts[1].c == ALLTYPES_COLOR_GREEN &&
	      pts[1].x == 1 && pts[1].y == -1 && pts[1].visible && !pts[0].visible,
	      "arrays: in enum[4] -> out struct[2]");
	CHECK(hs[0] == 20 && hs[1] == 10, "arrays: inout handle[2]");
}

static void test_strings(void)
{
	char max[ALLTYPES_NAME_MAX + 2];
	char b[ALLTYPES_NAME_MAX + 1], c[ALLTYPES_NAME_MAX + 1];
	unsigned long sent;
	long rc;

	memset(max, 'q', ALLTYPES_NAME_MAX);
	max[0] = 'a';
	max[ALLTYPES_NAME_MAX] = '\0';
	strcpy(c, "mixed Case");
	rc = alltypes_strings(H_ALL, max, b, sizeof b, c, sizeof c);
	CHECK(rc == 0 && strlen(b) == ALLTYPES_NAME_MAX && b[ALLTYPES_NAME_MAX - 1] == 'a',
	      "strings: in/out at the 32-byte bound");
	CHECK(rc == 0 && strcmp(c, "MIXED CASE") == 0, "strings: inout");
	rc = alltypes_strings(H_ALL, "", b, sizeof b, c, sizeof c);
	CHECK(rc == 0 && b[0] == '\0', "strings: empty string");

	sent = lb_delivered;
	max[ALLTYPES_NAME_MAX] = 'q';
	max[ALLTYPES_NAME_MAX + 1] = '\0';
	rc = alltypes_strings(H_ALL, max, b, sizeof b, c, sizeof c);
	CHECK(rc == -K42_E2BIG && lb_delivered == sent,
	      "strings: 33-byte in string refused before sending");
	memset(c, 'z', sizeof c);	/* no NUL within c_cap */
	rc = alltypes_strings(H_ALL, "x", b, sizeof b, c, 8);
	CHECK(rc == -K42_EINVAL && lb_delivered == sent,
	      "strings: unterminated inout string refused");

	/* Out buffer smaller than the reply: refused, never overrun. */
	{
		char *small = malloc(4);	/* ASan guards byte 4 */

		strcpy(c, "ok");
		rc = alltypes_strings(H_ALL, "abcdef", small, 4, c, sizeof c);
		CHECK(rc == -K42_E2BIG, "strings: reply longer than out buffer -> E2BIG");
		rc = alltypes_strings(H_ALL, "abc", small, 4, c, sizeof c);
		CHECK(rc == 0 && strcmp(small, "cba") == 0,
		      "strings: reply that exactly fits (with NUL)");
		free(small);
	}
}

static void test_buffers(void)
{
	uint8_t a[101], b[100], c[100];
	uint32_t b_len = 0, c_len;
	unsigned long sent;
	long rc;

	for (int i = 0; i < 101; i++)
		a[i] = (uint8_t)i;
	for (int i = 0; i < 100; i++)
		c[i] = (uint8_t)(200 + i / 2);
	c_len = 100;
	rc = alltypes_buffers(H_ALL, a, 100, b, sizeof b, &b_len, c, sizeof c, &c_len);
	CHECK(rc == 0 && b_len == 100 && b[0] == 99 && b[99] == 0,
	      "buffers: 100-byte in/out at the bound");
	CHECK(rc == 0 && c_len == 100 && c[0] == 201 && c[99] == 250,
	      "buffers: inout");
	c_len = 0;
	rc = alltypes_buffers(H_ALL, NULL, 0, b, sizeof b, &b_len, c, sizeof c, &c_len);
	CHECK(rc == 0 && b_len == 0 && c_len == 0, "buffers: empty, NULL data");

	sent = lb_delivered;
	rc = alltypes_buffers(H_ALL, a, 101, b, sizeof b, &b_len, c, sizeof c, &c_len);
	CHECK(rc == -K42_E2BIG && lb_delivered == sent,
	      "buffers: 101-byte in buffer refused before sending");
	c_len = 101;
	rc = alltypes_buffers(H_ALL, a, 1, b, sizeof b, &b_len, c, 200, &c_len);
	CHECK(rc == -K42_E2BIG && lb_delivered == sent,
	      "buffers: 101-byte inout buffer refused before sending");
	c_len = 50;
	rc = alltypes_buffers(H_ALL, a, 1, b, sizeof b, &b_len, c, 10, &c_len);
	CHECK(rc == -K42_EINVAL && lb_delivered == sent,
	      "buffers: inout length over its capacity refused");
	{
		uint8_t *small = malloc(10);	/* ASan guards byte 10 */

		c_len = 0;
		rc = alltypes_buffers(H_ALL, a, 11, small, 10, &b_len, c, sizeof c, &c_len);
		CHECK(rc == -K42_E2BIG, "buffers: reply over out capacity -> E2BIG");
		rc = alltypes_buffers(H_ALL, a, 10, small, 10, &b_len, c, sizeof c, &c_len);
		CHECK(rc == 0 && b_len == 10 && small[0] == 9,
		      "buffers: reply that exactly fits");
		free(small);
	}
}

static void test_misc(void)
{
	struct alltypes_point p = { 3, 4, ALLTYPES_COLOR_GREEN, false }, rp;
	uint8_t rb[16];
	uint32_t rb_len, rx, y;
	char rs[9];
	alltypes_color_t rc_c;
	alltypes_delta_t rd;
	alltypes_wide_t rw;
	unsigned long calls;
	long rc;

	calls = lb_impl_calls;
	rc = alltypes_notify(H_ALL, 7, "hello");
	CHECK(rc == 0 && at_notify_code == 7 && strcmp(at_notify_tag, "hello") == 0 &&
	      lb_impl_calls == calls + 1, "notify: one-way call delivered");
	CHECK(alltypes_nothing(H_ALL) == 0, "nothing: no parameters at all");
	rc = alltypes_enums(H_ALL, ALLTYPES_COLOR_BLUE, ALLTYPES_DELTA_DOWN,
			    ALLTYPES_WIDE_TOP, &rc_c, &rd, &rw);
	CHECK(rc == 0 && rc_c == ALLTYPES_COLOR_BLUE && rd == ALLTYPES_DELTA_DOWN &&
	      rw == ALLTYPES_WIDE_TOP, "enums: u8, negative i16, u64 values");
	{
		static struct k42_ipc_pending pend;

		rc_c = 0;
		rd = 0;
		rw = 0;
		rc = alltypes_enums_start(&pend, H_ALL, ALLTYPES_COLOR_GREEN, ALLTYPES_DELTA_UP,
					  ALLTYPES_WIDE_ZERO);
		CHECK(rc == 0, "enums_start: sent");
		rc = alltypes_enums_finish(&pend, &rc_c, &rd, &rw);
		CHECK(rc == 0 && rc_c == ALLTYPES_COLOR_GREEN && rd == ALLTYPES_DELTA_UP &&
		      rw == ALLTYPES_WIDE_ZERO, "enums_start/finish: @async round trip");
		CHECK(alltypes_enums_start(&pend, 999, ALLTYPES_COLOR_GREEN, ALLTYPES_DELTA_UP,
					   ALLTYPES_WIDE_ZERO) == 0 &&
		      alltypes_enums_finish(&pend, &rc_c, &rd, &rw) == -K42_EBADH,
		      "enums_finish: the transport's refusal");
	}
	CHECK(alltypes_fail(H_ALL, -K42_ENOENT) == -K42_ENOENT,
	      "fail: implementation error reaches the client");
	CHECK(alltypes_fail(H_ALL, 5) == -K42_EPROTO,
	      "fail: positive implementation status becomes EPROTO");
	rc = alltypes_mixed(H_ALL, "abc", &p, 10, (const uint8_t *)"\1\2\3", 3,
			    rb, sizeof rb, &rb_len, &rp, rs, sizeof rs, &rx);
	CHECK(rc == 0 && rb_len == 3 && rb[0] == 3 && rb[2] == 1 &&
	      rp.x == 4 && rp.visible && strcmp(rs, "cba") == 0 && rx == 13,
	      "mixed: interleaved words, structs and buffers");
	rc = alltypes_newer(H_ALL, 21, &y);
	CHECK(rc == 0 && y == 42, "newer: @since(2) method on a version 3 server");
	CHECK(alltypes_newest(H_ALL) == 0, "newest: @since(3) method");
}

static void test_rights(void)
{
	unsigned long calls = lb_impl_calls;
	uint32_t y = 0;

	CHECK(alltypes_guarded(H_READ, 1, &y) == -K42_EACCES && y == 0,
	      "rights: write-only method denied to a read handle");
	CHECK(alltypes_guarded(H_NONE, 1, &y) == -K42_EACCES,
	      "rights: denied to a handle with no rights");
	CHECK(alltypes_admin_only(H_RW) == -K42_EACCES,
	      "rights: bit 63 (admin) required");
	CHECK(lb_impl_calls == calls, "rights: no implementation ran when denied");
	CHECK(alltypes_guarded(H_RW, 1, &y) == 0 && y == 2,
	      "rights: granted with the write bit");
	CHECK(alltypes_admin_only(H_ALL) == 0, "rights: granted with read+admin");
	CHECK(alltypes_nothing(H_NONE) == 0, "rights: method without @rights is open");
	CHECK(alltypes_nothing(99) == -K42_EBADH, "loopback: unbound handle");
}

static void test_versions(void)
{
	uint64_t w[K42_IPC_WORDS] = { 0 };
	struct k42_ipc_msg r;
	unsigned long calls = lb_impl_calls;
	uint32_t id = ALLTYPES_IFACE_ID;

	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 4, ALLTYPES_ORD_NOTHING, 0, 0), w, NULL, 0, &r)
	      == -K42_EVERSION && (long)r.op == -K42_EVERSION,
	      "version: newer than the server -> EVERSION");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 0, ALLTYPES_ORD_NOTHING, 0, 0), w, NULL, 0, &r)
	      == -K42_EVERSION, "version: 0 -> EVERSION");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id + 1, 1, ALLTYPES_ORD_NOTHING, 0, 0), w, NULL, 0, &r)
	      == -K42_EVERSION, "version: wrong interface id -> EVERSION");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 1, ALLTYPES_ORD_NEWER, 0, 0), w, NULL, 0, &r)
	      == -K42_ENOSYS, "version: @since(2) method called at version 1 -> ENOSYS");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 3, 200, 0, 0), w, NULL, 0, &r)
	      == -K42_ENOSYS, "ordinal: unknown -> ENOSYS");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 3, 5, 0, 0), w, NULL, 0, &r)
	      == -K42_ENOSYS, "ordinal: reserved 5 -> ENOSYS");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 3, 0, 0, 0), w, NULL, 0, &r)
	      == -K42_ENOSYS, "ordinal: 0 -> ENOSYS");
	CHECK(lb_impl_calls == calls, "version/ordinal errors ran no implementation");
	CHECK(lb_raw(H_ALL, k42_ipc_op(id, 1, ALLTYPES_ORD_NOTHING, 0, 0), w, NULL, 0, &r)
	      == 0 && r.op == 0 && r.len == 0,
	      "version: an older client (version 1) is still served");
}

void run_roundtrip_tests(void)
{
	test_scalars();
	test_inout();
	test_structs();
	test_arrays();
	test_strings();
	test_buffers();
	test_misc();
	test_rights();
	test_versions();
}

int main(void)
{
	lb_bind(H_ALL, alltypes_dispatch, ~0ull);
	lb_bind(H_READ, alltypes_dispatch, ALLTYPES_RIGHT_READ);
	lb_bind(H_NONE, alltypes_dispatch, 0);
	lb_bind(H_RW, alltypes_dispatch, ALLTYPES_RIGHT_READ | ALLTYPES_RIGHT_WRITE);
	run_roundtrip_tests();
	run_hostile_tests();
	CHECK(lb_reg_calls == 0, "regs: unused while not registered");
	/* Again with the register-level entries (as libk42's lean entry
	 * serves them): every call they answer must answer the same. */
	lb_regs = &alltypes_regs;
	run_roundtrip_tests();
	run_hostile_tests();
	CHECK(lb_reg_calls >= 10, "regs: the register-level entries served calls");
	lb_regs = NULL;
	return lb_finish();
}
