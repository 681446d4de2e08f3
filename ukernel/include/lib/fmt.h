/*
 * printf-style formatting into a bounded buffer, shared by the kernel's
 * console output and its crash reports. Supports %d %i %u %x %X %o %p %s %c
 * %%, the l/ll/z/h/hh length modifiers, the flags - 0 + space #, widths and
 * precisions (also *). Output is always NUL-terminated when size > 0; the
 * return value is the length the full output would have had.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

int k_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int k_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
