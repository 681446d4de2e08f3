/*
 * The only way the kernel touches user memory: checked copies that walk
 * the process's translation (faulting pages in-core through the normal
 * fault path) and copy through the kernel's own mapping of the frames.
 * A bad pointer gives -K42_EFAULT, never a kernel fault; a page that is
 * not in core gives -K42_EAGAIN.
 */
#ifndef MM_USERCOPY_H
#define MM_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

struct process;

int copy_from_user(struct process *p, void *dst, uint64_t uva, size_t len)
	__attribute__((warn_unused_result));
int copy_to_user(struct process *p, uint64_t uva, const void *src, size_t len)
	__attribute__((warn_unused_result));
/* Copy between two processes' memories (loader, mem_read/mem_write). */
int copy_user_to_user(struct process *dp, uint64_t dva, struct process *sp, uint64_t sva,
		      size_t len) __attribute__((warn_unused_result));
/* Without the kernel lock, under a CPU's local lock (mm/usercopy_resident.c):
 * copy len bytes between kbuf and uva in p (to_user: into p) only if every
 * page is mapped with that access in an anonymous region of p; 0, or -1
 * with nothing copied (the caller takes the locked path). */
int copy_user_resident(struct process *p, uint64_t uva, void *kbuf, size_t len, int to_user)
	__attribute__((warn_unused_result));

#endif
