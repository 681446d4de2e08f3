/*
 * Console output for native programs, through the kernel's debug_write.
 * Nothing is cut: text longer than the stack buffer is formatted into a
 * heap buffer, and written in pieces the kernel call accepts.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <lib/fmt.h>

#define WRITE_CHUNK 4096	/* the kernel's debug_write limit per call */

static void write_all(const char *s, size_t n)
{
	while (n) {
		size_t k = n < WRITE_CHUNK ? n : WRITE_CHUNK;

		k42_sc_debug_write((uint64_t)s, k);
		s += k;
		n -= k;
	}
}

int k42_printf(const char *fmt, ...)
{
	static const char cut[] = "\n[k42_printf: out of memory, output cut]\n";
	char buf[512], *big;
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = k_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(buf)) {
		va_end(again);
		write_all(buf, (size_t)n);
		return n;
	}
	big = malloc((size_t)n + 1);
	if (big) {
		k_vsnprintf(big, (size_t)n + 1, fmt, again);
		write_all(big, (size_t)n);
		free(big);
	} else {
		write_all(buf, sizeof(buf) - 1);
		write_all(cut, sizeof(cut) - 1);
	}
	va_end(again);
	return n;
}

void k42_puts(const char *s)
{
	write_all(s, strlen(s));
}
