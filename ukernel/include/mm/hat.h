/*
 * HAT: hardware address translation for one address space, behind one
 * interface so the radix and hashed MMUs are interchangeable. Callers speak
 * of pages (4 KiB), real addresses and K42_PROT_* bits; the HAT owns the
 * page-table memory and the translation-cache invalidations.
 *
 * Locking: calls that may add page tables (hat_map) or free them
 * (hat_destroy, after quiescence) are serialised by the owner's lock
 * (struct process). hat_unmap from another process's FCM
 * (fcm_unmap_everywhere, under the FCM lock) and hat_lookup only read the
 * tables and clear or read leaves, so they need only that a new table is
 * published after it is zeroed, which walk() orders. hat_activate may run
 * on any CPU at any time; the invalidations order against it.
 */
#ifndef MM_HAT_H
#define MM_HAT_H

#include <stdint.h>
#include <kern/bootinfo.h>

struct hat;

/* Build the kernel's own translation (all RAM at KERNEL_VIRT_BASE) and turn
 * the MMU on. Returns 0 or a negative error. */
int hat_init_kernel(const struct bootinfo *bi) __attribute__((warn_unused_result));

/* Per-CPU MMU state of a CPU coming online (before it turns the MMU on). */
void hat_cpu_init(void);

/* A new, empty address space with the given space id (1..HAT_MAX_ASID). */
struct hat *hat_create(uint32_t asid);
void hat_destroy(struct hat *h);

/* Beside K42_PROT_*: map as device memory (cache-inhibited, guarded, no
 * speculation), for MMIO. Never set by user space; an FCM sets it in the
 * maxprot of its pages (mm/fcm_dev.c), and hat_lookup reports it so the
 * kernel never copies to or from such a page. */
#define HAT_PROT_IO 0x100u

int hat_map(struct hat *h, uint64_t va, uint64_t pa, unsigned prot)
	__attribute__((warn_unused_result));
void hat_unmap(struct hat *h, uint64_t va);
/* Unmap every page of [start, end) (page aligned); costs what was ever
 * mapped there, not the range's size. */
void hat_unmap_range(struct hat *h, uint64_t start, uint64_t end);
/* 0 and *pa, *prot if va is mapped, else -K42_ENOENT. */
int hat_lookup(struct hat *h, uint64_t va, uint64_t *pa, unsigned *prot);
/* Make the space current on this CPU: no full TLB flush. */
void hat_activate(struct hat *h);
uint64_t hat_table_pages(const struct hat *h);

#endif
