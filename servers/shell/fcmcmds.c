/*
 * The shell's commands for kernel FCM hot swap (docs/hot-swap.md,
 * "Kernel objects: an FCM"): list the regions of a process with their
 * FCM's paging policy (fcms), and swap one region's FCM to another
 * policy while the process runs (fcmswap). Changing a process needs its
 * manager, as for the object commands (swapcmds.c).
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fcm.h>
#include <lib/fmt.h>
#include "shell.h"

static const char *const policies[] = { "demand", "prefetch", "adaptive" };

/* Why the kernel refuses (or would refuse) to swap a region's FCM. */
static const char *refusal_text(long rc)
{
	switch (rc) {
	case -K42_EPERM:
		return "another process maps this FCM (shared memory): only an FCM one process maps is swapped";
	case -K42_EBUSY:
		return "copy-on-write layers read this FCM, a call holds it, or another swap is under way";
	case -K42_EINVAL:
		return "this kind of memory (device, physical, copy-on-write) has no paging policies";
	default:
		return k42_strerror(rc);
	}
}

static const char *swappable(const struct k42_fcminfo *fi, char *buf, unsigned size)
{
	switch (fi->refusal) {
	case 0:
		return "yes";
	case -K42_EPERM:
		k_snprintf(buf, size, "shared:%u", fi->sharers);
		return buf;
	case -K42_EBUSY:
		return "busy";
	default:
		return "no";
	}
}

int cmd_fcms(int argc, char **argv)
{
	struct k42_fcminfo fi;
	uint64_t va = 0;
	long pid, rc;
	int n = 0;

	if (argc != 2)
		return shell_fail("fcms", "usage: fcms PID");
	if ((pid = shell_pid_arg("fcms", argv[1])) < 0)
		return 1;
	while ((rc = k42_sc_fcm_info((uint64_t)pid, va, (uint64_t)&fi)) == 0) {
		char buf[16];

		if (n++ == 0)
			sh_printf("%-18s %-18s %-14s %8s %6s %8s %8s %s\n", "START", "END", "FCM", "PAGES",
				  "SWAPS", "HELD", "AHEAD", "SWAPPABLE");
		sh_printf("0x%-16lx 0x%-16lx %-14s %8lu %6lu %8lu %8lu %s%s\n", (unsigned long)fi.start,
			  (unsigned long)fi.end, fi.impl, (unsigned long)fi.resident, (unsigned long)fi.swaps,
			  (unsigned long)fi.held, (unsigned long)fi.ahead, swappable(&fi, buf, sizeof(buf)),
			  fi.adaptive ? " (adaptive)" : "");
		va = fi.end;
	}
	if (rc != -K42_ENOENT)
		return shell_fail("fcms", "%ld: %s", pid, k42_strerror(rc));
	return 0;
}

int cmd_fcmswap(int argc, char **argv)
{
	struct k42_fcminfo fi;
	uint64_t va, retries = 0;
	char *end;
	long pid, rc;
	unsigned impl;

	if (argc != 4)
		return shell_fail("fcmswap", "usage: fcmswap PID VA demand|prefetch|adaptive");
	if ((pid = shell_pid_arg("fcmswap", argv[1])) < 0)
		return 1;
	va = strtoul(argv[2], &end, 0);
	if (*end)
		return shell_fail("fcmswap", "'%s' is not an address", argv[2]);
	for (impl = 0; impl < 3 && strcmp(policies[impl], argv[3]) != 0; impl++)
		;
	if (impl == 3)
		return shell_fail("fcmswap", "'%s' is not a policy (demand, prefetch, adaptive)", argv[3]);
	/* -K42_EAGAIN while the region's faults drain: call again. */
	while ((rc = k42_sc_fcm_swap((uint64_t)pid, va, impl)) == -K42_EAGAIN && retries < 100000) {
		retries++;
		k42_thread_yield();
	}
	if (rc < 0)
		return shell_fail("fcmswap", "%ld: 0x%lx to %s: %s", pid, (unsigned long)va, argv[3],
				  refusal_text(rc));
	if (k42_sc_fcm_info((uint64_t)pid, va, (uint64_t)&fi) != 0)
		return shell_fail("fcmswap", "%ld: 0x%lx is gone", pid, (unsigned long)va);
	sh_printf("pid %ld: region 0x%lx FCM is %s%s now (%lu swaps, %lu pages; %lu calls until drained)\n",
		  pid, (unsigned long)fi.start, fi.impl, fi.adaptive ? ", adaptive" : "",
		  (unsigned long)fi.swaps, (unsigned long)fi.resident, (unsigned long)retries);
	return 0;
}
