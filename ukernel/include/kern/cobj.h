/*
 * The kernel's clustered-object space (generic core in cobj/cobj.h):
 * one translation table for the whole kernel, a local table per CPU,
 * deletions through the kernel's quiescence (kern/quiesce.h).
 * docs/clustered-objects.md says how to write one.
 */
#ifndef KERN_COBJ_H
#define KERN_COBJ_H

#include <cobj/cobj.h>
#include <kern/percpu.h>

/* Slots in the kernel's table (slot 0 is never used). */
#define KCOBJ_SLOTS 4096

extern struct cobj_space kcobj_space;

/* Set the table up (needs the PM) and give the boot CPU its local table. */
int kcobj_init(void) __attribute__((warn_unused_result));
/* Give CPU pc its local table (before it first looks anything up). */
int kcobj_add_cpu(struct percpu *pc) __attribute__((warn_unused_result));

/* This CPU's rep of ref, made on first use; NULL if there is no such object. */
static inline struct cobj_rep *kcobj(cobj_ref ref)
{
	return cobj_lookup(&kcobj_space, this_cpu()->cpu_id, ref);
}

static inline int kcobj_create(struct cobj_root *root, const struct cobj_root_ops *ops,
			       cobj_ref *ref)
{
	return cobj_create(&kcobj_space, root, ops, ref);
}

static inline int kcobj_destroy(cobj_ref ref)
{
	return cobj_destroy(&kcobj_space, this_cpu()->cpu_id, ref);
}

#endif
