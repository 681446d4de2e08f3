/*
 * kmain: the generic boot sequence, entered from head.S with the boot CPU
 * in real mode, a stack, a TOC and a per-CPU area. Order matters: the
 * console and the trap path first (so anything after can report), then the
 * device tree, memory, the tick, and the boot archive.
 */
#include <string.h>
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/memlayout.h>
#include <arch/rtas.h>
#include <arch/trap.h>
#include <k42/errno.h>
#include <kern/irq.h>
#include <kern/sys_dev.h>
#include <kern/bootargs.h>
#include <kern/bootinfo.h>
#include <kern/cobj.h>
#include <kern/console.h>
#include <kern/exec.h>
#include <kern/initrd.h>
#include <kern/klock.h>
#include <kern/ktest.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/printk.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/timer.h>
#include <kern/trace.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm_cache.h>

#define K42_VERSION "0.1.0"

struct percpu boot_percpu;
struct bootinfo boot_info;
struct bootopts boot_opts;

void kmain(void *fdt);

static void warn_bootarg(const char *msg)
{
	kprintf("k42: %s\n", msg);
}

void kmain(void *fdt)
{
	const char *why = NULL;
	uint64_t fdt_pa = virt_to_phys(fdt);
	struct bootinfo *bi = &boot_info;
	char online[16];
	int rc;

	if (arch_cpu_early_init() < 0)
		kprintf("k42: warning: hypervisor refused little-endian interrupts\n");
	fdt = phys_to_virt(fdt_pa);
	rc = bootinfo_parse(fdt, bi, &why);
	if (rc < 0) {
		kprintf("k42: cannot use the device tree at 0x%lx: %s (error %d)\n", fdt_pa, why, rc);
		machine_halt(1);
	}
	if (bi->has_console)
		arch_console_set_vterm(bi->console_vterm);
	percpu_init_boot(&boot_percpu, bi->boot_hw_id);
	smp_cpus[0] = &boot_percpu;
	/* The boot CPU holds the kernel lock until it first enters user mode. */
	klock_acquire();
	if (rtas_init(fdt) < 0)
		kprintf("k42: warning: no /rtas node; power-off will hang\n");
	trap_mem_top = bi->mem[0].base + bi->mem[0].size;

	if (bi->bootargs_len >= sizeof(bi->bootargs))
		kprintf("k42: bootargs are %zu bytes; only the first %zu are used\n",
			bi->bootargs_len, sizeof(bi->bootargs) - 1);
	bootargs_parse(bi->bootargs, &boot_opts, warn_bootarg);

	rc = meminit(bi, fdt_pa, &why);
	if (rc < 0) {
		kprintf("k42: memory set-up failed: %s (error %d)\n", why, rc);
		machine_halt(1);
	}
	rc = kcobj_init();
	if (rc == 0)
		rc = pm_cache_init();
	if (rc == 0)
		rc = kmem_cache_init();
	if (rc < 0) {
		kprintf("k42: cannot set up the clustered-object table (error %d)\n", rc);
		machine_halt(1);
	}
	rc = hat_init_kernel(bi);
	if (rc < 0) {
		kprintf("k42: cannot set up the MMU (error %d)\n", rc);
		machine_halt(1);
	}
	arch_mmu_on();
	rc = percpu_init_memory(this_cpu());
	if (rc < 0) {
		kprintf("k42: cannot allocate the per-CPU pages (error %d)\n", rc);
		machine_halt(1);
	}
	timer_init(bi->timebase_hz, boot_opts.hz, (uint32_t)bi->ncpus);
	dev_init(fdt);
	rc = irq_init(fdt);
	if (rc < 0)
		kprintf("k42: no interrupt controller (error %d): no devices, no IPIs\n", rc);
	smp_start_cpus(bi);
	/* A buffer per CPU online (the others wait for the kernel lock). */
	rc = trace_init(boot_opts.trace, boot_opts.trace_stream);
	if (rc < 0) {
		/* Every process maps the trace pages; without them none can run. */
		kprintf("k42: cannot set up the trace buffers (error %d)\n", rc);
		machine_halt(1);
	}
	smp_online_string(online, sizeof(online));
	kprintf("k42 ukernel %s: %lu MiB RAM (%lu MiB free), %d CPU%s, timebase %lu MHz, tick %u Hz; CPUs online: %s\n",
		K42_VERSION, bootinfo_total_ram(bi) >> 20,
		(pm_free_frames(pm_root()) * PM_PAGE_SIZE) >> 20, smp_ncpus,
		smp_ncpus == 1 ? "" : "s", bi->timebase_hz / 1000000, boot_opts.hz, online);

	rc = initrd_check(bi, boot_opts.verbose);

	if (boot_opts.test[0])
		ktest_run(boot_opts.test);

	if (rc < 0 || exec_init(boot_opts.init, boot_opts.init_args, bi) < 0) {
		kprintf("k42: no init to run; powering off\n");
		machine_halt(rc == -K42_ENOENT && !bi->has_initrd ? 0 : 1);
	}
	sched_start();
}
