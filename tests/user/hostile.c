/*
 * A deliberately misbehaving process: `arg` picks one bad deed. The
 * kernel must end it (or refuse the call) and keep running.
 */
#include <k42/k42.h>

extern char _start[];

/* An address the compiler cannot reason about (it would warn, rightly). */
static uint64_t hide(uint64_t v)
{
	__asm__("" : "+r"(v));
	return v;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	long rc;

	switch (arg) {
	case 0:
		return (int)*(volatile uint64_t *)hide(0xc000000000000000ul);	/* read kernel memory */
	case 1:
		*(volatile uint64_t *)hide(0xc000000000010000ul) = 1;		/* write kernel memory */
		return 0;
	case 2:
		((void (*)(void))hide(0x1234))();				/* jump to garbage */
		return 0;
	case 3:
		((void (*)(void))hide(0xc000000000000100ul))();		/* jump into the kernel */
		return 0;
	case 4:
		/* Bad pointers and lengths are refused, not followed. */
		rc = k42_sc_debug_write(0xc000000000000000ul, 16);
		if (rc != -K42_EFAULT)
			return 1;
		if (k42_sc_debug_write(0x100, 16) != -K42_EFAULT)
			return 2;
		if (k42_sc_debug_write((uint64_t)_start, 1ul << 40) != -K42_E2BIG)
			return 3;
		if (k42_sc_disp_init(0xc000000000000000ul, K42_ENTRY_COUNT, 0x10000) != -K42_EFAULT)
			return 4;
		if (k42_sc_mem_write(self, 0x20000000, 0xc000000000000000ul, 64) != -K42_EFAULT)
			return 5;
		if (k42_sc_proc_create(0xdead0000, 8, K42_PRIO_GENERAL) != -K42_EFAULT)
			return 6;
		return 42;
	case 5: {
		/* Unknown kernel-call numbers. */
		register uint64_t r0 __asm__("r0") = 9999;
		register uint64_t r3 __asm__("r3") = 0;

		__asm__ volatile("sc" : "+r"(r0), "+r"(r3) : : "r4", "r5", "r6", "r7", "r8", "r9",
				 "r10", "r11", "r12", "ctr", "xer", "cr0", "memory");
		if ((long)r3 != -K42_ENOSYS)
			return 1;
		r0 = (uint64_t)-1;
		__asm__ volatile("sc" : "+r"(r0), "+r"(r3) : : "r4", "r5", "r6", "r7", "r8", "r9",
				 "r10", "r11", "r12", "ctr", "xer", "cr0", "memory");
		return (long)r3 == -K42_ENOSYS ? 43 : 2;
	}
	case 6:
		__asm__ volatile("mtmsrd %0" : : "r"(0ul));		/* privileged instruction */
		return 0;
	case 7:
		__asm__ volatile(".long 0");				/* illegal instruction */
		return 0;
	case 8:
		*(volatile uint32_t *)hide((uint64_t)_start) = 0;			/* write own text */
		return 0;
	case 9:
		return (int)*(volatile uint64_t *)hide(0x100);		/* below user space */
	default:
		return 99;
	}
}
