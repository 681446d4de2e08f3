/*
 * Shared declarations of the alltypes host test: the handles it binds, the
 * misbehaviour switch of the test server, and what that server recorded.
 */
#ifndef K42_TEST_ALLTYPES_H
#define K42_TEST_ALLTYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "alltypes.h"

/* Handles bound by main(), each granting different rights. */
#define H_ALL  1	/* every right */
#define H_READ 2	/* read only */
#define H_NONE 3	/* no rights */
#define H_RW   4	/* read and write, not admin */

/* How the test server misbehaves (0: it does not). */
enum { AT_MODE_OK, AT_MODE_UNTERMINATED, AT_MODE_OVERLONG };
extern int at_mode;

extern struct k42_ipc_caller at_caller;	/* identity the last _impl saw */
extern uint32_t at_notify_code;
extern char at_notify_tag[17];

uint64_t at_digest(uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e,
		   int16_t f, int32_t g, int64_t h, bool t, k42_handle_t k);
void at_transform_point(const struct alltypes_point *in,
			struct alltypes_point *out);
void at_transform_shape(const struct alltypes_shape *s,
			struct alltypes_shape *r);

void run_roundtrip_tests(void);
void run_hostile_tests(void);

#endif
