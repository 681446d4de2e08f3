/*
 * POWER9 radix MMU definitions (ISA 3.0 Book III 6.7.10): tree geometry
 * for 4 KiB pages and a 52-bit address, entry bits (as little-endian
 * values; entries are stored big-endian in memory), and the hypercall that
 * registers the process table with the hypervisor.
 */
#ifndef ARCH_RADIX_H
#define ARCH_RADIX_H

/* 52-bit tree: 13 + 9 + 9 + 9 index bits above a 12-bit page offset. */
#define RADIX_ROOT_BITS  13
#define RADIX_LEVEL_BITS 9
#define RADIX_LEVELS     4
#define RADIX_TREE_BITS  52

#define RPTE_V        (1ull << 63)	/* valid */
#define RPTE_L        (1ull << 62)	/* leaf */
#define RPTE_RPN_MASK 0x01fffffffffff000ull
#define RPTE_R        (1ull << 8)	/* referenced */
#define RPTE_ATT_IO   (2ull << 4)	/* attribute: non-idempotent I/O (MMIO) */
#define RPTE_ATT_MASK (3ull << 4)
#define RPTE_C        (1ull << 7)	/* changed */
#define RPTE_P        (1ull << 3)	/* privileged: supervisor only */
#define RPTE_READ     (1ull << 2)
#define RPTE_RW       (1ull << 1)
#define RPTE_X        (1ull << 0)
#define RPDE_NLB_MASK 0x0fffffffffffff00ull
#define RPDE_NLS_MASK 0x1full

/* Process-table entry, doubleword 0: tree size, root base, root size. */
#define PRTE_RTS(bits) ((((uint64_t)((bits) - 31) & 0x18) << 58) | \
			(((uint64_t)((bits) - 31) & 0x7) << 5))

#define H_REGISTER_PROC_TBL 0x37c
#define PROC_TBL_MODIFY   0x10
#define PROC_TBL_REGISTER 0x08
#define PROC_TBL_RADIX    0x04
#define PROC_TBL_GTSE     0x01

#define H_SET_MODE_RESOURCE_ADDR_TRANS_MODE 3
#define H_SET_MODE_AIL_3  3	/* interrupts at 0xc000000000004000 + vector, MMU on */

#define SPR_PIDR 48

/* Process table: 2^12 entries of 16 bytes, so up to 4095 address spaces. */
#define PROC_TBL_ORDER   4	/* 64 KiB, in 4 KiB frames: 2^4 */
#define HAT_MAX_ASID     4095

#endif
