/*
 * The radix HAT (see mm/hat.h, arch/radix.h). One process-table entry per
 * address space; the kernel's tree (entry 0) maps all RAM with 1 GiB leaves
 * in quadrant 3 (0xc000...), and is marked privileged so user mode faults
 * on it. Switching spaces is a write of PIDR: translations are tagged by
 * PID, so nothing is flushed. Unmapping invalidates one page (tlbiel if
 * the space only ever ran on this CPU, else a broadcast tlbie).
 *
 * Page-table pages come from the root PM; a tree is freed level by level
 * when its space is destroyed.
 */
#include <string.h>
#include <arch/hat_radix.h>
#include <arch/hcall.h>
#include <arch/memlayout.h>
#include <arch/radix.h>
#include <arch/spr.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/panic.h>
#include <kern/printk.h>
#include <kern/percpu.h>
#include <mm/hat.h>
#include <mm/meminit.h>


static uint64_t *proc_table;	/* 2 doublewords per entry, big-endian */
static uint64_t kernel_root_pa;

static uint64_t be(uint64_t v)
{
	return __builtin_bswap64(v);
}

static uint64_t *table_va(uint64_t pa)
{
	return phys_to_virt(pa);
}

static int alloc_table(unsigned order, uint64_t *pa)
{
	int rc = pm_alloc(pm_root(), order, pa);

	if (rc == 0)
		memset(table_va(*pa), 0, PM_PAGE_SIZE << order);
	return rc;
}

static void set_prte(uint32_t asid, uint64_t root_pa)
{
	uint64_t dw0 = root_pa ? (PRTE_RTS(RADIX_TREE_BITS) | root_pa | RADIX_ROOT_BITS) : 0;

	proc_table[2 * asid] = be(dw0);
	proc_table[2 * asid + 1] = 0;
	__asm__ volatile("ptesync" ::: "memory");
}

/*
 * A space may have left translations on every CPU it was ever active on
 * (`cpus`; a dispatcher follows its PPC callers from CPU to CPU). If that
 * is only this CPU, the local tlbiel is enough; otherwise the
 * invalidation is broadcast with tlbie (the partition has GTSE) and waited
 * for with tlbsync. Under MTTCG a broadcast stops every CPU, so it is kept
 * for the spaces that need it.
 */
static int only_here(const struct hat *h)
{
	/* The cleared PTE is ordered before the read of `cpus`, as
	 * hat_activate orders its bit before the CPU's first access: either
	 * we see that CPU's bit, or it sees the cleared PTE. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&h->cpus, __ATOMIC_RELAXED) & ~(1ull << this_cpu()->cpu_id));
}

static void flush_asid(const struct hat *h)
{
	/* IS=1: every entry for this PID; RIC=2: TLB and page-walk cache. */
	if (only_here(h))
		__asm__ volatile("ptesync; tlbiel %0, %1, 2, 1, 1; ptesync"
				 : : "r"(1ull << 10), "r"((uint64_t)h->asid << 32) : "memory");
	else
		__asm__ volatile("ptesync; tlbie %0, %1, 2, 1, 1; eieio; tlbsync; ptesync"
				 : : "r"(1ull << 10), "r"((uint64_t)h->asid << 32) : "memory");
}

static void flush_page(const struct hat *h, uint64_t va)
{
	/* IS=0: the entry for (PID, EA); AP=0: 4 KiB page. */
	if (only_here(h))
		__asm__ volatile("ptesync; tlbiel %0, %1, 0, 1, 1; ptesync"
				 : : "r"(va & ~0xfffull), "r"((uint64_t)h->asid << 32) : "memory");
	else
		__asm__ volatile("ptesync; tlbie %0, %1, 0, 1, 1; eieio; tlbsync; ptesync"
				 : : "r"(va & ~0xfffull), "r"((uint64_t)h->asid << 32) : "memory");
}

static void flush_local_all_asid0(void)
{
	__asm__ volatile("ptesync; tlbiel %0, %1, 2, 1, 1; ptesync"
			 : : "r"(1ull << 10), "r"(0ull) : "memory");
}

static uint64_t prot_bits(unsigned prot)
{
	uint64_t b = RPTE_R;

	if (prot & K42_PROT_READ)
		b |= RPTE_READ;
	if (prot & K42_PROT_WRITE)
		b |= RPTE_RW | RPTE_READ | RPTE_C;
	if (prot & K42_PROT_EXEC)
		b |= RPTE_X;
	if (prot & HAT_PROT_IO)
		b = (b & ~RPTE_X) | RPTE_ATT_IO;	/* never execute from a device */
	return b;
}

int hat_init_kernel(const struct bootinfo *bi)
{
	uint64_t pt_pa, l2_pa, top = 0, *l2;
	long rc;
	int err;

	for (int i = 0; i < bi->nmem; i++)
		if (bi->mem[i].base + bi->mem[i].size > top)
			top = bi->mem[i].base + bi->mem[i].size;
	if (top > (1ull << 39))
		return -K42_ERANGE;	/* one level-2 table: up to 512 GiB */
	if ((err = alloc_table(PROC_TBL_ORDER, &pt_pa)) < 0 ||
	    (err = alloc_table(RADIX_ROOT_BITS - 9, &kernel_root_pa)) < 0 ||
	    (err = alloc_table(0, &l2_pa)) < 0)
		return err;
	proc_table = table_va(pt_pa);

	/* Root entry 0 -> level 2, whose entries are 1 GiB leaves. */
	table_va(kernel_root_pa)[0] = be(RPTE_V | l2_pa | RADIX_LEVEL_BITS);
	l2 = table_va(l2_pa);
	for (uint64_t gb = 0; gb < (top + (1ull << 30) - 1) >> 30; gb++)
		l2[gb] = be(RPTE_V | RPTE_L | (gb << 30) | RPTE_R | RPTE_C | RPTE_P |
			    RPTE_READ | RPTE_RW | RPTE_X);
	set_prte(0, kernel_root_pa);

	rc = hcall(H_REGISTER_PROC_TBL, PROC_TBL_MODIFY | PROC_TBL_REGISTER | PROC_TBL_RADIX |
		   PROC_TBL_GTSE, pt_pa, 0, PROC_TBL_ORDER, 0, 0, NULL);
	if (rc != H_SUCCESS) {
		kprintf("k42: hypervisor refused the radix process table (%ld)\n", rc);
		return -K42_EIO;
	}
	rc = hcall(H_SET_MODE, H_SET_MODE_AIL_3, H_SET_MODE_RESOURCE_ADDR_TRANS_MODE, 0, 0, 0, 0,
		   NULL);
	if (rc != H_SUCCESS)
		kprintf("k42: warning: no AIL=3 (%ld); interrupts will arrive in real mode\n", rc);
	hat_cpu_init();
	return 0;
}

void hat_cpu_init(void)
{
	mtspr(SPR_PIDR, 0);
	flush_local_all_asid0();
}

struct hat *hat_create(uint32_t asid)
{
	static struct hat hats[HAT_MAX_ASID + 1];	/* indexed by asid: a virtual array */
	struct hat *h;

	if (asid == 0 || asid > HAT_MAX_ASID)
		return NULL;
	h = &hats[asid];
	if (alloc_table(RADIX_ROOT_BITS - 9, &h->root_pa) < 0)
		return NULL;
	h->asid = asid;
	h->table_pages = 1u << (RADIX_ROOT_BITS - 9);
	set_prte(asid, h->root_pa);
	/* The last holder of this id flushed its translations everywhere
	 * it ran (hat_destroy). */
	h->cpus = 1ull << this_cpu()->cpu_id;
	flush_asid(h);
	return h;
}

/* Root entries that can name a table: those below K42_USER_TOP (hat_map
 * maps nothing above it), 32 of the 8,192. */
#define ROOT_USER_ENTRIES ((unsigned)(((K42_USER_TOP - 1) >> (12 + RADIX_LEVEL_BITS * (RADIX_LEVELS - 1))) + 1))
_Static_assert(ROOT_USER_ENTRIES <= 1u << RADIX_ROOT_BITS, "user space beyond the root table");

static void free_level(uint64_t table_pa, int level)
{
	uint64_t *t = table_va(table_pa);
	int n = level == 0 ? ROOT_USER_ENTRIES : 1 << RADIX_LEVEL_BITS;

	if (level < RADIX_LEVELS - 1) {
		for (int i = 0; i < n; i++) {
			uint64_t e = be(t[i]);

			if ((e & RPTE_V) && !(e & RPTE_L))
				free_level(e & RPDE_NLB_MASK, level + 1);
		}
	}
	BUG_ON(pm_free(pm_root(), table_pa, level == 0 ? RADIX_ROOT_BITS - 9 : 0) < 0);
}

void hat_destroy(struct hat *h)
{
	set_prte(h->asid, 0);
	flush_asid(h);
	free_level(h->root_pa, 0);
	h->root_pa = 0;
}

static unsigned index_at(uint64_t va, int level)
{
	int shift = 12 + RADIX_LEVEL_BITS * (RADIX_LEVELS - 1 - level);
	unsigned bits = level == 0 ? RADIX_ROOT_BITS : RADIX_LEVEL_BITS;

	return (unsigned)((va >> shift) & ((1u << bits) - 1));
}

/* The leaf slot for va, creating tables on the way if `create`. */
static uint64_t *walk(struct hat *h, uint64_t va, int create)
{
	uint64_t table = h->root_pa;

	for (int level = 0; level < RADIX_LEVELS - 1; level++) {
		uint64_t *slot = &table_va(table)[index_at(va, level)];
		uint64_t e = be(*slot);

		if (!(e & RPTE_V)) {
			uint64_t pa;

			if (!create || alloc_table(0, &pa) < 0)
				return NULL;
			h->table_pages++;
			/* The zeroed table is seen before the entry naming it
			 * (lookups on other CPUs and the page walkers read
			 * without the process lock). */
			__atomic_thread_fence(__ATOMIC_RELEASE);
			*slot = be(RPTE_V | pa | RADIX_LEVEL_BITS);
			e = be(*slot);
		}
		table = e & RPDE_NLB_MASK;
	}
	return &table_va(table)[index_at(va, RADIX_LEVELS - 1)];
}

int hat_map(struct hat *h, uint64_t va, uint64_t pa, unsigned prot)
{
	uint64_t *pte;

	if (va >= K42_USER_TOP || (va & 0xfff) || (pa & 0xfff))
		return -K42_EINVAL;
	pte = walk(h, va, 1);
	if (!pte)
		return -K42_ENOMEM;
	if (be(*pte) & RPTE_V) {
		*pte = 0;
		flush_page(h, va);
	}
	*pte = be(RPTE_V | RPTE_L | (pa & RPTE_RPN_MASK) | prot_bits(prot));
	__asm__ volatile("ptesync" ::: "memory");
	return 0;
}

void hat_unmap(struct hat *h, uint64_t va)
{
	uint64_t *pte = walk(h, va, 0);

	if (pte && (be(*pte) & RPTE_V)) {
		*pte = 0;
		flush_page(h, va);
	}
}

void hat_unmap_range(struct hat *h, uint64_t start, uint64_t end)
{
	uint64_t va = start;

	while (va < end) {
		uint64_t table = h->root_pa;
		int level;

		for (level = 0; level < RADIX_LEVELS - 1; level++) {
			uint64_t e = be(table_va(table)[index_at(va, level)]);

			if (!(e & RPTE_V))
				break;
			table = e & RPDE_NLB_MASK;
		}
		if (level < RADIX_LEVELS - 1) {
			/* No table below this entry: nothing it covers is mapped. */
			uint64_t span = 1ull << (12 + RADIX_LEVEL_BITS * (RADIX_LEVELS - 1 - level));
			uint64_t next = (va | (span - 1)) + 1;

			va = next > va ? next : end;
			continue;
		}
		do {
			uint64_t *pte = &table_va(table)[index_at(va, RADIX_LEVELS - 1)];

			if (be(*pte) & RPTE_V) {
				*pte = 0;
				flush_page(h, va);
			}
			va += PM_PAGE_SIZE;
		} while (va < end && index_at(va, RADIX_LEVELS - 1) != 0);
	}
}

int hat_lookup(struct hat *h, uint64_t va, uint64_t *pa, unsigned *prot)
{
	uint64_t *pte = walk(h, va, 0), e;

	if (!pte || !((e = be(*pte)) & RPTE_V))
		return -K42_ENOENT;
	*pa = e & RPTE_RPN_MASK;
	*prot = ((e & RPTE_READ) ? K42_PROT_READ : 0) | ((e & RPTE_RW) ? K42_PROT_WRITE : 0) |
		((e & RPTE_X) ? K42_PROT_EXEC : 0) |
		((e & RPTE_ATT_MASK) == RPTE_ATT_IO ? HAT_PROT_IO : 0);
	return 0;
}

void hat_activate(struct hat *h)
{
	hat_activate_here(this_cpu(), h);
}

uint64_t hat_table_pages(const struct hat *h)
{
	return h->table_pages;
}
