/*
 * The in-kernel test runner (see kern/ktest.h).
 */
#include <stdarg.h>
#include <string.h>
#include <kern/ktest.h>
#include <kern/klock.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/smp.h>
#include <kern/printk.h>
#include <lib/fmt.h>

extern const struct ktest __ktest_start[], __ktest_end[];

/* Work posted by ktest_on_cpus: round `seq`, done when `left` is 0. */
static struct {
	void (*fn)(uint32_t cpu, void *arg);
	void *arg;
	uint32_t seq;
	uint32_t left;
} work;
static uint32_t cpu_seq[SMP_MAX_CPUS];	/* the last round each CPU ran */

int ktest_cpu_work_pending(const struct percpu *pc)
{
	return __atomic_load_n(&work.seq, __ATOMIC_ACQUIRE) != cpu_seq[pc->cpu_id];
}

void ktest_cpu_work(struct percpu *pc)
{
	uint32_t seq = __atomic_load_n(&work.seq, __ATOMIC_ACQUIRE);

	cpu_seq[pc->cpu_id] = seq;
	klock_release();
	work.fn(pc->cpu_id, work.arg);
	__atomic_sub_fetch(&work.left, 1, __ATOMIC_ACQ_REL);
	klock_acquire();
}

void ktest_on_cpus(void (*fn)(uint32_t cpu, void *arg), void *arg)
{
	uint32_t me = this_cpu()->cpu_id, seq;

	work.fn = fn;
	work.arg = arg;
	__atomic_store_n(&work.left, (uint32_t)smp_ncpus - 1, __ATOMIC_RELEASE);
	seq = __atomic_add_fetch(&work.seq, 1, __ATOMIC_ACQ_REL);
	cpu_seq[me] = seq;
	for (int c = 0; c < smp_ncpus; c++)
		smp_kick((uint32_t)c);
	klock_release();
	fn(me, arg);
	while (__atomic_load_n(&work.left, __ATOMIC_ACQUIRE))
		__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
	klock_acquire();
}

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
