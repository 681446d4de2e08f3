/*
 * panic() must end the machine with a failing status; the host runner
 * checks QEMU's exit status and the PANIC line.
 */
#include <kern/ktest.h>
#include <kern/panic.h>

KTEST_PANICS(panic_exit)
{
	panic("deliberate panic from test %s", t->name);
}
