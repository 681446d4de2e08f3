/*
 * Linux process calls: fork (clone without CLONE_VM, vfork) as a new k42
 * process holding a copy-on-write clone of all our memory (mem_cow_all),
 * execve in place (exec.c), wait4/waitid over k42 process states, kill,
 * exit; and the signal-disposition calls.
 */
#include "lx.h"
#include "lxfs.h"
#include <k42/procinfo.h>
#include <k42/services.h>

#define LX_CLONE_VM 0x100
#define LX_CLONE_VFORK 0x4000
#define LX_CLONE_THREAD 0x10000
#define LX_CLONE_SETTLS 0x80000
#define LX_CLONE_PARENT_SETTID 0x100000
#define LX_CLONE_CHILD_CLEARTID 0x200000
#define LX_CLONE_CHILD_SETTID 0x1000000
#define LX_WNOHANG 1
#define LX_WUNTRACED 2
#define LX_WCONTINUED 8
#define LX_SIGKILL 9

#define MAX_CHILDREN 256

static uint64_t children[MAX_CHILDREN];
static uint8_t notified[MAX_CHILDREN];	/* SIGCHLD raised for it */
static uint32_t stops_seen[MAX_CHILDREN], conts_seen[MAX_CHILDREN];	/* reported by wait4 */
static int nchildren;

/* What the child needs, written before the memory is cloned: the
 * caller's registers, FP/VMX/VSX ones included (a program keeps values in
 * the nonvolatile f14-f31 across its fork call: busybox timeout's watcher
 * held its duration there, and counted down from 0). */
static struct k42_user_regs fork_regs;
static uint8_t fork_vsx[K42_VSX_AREA] __attribute__((aligned(16)));
static uint64_t fork_flags, fork_ctid;

static void child_start(void);
static void kills_forked(void);

/*
 * The parent goes on first, as Linux's scheduler starts a child behind
 * its parent, and its fork returns in microseconds. Ours takes
 * milliseconds (the copy-on-write faults that follow it), so the end of
 * the parent's slice, or another CPU, let the child's program run first:
 * busybox sh's background child ignores SIGINT as its first act, and did
 * so before the parent's `kill -INT $!` 7 times in 10, so `wait $!` gave
 * 0 where Linux's gives 130. So the child waits (yielding its CPU) until
 * the parent's next call is done (lx_fork_went_on, at the call's exit:
 * fork_child in its table entry), or has begun if it may wait or not
 * come back (entry.c), at most 100 ms (a parent that computes on without
 * a call; a loaded host's took 20 ms to its next). At the entry, as
 * before, the parent's `kill` and the child raced on more CPUs than one:
 * the child, let go, ignored SIGINT before the signal came (`./k42 test
 * --smp 4`, linux/bg_sigint_before_child_runs).
 */
uint64_t lx_fork_waits;
static uint64_t forks;	/* forks made: lx_fork_waits tells a later one apart */

void lx_fork_went_on(void)
{
	lx_fork_waits = 0;
	lx_ptab_fork_child(0);
}

static void wait_parent_on(void)
{
	uint64_t until = k42_timebase() + k42_info(K42_INFO_TIMEBASE_HZ) / 10;

	do
		k42_sc_yield();
	while (lx_ptab_in_fork(lx.ppid, lx.pid) && k42_timebase() < until);
}

__attribute__((noreturn)) static void child_start_c(void)
{
	uint32_t tid;

	if (k42_fork_child_init() < 0)
		k42_sc_exit(127);
	lx.ppid = lx.pid;
	lx.pid = k42_info(K42_INFO_PID);
	nchildren = 0;
	lx_sig_forked();
	lx_cpu_forked();
	lx_mm_expose();
	kills_forked();
	k42_fs_forked();
	tid = (uint32_t)lx.pid;
	if ((fork_flags & LX_CLONE_CHILD_SETTID) && fork_ctid)
		lx_copy_out(fork_ctid, &tid, sizeof(tid));
	lx_threads_forked();
	lx_itimer_forked();
	lx_cpu_limit_forked();
	lx_ptab_publish();
	if (fork_flags & LX_CLONE_CHILD_CLEARTID)
		lx_set_clear_tid(fork_ctid);
	k42_disable();
	lx_answers_init();
	if (k42_sc_disp_reflect(1) < 0)
		k42_sc_exit(127);
	k42_vsx_restore(fork_vsx);	/* the program's, as at its fork */
	wait_parent_on();
	/* A signal sent to us meanwhile (`cmd & kill -INT $!`) is taken
	 * before the program's first instruction, as Linux's child takes it
	 * on its way out of fork, before it can change the signal's
	 * disposition. */
	k42_drain();
	lx_sig_deliver(&fork_regs);
	lx_answers_sync();
	lx_resume(&fork_regs);
}

static void child_start(void)
{
	child_start_c();
}

static void drop_child(int i);

/* With SIGCHLD ignored (or SA_NOCLDWAIT) nobody waits for children, as
 * busybox httpd's fork per connection does not: forget those that ended,
 * or they fill children[] and every fork fails (httpd then closed each
 * new connection unanswered after 256 requests). */
static void drop_unwaited(void)
{
	if (!lx_sig_nocldwait())
		return;
	for (int i = 0; i < nchildren; i++) {
		uint64_t out[1];
		long st = k42_sc_proc_status(children[i], out);

		if (st < 0 || st >= K42_PROC_EXITED)
			drop_child(i--);
	}
}

static long do_fork(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid,
		    struct k42_user_regs *regs)
{
	long pid, rc;
	uint32_t tid;

	if (nchildren == MAX_CHILDREN)
		drop_unwaited();
	if (nchildren == MAX_CHILDREN)
		return -LX_EAGAIN;
	memcpy(&fork_regs, regs, sizeof(fork_regs));
	fork_regs.gpr[3] = 0;
	fork_regs.cr &= ~0x10000000ull;
	if (newsp)
		fork_regs.gpr[1] = newsp;
	fork_flags = flags;
	fork_ctid = ctid;
	k42_vsx_save(fork_vsx);	/* the program's registers are the live ones */
	pid = k42_sc_proc_create((uint64_t)lx.comm, strnlen(lx.comm, sizeof(lx.comm)),
				 K42_PRIO_GENERAL);
	if (pid < 0)
		return -LX_EAGAIN;
	rc = k42_fs_fork_prepare((uint64_t)pid);
	if (rc < 0) {
		k42_sc_proc_kill((uint64_t)pid);
		return -LX_ENOMEM;
	}
	lx_ptab_forked((uint64_t)pid);
	if (flags & LX_CLONE_VFORK)
		lx_ptab_set_vfork((uint64_t)pid, LX_VFORK_RUNNING);
	rc = k42_sc_mem_cow_all((uint64_t)pid);
	if (rc == 0) {
		lx_ptab_fork_child((uint64_t)pid);
		lx_fork_waits = ++forks;	/* (after the copy: the child's stays 0) */
		rc = k42_sc_proc_start((uint64_t)pid, (uint64_t)child_start,
				       K42_STACK_TOP - 4096, 0);
	}
	if (rc < 0) {
		k42_sc_proc_kill((uint64_t)pid);
		k42_fs_fork_abort((uint64_t)pid);
		return rc == -K42_ENOMEM ? -LX_ENOMEM : -LX_EAGAIN;
	}
	notified[nchildren] = 0;
	stops_seen[nchildren] = conts_seen[nchildren] = 0;
	children[nchildren++] = (uint64_t)pid;
	tid = (uint32_t)pid;
	if ((flags & LX_CLONE_PARENT_SETTID) && ptid)
		lx_copy_out(ptid, &tid, sizeof(tid));
	return pid;
}

/*
 * vfork: the child runs in a copy of our memory, not in it, but busybox's
 * spawn (xargs, find -exec, run-parts) and glibc's posix_spawn learn of
 * a failed execve by what the child wrote into the parent's stack frame
 * before its _exit (`failed = errno`): here xargs of a missing command
 * said nothing and exited 123, Linux's says "No such file or directory"
 * and exits 127. So, as Linux's parent is held until the child's execve
 * or end, we wait for it; a child ending before any execve waits in
 * exit_group (vfork_child_ends) until we have taken its copy of our
 * stack, from our stack pointer at the call up (what it could have
 * written there, Linux's parent would see). Its other writes are lost.
 */
#define VFORK_STACK_MAX (1ul << 20)

static void vfork_wait(uint64_t pid, uint64_t sp)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	lx_fork_went_on();	/* the child goes on at once: we are the one held */
	for (;;) {
		uint64_t out[1];
		long st;
		int v = lx_ptab_vfork(pid);

		if (v == LX_VFORK_NONE || v == LX_VFORK_TAKEN)
			return;	/* it ran execve, or has gone */
		if (v == LX_VFORK_ENDING) {
			if (sp < LX_STACK_TOP && sp > LX_STACK_TOP - (64ul << 20)) {
				uint64_t len = LX_STACK_TOP - sp;

				if (len > VFORK_STACK_MAX)
					len = VFORK_STACK_MAX;
				(void)k42_sc_mem_read(pid, sp, sp, len);
			}
			lx_ptab_set_vfork(pid, LX_VFORK_TAKEN);
			return;
		}
		st = k42_sc_proc_status(pid, out);
		if (st < 0 || st >= K42_PROC_EXITED)
			return;
		(void)lx_wait_event(hz / 1000);
	}
}

/* A vfork child's end before any execve: let its parent take its stack
 * first (a second at most: the parent may be gone). */
static void vfork_child_ends(void)
{
	uint64_t until;

	if (lx_ptab_vfork(lx.pid) != LX_VFORK_RUNNING)
		return;
	lx_ptab_set_vfork(lx.pid, LX_VFORK_ENDING);
	until = k42_timebase() + k42_info(K42_INFO_TIMEBASE_HZ);
	while (lx_ptab_vfork(lx.pid) == LX_VFORK_ENDING && k42_timebase() < until)
		k42_sc_yield();
}

/* clone(flags, newsp, ptid, tls, ctid) on ppc64. CLONE_THREAD makes a
 * thread (thread.c); CLONE_VM|CLONE_VFORK (posix_spawn) runs as vfork
 * (above: its err field comes back with our stack); CLONE_VM alone (a second process
 * in the same memory) is not supported. */
long lx_sys_clone(struct lx_args *a)
{
	uint64_t flags = a->a[0];

	if (flags & LX_CLONE_THREAD)
		return lx_thread_clone(a);
	long pid;

	if ((flags & LX_CLONE_VM) && !(flags & LX_CLONE_VFORK))
		return -LX_EINVAL;
	pid = do_fork(flags, a->a[1], a->a[2], a->a[4], a->regs);
	if (pid > 0 && (flags & LX_CLONE_VFORK))
		vfork_wait((uint64_t)pid, a->regs->gpr[1]);
	return pid;
}

long lx_sys_fork(struct lx_args *a)
{
	return do_fork(0, 0, 0, 0, a->regs);
}

long lx_sys_vfork(struct lx_args *a)
{
	long pid = do_fork(LX_CLONE_VFORK, 0, 0, 0, a->regs);

	if (pid > 0)
		vfork_wait((uint64_t)pid, a->regs->gpr[1]);
	return pid;
}

static void drop_child(int i)
{
	nchildren--;
	children[i] = children[nchildren];
	notified[i] = notified[nchildren];
	stops_seen[i] = stops_seen[nchildren];
	conts_seen[i] = conts_seen[nchildren];
}

void lx_children_poll(void)
{
	for (int i = 0; i < nchildren; i++) {
		uint64_t out[1];
		long st;

		if (notified[i])
			continue;
		st = k42_sc_proc_status(children[i], out);
		if (st < 0 || st >= K42_PROC_EXITED) {
			notified[i] = 1;
			lx_sig_raise(17);
		}
	}
}

/* A k42 exit status as a Linux wait status: 0x100 | sig is "killed by
 * signal sig" (signal.c), a kill by the kernel is SIGKILL. */
static int wait_status(long st, uint64_t code)
{
	if (st != K42_PROC_EXITED)
		return LX_SIGKILL;
	if ((code & ~0xffull) == 0x100)
		return (int)(code & 0x7f);
	return (int)((code & 0xff) << 8);
}

/* Find an ended child matching `want` (-1: any; > 0: that pid); 0 if
 * there are matching children but none ended; -ECHILD if none. */
static long reap(int64_t want, int *wstatus, uint64_t *cu, uint64_t *cs, uint64_t opts)
{
	int matching = 0, nowait = lx_sig_nocldwait();

	/* Linux: wait then waits for every child to end, and fails ECHILD. */
	drop_unwaited();

	for (int i = 0; i < nchildren; i++) {
		uint64_t out[1];
		long st;

		if (want > 0 && children[i] != (uint64_t)want)
			continue;
		st = k42_sc_proc_status(children[i], out);
		/* Not waited for: a child that ended after drop_unwaited
		 * looked (on another CPU, say) is dropped too, never
		 * reported (smp 4 saw wait return such a child's pid). */
		if (nowait && (st < 0 || st >= K42_PROC_EXITED)) {
			drop_child(i--);
			continue;
		}
		matching = 1;
		if (st < 0 || st >= K42_PROC_EXITED) {
			long pid = (long)children[i];

			*wstatus = wait_status(st, out[0]);
			lx_cpu_reaped(children[i], cu, cs);
			drop_child(i);
			return pid;
		}
		/* Job control: a stop (WUNTRACED) or continue (WCONTINUED)
		 * not reported yet, from the child's table entry. */
		if (opts & (LX_WUNTRACED | LX_WCONTINUED)) {
			struct lx_pentry e;

			if (!lx_ptab_get(children[i], &e))
				continue;
			if ((opts & LX_WUNTRACED) && e.stop_sig && e.stop_gen != stops_seen[i]) {
				stops_seen[i] = e.stop_gen;
				*wstatus = (int)((e.stop_sig & 0x7f) << 8 | 0x7f);
				return (long)children[i];
			}
			if ((opts & LX_WCONTINUED) && !e.stop_sig && e.cont_gen != conts_seen[i]) {
				conts_seen[i] = e.cont_gen;
				*wstatus = 0xffff;
				return (long)children[i];
			}
		}
	}
	return matching ? 0 : -LX_ECHILD;
}

long lx_sys_wait4(struct lx_args *a)
{
	int64_t want = (int64_t)a->a[0];
	int wstatus = 0;
	uint64_t cu = 0, cs = 0;
	long pid;

	if (want == 0 || want < -1)
		want = -1;	/* process groups: every child is in ours */
	for (;;) {
		pid = reap(want, &wstatus, &cu, &cs, a->a[2]);
		if (pid != 0 || (a->a[2] & LX_WNOHANG))
			break;
		if (lx_wait_event(k42_info(K42_INFO_TIMEBASE_HZ) / 10))
			return -LX_EINTR;
	}
	if (pid > 0 && a->a[1] && lx_copy_out(a->a[1], &wstatus, sizeof(wstatus)) < 0)
		return -LX_EFAULT;
	if (pid > 0 && a->a[3] && lx_rusage_out(a->a[3], cu, cs) < 0)
		return -LX_EFAULT;
	return pid;
}

/* execve: copy the arguments out of the image that is about to go, into
 * blocks of the personality's heap made at the first execve (pages only
 * as they are touched), within Linux's limits (LX_ARG_MAX). */
static long copy_vec(uint64_t uvec, char **vec, uint64_t *nptrs, char *buf, uint64_t *used)
{
	uint64_t n = 0;

	for (;; n++) {
		uint64_t p;
		long len;

		if (!uvec)
			break;
		if (lx_copy_in(&p, uvec + n * 8, 8) < 0)
			return -LX_EFAULT;
		if (!p)
			break;
		/* Each pointer counts 8 bytes against the limit, as Linux's. */
		if ((*nptrs + n + 2) * 8 + *used >= LX_ARG_MAX)
			return -LX_E2BIG;
		len = lx_copy_str(buf + *used, p, LX_ARG_MAX - (*nptrs + n + 2) * 8 - *used);
		if (len == -LX_ENAMETOOLONG || len >= (long)LX_ARG_STRLEN)
			return -LX_E2BIG;
		if (len < 0)
			return len;
		vec[n] = buf + *used;
		*used += (uint64_t)len + 1;
	}
	vec[n] = NULL;
	*nptrs += n + 1;
	return 0;
}

long lx_sys_execve(struct lx_args *a)
{
	static char path[256], *buf;
	static char **ptrs;
	uint64_t used = 0, nptrs = 0;
	char **argv, **envp;
	long rc;

	if ((rc = lx_copy_str(path, a->a[0], sizeof(path))) < 0)
		return rc;
	if (!buf && !(buf = malloc(LX_ARG_MAX)))
		return -LX_ENOMEM;
	if (!ptrs && !(ptrs = malloc(LX_ARG_MAX)))	/* at most LX_ARG_MAX / 8 pointers */
		return -LX_ENOMEM;
	argv = ptrs;
	if ((rc = copy_vec(a->a[1], argv, &nptrs, buf, &used)) < 0)
		return rc;
	envp = ptrs + nptrs;
	if ((rc = copy_vec(a->a[2], envp, &nptrs, buf, &used)) < 0)
		return rc;
	return lx_exec(path, argv, envp);
}

/* A process we may not raise soft interrupts on (not our descendant: a
 * sibling, an ancestor) gets the signal as a one-way message, which its
 * personality takes if we are of its Linux process tree (signal.c). */
static long signal_by_message(uint64_t pid, uint64_t sig)
{
	struct k42_procinfo info;

	if (k42_sc_proc_describe(pid, (uint64_t)&info) < 0 || info.state != K42_PROC_RUNNING)
		return -LX_ESRCH;
	if (sig == 0)
		return 0;
	if (sig > 64)
		return -LX_EINVAL;
	return lx_sig_send(pid, (int)sig) < 0 ? -LX_EAGAIN : 0;
}

/* SIGKILL to another process. A Linux process ends itself, as its
 * SIGKILL's default action, when it takes the signal (a soft interrupt):
 * quietly, as on Linux. kill returns at once, as Linux's makes the signal
 * pending and goes on (so a shell's `kill -9 $p; wait $p` finds p still
 * there and reaps it inside wait, printing "Killed"). One that has not
 * ended 50 ms later (not a Linux process, or not taking soft interrupts)
 * is ended by the kernel (proc_kill, which reports it on the console):
 * a libk42 timer checks it then, and our own exit checks every such
 * target first, so none outlives the check. */
#define HARD_KILLS 16

static struct hard_kill {
	uint64_t pid;
	struct k42_timer tm;
} hard_kills[HARD_KILLS];

static int hard_kill_running(uint64_t pid)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(pid, (uint64_t)&info) == 0 && info.state == K42_PROC_RUNNING;
}

static void hard_kill_due(struct k42_timer *tm)
{
	struct hard_kill *h = tm->arg;

	if (h->pid && hard_kill_running(h->pid))
		(void)k42_sc_proc_kill(h->pid);	/* fails only if it has just ended */
	h->pid = 0;
}

/* Exit: wait out each outstanding SIGKILL's 50 ms, then end its target
 * if it is still there. */
void lx_kills_flush(void)
{
	for (int i = 0; i < HARD_KILLS; i++) {
		struct hard_kill *h = &hard_kills[i];

		if (!h->pid)
			continue;
		k42_timer_cancel(&h->tm);
		while (hard_kill_running(h->pid) && k42_timebase() < h->tm.deadline)
			lx_wait_event(k42_info(K42_INFO_TIMEBASE_HZ) / 100);
		hard_kill_due(&h->tm);
	}
}

/* A forked child checks none of its parent's SIGKILLs. */
static void kills_forked(void)
{
	for (int i = 0; i < HARD_KILLS; i++)
		if (hard_kills[i].pid) {
			k42_timer_cancel(&hard_kills[i].tm);
			hard_kills[i].pid = 0;
		}
}

static long kill_hard(uint64_t pid)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), deadline = k42_timebase() + hz / 20;
	long st = k42_sc_softintr_raise(pid, LX_SOFTINTR_SIG << LX_SIGKILL);

	if (st == -K42_EPERM)
		return signal_by_message(pid, LX_SIGKILL);
	if (st < 0)
		return -LX_ESRCH;
	for (int i = 0; i < HARD_KILLS; i++) {
		struct hard_kill *h = &hard_kills[i];

		if (h->pid == pid)
			return 0;	/* already being checked */
		if (h->pid)
			continue;
		h->pid = pid;
		h->tm.deadline = deadline;
		h->tm.fn = hard_kill_due;
		h->tm.arg = h;
		if (k42_timer_add(&h->tm) == 0)
			return 0;
		h->pid = 0;
		break;
	}
	/* No room to check it later: wait for its end here. */
	while (hard_kill_running(pid) && k42_timebase() < deadline)
		lx_wait_event(hz / 100);
	if (hard_kill_running(pid))
		(void)k42_sc_proc_kill(pid);
	return 0;
}

static int is_child(uint64_t pid)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i] == pid)
			return 1;
	return 0;
}

static void kill_self(uint64_t sig)
{
	if (sig == LX_SIGKILL) {
		lx_fs_close_all();
		k42_sc_proc_kill(lx.pid);
	}
	lx_sig_raise((int)sig);	/* delivered on the way back */
}

/*
 * kill(-1, sig): every process of our Linux process tree but ourselves,
 * as Linux's reaches every process the caller may signal but init and
 * itself; kill(0 or -pgid, sig): the tree's processes of that group (by
 * the tree's table, ptab.c; without it, our children count as ours), us
 * included. init and the servers are not Linux processes: never reached.
 */
#define KILL_LIST_MAX 512

static long kill_many(const struct lx_args *a, int64_t pgid)
{
	static struct k42_procinfo list[KILL_LIST_MAX];
	long n = k42_sc_proc_list((uint64_t)list, KILL_LIST_MAX);
	int sent = 0, self = 0;

	for (long i = 0; i < n; i++) {
		uint64_t pid = list[i].pid, g;
		struct lx_pentry pe;
		struct lx_args b = *a;

		if (list[i].state != K42_PROC_RUNNING || !k42_proc_manages(lx.root, pid))
			continue;
		if (pgid > 0) {
			g = pid == lx.pid ? lx.pgid : lx_ptab_get(pid, &pe) ? pe.pgid :
			    is_child(pid) ? lx.pgid : 0;
			if (g != (uint64_t)pgid)
				continue;
		}
		if (pid == lx.pid) {
			self = pgid > 0;
			continue;
		}
		b.a[0] = pid;
		if (lx_sys_kill(&b) == 0)
			sent++;
	}
	if (self)
		kill_self(a->a[1]);
	return sent || self ? 0 : -LX_ESRCH;
}

long lx_sys_kill(struct lx_args *a)
{
	int64_t pid = (int64_t)a->a[0];
	uint64_t sig = a->a[1];
	long st;

	if (sig > 64)
		return -LX_EINVAL;
	if (pid == (int64_t)lx.pid) {
		kill_self(sig);
		return 0;
	}
	if (pid == -1)
		return kill_many(a, -1);
	if (pid == 0 || pid == -(int64_t)lx.pgid)
		return kill_many(a, (int64_t)lx.pgid);
	if (pid < 0) {
		/* Another group: its members of our tree, else its leader,
		 * when we cannot tell its group. A process whose group we
		 * know is another (us, a process of the tree's table: `kill
		 * -- -$$` in a shell that leads no group) is not reached:
		 * ESRCH, as Linux's, when the group has no member. */
		struct lx_pentry pe;

		st = kill_many(a, -pid);
		if (st == 0)
			return 0;
		pid = -pid;
		if (pid == (int64_t)lx.pid ? lx.pgid != lx.pid :
		    lx_ptab_get((uint64_t)pid, &pe) && pe.pgid != (uint64_t)pid)
			return -LX_ESRCH;
	}
	if (sig == 0 || sig > 30) {
		/* Is it there? (raising no bits only checks that it runs) */
		st = k42_sc_softintr_raise((uint64_t)pid, 0);
		if (st == -K42_EPERM)
			return signal_by_message((uint64_t)pid, sig);
		if (st < 0)
			return -LX_ESRCH;
		if (sig == 0)
			return 0;
	}
	if (sig == LX_SIGKILL)
		return kill_hard((uint64_t)pid);
	if (sig > 30)
		return -LX_EINVAL;	/* real-time signals: not across processes yet */
	st = k42_sc_softintr_raise((uint64_t)pid, LX_SOFTINTR_SIG << sig);
	if (st == -K42_EPERM)
		return signal_by_message((uint64_t)pid, sig);
	return st < 0 ? -LX_ESRCH : 0;
}

/* A signal to one of our threads is pending for that thread alone
 * (signal.c); SIGKILL ends the whole process, as on Linux. */
long lx_sys_tgkill(struct lx_args *a)
{
	struct lx_args b = *a;

	if ((int64_t)a->a[0] <= 0 || (int64_t)a->a[1] <= 0)
		return -LX_EINVAL;
	if (a->a[0] == lx.pid && lx_own_tid(a->a[1]) && a->a[2] != LX_SIGKILL)
		return lx_sig_raise_thread(a->a[1], (int)a->a[2]);
	if (a->a[0] == lx.pid && a->a[1] != lx.pid && a->a[2] != LX_SIGKILL)
		return a->a[2] > 64 ? -LX_EINVAL : -LX_ESRCH;
	b.a[0] = a->a[1];
	b.a[1] = a->a[2];
	return lx_sys_kill(&b);
}

long lx_sys_tkill(struct lx_args *a)
{
	if ((int64_t)a->a[0] <= 0)
		return -LX_EINVAL;
	if (lx_own_tid(a->a[0]) && a->a[1] != LX_SIGKILL)
		return lx_sig_raise_thread(a->a[0], (int)a->a[1]);
	return lx_sys_kill(a);
}

long lx_sys_exit_group(struct lx_args *a)
{
	vfork_child_ends();
	lx_kills_flush();
	lx_fs_close_all();
	k42_sc_exit(a->a[0] & 0xff);
	return -LX_EINVAL;	/* not reached */
}


