/*
 * Kernel calls on address spaces: anonymous and file-backed regions,
 * unmapping, protection, copy-on-write clones, and copies between
 * processes; and the file-server side of FRs. Every range and handle is
 * checked before anything changes.
 */
#include <arch/context.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <k42/syscall_nums.h>
#include <kern/dispatcher.h>
#include <kern/klock.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/timer.h>
#include <kern/quota.h>
#include <kern/syscall.h>
#include <mm/fcm.h>
#include <mm/fcm_dev.h>
#include <mm/fcm_swap.h>
#include <k42/fcm.h>
#include <mm/fr.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <mm/usercopy.h>

#define MEM_COPY_MAX (16ul << 20)
#define PROT_ALL (K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC)

static int range_ok(uint64_t va, uint64_t len)
{
	return !((va | len) & (PM_PAGE_SIZE - 1)) && len && va + len > va &&
	       va >= K42_USER_BASE && va + len <= K42_USER_TOP;
}

long sys_mem_map_anon(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 1), len = ctx_arg(tf, 2), prot = ctx_arg(tf, 3);
	struct process *p;
	struct fcm *f;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!range_ok(va, len) || (prot & ~(PROT_ALL | K42_MAP_SHARED)) || !(prot & PROT_ALL))
		return -K42_EINVAL;
	if (!(f = fcm_anon_create()))
		return -K42_ENOMEM;
	fcm_set_source(f, &p->acct->frames);	/* its frames count against p's tree */
	spin_lock(&p->lock);
	rc = region_create(p, va, len, (unsigned)prot & PROT_ALL, f, 0);
	if (rc == 0 && (prot & K42_MAP_SHARED))
		region_find(p, va)->shared = 1;
	spin_unlock(&p->lock);
	fcm_put(f);
	return rc;
}

long sys_mem_unmap(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 1), len = ctx_arg(tf, 2);
	struct process *p;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!range_ok(va, len))
		return -K42_EINVAL;
	spin_lock(&p->lock);
	rc = region_destroy_range(p, va, len);
	spin_unlock(&p->lock);
	return rc;
}

long sys_mem_protect(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 1), len = ctx_arg(tf, 2), prot = ctx_arg(tf, 3);
	struct process *p;
	struct region *r;
	int found = 0;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!range_ok(va, len) || (prot & ~PROT_ALL) || !prot)
		return -K42_EINVAL;
	spin_lock(&p->lock);
	rc = region_split_range(p, va, len);	/* part of a region: cut it there */
	for (r = p->regions; r && rc == 0; r = r->next) {
		if (r->start >= va && r->end <= va + len) {
			r->prot = (unsigned)prot;
			region_unmap_pages(p, r);	/* refault with the new rights */
			found = 1;
		}
	}
	spin_unlock(&p->lock);
	return rc < 0 ? rc : found ? 0 : -K42_ENOENT;
}

/* (pid, va, caller's buffer, len): copy into pid's memory or out of it. */
static long mem_copy(struct trap_frame *tf, int into)
{
	uint64_t len = ctx_arg(tf, 3);
	struct process *p, *self = syscall_process();
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	/* A read of what a process exposed (mem_expose, kern/process.c).
	 * One lookup: the process may end on another CPU meanwhile, and a
	 * second lookup would then give NULL (what this one found stays
	 * valid until our quiescent point). */
	if (rc == -K42_EPERM && !into) {
		struct process *q = process_lookup(ctx_arg(tf, 0));

		if (process_may_peek(self, q, ctx_arg(tf, 1), len)) {
			p = q;
			rc = 0;
		}
	}
	if (rc < 0)
		return rc;
	if (len > MEM_COPY_MAX)
		return -K42_E2BIG;
	if (into)
		return copy_user_to_user(p, ctx_arg(tf, 1), self, ctx_arg(tf, 2), len);
	return copy_user_to_user(self, ctx_arg(tf, 2), p, ctx_arg(tf, 1), len);
}

long sys_mem_write(struct trap_frame *tf)
{
	return mem_copy(tf, 1);
}

long sys_mem_read(struct trap_frame *tf)
{
	return mem_copy(tf, 0);
}

/*
 * Clone the caller's range [src, src+len), which lies within one region,
 * copy-on-write into p at dst (a whole region, or part of one: the loader
 * clones a program's text out of the boot archive's region, libk42's
 * spawn.c). Decode, then invoke: the destination must have room before
 * the source changes at all, so a refused clone leaves no layer behind. Normally both
 * sides get a fresh layer over the source's FCM, now frozen; if the
 * source's own layer holds nothing yet, the clone shares what that layer
 * is built on and the source keeps its layer (so repeated clones of an
 * unwritten region, like the boot archive every spawn shares, add none).
 * A source FCM_COW_DEPTH_MAX layers deep is flattened first (its clones
 * still hold the layers: a process forking while many children live).
 */
static long cow_region(struct process *self, struct process *p, uint64_t dst, uint64_t src,
		       uint64_t len)
{
	struct region *r;
	struct fcm *base, *keep, *mine = NULL, *theirs;
	long rc;

	spin_lock(&self->lock);
	r = region_find(self, src);
	if (!r || src < r->start || len > r->end - src || fcm_is_device(r->fcm)) {
		spin_unlock(&self->lock);
		return -K42_EINVAL;	/* within one region, of RAM */
	}
	if (fcm_swap_settle(r->fcm) < 0) {
		spin_unlock(&self->lock);
		return -K42_EAGAIN;	/* its FCM is being swapped: not layered on now */
	}
	if (p != self)
		spin_lock(&p->lock);
	rc = region_room(p, dst, len);
	if (p != self)
		spin_unlock(&p->lock);
	keep = fcm_cow_unwritten(r->fcm);
	base = keep ? keep : r->fcm;
	if (rc == 0 && fcm_cow_depth(base) >= FCM_COW_DEPTH_MAX) {
		/* Clones still alive hold every layer (fcm_cow_flatten). */
		rc = fcm_cow_flatten(r->fcm);
		keep = fcm_cow_unwritten(r->fcm);
		base = keep ? keep : r->fcm;
		if (rc == 0 && fcm_cow_depth(base) >= FCM_COW_DEPTH_MAX)
			rc = -K42_EBUSY;
	}
	if (rc < 0) {
		spin_unlock(&self->lock);
		return rc;
	}
	theirs = fcm_cow_create(base);
	if (theirs && !keep && !(mine = fcm_cow_create(base))) {
		fcm_put(theirs);
		theirs = NULL;
	}
	if (!theirs) {
		spin_unlock(&self->lock);
		return -K42_ENOMEM;
	}
	fcm_set_source(theirs, &p->acct->frames);	/* private copies count per tree */
	if (mine) {
		/* Both sides now see the old FCM frozen under their own layer. */
		fcm_set_source(mine, &self->acct->frames);
		fcm_remove_mapper(r->fcm, r);
		fcm_put(r->fcm);
		r->fcm = mine;	/* same page numbering as the frozen FCM: pgoff stays */
		fcm_add_mapper(mine, r);
		region_unmap_pages(self, r);
	}
	spin_unlock(&self->lock);
	if (p != self)
		spin_lock(&p->lock);
	rc = region_create(p, dst, len, r->prot, theirs, r->pgoff + (src - r->start) / PM_PAGE_SIZE);
	if (p != self)
		spin_unlock(&p->lock);
	fcm_put(theirs);
	return rc;
}

long sys_mem_cow(struct trap_frame *tf)
{
	uint64_t dst = ctx_arg(tf, 1), src = ctx_arg(tf, 2), len = ctx_arg(tf, 3);
	struct process *p, *self = syscall_process();
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!range_ok(dst, len) || !range_ok(src, len))
		return -K42_EINVAL;
	return cow_region(self, p, dst, src, len);
}

/* The child holds a copy of what the caller exposed (mem_expose), at the
 * same addresses: it is exposed too, to the same readers (the same user
 * id; a proc_cred that changes the child's withdraws it), from the
 * moment the copy is whole. So a fork's child shows its mappings
 * (/proc/PID/maps) before it first runs, as Linux's does. The address
 * first, then the length that turns it on (process_may_peek). */
static void cow_expose(struct process *self, struct process *p)
{
	uint64_t va, len;

	spin_lock(&self->lock);	/* one pair: mem_expose sets both under it */
	va = self->expose_va;
	len = self->expose_len;
	spin_unlock(&self->lock);
	if (!len || p->uid != self->uid)
		return;
	p->expose_va = va;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&p->expose_len, len, __ATOMIC_RELAXED);
}

/* fork's memory: every region of the caller, copy-on-write (or shared, if
 * K42_MAP_SHARED), at the same addresses in a child not started yet.
 * Lock order: the caller's lock, then the child's. */
long sys_mem_cow_all(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	uint64_t va = 0;
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (p == self || p->state != K42_PROC_CREATED)
		return -K42_EINVAL;
	/* The child's threads are copies of ours, FP and vector state
	 * included: its switches must keep it (<k42/dispatcher.h>). */
	if (self->vector_used)
		process_vector_used(p);
	for (;;) {
		struct region *r, *next = NULL;
		uint64_t start, len;
		int shared = 0;

		spin_lock(&self->lock);
		for (r = self->regions; r; r = r->next)
			if (r->start >= va && (!next || r->start < next->start))
				next = r;
		if (next && fcm_swap_settle(next->fcm) < 0) {
			spin_unlock(&self->lock);
			return -K42_EAGAIN;	/* an FCM being swapped is not shared or layered on */
		}
		if (next && next->shared) {
			/* Both processes map the one FCM: they see each other's writes. */
			shared = 1;
			spin_lock(&p->lock);
			rc = region_create(p, next->start, next->end - next->start, next->prot,
					   next->fcm, next->pgoff);
			if (rc == 0)
				region_find(p, next->start)->shared = 1;
			spin_unlock(&p->lock);
		}
		if (next) {
			start = next->start;
			len = next->end - next->start;
		}
		spin_unlock(&self->lock);
		if (!next) {
			cow_expose(self, p);
			return 0;
		}
		if (!shared)
			rc = cow_region(self, p, start, start, len);
		/* The kernel's own regions of a new process (the trace pages)
		 * are already there: those stay the child's own. */
		if (rc < 0 && rc != -K42_EEXIST)
			return rc;
		va = start + len;
	}
}

/* (pid, dst_va, src_va, len): map the caller's anonymous region at src_va
 * (exactly one whole region) into pid at dst_va, sharing its frames: both
 * see each other's writes, and the child's copy stays shared across its
 * own forks. Pipes live in such memory (docs/files.md). */
long sys_mem_share(struct trap_frame *tf)
{
	uint64_t dst = ctx_arg(tf, 1), src = ctx_arg(tf, 2), len = ctx_arg(tf, 3);
	struct process *p, *self = syscall_process();
	struct region *r;
	struct fcm *f;
	unsigned prot;
	uint64_t pgoff;
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!range_ok(dst, len) || !range_ok(src, len) || p == self)
		return -K42_EINVAL;
	spin_lock(&self->lock);
	r = region_find(self, src);
	if (r && fcm_swap_settle(r->fcm) < 0) {
		spin_unlock(&self->lock);
		return -K42_EAGAIN;	/* its FCM is being swapped: shared after the switch */
	}
	if (!r || r->start != src || r->end != src + len || !fcm_is_anon(r->fcm)) {
		spin_unlock(&self->lock);
		return -K42_EINVAL;	/* must name exactly one whole anonymous region */
	}
	f = r->fcm;
	prot = r->prot;
	pgoff = r->pgoff;
	fcm_get(f);	/* keeps it alive once our lock is dropped */
	spin_unlock(&self->lock);
	spin_lock(&p->lock);
	rc = region_create(p, dst, len, prot, f, pgoff);
	if (rc == 0)
		region_find(p, dst)->shared = 1;
	spin_unlock(&p->lock);
	fcm_put(f);
	return rc;
}

long sys_mem_map_file(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 1), len = ctx_arg(tf, 2), prot = ctx_arg(tf, 3);
	struct fr *fr = fr_lookup(ctx_arg(tf, 4));
	struct process *p;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (!fr)
		return -K42_EBADH;
	if (!range_ok(va, len) || !prot ||
	    (prot & ~(K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC)))
		return -K42_EINVAL;
	if ((prot & K42_PROT_WRITE) && !fr_writable(fr))
		return -K42_EACCES;	/* only where the server takes dirty pages back */
	spin_lock(&p->lock);
	rc = region_create(p, va, len, (unsigned)prot, fr_fcm(fr), 0);
	spin_unlock(&p->lock);
	return rc;
}

long sys_fr_create(struct trap_frame *tf)
{
	struct process *self = syscall_process();
	uint64_t handle;
	int rc;

	if (quota_charge(self->acct, K42_QUOTA_FRS, 1) < 0)
		return -K42_EDQUOT;
	rc = fr_create(self, ctx_arg(tf, 0), ctx_arg(tf, 1), &handle);
	if (rc < 0) {
		quota_uncharge(self->acct, K42_QUOTA_FRS, 1);
		return rc;
	}
	self->nfrs++;	/* released by fr_destroy or with the process (process_free) */
	return (long)handle;
}

long sys_fr_destroy(struct trap_frame *tf)
{
	struct process *self = syscall_process();
	int rc = fr_destroy(self, ctx_arg(tf, 0));

	if (rc < 0)
		return rc;
	self->nfrs--;
	quota_uncharge(self->acct, K42_QUOTA_FRS, 1);
	return 0;
}

long sys_fr_ctl(struct trap_frame *tf)
{
	return fr_ctl(syscall_process(), ctx_arg(tf, 0), ctx_arg(tf, 1), ctx_arg(tf, 2),
		      ctx_arg(tf, 3), ctx_arg(tf, 4));
}

/* A server whose page-in requests found its ring full: send what fits
 * now, without the kernel lock, if it is dispatcher 0 running here,
 * disabled (mm/fr.c fr_flush_unlocked); under this CPU's local lock. */
static void flush_unsent(struct percpu *pc, struct dispatcher *cur)
{
	if (cur->fr_unsent && cur == &cur->proc->disp && cur->state == DS_RUNNING &&
	    cur->cpu == pc->cpu_id && cur->shared->disabled)
		fr_flush_unlocked(cur);
}

/* fr_ctl without the kernel lock: under this CPU's local lock (which
 * keeps every kernel-lock holder out), for a running dispatcher whose
 * kernel calls are its own (not reflected) and with no page-in messages
 * of its own to send (the locked path does that). */
int sys_fr_ctl_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	long rc;
	int done = 0;

	if (ctx_call_number(tf) != K42_SC_FR_CTL)
		return 0;
	klock_local_lock(&pc->local_lock);
	flush_unsent(pc, cur);
	if (cur->state == DS_RUNNING && !cur->fr_unsent &&
	    !(cur->reflect_sc && !cur->shared->disabled))
		done = fr_ctl_unlocked(cur->proc, ctx_arg(tf, 0), ctx_arg(tf, 1), ctx_arg(tf, 2),
				       ctx_arg(tf, 3), ctx_arg(tf, 4), &rc);
	spin_unlock(&pc->local_lock);
	if (done)
		ctx_set_result(tf, 0, (uint64_t)rc);
	return done;
}

/* fr_complete without the kernel lock: under this CPU's local lock, for
 * a caller as sys_fr_ctl_fast takes (mm/fr.c, fr_complete_unlocked). */
int sys_fr_complete_fast(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	struct dispatcher *cur = pc->current;
	long rc;
	int done = 0;

	if (ctx_call_number(tf) != K42_SC_FR_COMPLETE)
		return 0;
	klock_local_lock(&pc->local_lock);
	flush_unsent(pc, cur);
	if (cur->state == DS_RUNNING && !cur->fr_unsent &&
	    !(cur->reflect_sc && !cur->shared->disabled))
		done = fr_complete_unlocked(cur->proc, ctx_arg(tf, 0), ctx_arg(tf, 1),
					    (long)ctx_arg(tf, 2), phys_to_virt(cur->ppc_pa), &rc);
	spin_unlock(&pc->local_lock);
	if (done)
		ctx_set_result(tf, 0, (uint64_t)rc);
	return done;
}

long sys_fr_complete(struct trap_frame *tf)
{
	const void *page = phys_to_virt(this_cpu()->current->ppc_pa);	/* the caller's dispatcher's */

	return fr_complete(syscall_process(), ctx_arg(tf, 0), ctx_arg(tf, 1),
			   (long)ctx_arg(tf, 2), page);
}

/* Hot swap of the FCM of an anonymous region (mm/fcm_swap.c). */
long sys_fcm_swap(struct trap_frame *tf)
{
	struct process *p;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	/* A tick due now would be taken on the way back to user mode, in
	 * the middle of the hold the take-over starts: take it first
	 * (docs/hot-swap.md, "How long a swap holds callers"). */
	timer_take_due();
	spin_lock(&p->lock);
	rc = fcm_swap(p, ctx_arg(tf, 1), (unsigned)ctx_arg(tf, 2));
	spin_unlock(&p->lock);
	return rc;
}

long sys_fcm_info(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	struct k42_fcminfo info;
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (ctx_arg(tf, 2) > K42_USER_TOP)
		return -K42_EFAULT;
	spin_lock(&p->lock);
	rc = fcm_describe(p, ctx_arg(tf, 1), &info);
	spin_unlock(&p->lock);
	if (rc == 0)
		rc = copy_to_user(self, ctx_arg(tf, 2), &info, sizeof(info));
	return rc;
}
