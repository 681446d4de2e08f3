/*
 * Small kernel objects: kmem_alloc/kmem_free in power-of-two size classes
 * from 32 bytes to 2 KiB, carved from whole frames of the root PM. Larger
 * requests take whole frames directly. Memory is returned zeroed. A
 * clustered object: each CPU allocates from and frees to its own rep
 * without a lock (mm/kmem.c).
 */
#ifndef MM_KMEM_H
#define MM_KMEM_H

#include <stddef.h>
#include <stdint.h>

/* Give each CPU its rep (needs kcobj); until then every CPU uses the depot. */
int kmem_cache_init(void) __attribute__((warn_unused_result));
void *kmem_alloc(size_t size);
void kmem_free(void *p, size_t size);
uint64_t kmem_frames_in_use(void);
/* Frames the size classes keep for reuse (never returned to the PM), and
 * objects allocated and not freed: with the PM's free figure, what a leak
 * test checks. */
uint64_t kmem_class_frames(void);
uint64_t kmem_objects_live(void);

#endif
