/*
 * Linux memory calls over k42 regions: brk, mmap, munmap, mprotect,
 * mremap, madvise. Each mapping the program asks for is one k42 region
 * (recorded in lx_vmas). munmap and mprotect of part of a mapping cut it:
 * the kernel splits the region (mem_unmap/mem_protect) and lx_vmas
 * follows. mremap shrinks by unmapping the tail and grows by moving: a
 * new region, the kernel's checked copy (mem_read within the process),
 * the old unmapped. (Growing in place would add a k42 region per growth,
 * and regions are a quota: a program growing an array by small steps
 * would run out.)
 */
#include "lx.h"

#define LX_PROT_READ 1
#define LX_PROT_WRITE 2
#define LX_PROT_EXEC 4
#define LX_MAP_SHARED 0x01
#define LX_MAP_PRIVATE 0x02
#define LX_MAP_FIXED 0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_FIXED_NOREPLACE 0x100000

struct lx_mmview lx_mmview;

void lx_mm_expose(void)
{
	(void)k42_sc_mem_expose((uint64_t)&lx_mmview, sizeof(lx_mmview));
}

void lx_mm_hold(void)
{
	struct lx_mmrec *b = &lx_mmview.before;

	b->nvmas = lx_nvmas;
	b->brk_start = lx_mmview.live.brk_start;
	b->brk_mapped = lx_mmview.live.brk_mapped;
	memcpy(b->vmas, lx_vmas, (size_t)lx_nvmas * sizeof(struct lx_vma));
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* `before` complete, then gen odd */
	__atomic_store_n(&lx_mmview.gen, lx_mmview.gen + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* gen odd, then `live` changes */
}

void lx_mm_release(void)
{
	struct lx_mmrec *b = &lx_mmview.before;

	__atomic_thread_fence(__ATOMIC_RELEASE);	/* `live` complete, then gen even */
	__atomic_store_n(&lx_mmview.gen, lx_mmview.gen + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The old image's layout is nobody's business now (a reader still
	 * copying it sees gen moved and reads `live`). */
	memset(b->vmas, 0, (size_t)b->nvmas * sizeof(struct lx_vma));
	b->nvmas = 0;
	b->brk_start = b->brk_mapped = 0;
}

static uint64_t page_up(uint64_t x)
{
	return (x + K42_PAGE_SIZE - 1) & ~(K42_PAGE_SIZE - 1);
}

static unsigned k42_prot(uint64_t prot)
{
	unsigned p = 0;

	if (prot & LX_PROT_READ)
		p |= K42_PROT_READ;
	if (prot & LX_PROT_WRITE)
		p |= K42_PROT_WRITE | K42_PROT_READ;
	if (prot & LX_PROT_EXEC)
		p |= K42_PROT_EXEC | K42_PROT_READ;
	return p;
}

/* sid: 0, or a shared mapping's id (K42_MAP_SHARED: fork shares it). */
static long map_anon(uint64_t va, uint64_t len, unsigned prot, uint64_t sid)
{
	long rc;

	if (lx_nvmas == LX_MAX_VMAS)
		return -LX_ENOMEM;
	/* A PROT_NONE mapping is a readable one to k42 (no empty protection);
	 * recorded as asked, so mprotect can give it rights later. */
	rc = k42_sc_mem_map_anon(lx.pid, va, len,
				 (prot ? prot : K42_PROT_READ) | (sid ? K42_MAP_SHARED : 0));
	if (rc < 0)
		return rc == -K42_EEXIST ? -LX_EEXIST : -LX_ENOMEM;
	lx_vmas[lx_nvmas++] = (struct lx_vma){ va, len, prot, sid, va };
	lx_ptab_vsize();
	return 0;
}

long lx_map_anon(uint64_t va, uint64_t len, unsigned prot)
{
	return map_anon(va, len, prot, 0);
}

int lx_vma_shared_key(uint64_t uaddr, uint64_t *sid, uint64_t *off)
{
	for (int i = 0; i < lx_nvmas; i++) {
		struct lx_vma *v = &lx_vmas[i];

		if (v->sid && uaddr >= v->va && uaddr - v->va < v->len) {
			*sid = v->sid;
			*off = uaddr - v->sbase;
			return 1;
		}
	}
	return 0;
}

static int vma_find(uint64_t va, uint64_t len)
{
	for (int i = 0; i < lx_nvmas; i++)
		if (lx_vmas[i].va == va && lx_vmas[i].len == len)
			return i;
	return -1;
}

static void vma_drop(int i)
{
	lx_vmas[i] = lx_vmas[--lx_nvmas];
}

/* Record that [s, e) of mapping i now has rights prot (or, prot < 0, is
 * gone): the record is cut into up to three. */
static long vma_cut(int i, uint64_t s, uint64_t e, int prot)
{
	struct lx_vma v = lx_vmas[i];
	uint64_t end = v.va + v.len;
	int need = (v.va < s) + (e < end) + (prot >= 0) - 1;

	if (lx_nvmas + need > LX_MAX_VMAS)
		return -LX_ENOMEM;
	vma_drop(i);
	if (v.va < s)
		lx_vmas[lx_nvmas++] = (struct lx_vma){ v.va, s - v.va, v.prot, v.sid, v.sbase };
	if (prot >= 0)
		lx_vmas[lx_nvmas++] = (struct lx_vma){ s, e - s, (unsigned)prot, v.sid, v.sbase };
	if (e < end)
		lx_vmas[lx_nvmas++] = (struct lx_vma){ e, end - e, v.prot, v.sid, v.sbase };
	return 0;
}

/* Apply to every mapping's part inside [va, va+len): unmap it (prot < 0)
 * or give it new rights. */
static long change_range(uint64_t va, uint64_t len, int prot)
{
	for (int i = 0; i < lx_nvmas;) {
		struct lx_vma *v = &lx_vmas[i];
		uint64_t s = v->va > va ? v->va : va;
		uint64_t e = v->va + v->len < va + len ? v->va + v->len : va + len;
		long rc;

		if (s >= e || (prot >= 0 && v->prot == (unsigned)prot)) {
			i++;
			continue;
		}
		if (prot < 0)
			rc = k42_sc_mem_unmap(lx.pid, s, e - s);
		else
			rc = k42_sc_mem_protect(lx.pid, s, e - s, prot ? (unsigned)prot : K42_PROT_READ);
		if (rc < 0)
			return rc == -K42_EDQUOT || rc == -K42_ENOMEM ? -LX_ENOMEM : lx_err(rc);
		if ((rc = vma_cut(i, s, e, prot)) < 0)
			return rc;
		i = 0;	/* the records moved: look again (each pass finishes one) */
	}
	if (prot < 0)
		lx_ptab_vsize();
	return 0;
}

static long unmap_range(uint64_t va, uint64_t len)
{
	return change_range(va, len, -1);
}

long lx_unmap_all(void)
{
	return unmap_range(K42_USER_BASE, LX_USER_LIMIT - K42_USER_BASE);
}

static int overlaps(uint64_t va, uint64_t len)
{
	for (int i = 0; i < lx_nvmas; i++)
		if (lx_vmas[i].va < va + len && va < lx_vmas[i].va + lx_vmas[i].len)
			return 1;
	return 0;
}

long lx_sys_brk(struct lx_args *a)
{
	uint64_t want = a->a[0];

	if (want < lx.brk_start || want >= LX_MMAP_BASE)
		return (long)lx.brk_cur;
	if (page_up(want) > lx.brk_mapped) {
		uint64_t grow = page_up(want) - lx.brk_mapped;

		if (overlaps(lx.brk_mapped, grow) ||
		    lx_map_anon(lx.brk_mapped, grow, K42_PROT_READ | K42_PROT_WRITE) < 0)
			return (long)lx.brk_cur;
		lx.brk_mapped += grow;
		lx_mmview.live.brk_mapped = lx.brk_mapped;
	}
	lx.brk_cur = want;
	return (long)want;
}


long lx_sys_mmap(struct lx_args *a)
{
	uint64_t addr = a->a[0], len = page_up(a->a[1]), prot = a->a[2], flags = a->a[3];
	uint64_t off = a->a[5];
	int fd = (int)a->a[4];
	long rc;

	if (!len || (addr & (K42_PAGE_SIZE - 1)) || (off & (K42_PAGE_SIZE - 1)) ||
	    !(flags & (LX_MAP_SHARED | LX_MAP_PRIVATE)) || len > LX_USER_LIMIT)
		return -LX_EINVAL;
	if ((flags & LX_MAP_SHARED) && !(flags & LX_MAP_ANONYMOUS))
		return -LX_ENODEV;
	if (flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
		if (addr < K42_USER_BASE || addr + len > LX_USER_LIMIT || lx_reserved(addr, len))
			return -LX_ENOMEM;
		if (flags & LX_MAP_FIXED_NOREPLACE) {
			if (overlaps(addr, len))
				return -LX_EEXIST;
		} else if ((rc = unmap_range(addr, len)) < 0) {
			return rc;
		}
	} else {
		if (!addr || addr + len > LX_USER_LIMIT || addr < LX_MMAP_BASE || overlaps(addr, len) ||
		    lx_reserved(addr, len))
			addr = lx.mmap_next;
		if (lx_reserved(addr, len))
			addr = lx.mmap_next = LX_HEAP_END;	/* past libk42's heap */
		if (lx_reserved(addr, len))
			addr = lx.mmap_next = LX_PIPES_END;
		if (addr + len > LX_STACK_TOP - LX_STACK_SIZE)
			return -LX_ENOMEM;
	}
	if (flags & LX_MAP_SHARED) {
		uint64_t sid;

		/* Anonymous (checked above): shared with the children forked
		 * after this, and a futex key of its own. */
		if ((rc = lx_futex_shared_id(&sid)) < 0)
			return rc;
		rc = map_anon(addr, len, k42_prot(prot), sid);
	} else {
		rc = map_anon(addr, len, (flags & LX_MAP_ANONYMOUS) ? k42_prot(prot)
								    : K42_PROT_READ | K42_PROT_WRITE, 0);
	}
	if (rc < 0)
		return rc;
	if (addr + len > lx.mmap_next && addr >= LX_MMAP_BASE)
		lx.mmap_next = addr + len;
	if (!(flags & LX_MAP_ANONYMOUS)) {
		rc = lx_fs_read_at(fd, addr, a->a[1], off);
		if (rc >= 0 && k42_prot(prot) != (K42_PROT_READ | K42_PROT_WRITE))
			rc = k42_sc_mem_protect(lx.pid, addr, len, k42_prot(prot) ? k42_prot(prot)
										  : K42_PROT_READ);
		if (rc < 0) {
			unmap_range(addr, len);
			return rc < -4095 ? -LX_EIO : lx_err(rc);
		}
		lx_vmas[vma_find(addr, len)].prot = k42_prot(prot);
	}
	return (long)addr;
}

long lx_sys_munmap(struct lx_args *a)
{
	uint64_t va = a->a[0], len = page_up(a->a[1]);

	if ((va & (K42_PAGE_SIZE - 1)) || !len || va >= LX_USER_LIMIT)
		return -LX_EINVAL;
	return unmap_range(va, len);
}

long lx_sys_mprotect(struct lx_args *a)
{
	uint64_t va = a->a[0], len = page_up(a->a[1]);
	unsigned prot = k42_prot(a->a[2]);
	uint64_t covered = 0;

	if ((va & (K42_PAGE_SIZE - 1)) || va >= LX_USER_LIMIT || len > LX_USER_LIMIT - va ||
	    (a->a[2] & ~7ull))
		return -LX_EINVAL;
	/* Linux: ENOMEM if part of the range is not mapped. */
	for (int i = 0; i < lx_nvmas; i++) {
		uint64_t s = lx_vmas[i].va > va ? lx_vmas[i].va : va;
		uint64_t e = lx_vmas[i].va + lx_vmas[i].len < va + len ? lx_vmas[i].va + lx_vmas[i].len
									   : va + len;

		if (s < e)
			covered += e - s;
	}
	if (covered != len)
		return -LX_ENOMEM;
	return change_range(va, len, (int)prot);
}

#define LX_MREMAP_MAYMOVE 1

/* The rights of the private mappings that cover all of [va, va+len)
 * (0 with *ok set), or *ok = 0 if a byte is unmapped, shared, or the
 * rights differ. */
static unsigned private_cover(uint64_t va, uint64_t len, int *ok)
{
	uint64_t covered = 0;
	unsigned prot = 0;
	int first = 1;

	*ok = 0;
	for (int i = 0; i < lx_nvmas; i++) {
		struct lx_vma *v = &lx_vmas[i];
		uint64_t s = v->va > va ? v->va : va;
		uint64_t e = v->va + v->len < va + len ? v->va + v->len : va + len;

		if (s >= e)
			continue;
		if (v->sid || (!first && v->prot != prot))
			return 0;
		prot = v->prot;
		first = 0;
		covered += e - s;
	}
	*ok = covered == len;
	return prot;
}

/* mremap(old, old_len, new_len, flags): private mappings only (a shared
 * one may shrink); growing moves, so without MREMAP_MAYMOVE it is ENOMEM;
 * MREMAP_FIXED and MREMAP_DONTUNMAP are EINVAL. */
long lx_sys_mremap(struct lx_args *a)
{
	uint64_t va = a->a[0], old_len = page_up(a->a[1]), new_len = page_up(a->a[2]);
	uint64_t flags = a->a[3], to;
	unsigned prot;
	int ok;
	long rc;

	if ((va & (K42_PAGE_SIZE - 1)) || !new_len || (flags & ~(uint64_t)LX_MREMAP_MAYMOVE) ||
	    va < K42_USER_BASE || va >= LX_USER_LIMIT || old_len > LX_USER_LIMIT - va ||
	    new_len > LX_USER_LIMIT || !old_len)
		return -LX_EINVAL;
	if (new_len <= old_len) {
		if (!overlaps(va, old_len))
			return -LX_EFAULT;
		if (new_len < old_len && (rc = unmap_range(va + new_len, old_len - new_len)) < 0)
			return rc;
		return (long)va;
	}
	prot = private_cover(va, old_len, &ok);
	if (!ok)
		return -LX_EFAULT;
	if (!(flags & LX_MREMAP_MAYMOVE))
		return -LX_ENOMEM;
	to = lx.mmap_next;
	if (lx_reserved(to, new_len))
		to = lx.mmap_next = LX_HEAP_END;
	if (lx_reserved(to, new_len))
		to = lx.mmap_next = LX_PIPES_END;
	if (to + new_len > LX_STACK_TOP - LX_STACK_SIZE || overlaps(to, new_len))
		return -LX_ENOMEM;
	if ((rc = map_anon(to, new_len, K42_PROT_READ | K42_PROT_WRITE, 0)) < 0)
		return rc;
	lx.mmap_next = to + new_len;
	rc = 0;
	for (uint64_t done = 0; done < old_len && rc >= 0; done += 8ul << 20)	/* the kernel copies up to 16 MiB a call */
		rc = k42_sc_mem_read(lx.pid, va + done, to + done,
				     old_len - done < (8ul << 20) ? old_len - done : 8ul << 20);
	if (rc < 0 ||
	    (prot != (K42_PROT_READ | K42_PROT_WRITE) &&
	     k42_sc_mem_protect(lx.pid, to, new_len, prot ? prot : K42_PROT_READ) < 0)) {
		(void)unmap_range(to, new_len);
		return -LX_ENOMEM;
	}
	lx_vmas[vma_find(to, new_len)].prot = prot;
	(void)unmap_range(va, old_len);
	return (long)to;
}

long lx_sys_madvise(struct lx_args *a)
{
	(void)a;
	return 0;	/* advice only */
}
