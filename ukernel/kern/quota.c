/*
 * Quota accounts of process trees (see kern/quota.h): charging up the
 * chain of accounts, the frame source of a tree's private memory, and
 * freeing an account once its process, the accounts below it and its
 * frames are gone.
 */
#include <stddef.h>
#include <k42/errno.h>
#include <kern/panic.h>
#include <kern/process.h>
#include <kern/quota.h>
#include <mm/fr.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>

/* The root's limits: the machine. Regions are bounded by the kernel
 * memory they cost. */
#define ROOT_REGIONS (1u << 16)
#define ROOT_FRS FR_MAX

int quota_room(const struct quota_acct *a, int kind, uint64_t n)
{
	for (; a; a = a->parent)
		if (a->used[kind] + n > a->limit[kind] || a->used[kind] + n < n)
			return 0;
	return 1;
}

int quota_charge(struct quota_acct *a, int kind, uint64_t n)
{
	if (!quota_room(a, kind, n))
		return -K42_EDQUOT;
	for (; a; a = a->parent)
		a->used[kind] += n;
	return 0;
}

void quota_uncharge(struct quota_acct *a, int kind, uint64_t n)
{
	for (; a; a = a->parent) {
		BUG_ON(a->used[kind] < n);
		a->used[kind] -= n;
	}
}

static void maybe_free(struct quota_acct *a)
{
	while (a && a->refs == 0 && a->frames.out == 0) {
		struct quota_acct *up = a->parent;

		kmem_free(a, sizeof(*a));
		if (!up)
			break;
		up->refs--;
		a = up;
	}
}

static int acct_alloc_frame(struct frame_source *s, uint64_t *pa)
{
	struct quota_acct *a = (struct quota_acct *)s;	/* frames is the first member */
	int rc = quota_charge(a, K42_QUOTA_FRAMES, 1);

	if (rc < 0)
		return rc;
	rc = pm_frames.alloc(&pm_frames, pa);
	if (rc < 0) {
		quota_uncharge(a, K42_QUOTA_FRAMES, 1);
		return rc;
	}
	s->out++;
	return 0;
}

static void acct_free_frame(struct frame_source *s, uint64_t pa)
{
	struct quota_acct *a = (struct quota_acct *)s;

	pm_frames.free(&pm_frames, pa);
	quota_uncharge(a, K42_QUOTA_FRAMES, 1);
	s->out--;
	maybe_free(a);
}

static void acct_hold(struct frame_source *s)
{
	((struct quota_acct *)s)->refs++;
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
		parent->refs++;
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
	BUG_ON(a->refs == 0);
	a->refs--;
	maybe_free(a);
}
