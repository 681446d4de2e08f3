/*
 * The dump page reg_probe fills and reg_leak_test reads: a header, then one
 * slot per entry, each the registers as the kernel entered the probe.
 */
#ifndef REG_PROBE_H
#define REG_PROBE_H

#define PROBE_DUMP_VA 0x40000000ul
#define PROBE_REGION (128ul << 10)	/* dump at the bottom, upcall stack at the top */
#define PROBE_COUNT 0			/* header words */
#define PROBE_READY 1
#define PROBE_HEADER 8
#define PROBE_SLOTS 32
#define PROBE_SLOT_WORDS 70
/* Slot words: r0..r31, then these, then f0..f31 from PROBE_FPR. */
#define PROBE_CR 32
#define PROBE_XER 33
#define PROBE_CTR 34
#define PROBE_LR 35
#define PROBE_VRSAVE 36
#define PROBE_KIND 37	/* 0 run, 1 soft interrupt, 2 other, 3 incoming call */
#define PROBE_FPR 38

#endif
