/*
 * Capabilities of a Linux process (capget, capset, prctl's bounding and
 * ambient sets) with Linux's checks and errors. Every Linux process here
 * is root (one user), so it starts with root's sets: every capability
 * Linux 6.1 knows (0..40) permitted, effective and in the bounding set,
 * none inheritable or ambient. Changes Linux allows (dropping) are kept
 * for the process, its forks and, as root's, recomputed at execve. Most
 * are reported, not enforced: what the personality refuses (setting the
 * clock, mounting) it refuses to every process alike. What it allows
 * only as Linux allows it to a capable process asks lx_capable
 * (sethostname and setdomainname: CAP_SYS_ADMIN).
 */
#include "lx.h"
#include <k42/procinfo.h>

#define LX_CAP_V1 0x19980330u
#define LX_CAP_V2 0x20071026u
#define LX_CAP_V3 0x20080522u
#define LX_CAP_LAST 40
#define LX_CAP_ALL ((1ull << (LX_CAP_LAST + 1)) - 1)
#define LX_CAP_SETPCAP 8

#define LX_PR_CAPBSET_READ 23
#define LX_PR_CAPBSET_DROP 24
#define LX_PR_GET_SECUREBITS 27
#define LX_PR_CAP_AMBIENT 47
#define LX_PR_CAP_AMBIENT_IS_SET 1
#define LX_PR_CAP_AMBIENT_RAISE 2
#define LX_PR_CAP_AMBIENT_LOWER 3
#define LX_PR_CAP_AMBIENT_CLEAR_ALL 4

static uint64_t eff = LX_CAP_ALL, prm = LX_CAP_ALL, inh, bnd = LX_CAP_ALL, amb;

struct cap_header {
	uint32_t version;
	int32_t pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* The header's version: the number of 32-bit words (1 or 2), or
 * -EINVAL after writing the preferred version back, as Linux. */
static long check_header(uint64_t uhdr, struct cap_header *h)
{
	if (lx_copy_in(h, uhdr, sizeof(*h)) < 0)
		return -LX_EFAULT;
	if (h->version == LX_CAP_V1)
		return 1;
	if (h->version == LX_CAP_V2 || h->version == LX_CAP_V3)
		return 2;
	h->version = LX_CAP_V3;
	if (lx_copy_out(uhdr, &h->version, sizeof(h->version)) < 0)
		return -LX_EFAULT;
	return -LX_EINVAL;
}

static int runs(uint64_t pid)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(pid, (uint64_t)&info) == 0 && info.state == K42_PROC_RUNNING;
}

static int is_self(int32_t pid)
{
	return pid == 0 || (uint64_t)pid == lx.pid || lx_own_tid((uint64_t)pid);
}

/* capget(header, data): data may be NULL to learn the version. Another
 * process of our tree: its sets from its table entry (ptab.c, kept by
 * lx_ptab_caps); any other is root's; a pid that does not run: ESRCH. */
long lx_sys_capget(struct lx_args *a)
{
	struct cap_header h;
	struct cap_data d[2];
	uint64_t e = eff, p = prm, i = inh;
	long words = check_header(a->a[0], &h);

	if (!a->a[1])
		return words == -LX_EINVAL || words > 0 ? 0 : words;
	if (words < 0)
		return words;
	if (h.pid < 0)
		return -LX_EINVAL;
	if (!is_self(h.pid)) {
		struct lx_pentry pe;

		if (!runs((uint64_t)h.pid))
			return -LX_ESRCH;
		if (lx_ptab_get((uint64_t)h.pid, &pe)) {	/* of our tree: its own */
			i = pe.caps[0];
			p = pe.caps[1];
			e = pe.caps[2];
		} else {
			e = p = LX_CAP_ALL;
			i = 0;
		}
	}
	for (int w = 0; w < 2; w++) {
		d[w].effective = (uint32_t)(e >> (32 * w));
		d[w].permitted = (uint32_t)(p >> (32 * w));
		d[w].inheritable = (uint32_t)(i >> (32 * w));
	}
	return lx_copy_out(a->a[1], d, (uint64_t)words * sizeof(d[0])) < 0 ? -LX_EFAULT : 0;
}

/* capset(header, data): ours only (EPERM for another pid); permitted
 * may only shrink, effective stays within it, inheritable within the
 * old inheritable and (with CAP_SETPCAP) the bounding set and permitted. */
long lx_sys_capset(struct lx_args *a)
{
	struct cap_header h;
	struct cap_data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	uint64_t ne, np, ni, inh_limit;
	long words = check_header(a->a[0], &h);

	if (words < 0)
		return words;
	if (!is_self(h.pid))
		return -LX_EPERM;
	if (lx_copy_in(d, a->a[1], (uint64_t)words * sizeof(d[0])) < 0)
		return -LX_EFAULT;
	ne = d[0].effective | (uint64_t)d[1].effective << 32;
	np = d[0].permitted | (uint64_t)d[1].permitted << 32;
	ni = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	if (words == 1) {	/* version 1 sets the low word and keeps the rest */
		ne |= eff & ~0xffffffffull;
		np |= prm & ~0xffffffffull;
		ni |= inh & ~0xffffffffull;
	}
	inh_limit = inh | ((eff & (1ull << LX_CAP_SETPCAP)) ? prm : 0);
	if ((ni & ~inh_limit) || (ni & ~(inh | bnd)) || (np & ~prm) || (ne & ~np))
		return -LX_EPERM;
	eff = ne & LX_CAP_ALL;
	prm = np & LX_CAP_ALL;
	inh = ni & LX_CAP_ALL;
	amb &= prm & inh;	/* an ambient capability needs both */
	lx_ptab_caps();
	return 0;
}

void lx_caps_get(uint64_t c[5])
{
	c[0] = inh;
	c[1] = prm;
	c[2] = eff;
	c[3] = bnd;
	c[4] = amb;
}

int lx_capable(int cap)
{
	return cap >= 0 && cap <= LX_CAP_LAST && ((eff >> cap) & 1);
}

/* execve as root: permitted and effective are the bounding set (with the
 * inheritable and ambient ones), as Linux's for uid 0. */
void lx_caps_exec(void)
{
	prm = (bnd | inh | amb) & LX_CAP_ALL;
	eff = prm;
}

/* prctl's capability options; -LX_ENOSYS for an option that is not one. */
long lx_caps_prctl(struct lx_args *a)
{
	uint64_t cap = a->a[1];

	switch (a->a[0]) {
	case LX_PR_CAPBSET_READ:
		return cap > LX_CAP_LAST ? -LX_EINVAL : (long)((bnd >> cap) & 1);
	case LX_PR_CAPBSET_DROP:
		if (!(eff & (1ull << LX_CAP_SETPCAP)))
			return -LX_EPERM;
		if (cap > LX_CAP_LAST)
			return -LX_EINVAL;
		bnd &= ~(1ull << cap);
		lx_ptab_caps();
		return 0;
	case LX_PR_GET_SECUREBITS:
		return 0;
	case LX_PR_CAP_AMBIENT:
		if (a->a[1] == LX_PR_CAP_AMBIENT_CLEAR_ALL) {
			if (a->a[2] || a->a[3] || a->a[4])
				return -LX_EINVAL;
			amb = 0;
			lx_ptab_caps();
			return 0;
		}
		cap = a->a[2];
		if (a->a[3] || a->a[4] || cap > LX_CAP_LAST)
			return -LX_EINVAL;
		switch (a->a[1]) {
		case LX_PR_CAP_AMBIENT_IS_SET:
			return (long)((amb >> cap) & 1);
		case LX_PR_CAP_AMBIENT_RAISE:
			if (!((prm >> cap) & 1) || !((inh >> cap) & 1))
				return -LX_EPERM;
			amb |= 1ull << cap;
			lx_ptab_caps();
			return 0;
		case LX_PR_CAP_AMBIENT_LOWER:
			amb &= ~(1ull << cap);
			lx_ptab_caps();
			return 0;
		default:
			return -LX_EINVAL;
		}
	default:
		return -LX_ENOSYS;
	}
}
