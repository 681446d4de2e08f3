/*
 * Helper of reg_leak_test: fills every register a process owns with a
 * recognisable pattern (0x5ec2e7.. in GPRs, CR, CTR, LR, XER bits,
 * VRSAVE, f0-f31) and spins forever, so its state is what the kernel has
 * in its trap frame whenever it is preempted. It spins on a dispatcher of
 * its own on the CPU the test names (arg = cpu + 1), so that at any CPU
 * count it shares that CPU with the probe; dispatcher 0 only sleeps.
 */
#include <k42/k42.h>
#include <k42/syscalls.h>

static const uint64_t fp_pattern = 0x5ec2e7f000000000ull;
static uint64_t spin_stack[2048] __attribute__((aligned(16)));

static void victim_spin(uint64_t arg) __attribute__((noreturn, used));
static void victim_spin(uint64_t arg)
{
	(void)arg;
	__asm__ volatile(
		".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"lfd \\n, 0(%0)\n"
		".endr\n"
		"lis 3, 0x5ec2\n ori 3, 3, 0xe7b6\n mtspr 256, 3\n"	/* VRSAVE */
		"lis 3, 0x5ec2\n ori 3, 3, 0xe7c5\n mtcrf 0xff, 3\n"	/* CR */
		"lis 3, 0xe00c\n ori 3, 3, 0x7f\n rldicl 3, 3, 0, 32\n mtxer 3\n"	/* SO OV CA OV32 CA32, count */
		"lis 3, 0x5ec2\n ori 3, 3, 0xe7cc\n sldi 3, 3, 32\n mtctr 3\n"
		"lis 3, 0x5ec2\n ori 3, 3, 0xe71c\n sldi 3, 3, 32\n mtlr 3\n"
		".irp n, 0,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"lis \\n, 0x5ec2\n ori \\n, \\n, 0xe700 + \\n\n sldi \\n, \\n, 32\n"
		".endr\n"
		"1: b 1b\n"
		: : "b"(&fp_pattern) : "memory");
	__builtin_unreachable();
}

int main(uint64_t arg)
{
	if (arg == 0)
		return 1;	/* the test always names a CPU */
	if (k42_sc_disp_create(arg - 1, (uint64_t)victim_spin,
			       (uint64_t)&spin_stack[sizeof(spin_stack) / sizeof(spin_stack[0])], 0) < 0)
		return 1;
	for (;;)
		k42_thread_sleep_us(1000000);
}
