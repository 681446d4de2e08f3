/*
 * A hostile Linux program for the personality: children that make random
 * system calls (random numbers, in and far beyond the table, with random
 * arguments: small values, descriptors, pointers into their own memory,
 * into the kernel, into the personality's own range, raw random words)
 * from a fixed seed, so a failure can be replayed. Each child is confined
 * first (its own session, /dev/null on 0-2, every other descriptor closed,
 * chroot into a directory of /tmp of its own, names of letters only), and
 * calls that reach outside it (fork, exec, chroot, mount, the host name,
 * the clock, reboot, modules, signals to others) are left out or steered
 * at the child itself. A child may end any way Linux would let it (a
 * signal it sent itself, a fault through a pointer it passed, a frame it
 * forged); one still running at its deadline is killed, and must then be
 * reaped. Afterwards the tree is removed and the system must still serve
 * files, pipes and forks. Prints "lxfuzz: ok: ..." or "lxfuzz: FAILED".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LXTEST "lxfuzz"
#include "lxcheck.h"

#define ROOT "/tmp/lxfuzz"
#define CALLS_PER_CHILD 2500
#define TOTAL_CALLS 50000
#define MAX_CHILDREN 120
#define DEADLINE_MS 1000
#define BUF_SIZE (64 * 1024)
#define PERSONALITY_BASE 0xe0000000000ul	/* LX_PERSONALITY_BASE */


/* What a child shares with its parent: how far it got. */
struct progress {
	long calls, errors, last_nr;
};

static struct progress *prog;
static unsigned char *buf;	/* BUF_SIZE between two inaccessible pages */

static uint64_t rnd(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Calls a confined child must not make: they reach past it (other
 * processes, the machine, its confinement) or only end or stall it. */
static int left_out(long nr)
{
	static const long out[] = {
		SYS_exit, SYS_exit_group, SYS_fork, SYS_vfork, SYS_clone,
#ifdef SYS_clone3
		SYS_clone3,
#endif
		SYS_execve, SYS_execveat, SYS_chroot, SYS_pivot_root, SYS_mount,
		SYS_umount2, SYS_sethostname, SYS_setdomainname, SYS_settimeofday,
		SYS_clock_settime, SYS_adjtimex, SYS_clock_adjtime, SYS_reboot,
		SYS_kexec_load, SYS_swapon, SYS_swapoff, SYS_acct, SYS_syslog,
		SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_quotactl,
		SYS_ptrace, SYS_setpgid, SYS_vhangup, SYS_pause, SYS_rt_sigsuspend,
#ifdef SYS_umount
		SYS_umount,
#endif
#ifdef SYS_fsopen
		SYS_fsopen, SYS_fsmount, SYS_move_mount, SYS_open_tree, SYS_fsconfig,
#endif
	};

	for (unsigned i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (out[i] == nr)
			return 1;
	return 0;
}

/* Point calls that name another process at the child itself. */
static void steer(long nr, long *a, long self)
{
	if (nr == SYS_kill || nr == SYS_tkill || nr == SYS_rt_sigqueueinfo ||
	    nr == SYS_process_vm_readv || nr == SYS_process_vm_writev ||
	    nr == SYS_pidfd_open || nr == SYS_sched_setaffinity ||
	    nr == SYS_sched_setparam || nr == SYS_sched_setscheduler ||
	    nr == SYS_sched_setattr || nr == SYS_prlimit64 ||
	    nr == SYS_migrate_pages || nr == SYS_move_pages)
		a[0] = self;
	else if (nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo)
		a[0] = a[1] = self;
	else if (nr == SYS_setpriority || nr == SYS_ioprio_set)
		a[1] = 0;
}

static long arg_of(uint64_t *st)
{
	uint64_t r = rnd(st);

	switch (r % 12) {
	case 0: return 0;
	case 1: return (long)(r >> 8) % 17;
	case 2: return -1;
	case 3: return (long)(r >> 8) % 13;			/* a descriptor */
	case 4: return (long)(buf + (r >> 8) % BUF_SIZE);	/* text */
	case 5: return (long)(buf + BUF_SIZE / 2 + ((r >> 8) % (BUF_SIZE / 2) & ~7ul));
	case 6: return (long)(0xc000000000000000ul + ((r >> 8) & 0xfffffff000ul));
	case 7: return (long)(PERSONALITY_BASE + ((r >> 8) & 0x3ffffffful));
	case 8: return (long)rnd(st);
	case 9: return (long)(((r >> 8) & 0x7ffffff000ul) + 0x10000000ul);
	case 10: return 1l << ((r >> 8) % 48);
	default: return (long)(rnd(st) & rnd(st) & rnd(st) & 0xffffffff);
	}
}

/* The buffer's first half: names of lower-case letters ended by NULs (no
 * '/' or '.', so no path leaves the child's directory); its second half:
 * words that point back into the buffer beside small lengths, so iovecs,
 * sockaddrs and other structures of pointers are sometimes valid. */
static void fill(uint64_t *st)
{
	for (int i = 0; i < BUF_SIZE / 2; i++) {
		uint64_t r = rnd(st) % 32;

		buf[i] = r < 26 ? (unsigned char)('a' + r) : 0;
	}
	for (int i = BUF_SIZE / 2; i < BUF_SIZE; i += 16) {
		uint64_t p = (uint64_t)(buf + rnd(st) % BUF_SIZE);
		uint64_t n = rnd(st) % 256;

		memcpy(buf + i, &p, 8);
		memcpy(buf + i + 8, &n, 8);
	}
}

static void child(int round, uint64_t seed)
{
	char dir[64];
	uint64_t st = seed;
	long self, errors = 0;
	int fd;

	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		_exit(90);
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	for (int i = 3; i < 1024; i++)
		close(i);
	snprintf(dir, sizeof(dir), ROOT "/%d", round);
	if (mkdir(dir, 0755) != 0 || chroot(dir) != 0 || chdir("/") != 0)
		_exit(91);
	self = getpid();
	buf = mmap(NULL, BUF_SIZE + 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mprotect(buf + 4096, BUF_SIZE, PROT_READ | PROT_WRITE) != 0)
		_exit(92);
	buf += 4096;
	fill(&st);
	for (int i = 0; i < CALLS_PER_CHILD; i++) {
		uint64_t r = rnd(&st);
		long nr, a[6];

		if (r % 20 == 0)
			nr = 451 + (long)((r >> 8) % 600);
		else if (r % 20 == 1)
			nr = (long)rnd(&st);
		else
			nr = (long)((r >> 8) % 451);
		if (left_out(nr))
			continue;
		/* A random frame ends the child (SIGSEGV, as Linux's): keep
		 * it rare enough that children get far. */
		if (nr == SYS_rt_sigreturn && rnd(&st) % 16)
			continue;
		for (int k = 0; k < 6; k++)
			a[k] = arg_of(&st);
		steer(nr, a, self);
		if (i % 256 == 255)
			fill(&st);
		prog->last_nr = nr;
		if (syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) == -1)
			errors++;
		/* Stored, not counted up: a call may have written over the
		 * page (it is the child's own memory). */
		prog->calls = i + 1;
		prog->errors = errors;
	}
	_exit(0);
}

/* Remove what the children left under PATH, whatever its modes. */
static int remove_tree(int at, const char *name)
{
	struct stat s;
	int bad = 0;

	if (fstatat(at, name, &s, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : 1;
	if (S_ISDIR(s.st_mode)) {
		int fd;
		DIR *d;
		struct dirent *e;

		fchmodat(at, name, 0700, 0);
		fd = openat(at, name, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || !(d = fdopendir(fd))) {
			printf("lxfuzz: cannot open %s: %s\n", name, strerror(errno));
			return 1;
		}
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				bad += remove_tree(dirfd(d), e->d_name);
		closedir(d);
		if (unlinkat(at, name, AT_REMOVEDIR) != 0) {
			printf("lxfuzz: rmdir %s: %s\n", name, strerror(errno));
			bad++;
		}
	} else if (unlinkat(at, name, 0) != 0) {
		printf("lxfuzz: unlink %s: %s\n", name, strerror(errno));
		bad++;
	}
	return bad;
}

/* Files, pipes, forks and the tree's own files after the storm. */
static void still_serves(void)
{
	static char out[100000], in[100000];
	int fd, p[2], st;
	pid_t c;

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 3);
	fd = open(ROOT ".check", O_CREAT | O_TRUNC | O_RDWR, 0644);
	CHECK(fd >= 0, "open a file after the storm: %s", strerror(errno));
	if (fd >= 0) {
		CHECK(write(fd, out, sizeof(out)) == sizeof(out), "write 100,000 bytes");
		CHECK(pread(fd, in, sizeof(in), 0) == sizeof(in) && !memcmp(in, out, sizeof(in)),
		      "read them back");
		close(fd);
		CHECK(unlink(ROOT ".check") == 0, "unlink: %s", strerror(errno));
	}
	CHECK(pipe(p) == 0, "pipe");
	c = fork();
	if (c == 0) {
		(void)!write(p[1], "pong", 4);
		_exit(7);
	}
	CHECK(c > 0, "fork after the storm: %s", strerror(errno));
	memset(in, 0, 8);
	CHECK(read(p[0], in, 8) == 4 && !memcmp(in, "pong", 4), "a pipe from a child");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "the child's status 7");
	close(p[0]);
	close(p[1]);
	fd = open("/etc/passwd", O_RDONLY);
	CHECK(fd >= 0 && read(fd, in, 5) == 5 && !memcmp(in, "root:", 5), "/etc/passwd");
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x6a09e667f3bcc908ull;
	long calls = 0, errors = 0, t0 = now_ms();
	int children = 0, exited = 0, signalled = 0, killed = 0, by[65] = { 0 };

	setvbuf(stdout, NULL, _IONBF, 0);
	prog = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(prog != MAP_FAILED, "a shared page: %s", strerror(errno));
	CHECK(mkdir(ROOT, 0755) == 0 || errno == EEXIST, "mkdir " ROOT ": %s", strerror(errno));
	if (failures)
		return 1;
	printf("lxfuzz: seed 0x%llx\n", (unsigned long long)seed);
	while (calls < TOTAL_CALLS && children < MAX_CHILDREN) {
		uint64_t cs = seed ^ ((uint64_t)(children + 1) * 0x9e3779b97f4a7c15ull);
		long start;
		int st = 0;
		pid_t c, w = 0;

		memset(prog, 0, sizeof(*prog));
		c = fork();
		if (c == 0)
			child(children, cs ? cs : 1);
		CHECK(c > 0, "fork child %d: %s", children, strerror(errno));
		if (c <= 0)
			break;
		start = now_ms();
		while ((w = waitpid(c, &st, WNOHANG)) == 0 && now_ms() - start < DEADLINE_MS)
			nap(10);
		if (w == 0) {
			printf("lxfuzz: child %d at its deadline in call %ld after %ld calls\n",
			       children, prog->last_nr, prog->calls);
			kill(c, SIGKILL);
			start = now_ms();
			while ((w = waitpid(c, &st, WNOHANG)) == 0 && now_ms() - start < 5000)
				nap(10);
			CHECK(w == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			      "child %d not reaped after SIGKILL (waitpid %d, status 0x%x)",
			      children, w, st);
			killed++;
		} else if (w != c) {
			CHECK(0, "waitpid for child %d: %s", children, strerror(errno));
		} else if (WIFEXITED(st)) {
			CHECK(WEXITSTATUS(st) == 0, "child %d could not start: exit %d", children,
			      WEXITSTATUS(st));
			exited++;
		} else {
			by[WTERMSIG(st) & 63]++;
			signalled++;
		}
		if (prog->calls > 0 && prog->calls <= CALLS_PER_CHILD &&
		    prog->errors >= 0 && prog->errors <= prog->calls) {
			calls += prog->calls;
			errors += prog->errors;
		}
		children++;
		if (failures)
			break;
	}
	printf("lxfuzz: children ended by signal:");
	for (int i = 1; i < 64; i++)
		if (by[i])
			printf(" %d x%d", i, by[i]);
	printf("\n");
	CHECK(remove_tree(AT_FDCWD, ROOT) == 0, "the children's files could not all be removed");
	still_serves();
	if (failures)
		return 1;
	printf("lxfuzz: ok: %d children, %ld calls (%ld failed), %d exited, %d ended by a signal, "
	       "%d killed at the deadline, in %ld ms\n", children, calls, errors, exited, signalled,
	       killed, now_ms() - t0);
	return 0;
}
