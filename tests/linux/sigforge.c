/*
 * A static musl program for the Linux personality: a signal handler that
 * forges the context rt_sigreturn resumes (issue 12 item 1). A child
 * raises SIGUSR1; its handler sets the saved MSR to a supervisor value
 * (PR clear, HV set) and the saved pc either to code that runs mfmsr
 * (privileged: in user mode it traps; if it ran, the child would exit 77)
 * or to a kernel address. The child must never exit 77 or 0: it traps or
 * is killed. The parent reports each case and exits 0 if all held.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define SUPERVISOR_MSR 0x9000000000001003ul	/* SF HV ME RI LE, PR clear */
#define PT_NIP 32
#define PT_MSR 33

static unsigned long target;

__attribute__((noinline)) static void priv_probe(void)
{
	unsigned long msr;

	__asm__ volatile("mfmsr %0" : "=r"(msr));
	_exit(msr ? 77 : 76);
}

static void handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gp_regs[PT_MSR] = SUPERVISOR_MSR;
	uc->uc_mcontext.gp_regs[PT_NIP] = target;
	uc->uc_mcontext.gp_regs[12] = target;	/* ELFv2 global entry: r12 = the function */
}

static int run(const char *what, unsigned long pc)
{
	struct sigaction sa;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		target = pc;
		raise(SIGUSR1);
		_exit(0);	/* the forged context did not take */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("sigforge: %s: fork/wait failed\n", what);
		return 1;
	}
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 76)) {
		printf("sigforge: %s: RAN PRIVILEGED\n", what);
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("sigforge: %s: the forged context was not resumed\n", what);
		return 1;
	}
	printf("sigforge: %s: %s %d\n", what, WIFEXITED(status) ? "exited" : "killed by signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int main(void)
{
	int bad = 0;

	bad += run("supervisor MSR, privileged code", (unsigned long)priv_probe);
	bad += run("supervisor MSR, kernel pc", 0xc000000000000100ul);
	printf("sigforge: %s\n", bad ? "FAILED" : "no forged context ran privileged");
	return bad;
}
