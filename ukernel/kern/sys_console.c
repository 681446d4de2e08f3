/*
 * Console input for user space: console_read hands over what the
 * hypervisor terminal has buffered, without waiting. The console server
 * polls it (docs/kernel-interface.md); only a holder of K42_PRIV_CONSOLE
 * may (docs/security.md).
 */
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/privilege.h>
#include <kern/console.h>
#include <kern/process.h>
#include <kern/syscall.h>
#include <mm/usercopy.h>

#define CONSOLE_READ_MAX 256

long sys_console_read(struct trap_frame *tf)
{
	char buf[CONSOLE_READ_MAX];
	uint64_t max = ctx_arg(tf, 1);
	size_t n = 0;
	int c, rc;

	/* Console input is the console server's (docs/security.md). */
	if (!process_has(syscall_process(), K42_PRIV_CONSOLE))
		return -K42_EPERM;
	if (max > CONSOLE_READ_MAX)
		max = CONSOLE_READ_MAX;
	while (n < max && (c = console_getc(0)) >= 0)
		buf[n++] = (char)c;
	if (n && (rc = copy_to_user(syscall_process(), ctx_arg(tf, 0), buf, n)) < 0)
		return rc;
	return (long)n;
}
