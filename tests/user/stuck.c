/*
 * Helper for call_timeout_test: a process that disables its dispatcher
 * and spins for ever, so it never takes a call.
 */
#include <k42/k42.h>

int main(uint64_t arg)
{
	(void)arg;
	k42_disable();
	for (;;)
		__asm__ volatile("" ::: "memory");
}
