/*
 * Host test of the kernel's formatter (lib/fmt.c) against the C library's
 * snprintf on a table of formats, plus truncation behaviour.
 */
#include <stdint.h>
#include <string.h>
#include <lib/fmt.h>
#include "check.h"

#define SAME(...)								\
	do {									\
		char a[128], b[128];						\
		int na = k_snprintf(a, sizeof(a), __VA_ARGS__);			\
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);			\
		CHECK(na == nb && strcmp(a, b) == 0, "fmt %s: got '%s' (%d), libc '%s' (%d)", \
		      #__VA_ARGS__, a, na, b, nb);				\
	} while (0)

int main(void)
{
	char small[8];
	int n;

	SAME("plain");
	SAME("%d %i %u", -42, 17, 3000000000u);
	SAME("%ld %lu %lx %lX", -1L, ~0UL, 0xdeadbeefUL, 0xabcUL);
	SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
	SAME("%x %#x %#o %o", 255u, 255u, 8u, 8u);
	SAME("%016lx", 0x1234UL);
	SAME("%.3d %.0d %8.3d", 7, 0, 7);
	SAME("%s|%10s|%-10s|%.2s", "abc", "abc", "abc", "abc");
	SAME("%c%c %3c", 'o', 'k', 'x');
	SAME("%zu %zd", (size_t)123, (ssize_t)-5);
	SAME("%hd %hhu", (short)-3, (unsigned char)250);
	SAME("%*d %-*d %.*s", 6, 1, 6, 2, 3, "abcdef");
	SAME("%d", INT32_MIN);
	SAME("%ld", INT64_MIN);
	SAME("100%%");

	n = k_snprintf(small, sizeof(small), "%s", "truncate me");
	CHECK(n == 11, "returned %d", n);
	CHECK(strcmp(small, "truncat") == 0, "got '%s'", small);
	n = k_snprintf(NULL, 0, "%d", 12345);
	CHECK(n == 5, "size-0 length %d", n);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
	{
		/* Through a variable, so the compiler's format checks do not object. */
		const char *volatile fmt_s = "%s", *volatile fmt_q = "%q";
		const char *volatile null_s = NULL;

		k_snprintf(small, sizeof(small), fmt_s, null_s);
		CHECK(strcmp(small, "(null)") == 0, "null string gave '%s'", small);
		k_snprintf(small, sizeof(small), fmt_q);
	}
#pragma GCC diagnostic pop
	CHECK(strcmp(small, "%q") == 0, "unknown conversion gave '%s'", small);
	return check_done("fmt");
}
