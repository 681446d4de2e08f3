/*
 * malloc and friends for native programs, from per-dispatcher pools of
 * size classes (a clustered object: docs/clustered-objects.md); memory comes from anonymous
 * regions mapped on the process itself. Blocks are 16-byte aligned.
 * Small blocks stay in their pool when freed; large ones (over
 * K42_ALLOC_LARGE) are unmapped, giving the frames back to the kernel.
 */
#ifndef K42_ALLOC_H
#define K42_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct cobj_space;

#define K42_ALLOC_LARGE (256 * 1024)

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *p, size_t n);

struct k42_alloc_stats {
	uint64_t mapped_bytes;		/* in the pools, from the kernel */
	uint64_t large_bytes;		/* in large blocks now */
	uint64_t in_use;		/* blocks handed out and not freed */
	uint64_t map_calls;		/* mem_map_anon calls */
	uint64_t pools;			/* dispatchers that have a pool */
};
void k42_alloc_stats(struct k42_alloc_stats *s);

/* The backend the pure allocator (alloc.c) needs: reserve the heap's
 * address range, and make [va, va+len) usable or give it back. */
int k42_alloc_backend_init(uintptr_t *base, size_t *size);
int k42_alloc_backend_map(uintptr_t va, size_t len);
void k42_alloc_backend_unmap(uintptr_t va, size_t len);
void k42_alloc_lock(int *save);
void k42_alloc_unlock(int save);
/* The clustered-object space the pools live in, and the calling
 * dispatcher's number there (0 .. K42_VPS_MAX - 1). */
struct cobj_space *k42_alloc_backend_space(void);
uint32_t k42_alloc_backend_vp(void);

#endif
