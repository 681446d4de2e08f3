/*
 * Early CPU set-up on pseries: interrupts must be taken little-endian
 * (H_SET_MODE LE, which sets LPCR[ILE]) before anything can interrupt us,
 * and the per-CPU area is made current.
 */
#include <stddef.h>
#include <arch/hcall.h>
#include <arch/spr.h>
#include <arch/cpu.h>
#include <kern/percpu.h>

int arch_cpu_early_init(void)
{
	long rc;

	rc = hcall(H_SET_MODE, H_SET_MODE_ENDIAN_LITTLE, H_SET_MODE_RESOURCE_LE, 0, 0, 0, 0, NULL);
	return rc == H_SUCCESS ? 0 : -1;
}

void percpu_init_boot(struct percpu *pc, uint32_t hw_id)
{
	pc->cpu_id = 0;
	pc->hw_id = hw_id;
}
