/*
 * Checked user-memory copies (see mm/usercopy.h).
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/process.h>
#include <mm/fault.h>
#include <mm/hat.h>
#include <mm/pm.h>
#include <mm/usercopy.h>

/* Kernel address of user va in p, for `access`, faulting it in if needed
 * (then *faulted is set: a fault may reclaim frames found before it). */
static int user_page_at(struct process *p, uint64_t va, unsigned access, uint8_t **kva,
			int *faulted)
{
	uint64_t pa, token;
	unsigned prot;
	int rc;

	*faulted = 0;
	if (va >= K42_USER_TOP)
		return -K42_EFAULT;
	if (hat_lookup(p->hat, va, &pa, &prot) < 0 || (prot & access) != access) {
		*faulted = 1;
		rc = fault_resolve(p, va, access, &token);
		if (rc < 0)
			return rc == -K42_EACCES ? -K42_EFAULT : rc;
		if (hat_lookup(p->hat, va, &pa, &prot) < 0)
			return -K42_EFAULT;
	}
	if (prot & HAT_PROT_IO)
		return -K42_EFAULT;	/* device memory is not RAM: never copied by the kernel */
	*kva = (uint8_t *)phys_to_virt(pa) + (va & (PM_PAGE_SIZE - 1));
	return 0;
}

static int user_page(struct process *p, uint64_t va, unsigned access, uint8_t **kva)
{
	int faulted;

	return user_page_at(p, va, access, kva, &faulted);
}

static size_t chunk(uint64_t va, size_t left)
{
	size_t room = PM_PAGE_SIZE - (va & (PM_PAGE_SIZE - 1));

	return left < room ? left : room;
}

int copy_from_user(struct process *p, void *dst, uint64_t uva, size_t len)
{
	uint8_t *d = dst, *k;

	if (uva + len < uva || uva + len > K42_USER_TOP)
		return -K42_EFAULT;
	while (len) {
		size_t n = chunk(uva, len);
		int rc = user_page(p, uva, K42_PROT_READ, &k);

		if (rc < 0)
			return rc;
		memcpy(d, k, n);
		d += n;
		uva += n;
		len -= n;
	}
	return 0;
}

int copy_to_user(struct process *p, uint64_t uva, const void *src, size_t len)
{
	const uint8_t *s = src;
	uint8_t *k;

	if (uva + len < uva || uva + len > K42_USER_TOP)
		return -K42_EFAULT;
	while (len) {
		size_t n = chunk(uva, len);
		int rc = user_page(p, uva, K42_PROT_WRITE, &k);

		if (rc < 0)
			return rc;
		memcpy(k, s, n);
		s += n;
		uva += n;
		len -= n;
	}
	return 0;
}

/* How often copy_user_to_user looks both pages up before it gives up on
 * finding them resident together and bounces through a kernel buffer. */
#define PAIR_TRIES 4

/* Both pages of one stretch, resident at once: each lookup may fault and
 * reclaim the frame the other found, so a pair counts only when the
 * second lookup found its page without faulting. 1 on success, 0 when
 * memory is so short that the two keep displacing each other. */
static int user_page_pair(struct process *dp, uint64_t dva, uint8_t **d, struct process *sp,
			  uint64_t sva, uint8_t **s, int *rc)
{
	int faulted;

	for (int i = 0; i < PAIR_TRIES; i++) {
		if ((*rc = user_page_at(sp, sva, K42_PROT_READ, s, &faulted)) < 0 ||
		    (*rc = user_page_at(dp, dva, K42_PROT_WRITE, d, &faulted)) < 0)
			return 0;
		if (!faulted)
			return 1;
	}
	return 0;
}

/* Straight from frame to frame, one stretch within a page of each side at
 * a time (bulk IPC data moves this way: docs/kernel-interface.md). */
int copy_user_to_user(struct process *dp, uint64_t dva, struct process *sp, uint64_t sva,
		      size_t len)
{
	if (sva + len < sva || sva + len > K42_USER_TOP || dva + len < dva || dva + len > K42_USER_TOP)
		return -K42_EFAULT;
	while (len) {
		size_t n = chunk(sva, len), nd = chunk(dva, len);
		uint8_t *s, *d, buf[256];
		int rc;

		if (nd < n)
			n = nd;
		if (!user_page_pair(dp, dva, &d, sp, sva, &s, &rc)) {
			if (rc < 0)
				return rc;
			/* Short of memory: one page at a time through a buffer. */
			if (n > sizeof(buf))
				n = sizeof(buf);
			if ((rc = copy_from_user(sp, buf, sva, n)) < 0 ||
			    (rc = copy_to_user(dp, dva, buf, n)) < 0)
				return rc;
		} else if (d + n <= s || s + n <= d) {
			memcpy(d, s, n);	/* word at a time */
		} else {
			memmove(d, s, n);	/* the same frame, overlapping */
		}
		sva += n;
		dva += n;
		len -= n;
	}
	return 0;
}
