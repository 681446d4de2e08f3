/*
 * libk42's clustered objects: the kernel's generic core (cobj/cobj.h) over
 * one space per process whose "CPUs" are the process's dispatchers
 * (docs/clustered-objects.md). k42_cobj(ref) is the calling dispatcher's
 * representative, made on its first use.
 */
#ifndef K42_COBJ_H
#define K42_COBJ_H

#include <stdint.h>
#include <cobj/cobj.h>

struct cobj_space *k42_cobj_space(void);
/* The calling dispatcher's number (0 .. K42_VPS_MAX - 1). */
uint32_t k42_cobj_vp(void);

static inline struct cobj_rep *k42_cobj(cobj_ref ref)
{
	return cobj_lookup(k42_cobj_space(), k42_cobj_vp(), ref);
}

#endif
