/*
 * Check macros for libk42's host unit tests: each failed CHECK prints
 * file:line and the message; check_done() gives the exit status.
 */
#ifndef LIBK42_CHECK_H
#define LIBK42_CHECK_H

#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond, ...)							\
	do {									\
		check_count++;							\
		if (!(cond)) {							\
			check_failures++;					\
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
		}								\
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
