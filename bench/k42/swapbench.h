/* Hot swap's figures for kbench (swapbench.c). */
#ifndef SWAPBENCH_H
#define SWAPBENCH_H

#include <stdint.h>

/* Publish the benchmark's swappable counter: 0 or -1. */
int swapbench_init(void);
/* Ticks for `iters` calls on it: through the table (swappable) or a held rep. */
uint64_t swapbench_calls(uint32_t swappable, uint32_t iters, uint64_t *errors);
/* Ticks for `iters` whole swaps of it. */
uint64_t swapbench_swaps(uint32_t iters, uint64_t *errors);

#endif
