/*
 * Kernel console: byte output and polled input over the platform's console
 * (arch_console_*). User-level console service is a server's job; this is
 * for the kernel's own messages, crash reports and tests.
 */
#ifndef KERN_CONSOLE_H
#define KERN_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void console_write(const char *s, size_t len);
/* Wait up to timeout_tb timebase ticks for a byte; -1 if none came. */
int console_getc(uint64_t timeout_tb);

/* Provided by the architecture. */
void arch_console_write(const char *s, size_t len);
/* Poll for input: fills up to max (>= 16) bytes, returns count or -1. */
int arch_console_poll(char *buf, size_t max);
void arch_console_set_vterm(uint32_t reg);

#endif
