/*
 * Console output for native programs, through the kernel's debug_write.
 */
#include <stdarg.h>
#include <string.h>
#include <k42/k42.h>
#include <lib/fmt.h>

int k42_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = k_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	k42_sc_debug_write((uint64_t)buf, (uint64_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
	return n;
}

void k42_puts(const char *s)
{
	k42_sc_debug_write((uint64_t)s, strlen(s));
}
