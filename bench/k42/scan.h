/*
 * The synthetic files of bench/k42/scan_server.c, shared by its clients
 * (bench/k42/scanbench.c, tests/user/fcmadapt_test.c).
 */
#ifndef BENCH_SCAN_H
#define BENCH_SCAN_H

#include <stdint.h>

#define SCAN_IFACE 0x5343	/* "SC" */
#define SCAN_FILES 2
#define SCAN_FILE_ID0 0x5c00

static inline uint64_t scan_word(uint64_t f, uint64_t off, uint64_t w)
{
	return (off + 8 * w) * 0x9e3779b97f4a7c15ull ^ (f + 1);
}

#endif
