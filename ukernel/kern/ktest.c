/*
 * The in-kernel test runner (see kern/ktest.h).
 */
#include <stdarg.h>
#include <string.h>
#include <kern/ktest.h>
#include <kern/panic.h>
#include <kern/printk.h>
#include <lib/fmt.h>

extern const struct ktest __ktest_start[], __ktest_end[];

void ktest_check_failed(struct ktest_ctx *t, const char *file, int line, const char *cond,
			const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	k_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("KTEST CHECK-FAILED %s: %s:%d: %s: %s\n", t->name, file, line, cond, msg);
	t->failures++;
}

void ktest_run(const char *name)
{
	const struct ktest *k;

	if (strcmp(name, "list") == 0) {
		for (k = __ktest_start; k < __ktest_end; k++)
			kprintf("KTEST LIST %s%s\n", k->name,
				(k->flags & KTEST_EXPECT_PANIC) ? " expect-panic" : "");
		machine_halt(0);
	}
	for (k = __ktest_start; k < __ktest_end; k++) {
		struct ktest_ctx t = { k->name, 0 };

		if (strcmp(k->name, name) != 0)
			continue;
		kprintf("KTEST BEGIN %s\n", k->name);
		if (k->flags & KTEST_EXPECT_PANIC)
			kprintf("KTEST EXPECT-PANIC %s\n", k->name);
		k->fn(&t);
		if (k->flags & KTEST_EXPECT_PANIC) {
			kprintf("KTEST FAIL %s: returned instead of panicking\n", k->name);
			machine_halt(1);
		}
		if (t.failures) {
			kprintf("KTEST FAIL %s: %d check(s) failed\n", k->name, t.failures);
			machine_halt(1);
		}
		kprintf("KTEST PASS %s\n", k->name);
		machine_halt(0);
	}
	kprintf("k42: no in-kernel test named '%s' (boot with test=list to see them)\n", name);
	machine_halt(1);
}
