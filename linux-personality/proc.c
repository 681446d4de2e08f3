/*
 * Linux process calls: exit, and (for now) the signal-disposition calls a
 * single process makes at start-up. fork, execve and wait4 come with the
 * process tree (see syscalls.tbl for what is done).
 */
#include "lx.h"

long lx_sys_exit_group(struct lx_args *a)
{
	k42_sc_exit(a->a[0] & 0xff);
	return -LX_EINVAL;	/* not reached */
}

long lx_sys_exit(struct lx_args *a)
{
	return lx_sys_exit_group(a);	/* one thread per process so far */
}

/* struct sigaction as the kernel takes it (ppc64): handler, flags,
 * restorer, mask. */
struct lx_sigaction {
	uint64_t handler, flags, restorer, mask;
};

static struct lx_sigaction actions[65];
static uint64_t sigmask;

long lx_sys_rt_sigaction(struct lx_args *a)
{
	uint64_t sig = a->a[0];
	struct lx_sigaction act;

	if (sig < 1 || sig > 64 || a->a[3] != 8)
		return -LX_EINVAL;
	if (a->a[2] && lx_copy_out(a->a[2], &actions[sig], sizeof(act)) < 0)
		return -LX_EFAULT;
	if (a->a[1]) {
		if (sig == 9 || sig == 19)
			return -LX_EINVAL;
		if (lx_copy_in(&act, a->a[1], sizeof(act)) < 0)
			return -LX_EFAULT;
		actions[sig] = act;
	}
	return 0;
}

long lx_sys_rt_sigprocmask(struct lx_args *a)
{
	uint64_t set;

	if (a->a[3] != 8)
		return -LX_EINVAL;
	if (a->a[2] && lx_copy_out(a->a[2], &sigmask, sizeof(sigmask)) < 0)
		return -LX_EFAULT;
	if (!a->a[1])
		return 0;
	if (lx_copy_in(&set, a->a[1], sizeof(set)) < 0)
		return -LX_EFAULT;
	switch (a->a[0]) {
	case 0: sigmask |= set; break;
	case 1: sigmask &= ~set; break;
	case 2: sigmask = set; break;
	default: return -LX_EINVAL;
	}
	sigmask &= ~((1ull << 8) | (1ull << 18));	/* SIGKILL, SIGSTOP */
	return 0;
}
