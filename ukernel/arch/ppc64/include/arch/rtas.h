/*
 * RTAS (run-time abstraction services) on QEMU pseries without firmware:
 * called through the H_RTAS hypercall with a big-endian argument block.
 * Tokens are read from the device tree's /rtas node.
 */
#ifndef ARCH_RTAS_H
#define ARCH_RTAS_H

#include <stdint.h>

#define RTAS_TOKEN_NONE 0xffffffffu

struct rtas_tokens {
	uint32_t power_off;
	uint32_t os_term;
	uint32_t system_reboot;
	uint32_t start_cpu;
	uint32_t stop_self;
	uint32_t get_time_of_day;
};

/* Read tokens from the tree; returns 0 or a negative error. */
int rtas_init(const void *fdt);
const struct rtas_tokens *rtas_tokens(void);

/* Call token with nargs inputs; nret outputs go to rets (rets[0] = status). */
int rtas_call(uint32_t token, int nargs, int nret, uint32_t *rets, ...);

/* The machine's clock (get-time-of-day) as seconds since 1970 (UTC);
 * 0 or a negative error. */
int rtas_time_of_day(int64_t *unix_sec);

#endif
