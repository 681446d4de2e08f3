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

/*
 * Wait, sleeping, until the kernel's deferred frees are done (objects
 * retired until every CPU passed a quiescent point): what is still
 * waiting after `seconds`, else 0. Quiescence has no event to block on,
 * and a loaded host can hold a vCPU off for a long time, so the bound
 * is generous; the wait ends as soon as the list is empty. (A bound of
 * 100-1000 sleeps of 1 ms is what such waits had.)
 */
static inline long settle_deferred(unsigned seconds)
{
	uint64_t end = k42_timebase() + seconds * k42_info(K42_INFO_TIMEBASE_HZ);
	long n;

	while ((n = k42_info(K42_INFO_DEFERRED)) != 0 && (int64_t)(k42_timebase() - end) < 0)
		k42_thread_sleep_us(1000);
	return n;
}

static inline int verdict(const char *name)
{
	k42_printf("UTEST %s %s\n", failures ? "FAIL" : "PASS", name);
	return failures ? 1 : 0;
}

#endif
