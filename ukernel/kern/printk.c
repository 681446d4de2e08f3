/*
 * kprintf: format into a stack buffer, then write to the console in one
 * piece so that lines from different sources do not interleave mid-line.
 */
#include <stdarg.h>
#include <string.h>
#include <kern/console.h>
#include <kern/printk.h>
#include <lib/fmt.h>

static kprintf_tap_fn tap;

void kprintf_set_tap(kprintf_tap_fn fn)
{
	tap = fn;
}

int kprintf(const char *fmt, ...)
{
	static const char marker[] = "...[truncated]\n";
	char buf[KPRINTF_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = k_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf)) {
		memcpy(buf + sizeof(buf) - sizeof(marker), marker, sizeof(marker));
		n = sizeof(buf) - 1;
	}
	console_write(buf, (size_t)n);
	if (tap)
		tap(buf, n);
	return n;
}
