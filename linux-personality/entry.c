/*
 * The reflected system call: the kernel upcalls K42_ENTRY_SYSCALL with the
 * Linux program's registers in the shared page. Decode (r0 = number,
 * r3..r8 = arguments), look the number up in the generated table, run the
 * handler, and resume the program with the Linux result convention: r3 =
 * the value, or a positive errno with CR0.SO set. Every other register is
 * given back exactly as the program left it (r13 and the thread pointer
 * included), since disp_resume restores the whole saved set.
 */
#include "lx.h"

#define CR0_SO 0x10000000ull

static uint8_t enosys_logged[(LX_NSYSCALLS + 7) / 8];

void lx_log_enosys(uint64_t nr)
{
	if (nr < LX_NSYSCALLS) {
		if (enosys_logged[nr / 8] & (1u << (nr % 8)))
			return;
		enosys_logged[nr / 8] |= (uint8_t)(1u << (nr % 8));
		k42_printf("lx: pid %lu: %s (%lu) is not implemented: ENOSYS\n", lx.pid,
			   lx_syscalls[nr].name ? lx_syscalls[nr].name : "unnamed", nr);
	} else {
		k42_printf("lx: pid %lu: system call %lu does not exist: ENOSYS\n", lx.pid, nr);
	}
}

__attribute__((noreturn)) void lx_resume(struct k42_user_regs *regs)
{
	struct k42_disp_shared *sh = k42_disp();

	if (regs != &sh->saved)
		memcpy(&sh->saved, regs, sizeof(*regs));
	sh->saved_valid = 1;
	k42_in_handler = 0;	/* the program runs: no handler is active */
	k42_sc_disp_resume(1);
	k42_fatal("lx: disp_resume failed");
}

/* The Linux result convention, a signal's delivery, and the way back to
 * the program (does not return). */
static __attribute__((noreturn)) void finish(struct lx_args *a, struct k42_user_regs *regs, long rc)
{
	if (rc == -LX_EINTR && lx_sig_stopping()) {
		regs->nip -= 4;	/* stopped, then the same call again (Linux's restart) */
	} else if (rc == -LX_EINTR && lx_sig_restarts() && a->nr != LX_NR_rt_sigsuspend &&
	    a->nr != LX_NR_pause && a->nr != LX_NR_poll && a->nr != LX_NR_ppoll &&
	    a->nr != LX_NR_nanosleep && a->nr != LX_NR_clock_nanosleep &&
	    !(a->nr == LX_NR_futex && a->a[3])) {	/* a timed wait: EINTR, as Linux */
		regs->nip -= 4;	/* SA_RESTART: the `sc` again after the handler */
	} else if (rc != LX_REGS_SET) {
		if (rc < 0 && rc >= -4095) {
			regs->gpr[3] = (uint64_t)-rc;
			regs->cr |= CR0_SO;
		} else {
			regs->gpr[3] = (uint64_t)rc;
			regs->cr &= ~CR0_SO;
		}
	}
	lx_sig_deliver(regs);
	lx_answers_sync();
	lx_resume(regs);
}

static long run(struct lx_args *a)
{
	if (a->nr < LX_NSYSCALLS && lx_syscalls[a->nr].fn)
		return lx_syscalls[a->nr].fn(a);
	lx_log_enosys(a->nr);
	return -LX_ENOSYS;
}

/* A call that may block, on its own thread's personality stack: libk42
 * sees an ordinary thread (not handler code), so a wait blocks this
 * thread alone (iowait.c, an asynchronous IPC for the tty) and the
 * process's other threads run meanwhile. Its registers, VSX state and
 * bounce buffer are its own (struct lx_tcall), since other threads' calls
 * run while it waits. Still disabled: it leaves the processor only where
 * it waits. */
static __attribute__((noreturn)) void on_thread(void *p)
{
	struct lx_tcall *tc = p;
	struct lx_args a;

	k42_in_handler = 0;
	tc->active = 1;
	lx_sigmask_load();
	a.nr = tc->regs.gpr[0];
	for (int i = 0; i < 6; i++)
		a.a[i] = tc->regs.gpr[3 + i];
	a.regs = &tc->regs;
	long rc = run(&a);
	lx_sigmask_load();	/* other threads' calls ran while it waited */
	tc->active = 0;
	k42_in_handler = 1;
	k42_vsx_restore(tc->vsx);	/* other threads ran meanwhile */
	finish(&a, &tc->regs, rc);
}

/* Calls marked +block in syscalls.tbl, and a futex wait that may be
 * between processes (no FUTEX_PRIVATE: futex_shared.c waits like +block
 * calls; a private one parks its thread instead). */
static int may_block(uint64_t nr, uint64_t a1)
{
	if (nr == LX_NR_futex)
		return !(a1 & 128) && ((a1 & 127) == 0 || (a1 & 127) == 9);
	return nr < LX_NSYSCALLS && lx_syscalls[nr].blocks;
}

static void lx_on_syscall(void)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_user_regs *regs = &sh->saved;
	struct lx_tcall *tc;
	struct lx_args a;
	uint64_t held;
	long rc;

	/* Handler context for libk42: no thread of ours is running, so its
	 * waits (pipes, poll) sleep in the kernel through lx_io_wait and its
	 * calls use the shared message buffer. */
	k42_in_handler = 1;
	a.nr = sh->saved.gpr[0];
	/* Our fork's child may start its program once this call is done (a
	 * signal it sends the child, `cmd & kill -INT $!`, is then queued
	 * before the child runs, on any number of CPUs), or now if this call
	 * may wait or not come back (the child may be what it waits for). */
	held = lx_fork_waits;
	if (held && (may_block(a.nr, sh->saved.gpr[4]) || a.nr == LX_NR_execve ||
		     a.nr == LX_NR_exit || a.nr == LX_NR_exit_group)) {
		lx_fork_went_on();
		held = 0;
	}
	if (lx_nthreads > 1 || lx_sigmask_unowned)
		lx_sigmask_load();	/* the calling thread's own mask */
	if (lx_nthreads > 1 && may_block(a.nr, sh->saved.gpr[4]) && (tc = lx_thread_tcall()) != NULL) {
		memcpy(&tc->regs, &sh->saved, sizeof(tc->regs));
		sh->saved_valid = 0;
		k42_vsx_save(tc->vsx);
		k42_on_stack((uint64_t)tc->stack + sizeof(tc->stack), on_thread, tc);
	}
	/* The call runs on the registers where the kernel left them: only
	 * an upcall writes `saved`, and none comes while we are disabled
	 * (a thread that parks takes its own copy). Marked consumed until
	 * lx_resume hands them back. */
	sh->saved_valid = 0;
	for (int i = 0; i < 6; i++)
		a.a[i] = regs->gpr[3 + i];
	a.regs = regs;
	rc = run(&a);
	if (held && lx_fork_waits == held)
		lx_fork_went_on();	/* (not a child this call forked itself) */
	finish(&a, regs, rc);
}

void lx_entry_init(void);
void lx_entry_init(void)
{
	k42_on_reflected_syscall(lx_on_syscall);
}

/* Windows of the personality's own below LX_USER_LIMIT: libk42's heap
 * and its pipe buffers. The program's pointers may not reach them, and
 * its fixed mappings may not land there. */
int lx_reserved(uint64_t va, uint64_t len)
{
	return (va < LX_HEAP_END && va + len > LX_HEAP_BASE) ||
	       (va < LX_PIPES_END && va + len > LX_PIPES_BASE);
}

static int user_range_ok(uint64_t uva, uint64_t len)
{
	return uva >= K42_USER_BASE && uva < LX_USER_LIMIT && len <= LX_USER_LIMIT - uva &&
	       !lx_reserved(uva, len);
}

/* Is [uva, uva+len) inside one mapping of the program with rights
 * `need`? All of a Linux program's memory is anonymous k42 regions the
 * personality made and recorded (lx_vmas: the image, the stack, brk,
 * mmap), whose faults the kernel resolves itself (zero fill,
 * copy-on-write), and nothing else changes them while a call runs (one
 * dispatcher; only the personality maps for the program). There the
 * personality, in the same address space, copies directly: the kernel's
 * checked copy (mem_read/mem_write on ourselves) costs about 1,100
 * instructions even for one byte, four times per pipe round trip. Any
 * other range takes the checked copy, which gives EFAULT. */
static int direct_ok(uint64_t uva, uint64_t len, unsigned need)
{
	for (int i = 0; i < lx_nvmas; i++) {
		const struct lx_vma *v = &lx_vmas[i];

		if (uva >= v->va && uva - v->va < v->len)
			return len <= v->len - (uva - v->va) && (v->prot & need) == need;
	}
	return 0;
}

long lx_copy_in(void *dst, uint64_t uva, uint64_t len)
{
	long rc;

	if (!len)
		return 0;
	if (!user_range_ok(uva, len))
		return -LX_EFAULT;
	if (direct_ok(uva, len, K42_PROT_READ)) {
		memcpy(dst, (const void *)uva, len);
		return 0;
	}
	rc = k42_sc_mem_read(lx.pid, uva, (uint64_t)dst, len);
	return rc < 0 ? -LX_EFAULT : 0;
}

long lx_copy_out(uint64_t uva, const void *src, uint64_t len)
{
	long rc;

	if (!len)
		return 0;
	if (!user_range_ok(uva, len))
		return -LX_EFAULT;
	if (direct_ok(uva, len, K42_PROT_WRITE)) {
		memcpy((void *)uva, src, len);
		return 0;
	}
	rc = k42_sc_mem_write(lx.pid, uva, (uint64_t)src, len);
	return rc < 0 ? -LX_EFAULT : 0;
}

long lx_copy_str(char *dst, uint64_t uva, uint64_t max)
{
	uint64_t got = 0;

	while (got < max) {
		uint64_t chunk = K42_PAGE_SIZE - ((uva + got) & (K42_PAGE_SIZE - 1));
		long rc;
		char *nul;

		if (chunk > max - got)
			chunk = max - got;
		rc = lx_copy_in(dst + got, uva + got, chunk);
		if (rc < 0)
			return rc;
		nul = memchr(dst + got, 0, chunk);
		if (nul)
			return nul - dst;
		got += chunk;
	}
	return -LX_ENAMETOOLONG;
}
