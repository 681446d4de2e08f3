/*
 * Stack-protector failure hook. The canary lives in the per-CPU area (see
 * arch/percpu.h); a mismatch means kernel memory is corrupt.
 */
#include <kern/panic.h>

void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
	panic("stack smashing detected in the kernel");
}
