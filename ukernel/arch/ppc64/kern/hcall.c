/*
 * The single hypercall primitive. Every sPAPR call in the kernel goes
 * through hcall(); retries on busy are the caller's decision.
 */
#include <arch/hcall.h>

long hcall(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	   uint64_t a5, uint64_t a6, uint64_t rets[HCALL_RETS])
{
	register uint64_t r3 __asm__("r3") = op;
	register uint64_t r4 __asm__("r4") = a1;
	register uint64_t r5 __asm__("r5") = a2;
	register uint64_t r6 __asm__("r6") = a3;
	register uint64_t r7 __asm__("r7") = a4;
	register uint64_t r8 __asm__("r8") = a5;
	register uint64_t r9 __asm__("r9") = a6;

	__asm__ volatile("sc 1"
			 : "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7),
			   "+r"(r8), "+r"(r9)
			 :
			 : "r0", "r10", "r11", "r12", "ctr", "xer", "cr0", "cr1",
			   "cr5", "cr6", "cr7", "memory");
	if (rets) {
		rets[0] = r4;
		rets[1] = r5;
		rets[2] = r6;
		rets[3] = r7;
	}
	return (long)r3;
}
