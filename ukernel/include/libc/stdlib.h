/*
 * The little of <stdlib.h> the kernel has: strtoul (lib/strtoul.c), which
 * libfdt uses to parse unit addresses.
 */
#ifndef LIBC_STDLIB_H
#define LIBC_STDLIB_H

unsigned long strtoul(const char *s, char **end, int base);

#endif
