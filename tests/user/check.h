/*
 * EXPECT for user-level tests: count and report failures on the console.
 */
#ifndef USER_CHECK_H
#define USER_CHECK_H

#include <k42/k42.h>

static int failures;

#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			failures++;					\
			k42_printf("FAILED %s: ", #cond);		\
			k42_printf(__VA_ARGS__);			\
			k42_puts("\n");					\
		}							\
	} while (0)

static inline int verdict(const char *name)
{
	k42_printf("UTEST %s %s\n", failures ? "FAIL" : "PASS", name);
	return failures ? 1 : 0;
}

#endif
