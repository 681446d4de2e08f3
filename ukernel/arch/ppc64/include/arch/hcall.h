/*
 * sPAPR hypercalls: `sc 1` with r3 = opcode and r4.. = arguments; r3 returns
 * the status and r4.. the results. Only the calls the kernel uses are named.
 */
#ifndef ARCH_HCALL_H
#define ARCH_HCALL_H

#include <stdint.h>

#define H_SUCCESS         0
#define H_BUSY            1	/* PAPR: hardware busy, retry */
#define H_LONG_BUSY_START 9900
#define H_LONG_BUSY_END   9905
#define H_HARDWARE        (-1)
#define H_FUNCTION        (-2)
#define H_PARAMETER       (-4)

#define H_GET_TERM_CHAR   0x54
#define H_PUT_TERM_CHAR   0x58
#define H_CEDE            0xe0
#define H_CONFER          0xe4
#define H_SET_MODE        0x31c
#define H_RTAS            0xf000	/* QEMU's KVMPPC_H_RTAS: RTAS without firmware */

/* H_SET_MODE resources */
#define H_SET_MODE_RESOURCE_LE  4
#define H_SET_MODE_ENDIAN_LITTLE 1

#define HCALL_RETS 4

/* Make hypercall `op` with up to 6 arguments; results r4..r7 go to rets. */
long hcall(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	   uint64_t a5, uint64_t a6, uint64_t rets[HCALL_RETS]);

static inline int hcall_is_busy(long rc)
{
	return rc == H_BUSY || (rc >= H_LONG_BUSY_START && rc <= H_LONG_BUSY_END);
}

#endif
