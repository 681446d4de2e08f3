/*
 * Kernel address layout on ppc64: the kernel is linked at KERNEL_VIRT_BASE
 * and reaches all real memory at KERNEL_VIRT_BASE + real address. With the
 * MMU off the top four address bits are ignored, so the same addresses
 * work before and after translation is turned on.
 */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

#include <stdint.h>

#define KERNEL_VIRT_BASE 0xc000000000000000ull

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa | KERNEL_VIRT_BASE);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)(uintptr_t)va & ~KERNEL_VIRT_BASE;
}

#endif
