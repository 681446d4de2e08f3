/*
 * A Linux program's own faults become Linux's signals (docs/linux.md,
 * "Faults"): SIGSEGV with si_addr and SEGV_MAPERR/SEGV_ACCERR, SIGILL,
 * SIGTRAP and SIGBUS with the faulting pc, handlers that recover with
 * siglongjmp, a stack overflow caught on a sigaltstack, a fault in a
 * second thread, and the default action (or a blocked or reset handler)
 * ending the process by the signal, as wait4 sees it.
 *
 * With an argument (null, ill, trap) it just does that, for the shell
 * cases (tests/linux/cases.txt: "Segmentation fault", status 139).
 * Without, it checks everything and prints "fault: PASS".
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;
static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("fault: FAILED: " __VA_ARGS__);             \
			printf("\n");                                      \
			failures++;                                        \
		}                                                          \
	} while (0)

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static void catch(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static void __attribute__((noinline)) do_ill(void)
{
	__asm__ volatile(".long 0");
}

static void __attribute__((noinline)) do_trap(void)
{
	__asm__ volatile("trap");
}

static void __attribute__((noinline)) do_unaligned(void)
{
	static uint64_t words[2];
	char *p = (char *)words + 1;
	uint32_t v;

	/* A reservation on an unaligned word is an alignment interrupt. */
	__asm__ volatile("lwarx %0, 0, %1" : "=r"(v) : "r"(p) : "memory");
	(void)v;
}

static volatile int depth_reached;

static volatile int forever = 1;

static int __attribute__((noinline)) recurse(int n)
{
	volatile char buf[1024];

	buf[0] = (char)n;
	depth_reached = n;
	return forever ? recurse(n + 1) + buf[0] : 0;
}

/* The status a child that does `what` ends with. */
static int child_status(void (*what)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		what();
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return st;
}

static volatile uintptr_t low = 16;	/* a variable, so the compiler lets it be */

static void null_write(void)
{
	*(volatile int *)low = 1;
}

static void blocked_segv(void)
{
	sigset_t s;

	catch(SIGSEGV, 0);
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	null_write();	/* blocked: a fault cannot wait, so it ends us */
}

static void ignored_segv(void)
{
	signal(SIGSEGV, SIG_IGN);
	null_write();
}

static void resethand_twice(void)
{
	catch(SIGSEGV, SA_RESETHAND);
	if (!sigsetjmp(jb, 1))
		null_write();
	null_write();	/* the handler was reset: the default ends us */
}

static void *thread_fault(void *arg)
{
	(void)arg;
	if (!sigsetjmp(jb, 1)) {
		*(volatile int *)0x2468 = 1;
		return (void *)1;
	}
	return got_sig == SIGSEGV && got_addr == (void *)0x2468 ? NULL : (void *)2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		if (!strcmp(argv[1], "null"))
			null_write();
		else if (!strcmp(argv[1], "ill"))
			do_ill();
		else if (!strcmp(argv[1], "trap"))
			do_trap();
		printf("fault %s: still here\n", argv[1]);
		return 0;
	}

	catch(SIGSEGV, 0);
	catch(SIGILL, 0);
	catch(SIGTRAP, 0);
	catch(SIGBUS, 0);

	if (!sigsetjmp(jb, 1))
		*(volatile int *)0x1234 = 5;
	CHECK(got_sig == SIGSEGV && got_code == SEGV_MAPERR && got_addr == (void *)0x1234,
	      "unmapped write: sig %d code %d addr %p", got_sig, got_code, got_addr);

	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		*(volatile int *)(void *)main = 0;
	CHECK(got_sig == SIGSEGV && got_code == SEGV_ACCERR && got_addr == (void *)main,
	      "write to text: sig %d code %d addr %p", got_sig, got_code, got_addr);

	char *volatile ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	got_sig = 0;
	if (ro != MAP_FAILED && !sigsetjmp(jb, 1))
		ro[100] = 1;
	CHECK(ro != MAP_FAILED && got_sig == SIGSEGV && got_code == SEGV_ACCERR &&
	      got_addr == ro + 100, "read-only mmap: sig %d code %d addr %p (map %p)", got_sig,
	      got_code, got_addr, (void *)ro);

	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		((void (*)(void))0x4000)();
	CHECK(got_sig == SIGSEGV && got_addr == (void *)0x4000, "jump to nothing: sig %d addr %p",
	      got_sig, got_addr);

	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		do_ill();
	CHECK(got_sig == SIGILL && got_code == ILL_ILLOPC, "illegal instruction: sig %d code %d",
	      got_sig, got_code);

	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		do_trap();
	CHECK(got_sig == SIGTRAP, "trap: sig %d", got_sig);

	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		do_unaligned();
	CHECK(got_sig == SIGBUS && got_code == BUS_ADRALN, "unaligned lwarx: sig %d code %d",
	      got_sig, got_code);

	/* A stack overflow, caught on an alternate stack. */
	stack_t ss = { .ss_sp = malloc(64 * 1024), .ss_size = 64 * 1024 };

	sigaltstack(&ss, NULL);
	catch(SIGSEGV, SA_ONSTACK);
	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		recurse(0);
	CHECK(got_sig == SIGSEGV && depth_reached > 1000, "stack overflow: sig %d after %d frames",
	      got_sig, depth_reached);
	catch(SIGSEGV, 0);

	/* A second thread's fault goes to that thread's handler. */
	pthread_t th;
	void *res = (void *)3;

	got_sig = 0;
	pthread_create(&th, NULL, thread_fault, NULL);
	pthread_join(th, &res);
	CHECK(res == NULL, "fault in a thread: result %p, sig %d addr %p", res, got_sig, got_addr);

	/* Ended by the signal: default, blocked, ignored, reset. */
	signal(SIGSEGV, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	int st = child_status(null_write);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "default: status 0x%x", st);
	st = child_status(blocked_segv);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "blocked: status 0x%x", st);
	st = child_status(ignored_segv);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "ignored: status 0x%x", st);
	st = child_status(resethand_twice);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "SA_RESETHAND: status 0x%x", st);
	st = child_status(do_ill);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGILL, "SIGILL default: status 0x%x", st);

	if (failures)
		printf("fault: %d FAILED\n", failures);
	else
		printf("fault: PASS\n");
	return failures != 0;
}
