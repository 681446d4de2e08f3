/*
 * lwIP's platform header for k42 (docs/network.md): freestanding types and
 * formats, little-endian, diagnostics on the console.
 */
#ifndef K42_LWIP_ARCH_CC_H
#define K42_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <k42/alloc.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

void k42_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void k42_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x)     do { k42_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)   k42_lwip_assert((x), __FILE__, __LINE__)

#endif
