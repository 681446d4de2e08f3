/*
 * Kernel calls that create, start, end and query processes, and set their
 * privileges. Only a process's ancestors (or the process itself) may manage
 * it; privileges are handed down explicitly, never inherited
 * (k42/privilege.h, docs/security.md).
 */
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/privilege.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/quota.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <mm/usercopy.h>

long sys_proc_create(struct trap_frame *tf)
{
	char name[PROC_NAME_MAX];
	uint64_t len = ctx_arg(tf, 1), prio = ctx_arg(tf, 2);
	struct process *p;
	int rc;

	if (len >= PROC_NAME_MAX || prio >= K42_PRIO_CLASSES)
		return -K42_EINVAL;
	/* The classes above general can starve everyone else. */
	if (prio < K42_PRIO_GENERAL && !process_has(syscall_process(), K42_PRIV_CLASS))
		return -K42_EPERM;
	if ((rc = copy_from_user(syscall_process(), name, ctx_arg(tf, 0), len)) < 0)
		return rc;
	name[len] = '\0';
	if (!quota_room(syscall_process()->acct, K42_QUOTA_PROCESSES, 1))
		return -K42_EDQUOT;
	p = process_create(name, syscall_process()->pid, (unsigned)prio);
	return p ? (long)p->pid : -K42_ENOMEM;
}

long sys_proc_start(struct trap_frame *tf)
{
	uint64_t entry = ctx_arg(tf, 1), sp = ctx_arg(tf, 2);
	struct process *p;
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (p->state != K42_PROC_CREATED || p->disp.state != DS_NEW)
		return -K42_EBUSY;
	if (entry >= K42_USER_TOP || (entry & 3) || sp >= K42_USER_TOP || sp < K42_USER_BASE)
		return -K42_EINVAL;
	ctx_set_entry(&p->disp.ctx, &p->disp, entry, sp);
	ctx_set_result(&p->disp.ctx, 0, ctx_arg(tf, 3));
	p->disp.has_ctx = 1;
	p->state = K42_PROC_RUNNING;
	disp_fast_sync(&p->disp, FAST_OFF_ALL);	/* (its only dispatcher yet) */
	p->disp.state = DS_READY;
	sched_enqueue(&p->disp);
	return 0;
}

long sys_proc_kill(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	long rc = process_managed(syscall_process(), ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	/* One console line for the end of a program that ran; ending an empty
	 * process (never started) is routine and stays quiet. */
	process_end(p, K42_PROC_KILLED, -1,
		    p == self || p->state == K42_PROC_CREATED ? NULL : "killed by its parent");
	if (p == self) {
		sched_switch(tf);
		return SYSCALL_SWITCHED;
	}
	return 0;
}

long sys_proc_status(struct trap_frame *tf)
{
	int state, status;
	int rc = process_status(syscall_process(), ctx_arg(tf, 0), &state, &status);

	if (rc < 0)
		return rc;
	ctx_set_result(tf, 1, (uint64_t)(int64_t)status);
	return state;
}

long sys_proc_privileges(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	uint64_t mask = ctx_arg(tf, 1), old;
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (mask & ~K42_PRIV_ALL)
		return -K42_EINVAL;
	if (mask & ~self->privileges)
		return -K42_EPERM;	/* only what the caller holds itself */
	old = p->privileges;
	p->privileges = mask;
	return (long)old;
}

/* User and group ids are plain numbers the kernel keeps and attests
 * (proc_describe) so that a server can judge its caller by them; only a
 * caller with uid 0 hands them out, to itself or what it manages. */
long sys_proc_cred(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	uint64_t uid = ctx_arg(tf, 1), gid = ctx_arg(tf, 2);
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (uid > UINT32_MAX || gid > UINT32_MAX)
		return -K42_EINVAL;
	if (self->uid != 0)
		return -K42_EPERM;
	/* What p exposed (mem_expose) was for readers of its old user id:
	 * a new one withdraws it, or root's window would open to the user
	 * it drops to (Linux makes such a process non-dumpable). */
	if (p->uid != (uint32_t)uid)
		p->expose_va = p->expose_len = 0;
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	return 0;
}

long sys_proc_limit(struct trap_frame *tf)
{
	struct process *p, *self = syscall_process();
	uint64_t kind = ctx_arg(tf, 1), value = ctx_arg(tf, 2);
	long rc = process_managed(self, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (kind >= K42_QUOTA_KINDS)
		return -K42_EINVAL;
	if (value == K42_QUOTA_QUERY) {
		ctx_set_result(tf, 1, __atomic_load_n(&p->acct->used[kind], __ATOMIC_RELAXED));
		return (long)p->acct->limit[kind];
	}
	/* Only an ancestor sets limits, and never above its own. */
	if (p == self)
		return -K42_EPERM;
	if (value > self->acct->limit[kind] || value > INT64_MAX)
		return -K42_EINVAL;
	__atomic_store_n(&p->acct->limit[kind], value, __ATOMIC_RELAXED);	/* read by charges on any CPU */
	return 0;
}
