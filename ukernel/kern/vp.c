/*
 * Virtual processors: more dispatchers for one process, each on a CPU of
 * its choosing, as K42's VPs (docs/smp.md). Dispatcher 0 is the process's
 * own (`p->disp`: PPC target, soft interrupts, children's notices); the
 * others run code of the process in its address space, each with its own
 * shared page at K42_DISP_VA + index * page and PPC page at
 * K42_PPC_PAGE_VA + index * page, started like a process at an
 * entry point with a stack and one argument. They end with the process.
 * disp_kick raises user soft-interrupt bits on one of them (libk42 wakes
 * a dispatcher it gave work to this way).
 *
 * Lifetime: p->vps[i] points at a dispatcher the process owns; it is
 * freed with the process, after quiescence (process_free), never earlier.
 */
#include <string.h>
#include <arch/context.h>
#include <arch/memlayout.h>
#include <arch/vsx.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/trace.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/syscall.h>
#include <kern/vp.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/region.h>

long sys_disp_create(struct trap_frame *tf)
{
	struct process *p = syscall_process();
	uint64_t cpu = ctx_arg(tf, 0), entry = ctx_arg(tf, 1), sp = ctx_arg(tf, 2);
	struct dispatcher *d;
	uint64_t pa, ppc;
	int i, rc;

	if (cpu >= (uint64_t)smp_ncpus || entry >= K42_USER_TOP || (entry & 3) ||
	    sp >= K42_USER_TOP || sp < K42_USER_BASE)
		return -K42_EINVAL;
	for (i = 1; i < K42_VPS_MAX && p->vps[i]; i++)
		;
	if (i == K42_VPS_MAX)
		return -K42_ENOSPC;
	d = kmem_alloc(sizeof(*d));
	if (!d)
		return -K42_ENOMEM;
	if (pm_alloc(pm_root(), 0, &pa) < 0) {
		kmem_free(d, sizeof(*d));
		return -K42_ENOMEM;
	}
	if (pm_alloc(pm_root(), 0, &ppc) < 0) {
		BUG_ON(pm_free(pm_root(), pa, 0) < 0);
		kmem_free(d, sizeof(*d));
		return -K42_ENOMEM;
	}
	memset(phys_to_virt(pa), 0, PM_PAGE_SIZE);
	memset(phys_to_virt(ppc), 0, PM_PAGE_SIZE);
	spin_lock(&p->lock);
	rc = hat_map(p->hat, K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE, pa,
		     K42_PROT_READ | K42_PROT_WRITE);
	if (rc == 0 && hat_map(p->hat, K42_PPC_PAGE_VA + (uint64_t)i * K42_PAGE_SIZE, ppc,
			       K42_PROT_READ | K42_PROT_WRITE) < 0) {
		hat_unmap(p->hat, K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE);	/* no frame left mapped */
		rc = -K42_ENOMEM;
	}
	if (rc < 0) {
		spin_unlock(&p->lock);
		BUG_ON(pm_free(pm_root(), pa, 0) < 0);
		BUG_ON(pm_free(pm_root(), ppc, 0) < 0);
		kmem_free(d, sizeof(*d));
		return -K42_ENOMEM;
	}
	spin_unlock(&p->lock);
	d->proc = p;
	d->fast_off = FAST_OFF_ALL;
	d->ppc_pa = ppc;
	d->shared = phys_to_virt(pa);
	d->shared->pid = p->pid;
	d->shared->disabled = 1;	/* no upcalls until it registers entries */
	d->shared->vector_used = process_vector_word(p);	/* (kern/process.h) */
	d->prio = p->disp.prio;
	d->cpu = (uint32_t)cpu;
	d->shared->cpu = cpu;
	trace_disp_bind(d->shared, (unsigned)cpu);
	d->index = (uint32_t)i;
	d->shared_va = K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE;
	ctx_set_entry(&d->ctx, d, entry, sp);
	ctx_set_result(&d->ctx, 0, ctx_arg(tf, 3));
	d->has_ctx = 1;
	d->state = DS_READY;
	p->vps[i] = d;
	disp_fast_sync(d, FAST_OFF_ALL);
	proc_fast_sync(p);	/* dispatcher 0 is no longer the only one */
	p->vp_shared_pa[i] = pa;
	sched_enqueue(d);
	return i;
}

void vp_end_all(struct process *p)
{
	for (int i = 1; i < K42_VPS_MAX; i++) {
		struct dispatcher *d = p->vps[i];

		if (!d || d->state == DS_DEAD)
			continue;
		disp_end(d);
	}
}

void vp_free_all(struct process *p)
{
	for (int i = 1; i < K42_VPS_MAX; i++) {
		struct dispatcher *d = p->vps[i];

		if (!d)
			continue;
		if (d->vsx_state)
			kmem_free(d->vsx_state, VSX_STATE_SIZE);
		BUG_ON(pm_free(pm_root(), d->ppc_pa, 0) < 0);
		kmem_free(d, sizeof(*d));
		BUG_ON(pm_free(pm_root(), p->vp_shared_pa[i], 0) < 0);
		p->vps[i] = NULL;
	}
}

long sys_disp_kick(struct trap_frame *tf)
{
	struct process *p = this_cpu()->current->proc;
	uint64_t index = ctx_arg(tf, 0), bits = ctx_arg(tf, 1);
	struct dispatcher *d;

	if (index >= K42_VPS_MAX || !bits)
		return -K42_EINVAL;
	if (bits & (K42_SOFTINTR_USER0 - 1))
		return -K42_EPERM;	/* only the user-protocol bits */
	d = index ? p->vps[index] : &p->disp;
	if (!d || d->state == DS_DEAD)
		return -K42_ESRCH;
	disp_raise(d, bits);
	return 0;
}
