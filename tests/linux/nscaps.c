/*
 * Capabilities, namespaces and the persona on the Linux personality (a
 * static musl program): each call's answer and errno as Linux 6.1 gives
 * a root process on a kernel without namespaces (docs/linux-compat.md):
 * capget's version probe and sets, capset's rules, prctl's bounding and
 * ambient sets, unshare and setns, personality. One verdict line:
 * "nscaps: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("nscaps: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

struct hdr { uint32_t version; int pid; };
struct data { uint32_t eff, prm, inh; };

#define V1 0x19980330u
#define V3 0x20080522u
#define ALL_LO 0xffffffffu
#define ALL_HI 0x1ffu	/* capabilities 32..40 */

static long capget_(struct hdr *h, struct data *d)
{
	return syscall(SYS_capget, h, d);
}

static long capset_(struct hdr *h, struct data *d)
{
	return syscall(SYS_capset, h, d);
}

static void caps(void)
{
	struct hdr h = { 0, 0 };
	struct data d[2];
	long rc;
	int st;
	pid_t pid;

	/* The version probe: NULL data, unknown version: 0 and V3 back. */
	rc = capget_(&h, NULL);
	CHECK(rc == 0 && h.version == V3, "capget probe: %ld version 0x%x", rc, h.version);
	h.version = 1;
	errno = 0;
	rc = capget_(&h, d);
	CHECK(rc == -1 && errno == EINVAL && h.version == V3, "capget bad version: %ld", rc);
	h.version = V3;
	h.pid = -5;
	errno = 0;
	CHECK(capget_(&h, d) == -1 && errno == EINVAL, "capget pid -5");
	h.pid = 0x7ffffff0;
	errno = 0;
	CHECK(capget_(&h, d) == -1 && errno == ESRCH, "capget of no process");
	h.pid = 0;
	memset(d, 0, sizeof(d));
	rc = capget_(&h, d);
	CHECK(rc == 0 && d[0].eff == ALL_LO && d[0].prm == ALL_LO && d[0].inh == 0 && d[1].eff == ALL_HI &&
	      d[1].prm == ALL_HI && d[1].inh == 0, "capget: %ld %x/%x %x/%x %x/%x", rc, d[0].eff, d[1].eff,
	      d[0].prm, d[1].prm, d[0].inh, d[1].inh);
	h.pid = (int)getppid();
	CHECK(capget_(&h, d) == 0 || getppid() == 0, "capget of the parent");
	/* capset: another pid EPERM; raising inheritable beyond is allowed
	 * with CAP_SETPCAP; a drop is kept and seen by the child. */
	h.pid = (int)getppid() ? (int)getppid() : 1;
	errno = 0;
	CHECK(capset_(&h, d) == -1 && errno == EPERM, "capset of another process");
	h.pid = 0;
	d[0].eff = d[0].prm = ALL_LO & ~(1u << 25);	/* drop CAP_SYS_TIME */
	d[1].eff = d[1].prm = ALL_HI;
	d[0].inh = d[1].inh = 0;
	CHECK(capset_(&h, d) == 0, "capset drop");
	pid = fork();
	if (pid == 0) {
		struct data c[2];

		memset(c, 0, sizeof(c));
		_exit(capget_(&h, c) == 0 && c[0].prm == (ALL_LO & ~(1u << 25)) ? 0 : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a fork keeps the drop");
	d[0].prm = ALL_LO;	/* raising it again */
	errno = 0;
	CHECK(capset_(&h, d) == -1 && errno == EPERM, "capset raise");
	d[0].prm = ALL_LO & ~(1u << 25);
	d[0].eff = ALL_LO;	/* effective beyond permitted */
	errno = 0;
	CHECK(capset_(&h, d) == -1 && errno == EPERM, "capset effective beyond permitted");
	/* sethostname and setdomainname want CAP_SYS_ADMIN in the effective
	 * set, and say EPERM before they look at their arguments; with it
	 * back (it stayed permitted) an over-long name is EINVAL. */
	pid = fork();
	if (pid == 0) {
		struct data c[2];
		char name[66];
		int ok;

		memset(name, 'x', sizeof(name));
		memset(c, 0, sizeof(c));
		c[0].prm = c[0].eff = ALL_LO & ~(1u << 25);
		c[1].prm = c[1].eff = ALL_HI;
		c[0].eff &= ~(1u << 21);	/* CAP_SYS_ADMIN */
		ok = capset_(&h, c) == 0;
		errno = 0;
		ok = ok && sethostname(name, 1) == -1 && errno == EPERM;
		errno = 0;
		ok = ok && sethostname(name, 65) == -1 && errno == EPERM;
		errno = 0;
		ok = ok && setdomainname(name, 1) == -1 && errno == EPERM;
		c[0].eff |= 1u << 21;
		ok = ok && capset_(&h, c) == 0;
		errno = 0;
		ok = ok && sethostname(name, 65) == -1 && errno == EINVAL;
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "sethostname/setdomainname without CAP_SYS_ADMIN: EPERM");
	/* version 1: one word. */
	h.version = V1;
	memset(d, 0, sizeof(d));
	CHECK(capget_(&h, d) == 0 && d[0].prm == (ALL_LO & ~(1u << 25)) && d[1].prm == 0, "capget v1");
	/* prctl: the bounding set and the ambient set. */
	errno = 0;
	CHECK(prctl(PR_CAPBSET_READ, 40, 0, 0, 0) == 1 && prctl(PR_CAPBSET_READ, 0, 0, 0, 0) == 1, "CAPBSET_READ");
	CHECK(prctl(PR_CAPBSET_READ, 41, 0, 0, 0) == -1 && errno == EINVAL, "CAPBSET_READ 41");
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) == 0, "AMBIENT_IS_SET");
	errno = 0;
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 0, 0, 0) == -1 && errno == EPERM,
	      "AMBIENT_RAISE without inheritable");
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0, "AMBIENT_CLEAR_ALL");
	CHECK(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == 0, "GET_SECUREBITS");
}

static void namespaces(void)
{
	int fd = open("/", O_RDONLY);

	CHECK(unshare(0) == 0, "unshare(0)");
	CHECK(unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM) == 0, "unshare of files, fs, sysvsem");
	errno = 0;
	CHECK(unshare(CLONE_NEWNS) == -1 && errno == EINVAL, "unshare(CLONE_NEWNS)");
	errno = 0;
	CHECK(unshare(CLONE_NEWUTS | CLONE_FILES) == -1 && errno == EINVAL, "unshare(CLONE_NEWUTS)");
	errno = 0;
	CHECK(unshare(0x1) == -1 && errno == EINVAL, "unshare of an unknown flag");
	errno = 0;
	CHECK(setns(fd, 0) == -1 && errno == EINVAL, "setns(a file)");
	errno = 0;
	CHECK(setns(999, CLONE_NEWNET) == -1 && errno == EBADF, "setns(closed)");
	close(fd);
}

static void persona(void)
{
	struct utsname u;
	int st;
	pid_t pid;

	CHECK(personality(0xffffffff) == 0, "personality query");
	CHECK(personality(PER_LINUX | ADDR_NO_RANDOMIZE) == 0, "personality set");
	CHECK(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE), "personality kept");
	CHECK(personality(PER_LINUX32) == (PER_LINUX | ADDR_NO_RANDOMIZE), "personality linux32");
	CHECK(uname(&u) == 0 && strcmp(u.machine, "ppcle") == 0, "linux32 uname: %s", u.machine);
	pid = fork();
	if (pid == 0) {
		struct utsname c;

		_exit(uname(&c) == 0 && strcmp(c.machine, "ppcle") == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a fork keeps linux32");
	/* ppc64: the answer is PER_LINUX, and PER_LINUX keeps PER_LINUX32. */
	CHECK(personality(0xffffffff) == PER_LINUX, "linux32 answered as PER_LINUX");
	CHECK(personality(PER_LINUX) == PER_LINUX && uname(&u) == 0 && strcmp(u.machine, "ppcle") == 0,
	      "PER_LINUX over linux32");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	caps();
	namespaces();
	persona();
	if (!bad)
		printf("nscaps: ok: capget, capset, prctl caps, unshare, setns, personality\n");
	return bad != 0;
}
