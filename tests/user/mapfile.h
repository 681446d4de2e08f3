/*
 * Shared by mapfile_test and its helper mapfile_child: the byte pattern
 * each writer puts down (a function of the seed and the file offset, so
 * either side can predict every byte) and the largest file they move.
 */
#ifndef USER_MAPFILE_H
#define USER_MAPFILE_H

#include <stdint.h>

#define MAPFILE_MAX (2ul << 20)

static inline uint8_t mapfile_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)((seed * 0x9e3779b1u + off * 7 + (off >> 9)) >> 3 ^ seed);
}

static inline void mapfile_pattern(uint8_t *buf, uint64_t off, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		buf[i] = mapfile_byte(seed, off + i);
}

#endif
