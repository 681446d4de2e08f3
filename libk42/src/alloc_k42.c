/*
 * The allocator's backend on k42: the heap is a fixed range of the
 * address space, made usable with mem_map_anon on the process itself and
 * given back with mem_unmap; pool operations run with upcalls disabled,
 * which keeps them atomic against the process's other threads.
 */
#include <k42/k42.h>

#define HEAP_BASE 0x0000020000000000ul	/* 2 TiB */
#define HEAP_SIZE (1ul << 40)

int k42_alloc_backend_init(uintptr_t *base, size_t *size)
{
	*base = HEAP_BASE;
	*size = HEAP_SIZE;
	return 0;
}

int k42_alloc_backend_map(uintptr_t va, size_t len)
{
	long rc = k42_sc_mem_map_anon(k42_disp()->pid, va, len,
				      K42_PROT_READ | K42_PROT_WRITE);

	return rc < 0 ? (int)rc : 0;
}

void k42_alloc_backend_unmap(uintptr_t va, size_t len)
{
	k42_sc_mem_unmap(k42_disp()->pid, va, len);
}

void k42_alloc_lock(int *save)
{
	*save = k42_disable_save();
}

void k42_alloc_unlock(int save)
{
	k42_restore(save);
}
