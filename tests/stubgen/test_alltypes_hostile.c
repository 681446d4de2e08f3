/*
 * Hostile peers for the alltypes stubs. A tampering hook corrupts one
 * field of a message a well-behaved stub produced: on the request (a
 * hostile client) the dispatcher must answer with an error without running
 * the implementation; on the reply (a hostile server) the client stub must
 * return an error without writing its out parameters. ASan (exact-size
 * buffers, poisoned bytes past m->len) catches any overrun either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k42/errno.h>

#include "alltypes_test.h"
#include "loopback.h"

/* One corruption; fields < 0 (or 0 for the flags) are left alone. */
static struct {
	int word;		/* index in w[] to overwrite with wval */
	uint64_t wval;
	int off;		/* page byte to overwrite with bval */
	uint8_t bval;
	int setlen;		/* overwrite m->len ... */
	uint32_t len;
	int oplen;		/* ... and the op word's length (requests) */
	int setop;		/* overwrite the whole op word */
	uint64_t op;
	int xorflags;		/* flip op flag bits */
} tp;

static void tp_reset(void)
{
	memset(&tp, 0, sizeof tp);
	tp.word = -1;
	tp.off = -1;
}

static void tamper(struct k42_ipc_msg *m)
{
	if (tp.word >= 0)
		m->w[tp.word] = tp.wval;
	if (tp.off >= 0)
		m->page[tp.off] = tp.bval;
	if (tp.setlen) {
		m->len = tp.len;
		if (tp.oplen)
			m->op = (m->op & ~K42_IPC_OP_LEN_MASK) |
				(tp.len & K42_IPC_OP_LEN_MASK);
	}
	if (tp.setop)
		m->op = tp.op;
	if (tp.xorflags)
		m->op ^= (uint64_t)tp.xorflags << K42_IPC_OP_FLAGS_SHIFT;
}

/* ---- hostile client: the dispatcher must refuse, impl must not run ---- */

static long strings_call(void)
{
	char b[ALLTYPES_NAME_MAX + 1], c[ALLTYPES_NAME_MAX + 1] = "c";

	return alltypes_strings(H_ALL, "abcdef", b, sizeof b, c, sizeof c);
}

static long scalars_in_call(void)
{
	uint64_t sum;

	return alltypes_scalars_in(H_ALL, 1, 2, 3, 4, -1, 6, 7, 8, true, 9, &sum);
}

static long structs_call(void)
{
	struct alltypes_shape s, r;
	struct alltypes_point p = { 0, 0, ALLTYPES_COLOR_RED, false };
	struct alltypes_plain q = { 1, 2, 3 }, qr;

	memset(&s, 0, sizeof s);
	return alltypes_structs(H_ALL, &s, &r, &p, &q, &qr);
}

static long arrays_call(void)
{
	uint32_t xs[8] = { 0 };
	int16_t ys[8];
	bool flags[5] = { false };
	alltypes_color_t cs[4] = { 0 };
	struct alltypes_point pts[2];
	k42_handle_t hs[2] = { 0 };

	return alltypes_arrays(H_ALL, xs, ys, flags, cs, pts, hs);
}

static long enums_call(void)
{
	alltypes_color_t c;
	alltypes_delta_t d;
	alltypes_wide_t w;

	return alltypes_enums(H_ALL, ALLTYPES_COLOR_RED, ALLTYPES_DELTA_NONE,
			      ALLTYPES_WIDE_ZERO, &c, &d, &w);
}

static long notify_call(void)
{
	return alltypes_notify(H_ALL, 1, "t");
}

static void refused(long (*call)(void), long want, const char *what)
{
	unsigned long calls = lb_impl_calls;
	char line[160];

	tp.oplen = 1;
	lb_set_request_hook(tamper);
	call();
	lb_set_request_hook(NULL);
	snprintf(line, sizeof line, "hostile client: %s -> %s", what,
		 k42_strerror(want));
	CHECK(lb_last_status == want && lb_impl_calls == calls, line);
	tp_reset();
}

static void test_hostile_client(void)
{
	tp_reset();
	tp.word = 0; tp.wval = ALLTYPES_NAME_MAX + 1;
	refused(strings_call, -K42_EPROTO, "string length word over its bound");
	tp.word = 0; tp.wval = 20;
	refused(strings_call, -K42_EPROTO, "string length disagrees with m->len");
	tp.setlen = 1; tp.len = 4;
	refused(strings_call, -K42_EPROTO, "m->len shorter than the items");
	tp.setlen = 1; tp.len = 4104;
	refused(strings_call, -K42_EPROTO, "m->len past the page");
	tp.setop = 1;
	tp.op = k42_ipc_op(ALLTYPES_IFACE_ID, 1, ALLTYPES_ORD_STRINGS, 0, 3);
	refused(strings_call, -K42_EPROTO, "op length differs from m->len");
	tp.off = 2; tp.bval = 0;
	refused(strings_call, -K42_EPROTO, "NUL inside an in string");
	tp.off = 16; tp.bval = 2;
	refused(scalars_in_call, -K42_EPROTO, "bool word 2 (spilled into page)");
	tp.word = 0; tp.wval = 0x100;
	refused(scalars_in_call, -K42_EPROTO, "u8 word 0x100");
	tp.word = 4; tp.wval = 0x80;
	refused(scalars_in_call, -K42_EPROTO, "i8 word 0x80 (not sign-extended)");
	tp.off = 16; tp.bval = 3;
	refused(structs_call, -K42_EPROTO, "bad enum inside a nested struct");
	tp.off = 17; tp.bval = 9;
	refused(structs_call, -K42_EPROTO, "bad bool inside a struct array");
	tp.off = 72; tp.bval = 7;
	refused(structs_call, -K42_EPROTO, "bad i16 enum in a struct");
	tp.off = 32 + 2; tp.bval = 2;
	refused(arrays_call, -K42_EPROTO, "bad bool in a bool array");
	tp.off = 40 + 3; tp.bval = 4;
	refused(arrays_call, -K42_EPROTO, "bad value in an enum array");
	tp.word = 0; tp.wval = 3;
	refused(enums_call, -K42_EPROTO, "u8 enum word with no such value");
	tp.word = 1; tp.wval = 0x8000;
	refused(enums_call, -K42_EPROTO, "i16 enum word out of range");
	tp.word = 2; tp.wval = 5;
	refused(enums_call, -K42_EPROTO, "u64 enum word with no such value");
	tp.xorflags = K42_IPC_FLAG_ONEWAY;
	refused(enums_call, -K42_EPROTO, "ONEWAY flag on a two-way method");
	tp.xorflags = K42_IPC_FLAG_ONEWAY;
	refused(notify_call, -K42_EPROTO, "ONEWAY flag missing on a one-way method");
	tp.xorflags = 4;
	refused(enums_call, -K42_EPROTO, "unknown flag bit");

	{
		uint64_t w[K42_IPC_WORDS] = { 0 };
		struct k42_ipc_msg r;
		long rc;

		w[0] = 3;
		rc = lb_raw(H_ALL, k42_ipc_op(ALLTYPES_IFACE_ID, 1, ALLTYPES_ORD_ENUMS,
					      0, 0), w, NULL, 0, &r);
		CHECK(rc == -K42_EPROTO && r.len == 0 && r.w[0] == 0,
		      "hostile client: error reply carries no words or bytes");
		{
			/* bytes<100> sent with 101 bytes, lengths consistent. */
			static uint8_t big[K42_IPC_PAGE_BYTES];
			unsigned long calls = lb_impl_calls;

			w[0] = 101;
			w[1] = 0;
			rc = lb_raw(H_ALL, k42_ipc_op(ALLTYPES_IFACE_ID, 1,
						      ALLTYPES_ORD_BUFFERS, 0, 104),
				    w, big, 104, &r);
			CHECK(rc == -K42_EPROTO && lb_impl_calls == calls,
			      "raw client: 101 bytes for bytes<100> -> EPROTO");
			rc = lb_raw(H_ALL, k42_ipc_op(ALLTYPES_IFACE_ID, 1,
						      ALLTYPES_ORD_BUFFERS, 0, 5000),
				    w, big, 5000, &r);
			CHECK(rc == -K42_EPROTO && lb_impl_calls == calls,
			      "raw client: page length 5000 -> EPROTO");
		}
		w[0] = 1; w[1] = (uint64_t)-1; w[2] = 0;
		rc = lb_raw(H_ALL, k42_ipc_op(ALLTYPES_IFACE_ID, 1, ALLTYPES_ORD_ENUMS,
					      0, 0), w, NULL, 0, &r);
		CHECK(rc == 0 && r.w[1] == (uint64_t)-1,
		      "raw client: sign-extended -1 accepted for i16 enum");
	}
}

/* ---- hostile server: the client must refuse, outputs untouched ---- */

static void test_hostile_server(void)
{
	char b[ALLTYPES_NAME_MAX + 1], c[ALLTYPES_NAME_MAX + 1];
	uint8_t a8; uint16_t b16; uint32_t c32; uint64_t d64;
	int8_t e8; int16_t f16; int32_t g32; int64_t h64; bool t; k42_handle_t k;
	long rc;

	lb_set_reply_hook(tamper);
#define STRINGS_REPLY(what, want)                                          \
	do {                                                               \
		memset(b, '#', sizeof b);                                  \
		strcpy(c, "c");                                            \
		rc = alltypes_strings(H_ALL, "abcdef", b, sizeof b, c, sizeof c); \
		CHECK(rc == (want) && b[0] == '#' && strcmp(c, "c") == 0,  \
		      "hostile server: " what);                            \
		tp_reset();                                                \
	} while (0)

	tp.word = 0; tp.wval = ALLTYPES_NAME_MAX + 1;
	STRINGS_REPLY("out string length over its bound -> EPROTO", -K42_EPROTO);
	tp.word = 0; tp.wval = 20;
	STRINGS_REPLY("length disagreeing with m->len -> EPROTO", -K42_EPROTO);
	tp.setlen = 1; tp.len = 5000;
	STRINGS_REPLY("m->len past the page -> EPROTO", -K42_EPROTO);
	tp.off = 1; tp.bval = 0;
	STRINGS_REPLY("NUL inside the out string -> EPROTO", -K42_EPROTO);
	tp.setop = 1; tp.op = 1;
	STRINGS_REPLY("positive status -> EPROTO", -K42_EPROTO);

	{
		uint8_t *small = malloc(10), bb[100], cc[100];
		uint32_t b_len = 1234, c_len = 0;

		tp.word = 0; tp.wval = 100; tp.setlen = 1; tp.len = 104;
		rc = alltypes_buffers(H_ALL, (const uint8_t *)"abc", 3, small, 10,
				      &b_len, cc, sizeof cc, &c_len);
		CHECK(rc == -K42_E2BIG && b_len == 1234,
		      "hostile server: 100 bytes for a 10-byte buffer -> E2BIG, no overrun");
		tp_reset();
		tp.word = 0; tp.wval = 101; tp.setlen = 1; tp.len = 104;
		rc = alltypes_buffers(H_ALL, (const uint8_t *)"abc", 3, bb, sizeof bb,
				      &b_len, cc, sizeof cc, &c_len);
		CHECK(rc == -K42_EPROTO && b_len == 1234,
		      "hostile server: 101 bytes for bytes<100> -> EPROTO");
		tp_reset();
		free(small);
	}

#define SCALARS_REPLY(what)                                                \
	do {                                                               \
		a8 = 42;                                                   \
		rc = alltypes_scalars_out(H_ALL, 0, &a8, &b16, &c32, &d64, &e8, \
					  &f16, &g32, &h64, &t, &k);       \
		CHECK(rc == -K42_EPROTO && a8 == 42, "hostile server: " what); \
		tp_reset();                                                \
	} while (0)

	tp.off = 16; tp.bval = 2;
	SCALARS_REPLY("bool 2 in a spilled word -> EPROTO");
	tp.word = 0; tp.wval = 0x1ff;
	SCALARS_REPLY("u8 word 0x1ff -> EPROTO");
	tp.word = 4; tp.wval = 0x80;
	SCALARS_REPLY("i8 word 0x80 -> EPROTO");
	tp.setlen = 1; tp.len = 24;
	SCALARS_REPLY("page shorter than the spilled words -> EPROTO");

	{
		alltypes_color_t col = 0; alltypes_delta_t d = 0; alltypes_wide_t w = 0;
		struct alltypes_shape s, r;
		struct alltypes_point p = { 0, 0, 0, 0 };
		struct alltypes_plain q = { 0, 0, 0 }, qr;

		tp.word = 0; tp.wval = 2;
		rc = alltypes_enums(H_ALL, 0, 0, 0, &col, &d, &w);
		CHECK(rc == -K42_EPROTO, "hostile server: bad enum value -> EPROTO");
		tp_reset();
		memset(&s, 0, sizeof s);
		r.id = 5;
		tp.off = 17; tp.bval = 2;
		rc = alltypes_structs(H_ALL, &s, &r, &p, &q, &qr);
		CHECK(rc == -K42_EPROTO && r.id == 5,
		      "hostile server: bad bool in a returned struct -> EPROTO");
		tp_reset();
	}
	lb_set_reply_hook(NULL);
}

/* ---- a buggy implementation: the dispatcher holds it to the bounds ---- */

static void test_bad_impl(void)
{
	char b[ALLTYPES_NAME_MAX + 1], c[ALLTYPES_NAME_MAX + 1] = "";
	uint8_t bb[100], cc[100];
	uint32_t b_len, c_len = 0;

	at_mode = AT_MODE_UNTERMINATED;
	CHECK(alltypes_strings(H_ALL, "a", b, sizeof b, c, sizeof c) == -K42_E2BIG,
	      "bad impl: unterminated out string -> E2BIG");
	at_mode = AT_MODE_OVERLONG;
	CHECK(alltypes_buffers(H_ALL, bb, 1, bb, sizeof bb, &b_len, cc, sizeof cc,
			       &c_len) == -K42_E2BIG,
	      "bad impl: out length over bytes<100> -> E2BIG");
	at_mode = AT_MODE_OK;
}

void run_hostile_tests(void)
{
	test_hostile_client();
	test_hostile_server();
	test_bad_impl();
}
