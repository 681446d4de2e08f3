/*
 * Quota accounts of process trees (see kern/quota.h): charging up the
 * chain of accounts, the frame source of a tree's private memory, and
 * freeing an account once its process, the accounts below it and its
 * frames are gone.
 *
 * No lock: every counter is changed atomically, so CPUs charge and free
 * without the kernel lock (the page-fault path allocates frames here).
 * A charge adds to each account from the bottom up with a
 * compare-and-swap that refuses to pass the limit, and takes back what it
 * added if an account above refuses; two charges racing for the last
 * units may both be refused, never both granted. An account's frames out
 * and its holders are one count (`refs`): the account (and then its
 * parent's reference) goes when the count reaches zero, which exactly one
 * CPU sees.
 */
#include <stddef.h>
#include <k42/errno.h>
#include <kern/panic.h>
#include <kern/process.h>
#include <kern/quota.h>
#include <kern/retired_wait.h>
#include <mm/fr.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

/* The root's limits: the machine. Regions are bounded by the kernel
 * memory they cost. */
#define ROOT_REGIONS (1u << 16)
#define ROOT_FRS FR_MAX

static int fits(uint64_t used, uint64_t n, uint64_t limit)
{
	return used + n >= n && used + n <= limit;
}

int quota_room(const struct quota_acct *a, int kind, uint64_t n)
{
	for (; a; a = a->parent)
		if (!fits(__atomic_load_n(&a->used[kind], __ATOMIC_RELAXED), n,
			  __atomic_load_n(&a->limit[kind], __ATOMIC_RELAXED)))
			return 0;
	return 1;
}

/* Add n to one account unless that passes its limit. */
static int charge_one(struct quota_acct *a, int kind, uint64_t n)
{
	uint64_t used = __atomic_load_n(&a->used[kind], __ATOMIC_RELAXED);

	do {
		if (!fits(used, n, __atomic_load_n(&a->limit[kind], __ATOMIC_RELAXED)))
			return 0;
	} while (!__atomic_compare_exchange_n(&a->used[kind], &used, used + n, 1,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 1;
}

static void uncharge_upto(struct quota_acct *a, struct quota_acct *stop, int kind, uint64_t n)
{
	for (; a != stop; a = a->parent) {
		uint64_t was = __atomic_fetch_sub(&a->used[kind], n, __ATOMIC_RELAXED);

		BUG_ON(was < n);
	}
}

int quota_charge(struct quota_acct *a, int kind, uint64_t n)
{
	for (struct quota_acct *b = a; b; b = b->parent) {
		if (!charge_one(b, kind, n)) {
			uncharge_upto(a, b, kind, n);
			return -K42_EDQUOT;
		}
	}
	return 0;
}

void quota_uncharge(struct quota_acct *a, int kind, uint64_t n)
{
	uncharge_upto(a, NULL, kind, n);
}

static void acct_get(struct quota_acct *a)
{
	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
}

/* Drop one reference; the last one frees the account and drops its
 * reference on its parent. */
static void acct_drop(struct quota_acct *a)
{
	while (a) {
		struct quota_acct *up = a->parent;
		uint64_t left = __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL);

		BUG_ON(left == UINT64_MAX);
		if (left)
			break;
		kmem_free(a, sizeof(*a));
		a = up;
	}
}

static int acct_alloc_frame(struct frame_source *s, uint64_t *pa)
{
	struct quota_acct *a = (struct quota_acct *)s;	/* frames is the first member */
	int rc = quota_charge(a, K42_QUOTA_FRAMES, 1);

	if (rc < 0) {
		retired_wait_note();	/* retired frames may still hold the charge */
		return rc;
	}
	rc = pm_frames.alloc(&pm_frames, pa);
	if (rc < 0) {
		quota_uncharge(a, K42_QUOTA_FRAMES, 1);
		return rc;
	}
	__atomic_add_fetch(&s->out, 1, __ATOMIC_RELAXED);
	acct_get(a);	/* each frame out keeps the account */
	return 0;
}

static void acct_free_frame(struct frame_source *s, uint64_t pa)
{
	struct quota_acct *a = (struct quota_acct *)s;

	pm_frames.free(&pm_frames, pa);
	quota_uncharge(a, K42_QUOTA_FRAMES, 1);
	__atomic_sub_fetch(&s->out, 1, __ATOMIC_RELAXED);
	acct_drop(a);
}

static void acct_hold(struct frame_source *s)
{
	acct_get((struct quota_acct *)s);
}

static void acct_release(struct frame_source *s)
{
	quota_put((struct quota_acct *)s);
}

struct quota_acct *quota_create(struct quota_acct *parent)
{
	struct quota_acct *a = kmem_alloc(sizeof(*a));

	if (!a)
		return NULL;
	a->frames = (struct frame_source){ "tree quota", acct_alloc_frame, acct_free_frame, 0,
					   acct_hold, acct_release };
	a->parent = parent;
	a->refs = 1;
	if (parent) {
		acct_get(parent);
		for (int k = 0; k < K42_QUOTA_KINDS; k++)
			a->limit[k] = parent->limit[k];
	} else {
		a->limit[K42_QUOTA_PROCESSES] = PROC_MAX;
		a->limit[K42_QUOTA_FRAMES] = pm_root()->managed_frames;
		a->limit[K42_QUOTA_REGIONS] = ROOT_REGIONS;
		a->limit[K42_QUOTA_FRS] = ROOT_FRS;
	}
	return a;
}

void quota_put(struct quota_acct *a)
{
	acct_drop(a);
}
