/*
 * Server side of the alltypes test interface: implementations that
 * transform their inputs in a checkable way, record what they saw, and can
 * be told to misbehave (at_mode) to test the dispatcher's output checks.
 */
#include <string.h>

#include <k42/errno.h>

#include "alltypes.h"
#include "alltypes_test.h"
#include "loopback.h"

int at_mode;
struct k42_ipc_caller at_caller;
uint32_t at_notify_code;
char at_notify_tag[17];

static void enter(const struct k42_ipc_caller *caller)
{
	lb_impl_enter();
	at_caller = *caller;
}

uint64_t at_digest(uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e,
		   int16_t f, int32_t g, int64_t h, bool t, k42_handle_t k)
{
	return a * 1ull + b * 3ull + c * 5ull + d * 7ull +
	       (uint64_t)(int64_t)e * 11ull + (uint64_t)(int64_t)f * 13ull +
	       (uint64_t)(int64_t)g * 17ull + (uint64_t)h * 19ull +
	       (t ? 23ull : 0) + k * 29ull;
}

long alltypes_scalars_in_impl(const struct k42_ipc_caller *caller, uint8_t a,
			      uint16_t b, uint32_t c, uint64_t d, int8_t e,
			      int16_t f, int32_t g, int64_t h, bool t,
			      k42_handle_t k, uint64_t *sum)
{
	enter(caller);
	*sum = at_digest(a, b, c, d, e, f, g, h, t, k);
	return 0;
}

long alltypes_scalars_out_impl(const struct k42_ipc_caller *caller,
			       uint64_t seed, uint8_t *a, uint16_t *b,
			       uint32_t *c, uint64_t *d, int8_t *e, int16_t *f,
			       int32_t *g, int64_t *h, bool *t, k42_handle_t *k)
{
	enter(caller);
	if (seed == 0) {	/* unsigned maxima, signed minima */
		*a = UINT8_MAX; *b = UINT16_MAX; *c = UINT32_MAX; *d = UINT64_MAX;
		*e = INT8_MIN; *f = INT16_MIN; *g = INT32_MIN; *h = INT64_MIN;
		*t = true; *k = 0x8000000000000001ull;
	} else {		/* signed maxima, small values */
		*a = 1; *b = 2; *c = 3; *d = seed;
		*e = INT8_MAX; *f = INT16_MAX; *g = INT32_MAX; *h = INT64_MAX;
		*t = false; *k = 0;
	}
	return 0;
}

long alltypes_scalars_inout_impl(const struct k42_ipc_caller *caller,
				 uint8_t *a, int64_t *b, bool *c,
				 alltypes_color_t *col, alltypes_delta_t *d,
				 alltypes_wide_t *w, k42_handle_t *h)
{
	enter(caller);
	*a = (uint8_t)(*a + 1);
	*b = ~*b;
	*c = !*c;
	*col = *col == ALLTYPES_COLOR_RED ? ALLTYPES_COLOR_GREEN :
	       *col == ALLTYPES_COLOR_GREEN ? ALLTYPES_COLOR_BLUE :
	       ALLTYPES_COLOR_RED;
	*d = (alltypes_delta_t)-*d;
	*w = *w == ALLTYPES_WIDE_ZERO ? ALLTYPES_WIDE_TOP : ALLTYPES_WIDE_ZERO;
	*h ^= 0xffff;
	return 0;
}

void at_transform_point(const struct alltypes_point *in,
			struct alltypes_point *out)
{
	out->x = in->x + 1;
	out->y = in->y - 1;
	out->c = in->c == ALLTYPES_COLOR_BLUE ? ALLTYPES_COLOR_RED :
		 ALLTYPES_COLOR_BLUE;
	out->visible = !in->visible;
}

void at_transform_shape(const struct alltypes_shape *s,
			struct alltypes_shape *r)
{
	memset(r, 0, sizeof *r);
	r->id = s->id + 1;
	for (int i = 0; i < 4; i++)
		at_transform_point(&s->corners[i], &r->corners[i]);
	for (int i = 0; i < 3; i++)
		r->tags[i] = s->tags[2 - i];
	r->owner = s->owner + 1;
	r->d = (alltypes_delta_t)-s->d;
	for (int i = 0; i < ALLTYPES_NAME_MAX; i++)
		r->name[i] = (uint8_t)(s->name[i] ^ 0x20);
}

long alltypes_structs_impl(const struct k42_ipc_caller *caller,
			   const struct alltypes_shape *s,
			   struct alltypes_shape *r, struct alltypes_point *p,
			   const struct alltypes_plain *q,
			   struct alltypes_plain *qr)
{
	enter(caller);
	at_transform_shape(s, r);
	p->x *= 2;
	qr->a = q->b;
	qr->b = q->a;
	qr->c = ~q->c;
	return 0;
}

long alltypes_arrays_impl(const struct k42_ipc_caller *caller,
			  const uint32_t xs[8], int16_t ys[8], bool flags[5],
			  const alltypes_color_t cs[4],
			  struct alltypes_point pts[2], k42_handle_t hs[2])
{
	k42_handle_t t;

	enter(caller);
	for (int i = 0; i < 8; i++)
		ys[i] = (int16_t)-(int32_t)(xs[i] & 0x7fff);
	for (int i = 0; i < 5; i++)
		flags[i] = !flags[i];
	for (int i = 0; i < 2; i++) {
		pts[i].x = i;
		pts[i].y = -i;
		pts[i].c = cs[i + 2];
		pts[i].visible = i == 1;
	}
	t = hs[0];
	hs[0] = hs[1];
	hs[1] = t;
	return 0;
}

long alltypes_strings_impl(const struct k42_ipc_caller *caller, const char *a,
			   char *b, uint32_t b_cap, char *c, uint32_t c_cap)
{
	size_t n = strlen(a);

	enter(caller);
	if (b_cap != ALLTYPES_NAME_MAX + 1 || c_cap != ALLTYPES_NAME_MAX + 1)
		return -K42_EINVAL;
	if (at_mode == AT_MODE_UNTERMINATED) {
		memset(b, 'x', b_cap);	/* no NUL anywhere in b */
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		b[i] = a[n - 1 - i];
	b[n] = '\0';
	for (char *p = c; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return 0;
}

long alltypes_buffers_impl(const struct k42_ipc_caller *caller,
			   const uint8_t *a, uint32_t a_len, uint8_t *b,
			   uint32_t b_cap, uint32_t *b_len, uint8_t *c,
			   uint32_t c_cap, uint32_t *c_len)
{
	enter(caller);
	if (b_cap != 100 || c_cap != 100 || *c_len > c_cap)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < a_len; i++)
		b[i] = a[a_len - 1 - i];
	*b_len = at_mode == AT_MODE_OVERLONG ? b_cap + 1 : a_len;
	for (uint32_t i = 0; i < *c_len; i++)
		c[i] = (uint8_t)(c[i] + 1);
	return 0;
}

long alltypes_notify_impl(const struct k42_ipc_caller *caller, uint32_t code,
			  const char *tag)
{
	enter(caller);
	at_notify_code = code;
	strcpy(at_notify_tag, tag);
	return 0;
}

long alltypes_guarded_impl(const struct k42_ipc_caller *caller, uint32_t x,
			   uint32_t *y)
{
	enter(caller);
	*y = x + 1;
	return 0;
}

long alltypes_admin_only_impl(const struct k42_ipc_caller *caller)
{
	enter(caller);
	return 0;
}

long alltypes_newer_impl(const struct k42_ipc_caller *caller, uint32_t x,
			 uint32_t *y)
{
	enter(caller);
	*y = x * 2;
	return 0;
}

long alltypes_newest_impl(const struct k42_ipc_caller *caller)
{
	enter(caller);
	return 0;
}

long alltypes_nothing_impl(const struct k42_ipc_caller *caller)
{
	enter(caller);
	return 0;
}

long alltypes_enums_impl(const struct k42_ipc_caller *caller,
			 alltypes_color_t c, alltypes_delta_t d,
			 alltypes_wide_t w, alltypes_color_t *rc,
			 alltypes_delta_t *rd, alltypes_wide_t *rw)
{
	enter(caller);
	*rc = c;
	*rd = d;
	*rw = w;
	return 0;
}

long alltypes_fail_impl(const struct k42_ipc_caller *caller, int32_t code)
{
	enter(caller);
	return code;
}

long alltypes_mixed_impl(const struct k42_ipc_caller *caller, const char *s,
			 const struct alltypes_point *p, uint32_t x,
			 const uint8_t *b, uint32_t b_len, uint8_t *rb,
			 uint32_t rb_cap, uint32_t *rb_len,
			 struct alltypes_point *rp, char *rs, uint32_t rs_cap,
			 uint32_t *rx)
{
	size_t n = strlen(s);

	enter(caller);
	if (rb_cap < b_len || rs_cap <= n)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < b_len; i++)
		rb[i] = b[b_len - 1 - i];
	*rb_len = b_len;
	at_transform_point(p, rp);
	for (size_t i = 0; i < n; i++)
		rs[i] = s[n - 1 - i];
	rs[n] = '\0';
	*rx = x + (uint32_t)n;
	return 0;
}
