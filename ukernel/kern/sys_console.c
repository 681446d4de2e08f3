/*
 * Console input for user space: console_read hands over what the
 * hypervisor terminal has buffered, without waiting. The console server
 * polls it (docs/kernel-interface.md).
 */
#include <arch/context.h>
#include <k42/errno.h>
#include <kern/console.h>
#include <kern/syscall.h>
#include <mm/usercopy.h>

#define CONSOLE_READ_MAX 256

long sys_console_read(struct trap_frame *tf)
{
	char buf[CONSOLE_READ_MAX];
	uint64_t max = ctx_arg(tf, 1);
	size_t n = 0;
	int c, rc;

	if (max > CONSOLE_READ_MAX)
		max = CONSOLE_READ_MAX;
	while (n < max && (c = console_getc(0)) >= 0)
		buf[n++] = (char)c;
	if (n && (rc = copy_to_user(syscall_process(), ctx_arg(tf, 0), buf, n)) < 0)
		return rc;
	return (long)n;
}
