/*
 * In-kernel tests. Each KTEST() lands in the .ktest linker section; the
 * boot option test=NAME runs one (test=list lists them) and powers off.
 * The host runner (tools/testrun.py) boots each test in its own QEMU with
 * a timeout and reads these lines from the console:
 *
 *   KTEST BEGIN name
 *   KTEST CHECK-FAILED name: file:line: condition: message
 *   KTEST PASS name | KTEST FAIL name: reason
 *   KTEST EXPECT-PANIC name   (the test must end in a panic, i.e. QEMU exit 1)
 */
#ifndef KERN_KTEST_H
#define KERN_KTEST_H

#include <stdint.h>

struct ktest_ctx {
	const char *name;
	int failures;
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *t);
	unsigned flags;
};

#define KTEST_EXPECT_PANIC 1u

#define KTEST_DEFINE(tname, tflags)						\
	static void ktest_fn_##tname(struct ktest_ctx *t);			\
	static const struct ktest ktest_##tname					\
		__attribute__((used, section(".ktest"), aligned(8))) =		\
		{ #tname, ktest_fn_##tname, (tflags) };				\
	static void ktest_fn_##tname(struct ktest_ctx *t)

#define KTEST(tname) KTEST_DEFINE(tname, 0)
#define KTEST_PANICS(tname) KTEST_DEFINE(tname, KTEST_EXPECT_PANIC)

void ktest_check_failed(struct ktest_ctx *t, const char *file, int line, const char *cond,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Check cond; on failure record it with a printf-style explanation. */
#define KTEST_CHECK(t, cond, ...)						\
	do {									\
		if (!(cond))							\
			ktest_check_failed((t), __FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/*
 * Run fn(cpu, arg) on every online CPU at once, the caller's included,
 * with the kernel lock released (an in-kernel test's share of work on
 * each CPU); returns when all have finished. Each CPU runs it from its
 * idle loop, so call it before any process exists.
 */
void ktest_on_cpus(void (*fn)(uint32_t cpu, void *arg), void *arg);

struct percpu;
/* The idle loop's side of ktest_on_cpus: is there work for pc? Run it
 * (called with the kernel lock held; released while the work runs). */
int ktest_cpu_work_pending(const struct percpu *pc);
void ktest_cpu_work(struct percpu *pc);

/* Run test `name` (or "list"); never returns. */
__attribute__((noreturn)) void ktest_run(const char *name);

#endif
