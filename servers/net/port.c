/*
 * lwIP's platform functions for k42 (docs/network.md): the clock, random
 * numbers, diagnostics. With NO_SYS there are no lwIP threads,
 * semaphores or mailboxes to port: the server runs the stack on one
 * thread of control (net.h says how).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <k42/k42.h>
#include <lib/fmt.h>
#include "lwip/sys.h"

u32_t sys_now(void)
{
	static uint64_t hz;

	if (!hz)
		hz = k42_info(K42_INFO_TIMEBASE_HZ);
	return (u32_t)(k42_timebase() / (hz / 1000));
}

int k42_lwip_rand(void)
{
	static uint64_t x;

	if (!x)
		x = k42_timebase() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (int)(x >> 33);
}

void k42_lwip_diag(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	k_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	k42_printf("net: %s", line);
}

void k42_lwip_assert(const char *msg, const char *file, int line)
{
	k42_printf("net: lwIP assertion failed: %s (%s:%d)\n", msg, file, line);
	k42_sc_exit(134);
	for (;;)
		;
}

/* lwIP's netif_find parses interface numbers with atoi. */
int atoi(const char *s);
int atoi(const char *s)
{
	int neg = *s == '-';

	return (int)(neg ? -(long)strtoul(s + 1, NULL, 10) : (long)strtoul(s, NULL, 10));
}
