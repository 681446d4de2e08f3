/*
 * The verdict helpers of the static musl test programs: define LXTEST
 * (the program's name, a string) before including this, then CHECK(cond,
 * fmt, ...) prints "NAME: FAILED: ..." and counts it in `failures`.
 */
#ifndef LXCHECK_H
#define LXCHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                       \
	do {                                                   \
		if (!(cond)) {                                 \
			printf(LXTEST ": FAILED: " __VA_ARGS__); \
			printf("\n");                          \
			failures++;                            \
		}                                              \
	} while (0)

#endif
