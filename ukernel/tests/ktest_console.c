/*
 * Console input test: the host runner types a line when it sees
 * INPUT-READY; the kernel reads it through H_GET_TERM_CHAR and compares.
 */
#include <string.h>
#include <kern/console.h>
#include <kern/ktest.h>
#include <kern/printk.h>
#include <kern/timer.h>

#define EXPECTED "hello k42"

KTEST(console_input)
{
	char line[64];
	size_t n = 0;
	int c;

	kprintf("KTEST INPUT-READY %s\n", t->name);
	while (n + 1 < sizeof(line)) {
		c = console_getc(timer_timebase_hz() * 10);
		if (c < 0 || c == '\r' || c == '\n')
			break;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	KTEST_CHECK(t, c >= 0, "timed out waiting for input (got '%s')", line);
	KTEST_CHECK(t, strcmp(line, EXPECTED) == 0, "read '%s', expected '%s'", line, EXPECTED);
}
