/*
 * Linux signals: dispositions, masks, pending bits, and delivery with the
 * frame Linux ppc64 builds (struct rt_sigframe: ucontext with the
 * registers in uc_mcontext.gp_regs, siginfo), on the process's stack or
 * its sigaltstack. Delivery happens on the way back from a system call;
 * a blocking call returns EINTR (or restarts, with SA_RESTART) when a
 * signal arrives. Pending signals are the process's, plus each thread's
 * own (tgkill, tkill, SIGPIPE: thread.c), which only that thread takes. Signals come from the process itself, from SIGCHLD
 * (a child ended), and from other processes as soft-interrupt bits
 * 33..62 (signals 1..30); SIGKILL is the kernel's proc_kill. A signal
 * whose default action ends the process ends it with exit status
 * 0x100 | signal, which wait4 reports as "killed by signal".
 */
#include "lx.h"
#include <k42/fs.h>
#include <k42/services.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>

#define LX_SA_NOCLDSTOP 0x1ull
#define LX_SA_NOCLDWAIT 0x2ull
#define LX_SA_SIGINFO 0x4ull
#define LX_SA_ONSTACK 0x08000000ull
#define LX_SA_RESTART 0x10000000ull
#define LX_SA_NODEFER 0x40000000ull
#define LX_SA_RESETHAND 0x80000000ull
#define LX_SIG_DFL 0
#define LX_SIG_IGN 1
#define LX_SIGKILL 9
#define LX_SIGCHLD 17
#define LX_SIGCONT 18
#define LX_SIGSTOP 19
/* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU */
#define STOP_BITS (BIT(19) | BIT(20) | BIT(21) | BIT(22))
#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_NR_rt_sigreturn_insn 172
#define SIGNAL_FRAMESIZE 128	/* ppc64 __SIGNAL_FRAMESIZE: the handler's caller frame */
#define BIT(sig) (1ull << ((sig) - 1))

struct lx_sigaction {
	uint64_t handler, flags, restorer, mask;
};

static struct lx_sigaction actions[65];
uint64_t lx_sigmask;
static uint64_t pending;
/* rt_sigsuspend: the mask to put back once a handler has run. */
static int restore_valid;
static uint64_t restore_mask;
static struct {
	uint64_t sp, flags, size;
} altstack = { 0, LX_SS_DISABLE, 0 };

/* Linux's ppc64 frame (arch/powerpc/include/uapi/asm/{ucontext,sigcontext}.h). */
struct lx_sigcontext {
	uint64_t unused[4];
	int32_t signal, pad0;
	uint64_t handler, oldmask, regs;
	uint64_t gp_regs[48];		/* r0..r31, nip, msr, orig_r3, ctr, lr, xer, cr, ... */
	uint64_t fp_regs[33];		/* f0..f31, fpscr */
	uint64_t v_regs;
	int64_t vmx_reserve[101];
};

struct lx_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	uint64_t uc_sigmask;
	uint64_t unused[15];
	struct lx_sigcontext mc;
};

struct lx_siginfo {
	int32_t signo, errno_, code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;
	int32_t rest[25];
};

struct lx_rt_sigframe {
	struct lx_ucontext uc;
	uint64_t unused[2];
	uint32_t tramp[6];
	uint64_t pinfo, puc;
	struct lx_siginfo info;
	/* k42: the FP/VMX/VSX registers at delivery, put back by sigreturn. */
	uint8_t vsx[K42_VSX_AREA] __attribute__((aligned(16)));
	uint8_t abigap[512];
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct lx_ucontext) == 1696, "Linux ppc64 ucontext is 1696 bytes");
_Static_assert(sizeof(struct lx_siginfo) == 128, "siginfo is 128 bytes");

#define GP_NIP 32
#define GP_MSR 33
#define GP_ORIG_R3 34
#define GP_CTR 35
#define GP_LINK 36
#define GP_XER 37
#define GP_CCR 38
#define GP_TRAP 40

/* The handlers return here (LR): "li r0, __NR_rt_sigreturn; sc". It is in
 * the personality's text, which the program can execute like its own. */
void lx_sigtramp(void);
__asm__(".text\n.globl lx_sigtramp\n.type lx_sigtramp, @function\n"
	"lx_sigtramp:\n\tli 0, 172\n\tsc\n\ttrap\n.size lx_sigtramp, . - lx_sigtramp\n");

static int default_ignored(int sig)
{
	return sig == 17 || sig == 18 || sig == 23 || sig == 28;	/* CHLD CONT URG WINCH */
}

/* Does sig stop us (job control)? SIGSTOP always; SIGTSTP, SIGTTIN and
 * SIGTTOU by their default action. */
static int stops(int sig)
{
	return sig == LX_SIGSTOP || (sig >= 20 && sig <= 22 && actions[sig].handler == LX_SIG_DFL);
}

/* Stopped (do_stop), and whether a SIGCONT came since we stopped. */
static int stopped;
static volatile int continued;

/* Linux: a SIGCONT that arrives discards pending stop signals, a stop
 * signal a pending SIGCONT. */
static void arriving(int sig)
{
	if (sig == LX_SIGCONT) {
		pending &= ~STOP_BITS;
		continued = 1;
	} else if (STOP_BITS & BIT(sig)) {
		pending &= ~BIT(LX_SIGCONT);
	}
}

/* Not ignored: worth waking a waiter for. */
static int wanted(int sig)
{
	return actions[sig].handler != LX_SIG_IGN &&
	       !(actions[sig].handler == LX_SIG_DFL && default_ignored(sig));
}

void lx_sig_raise(int sig)
{
	if (sig >= 1 && sig <= 64) {
		arriving(sig);
		pending |= BIT(sig);
		lx_answers_off();
		if (wanted(sig))
			lx_threads_signal(BIT(sig));	/* futex waiters that may take it */
		if (lx_nthreads > 1)
			k42_io_event();	/* a call waiting on its thread re-checks */
	}
}

/* A signal for one thread (tid; 0: the caller), as tgkill, tkill and
 * SIGPIPE send: pending for it alone, so only it takes it. */
long lx_sig_raise_thread(uint64_t tid, int sig)
{
	long rc;

	if (sig < 0 || sig > 64)
		return -LX_EINVAL;
	rc = lx_thread_raise(tid, sig, sig && wanted(sig));
	if (rc < 0 || !sig)
		return rc;
	lx_answers_off();
	if (lx_nthreads > 1)
		k42_io_event();	/* a call waiting on its thread re-checks */
	return 0;
}

__attribute__((noreturn)) static void die_by(int sig);

static int next_signal(void);
static void on_trap(uint64_t vector, uint64_t pc, uint64_t addr, uint64_t code, uint64_t access);

/* A signal raised in the drain of an upcall that interrupted the program
 * (k42_in_handler 1: no call of the personality under way; a
 * single-threaded process, whose thread's registers libk42 holds now):
 * delivered at once on those registers, as Linux delivers on the way
 * back from an interrupt, so a program that makes no calls (a busy
 * loop) still takes it (a handler runs, or the default action ends it). */
static void deliver_now(void)
{
	struct k42_thread *t = k42_current;

	if (lx_nthreads != 1 || k42_in_handler != 1 || !t || !t->full ||
	    t->regs.nip >= LX_USER_LIMIT || !next_signal())
		return;
	k42_vsx_restore(t->vsx);	/* the program's, for the frame */
	lx_sig_deliver(&t->regs);
}

/* Soft-interrupt bits from other processes' kill. SIGKILL that arrives
 * while the program runs (the only drain on the upcall's way, no call of
 * the personality under way) ends a single-threaded process at once, as
 * Linux's does, even one spinning in user code that makes no calls; in a
 * call, the call ends (EINTR) and its way back ends the process. */
static void on_softintr(uint64_t bits)
{
	if ((bits & (LX_SOFTINTR_SIG << LX_SIGKILL)) && lx_nthreads == 1 && k42_in_handler == 1)
		die_by(LX_SIGKILL);
	for (int sig = 1; sig <= 30; sig++)
		if (bits & (LX_SOFTINTR_SIG << sig)) {
			arriving(sig);
			pending |= BIT(sig);
			if (wanted(sig))
				lx_threads_signal(BIT(sig));
		}
	if (pending)
		lx_answers_off();
	if (lx_nthreads > 1)
		k42_io_event();	/* a call waiting on its thread re-checks */
	deliver_now();
}

/* itimer.c: SIGALRM from a timer (in a drain). */
void lx_sig_raise_async(int sig)
{
	lx_sig_raise(sig);
	deliver_now();
}

/* Signals by message (ioevent.signal) between processes that may not
 * raise each other's soft interrupts (siblings, an ancestor): taken from
 * processes of our Linux process tree (all "root" to Linux, which lets
 * root signal anyone). The receiver judges the sender by the kernel's
 * caller id while the sender waits for its answer (signal 0 back), so
 * the sender is still there to be looked up; pids are never reused.
 * SIGKILL ends us here, as the kernel's proc_kill would. */
static uint64_t acked_by;

static void on_signal_msg(uint64_t from, uint32_t sig)
{
	if (sig == 0) {
		acked_by = from;
		return;
	}
	if (sig > 64 || !k42_proc_manages(lx.root, from))
		return;
	/* A child's stop or continue (do_stop): not with SA_NOCLDSTOP. */
	if (sig == LX_SIGCHLD && (actions[LX_SIGCHLD].flags & LX_SA_NOCLDSTOP)) {
		k42_send_signal(from, 0);
		return;
	}
	/* A signal that ends us (default action, not blocked) ends us
	 * before the answer, as Linux's kill makes it pending at once: the
	 * sender, who waits for the answer or our end, goes on after we
	 * are gone (so `sh -c "kill $p"; wait $p` finds p ended). */
	if (sig == LX_SIGKILL || (actions[sig].handler == LX_SIG_DFL && !default_ignored((int)sig) &&
				  !stops((int)sig) && !stopped && !(lx_sigmask & BIT(sig))))
		k42_sc_exit(0x100u | sig);
	k42_send_signal(from, 0);
	lx_sig_raise((int)sig);
	deliver_now();
}

long lx_sig_send(uint64_t pid, int sig)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), deadline = k42_timebase() + hz / 5;
	long rc;

	acked_by = 0;
	if ((rc = k42_send_signal(pid, (uint32_t)sig)) < 0)
		return rc;
	/* Bounded: a receiver that takes no signals never answers. */
	while (acked_by != pid && k42_timebase() < deadline) {
		struct k42_procinfo info;

		if (k42_sc_proc_describe(pid, (uint64_t)&info) < 0 || info.state != K42_PROC_RUNNING)
			break;
		lx_wait_event(hz / 100);
	}
	return 0;
}

void lx_signal_init(void)
{
	k42_on_user_softintr(on_softintr);
	k42_on_signal(on_signal_msg);
	k42_on_reflected_trap(on_trap);
}

/* Children are not waited for (Linux: SIGCHLD ignored, or SA_NOCLDWAIT):
 * they are reaped as they end and never become zombies. */
int lx_sig_nocldwait(void)
{
	return actions[17].handler == LX_SIG_IGN || (actions[17].flags & LX_SA_NOCLDWAIT) != 0;
}

/* execve: handlers go back to default, ignored stays ignored. */
void lx_signal_exec(void)
{
	for (int i = 1; i <= 64; i++)
		if (actions[i].handler != LX_SIG_IGN)
			memset(&actions[i], 0, sizeof(actions[i]));
	altstack.flags = LX_SS_DISABLE;
}

/* The signal to act on now, or 0; drops ignored ones. */
static int next_signal(void)
{
	uint64_t ready, own;

	if (actions[17].handler > LX_SIG_IGN)
		lx_children_poll();
	/* The common case, on every system call's way back: nothing. */
	if (!(ready = (pending | (own = lx_thread_pending())) & ~lx_sigmask))
		return 0;
	for (int sig = __builtin_ctzll(ready) + 1; sig <= 64; sig++) {
		if (!((pending | own) & BIT(sig)) || (lx_sigmask & BIT(sig)))
			continue;
		if (!wanted(sig)) {
			pending &= ~BIT(sig);
			if (own & BIT(sig))
				lx_thread_unpend(BIT(sig), 0);
			continue;
		}
		return sig;
	}
	return 0;
}

int lx_sig_quiet(void)
{
	return !pending && !lx_tpending_any && actions[17].handler <= LX_SIG_IGN;
}

int lx_sig_deliverable(void)
{
	return next_signal() != 0;
}

int lx_sig_restarts(void)
{
	int sig = next_signal();

	return sig && (actions[sig].flags & LX_SA_RESTART);
}

/* Is the signal to act on a stop? The call it ended is made again once
 * we are continued, as Linux restarts it (any call: the stop is not the
 * program's to see). */
int lx_sig_stopping(void)
{
	int sig = next_signal();

	return sig && stops(sig);
}

/* Job control: stopped by sig until SIGCONT (or SIGKILL). The whole
 * process waits here, in the personality; other signals stay pending.
 * The tree's table says so (ps shows T; the parent's wait4 with
 * WUNTRACED or WCONTINUED reports it), and the parent gets SIGCHLD
 * (unless it asked SA_NOCLDSTOP), as on Linux. */
static void do_stop(int sig)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	continued = 0;
	stopped = 1;
	lx_ptab_stop(sig);
	if (lx.ppid)
		(void)lx_sig_send(lx.ppid, LX_SIGCHLD);
	while (!continued) {
		if (pending & BIT(LX_SIGKILL))
			die_by(LX_SIGKILL);
		(void)lx_wait_event(hz);
	}
	stopped = 0;
	lx_ptab_stop(0);
	if (lx.ppid)
		(void)lx_sig_send(lx.ppid, LX_SIGCHLD);
}

__attribute__((noreturn)) static void die_by(int sig)
{
	lx_kills_flush();
	lx_fs_close_all();
	k42_sc_exit(0x100u | (unsigned)sig);
	for (;;)
		;
}

/* Push sig's frame (siginfo *info, the trap vector Linux records) on the
 * program's stack or its sigaltstack and point regs at the handler; -1
 * if the frame does not fit there (nothing changed then). */
static int push_frame(struct k42_user_regs *regs, int sig, const struct lx_siginfo *info,
		      uint64_t trap)
{
	static struct lx_rt_sigframe f;
	struct lx_sigaction *act = &actions[sig];
	uint64_t sp, newsp, back = regs->gpr[1];

	memset(&f, 0, sizeof(f));
	f.uc.ss_sp = altstack.sp;
	f.uc.ss_flags = (int32_t)altstack.flags;
	f.uc.ss_size = altstack.size;
	f.uc.uc_sigmask = restore_valid ? restore_mask : lx_sigmask;
	f.uc.mc.signal = sig;
	f.uc.mc.handler = act->handler;
	f.uc.mc.oldmask = f.uc.uc_sigmask;
	memcpy(f.uc.mc.gp_regs, regs->gpr, sizeof(regs->gpr));
	f.uc.mc.gp_regs[GP_NIP] = regs->nip;
	f.uc.mc.gp_regs[GP_MSR] = 0x800000000000f033ull;	/* what a user MSR reads as on Linux */
	f.uc.mc.gp_regs[GP_ORIG_R3] = regs->gpr[3];
	f.uc.mc.gp_regs[GP_CTR] = regs->ctr;
	f.uc.mc.gp_regs[GP_LINK] = regs->lr;
	f.uc.mc.gp_regs[GP_XER] = regs->xer;
	f.uc.mc.gp_regs[GP_CCR] = regs->cr;
	f.uc.mc.gp_regs[GP_TRAP] = trap;
	/* The program's FP/VMX/VSX registers are the live ones (the
	 * personality never uses them); save them, keep them live. */
	k42_vsx_save(f.vsx);
	k42_vsx_restore(f.vsx);
	for (int i = 0; i < 32; i++)
		memcpy(&f.uc.mc.fp_regs[i], f.vsx + i * 16 + 8, 8);
	memcpy(&f.uc.mc.fp_regs[32], f.vsx + 1024, 8);
	f.info = *info;
	f.tramp[0] = 0x38000000u | LX_NR_rt_sigreturn_insn;	/* li r0, 172 */
	f.tramp[1] = 0x44000002u;				/* sc */

	sp = back;
	if ((act->flags & LX_SA_ONSTACK) && altstack.flags == 0 &&
	    !(sp > altstack.sp && sp <= altstack.sp + altstack.size))
		sp = altstack.sp + altstack.size;
	sp = (sp - 512 - sizeof(f)) & ~15ull;	/* below the caller's red zone */
	f.pinfo = sp + offsetof(struct lx_rt_sigframe, info);
	f.puc = sp + offsetof(struct lx_rt_sigframe, uc);
	f.uc.mc.regs = sp + offsetof(struct lx_rt_sigframe, uc.mc.gp_regs);
	newsp = sp - SIGNAL_FRAMESIZE;
	if (lx_copy_out(sp, &f, sizeof(f)) < 0 || lx_copy_out(newsp, &back, sizeof(back)) < 0)
		return -1;
	restore_valid = 0;
	if (!(act->flags & LX_SA_NODEFER))
		lx_sigmask |= BIT(sig);
	lx_sigmask |= act->mask;
	lx_sigmask &= ~(BIT(LX_SIGKILL) | BIT(LX_SIGSTOP));
	regs->gpr[1] = newsp;
	regs->gpr[3] = (uint64_t)sig;
	regs->gpr[4] = f.pinfo;
	regs->gpr[5] = f.puc;
	regs->gpr[6] = sp;
	regs->gpr[12] = f.uc.mc.handler;
	regs->nip = f.uc.mc.handler;
	regs->lr = (uint64_t)lx_sigtramp;
	if (act->flags & LX_SA_RESETHAND)
		memset(act, 0, sizeof(*act));
	return 0;
}

/* A fork's child: none of its parent's pending signals (Linux's fork
 * clears the set; ours is a copy of the parent's memory). */
void lx_sig_forked(void)
{
	pending = 0;
}

/* On the way back to the program: run the handler of a pending signal
 * (regs hold the call's result already), or take the default action. */
void lx_sig_deliver(struct k42_user_regs *regs)
{
	struct lx_siginfo info;
	int sig = next_signal();

	if (!sig)
		return;
	if (lx_thread_pending() & BIT(sig))
		lx_thread_unpend(BIT(sig), 0);	/* its own first, as Linux */
	else
		pending &= ~BIT(sig);
	if (stops(sig)) {
		do_stop(sig);
		lx_sig_deliver(regs);	/* what came meanwhile (a SIGCONT handler) */
		return;
	}
	if (actions[sig].handler == LX_SIG_DFL)
		die_by(sig);
	memset(&info, 0, sizeof(info));
	info.signo = sig;
	info.code = sig == 17 ? 1 : 0;	/* CLD_EXITED, SI_USER */
	if (push_frame(regs, sig, &info, 0xc00) < 0) {
		k42_printf("lx: pid %lu: no room for a signal frame below 0x%lx: killed by signal %d\n",
			   lx.pid, regs->gpr[1], sig);
		die_by(LX_SIGKILL);
	}
}

/*
 * The program's own exceptions (K42_ENTRY_TRAP, docs/linux.md "Faults"):
 * an access it has no right to is SIGSEGV (si_addr the address), an
 * illegal or privileged instruction SIGILL, a trap instruction SIGTRAP,
 * an unaligned access SIGBUS, each with si_addr and the frame's trap word
 * as Linux gives them. A handler runs if the program has one and the
 * signal is not blocked; otherwise the process ends by the signal (the
 * shell says "Segmentation fault"), with one line saying what it did.
 */
#define LX_SIGILL 4
#define LX_SIGTRAP 5
#define LX_SIGBUS 7
#define LX_SIGSEGV 11

static __attribute__((noreturn)) void on_trap(uint64_t vector, uint64_t pc, uint64_t addr,
					      uint64_t code, uint64_t access)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_user_regs *regs = &sh->saved;
	struct lx_siginfo info;
	char what[96];
	uint32_t insn = 0;
	int sig, si_code;

	k42_in_handler = 1;
	sh->saved_valid = 0;	/* consumed; lx_resume hands them back */
	if (lx_nthreads > 1 || lx_sigmask_unowned)
		lx_sigmask_load();	/* the faulting thread's own mask */
	if (vector >= 0x300 && vector < 0x500) {
		sig = LX_SIGSEGV;
		si_code = code == K42_TRAP_FAULT_ACCESS ? 2 : 1;	/* SEGV_ACCERR, SEGV_MAPERR */
		k_snprintf(what, sizeof(what), "%s of 0x%lx (%s)",
			   access == K42_PROT_WRITE ? "write" : access == K42_PROT_EXEC ? "execute" : "read",
			   addr, si_code == 2 ? "not permitted there" : "nothing mapped there");
	} else if (vector == 0x600) {
		sig = LX_SIGBUS;
		si_code = 1;	/* BUS_ADRALN */
		addr = pc;
		k_snprintf(what, sizeof(what), "unaligned access");
	} else {
		uint32_t op, xo;

		addr = pc;
		(void)lx_copy_in(&insn, pc, sizeof(insn));
		op = insn >> 26;
		xo = (insn >> 1) & 0x3ff;
		if (vector == 0x700 && (op == 2 || op == 3 || (op == 31 && (xo == 4 || xo == 68)))) {
			sig = LX_SIGTRAP;	/* tdi, twi, tw, td */
			si_code = 1;		/* TRAP_BRKPT */
			k_snprintf(what, sizeof(what), "trap instruction 0x%08x", insn);
		} else {
			sig = LX_SIGILL;
			si_code = 1;		/* ILL_ILLOPC */
			k_snprintf(what, sizeof(what),
				   "illegal or privileged instruction 0x%08x (vector 0x%lx)", insn, vector);
		}
	}
	if (actions[sig].handler <= LX_SIG_IGN || (lx_sigmask & BIT(sig))) {
		/* Default, ignored or blocked: a fault cannot be ignored. */
		k42_printf("lx: pid %lu (%s): %s at pc 0x%lx: killed by %s\n", lx.pid, lx.comm,
			   what, pc, sig == LX_SIGSEGV ? "SIGSEGV" : sig == LX_SIGILL ? "SIGILL" :
			   sig == LX_SIGTRAP ? "SIGTRAP" : "SIGBUS");
		die_by(sig);
	}
	memset(&info, 0, sizeof(info));
	info.signo = sig;
	info.code = si_code;
	memcpy(&info.pid, &addr, sizeof(addr));	/* si_addr */
	if (push_frame(regs, sig, &info, vector) < 0) {
		k42_printf("lx: pid %lu (%s): %s at pc 0x%lx, and no room for the handler's frame: "
			   "killed by SIGSEGV\n", lx.pid, lx.comm, what, pc);
		die_by(LX_SIGSEGV);
	}
	lx_answers_sync();
	lx_resume(regs);
}

long lx_sys_rt_sigreturn(struct lx_args *a)
{
	static struct lx_rt_sigframe f;
	struct k42_user_regs *regs = a->regs;
	uint64_t sp = regs->gpr[1] + SIGNAL_FRAMESIZE;

	if (lx_copy_in(&f, sp, sizeof(f)) < 0) {
		k42_printf("lx: pid %lu: rt_sigreturn with no frame at 0x%lx: killed\n", lx.pid, sp);
		die_by(11);
	}
	memcpy(regs->gpr, f.uc.mc.gp_regs, sizeof(regs->gpr));
	regs->nip = f.uc.mc.gp_regs[GP_NIP];
	regs->ctr = f.uc.mc.gp_regs[GP_CTR];
	regs->lr = f.uc.mc.gp_regs[GP_LINK];
	regs->xer = f.uc.mc.gp_regs[GP_XER];
	regs->cr = f.uc.mc.gp_regs[GP_CCR];
	lx_sigmask = f.uc.uc_sigmask & ~(BIT(LX_SIGKILL) | BIT(LX_SIGSTOP));
	k42_vsx_restore(f.vsx);
	return LX_REGS_SET;
}

long lx_sys_rt_sigaction(struct lx_args *a)
{
	uint64_t sig = a->a[0];
	struct lx_sigaction act;

	if (sig < 1 || sig > 64 || a->a[3] != 8)
		return -LX_EINVAL;
	if (a->a[2] && lx_copy_out(a->a[2], &actions[sig], sizeof(act)) < 0)
		return -LX_EFAULT;
	if (a->a[1]) {
		if (sig == LX_SIGKILL || sig == LX_SIGSTOP)
			return -LX_EINVAL;
		if (lx_copy_in(&act, a->a[1], sizeof(act)) < 0)
			return -LX_EFAULT;
		actions[sig] = act;
		if (act.handler == LX_SIG_IGN) {
			pending &= ~BIT(sig);
			lx_thread_unpend(BIT(sig), 1);
		}
		lx_ptab_sigs();
	}
	return 0;
}

long lx_sys_rt_sigprocmask(struct lx_args *a)
{
	uint64_t set;

	if (a->a[3] != 8)
		return -LX_EINVAL;
	if (a->a[1] && lx_copy_in(&set, a->a[1], sizeof(set)) < 0)
		return -LX_EFAULT;
	if (a->a[2] && lx_copy_out(a->a[2], &lx_sigmask, sizeof(lx_sigmask)) < 0)
		return -LX_EFAULT;
	if (!a->a[1])
		return 0;
	switch (a->a[0]) {
	case 0: lx_sigmask |= set; break;
	case 1: lx_sigmask &= ~set; break;
	case 2: lx_sigmask = set; break;
	default: return -LX_EINVAL;
	}
	lx_sigmask &= ~(BIT(LX_SIGKILL) | BIT(LX_SIGSTOP));
	lx_ptab_sigs();
	return 0;
}

void lx_sig_sets(uint64_t out[LX_SIGSETS])
{
	out[LX_SIGSET_PND] = lx_thread_pending();
	out[LX_SIGSET_SHD] = pending;
	out[LX_SIGSET_BLK] = lx_sigmask;
	out[LX_SIGSET_IGN] = out[LX_SIGSET_CGT] = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (actions[sig].handler == LX_SIG_IGN)
			out[LX_SIGSET_IGN] |= BIT(sig);
		else if (actions[sig].handler != LX_SIG_DFL)
			out[LX_SIGSET_CGT] |= BIT(sig);
	}
}

long lx_sys_rt_sigpending(struct lx_args *a)
{
	uint64_t p = (pending | lx_thread_pending()) & lx_sigmask;

	if (a->a[1] != 8)
		return -LX_EINVAL;
	return lx_copy_out(a->a[0], &p, sizeof(p));
}

/* Wait for a signal with a temporary mask; the handler runs with it and
 * the old mask comes back after (the frame carries it). */
long lx_sys_rt_sigsuspend(struct lx_args *a)
{
	uint64_t set, old = lx_sigmask;

	if (a->a[1] != 8)
		return -LX_EINVAL;
	if (lx_copy_in(&set, a->a[0], sizeof(set)) < 0)
		return -LX_EFAULT;
	lx_sigmask = set & ~(BIT(LX_SIGKILL) | BIT(LX_SIGSTOP));
	while (!lx_sig_deliverable())
		lx_wait_event(k42_info(K42_INFO_TIMEBASE_HZ) / 10);
	restore_valid = 1;
	restore_mask = old;
	return -LX_EINTR;
}

long lx_sys_pause(struct lx_args *a)
{
	(void)a;
	while (!lx_sig_deliverable())
		lx_wait_event(k42_info(K42_INFO_TIMEBASE_HZ) / 10);
	return -LX_EINTR;
}

long lx_sys_sigaltstack(struct lx_args *a)
{
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss;

	if (a->a[1]) {
		ss.sp = altstack.sp;
		ss.flags = (int32_t)altstack.flags;
		ss.pad = 0;
		ss.size = altstack.size;
		if (lx_copy_out(a->a[1], &ss, sizeof(ss)) < 0)
			return -LX_EFAULT;
	}
	if (a->a[0]) {
		if (lx_copy_in(&ss, a->a[0], sizeof(ss)) < 0)
			return -LX_EFAULT;
		if (ss.flags & ~LX_SS_DISABLE)
			return -LX_EINVAL;
		if (!(ss.flags & LX_SS_DISABLE) && ss.size < 2048)
			return -LX_ENOMEM;
		altstack.sp = ss.sp;
		altstack.size = ss.size;
		altstack.flags = (uint64_t)ss.flags;
	}
	return 0;
}
