/*
 * FCM (file cache manager): the frames caching the pages of one file or of
 * anonymous memory, with its own lock and its own (local) paging policy.
 * Implementations: fcm_anon (zero fill), fcm_cow (copy-on-write over
 * another FCM), fcm_file (pages from a user-level file server through an
 * FR). Any region may use any FCM: the fault path only calls these ops.
 */
#ifndef MM_FCM_H
#define MM_FCM_H

#include <stdint.h>
#include <kern/spinlock.h>
#include <mm/pagemap.h>

struct fcm;
struct dispatcher;

struct fcm_ops {
	const char *name;
	/*
	 * Find or make the frame for page pgoff. 0: *pa is the frame and
	 * *maxprot the most this FCM allows for it now (e.g. read-only until
	 * a copy-on-write break). -K42_EAGAIN: the page is being read in;
	 * *token names the wait. Other negative codes: a hard failure.
	 */
	int (*get_page)(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa, unsigned *maxprot,
			uint64_t *token);
	/* Free everything; called once the last reference is gone. */
	void (*destroy)(struct fcm *f);
};

/* A resident page: FCMs find them by page offset in a page map (a radix
 * virtual array, mm/pagemap.h) and keep them in residency order. */
struct fcm_page {
	uint64_t pgoff;
	uint64_t pa;
	uint64_t token;		/* non-zero while being read in */
	/* A file FCM's written page (mapped writable; the server has not
	 * taken its data back yet), and whether its server was asked to. */
	uint8_t dirty, pageout_sent;
	struct fcm_page *fifo_next, *fifo_prev;	/* residency order, for the local policy */
};

struct region;

/*
 * Where an FCM's frames come from and go back to. The default is the root
 * PM (global policy); an FCM holds a pointer, so a region can be given an
 * FCM that draws on another PM implementation without the FCM changing.
 */
struct frame_source {
	const char *name;
	int (*alloc)(struct frame_source *s, uint64_t *pa);	/* a zeroed frame */
	void (*free)(struct frame_source *s, uint64_t pa);
	uint64_t out;		/* frames handed out and not yet returned */
	/* Optional: an FCM drawing on this source holds it from
	 * fcm_set_source until it is destroyed (a tree's quota account). */
	void (*hold)(struct frame_source *s);
	void (*release)(struct frame_source *s);
};

/* The root PM as a frame source. */
extern struct frame_source pm_frames;

struct fcm {
	const struct fcm_ops *ops;
	struct frame_source *src;
	struct region *mappers;	/* regions mapping this FCM, via region->fcm_next */
	/* Copy-on-write FCMs layered on this one (via cow_next): they map
	 * this FCM's frames into their own regions, so a page that goes
	 * must be unmapped through them too (fcm_unmap_everywhere). */
	struct fcm *cow_children, *cow_next;
	struct spinlock lock;
	uint32_t refs;
	/* Its frames were unmapped everywhere a quiescent period ago (a
	 * swap's old FCM whose region ended mid-swap, mm/fcm_swap.c):
	 * fcm_release_page frees them at once. */
	uint32_t quiesced;
	uint64_t resident;
	struct pagemap pages;	/* pgoff -> struct fcm_page */
	struct fcm_page *fifo_head, *fifo_tail;
	/* Hot swap (mm/fcm_swap.h): carried from implementation to
	 * implementation with the pages. */
	uint64_t swaps;		/* swaps completed */
	uint64_t held;		/* faults a mediator held */
	uint64_t ahead;		/* pages given a frame ahead of their fault */
	uint64_t waits;		/* faults answered -K42_EAGAIN (file FCMs) */
	uint64_t hold_tb;	/* timebase ticks swaps held callers, in all */
	/* An adaptive anonymous FCM (mm/fcm_anon.c): its fault pattern, and
	 * the policy it asks to be swapped to (K42_FCM_* + 1; 0: none),
	 * which the fault path acts on (fcm_swap_adapt). */
	uint64_t run_next, run_reach;	/* a fault on [next, reach] continues the run */
	uint32_t run_seq, run_rnd;
	uint64_t faults;	/* calls of get_page (anonymous FCMs) */
	uint64_t mapped_ahead;	/* pages given a frame ahead and mapped by the same fault */
	uint8_t adaptive, want;
};

void fcm_init(struct fcm *f, const struct fcm_ops *ops);
/* Draw f's frames from s from now on (before f holds any frame). */
void fcm_set_source(struct fcm *f, struct frame_source *s);
void fcm_get(struct fcm *f);
void fcm_put(struct fcm *f);

/* Page-map helpers shared by the implementations (caller holds f->lock). */
struct fcm_page *fcm_page_find(struct fcm *f, uint64_t pgoff);
struct fcm_page *fcm_page_insert(struct fcm *f, uint64_t pgoff, uint64_t pa);
void fcm_free_all_pages(struct fcm *f);
/* A zeroed frame charged to f, from its frame source; and back. */
int fcm_alloc_frame(struct fcm *f, uint64_t *pa);
void fcm_free_frame(struct fcm *f, uint64_t pa);

/* Regions register while they map the FCM, so a page can be unmapped everywhere. */
void fcm_add_mapper(struct fcm *f, struct region *r);
void fcm_remove_mapper(struct fcm *f, struct region *r);
/* Unmap page pgoff from every region that can map f's frame for it: f's
 * own mappers and, recursively, those of the COW FCMs layered on f.
 * Caller holds f->lock (lock order: an FCM before the FCMs layered on it). */
void fcm_unmap_everywhere(struct fcm *f, uint64_t pgoff);
/* A COW FCM registers with its backing FCM for as long as it uses it. */
void fcm_add_cow_child(struct fcm *backing, struct fcm *child);
void fcm_remove_cow_child(struct fcm *backing, struct fcm *child);
/* Take page p out of the page map and FIFO (caller frees it). */
void fcm_page_remove(struct fcm *f, struct fcm_page *p);
/* Free removed page p (its node and frame) once every CPU has passed a
 * quiescent point, for a page that was mapped and has just been unmapped
 * everywhere (an eviction, a drop): no CPU then still uses a translation
 * of it (mm/fcm.c says why the unmap's invalidation alone is not enough
 * under QEMU). Any context; interrupts off. */
void fcm_retire_page(struct fcm *f, struct fcm_page *p);
/* The same for a page of a region's end or a fold, already unmapped: at
 * once with one CPU (its tlbiel is complete), else retired. */
void fcm_release_page(struct fcm *f, struct fcm_page *p);
/* Frames so retired and not yet freed (kernel tests, K42_INFO). */
uint64_t fcm_frames_retired(void);

struct fcm *fcm_anon_create(void);
/* An anonymous FCM with paging policy impl (K42_FCM_*, <k42/fcm.h>), or NULL. */
struct fcm *fcm_anon_create_impl(int impl);
/* Non-zero for an anonymous FCM of any policy (the only kind mem_share shares). */
int fcm_is_anon(const struct fcm *f);
/* The K42_FCM_* policy of an anonymous FCM, else -1. */
/* The most pages a prefetching anonymous FCM gives frames ahead of a fault. */
#define FCM_AHEAD_MAX 16
int fcm_anon_impl(const struct fcm *f);
/* A prefetching anonymous FCM, after its get_page of pgoff gave frames
 * to pages ahead: their frames, pgoff + 1 on, below end (the mapping
 * region's end), at most max, for the fault path to map with the
 * faulting page. 0 for any other FCM. Caller holds the process's lock. */
unsigned fcm_anon_ahead(struct fcm *f, uint64_t pgoff, uint64_t end, uint64_t *pas, unsigned max);
/* A COW layer over backing, or NULL (no memory, or backing already
 * FCM_COW_DEPTH_MAX layers deep: a fault walks every layer). */
#define FCM_COW_DEPTH_MAX 32
struct fcm *fcm_cow_create(struct fcm *backing);
/* COW layers from f down to the first FCM that is not one. */
unsigned fcm_cow_depth(const struct fcm *f);
/* Put COW layer f directly on one fresh layer holding copies of the pages
 * the layers below it held (those f does not shadow), over the chain's
 * bottom: f's view is unchanged, its chain two deep; the old layers stay
 * for the clones that still read them. Under the kernel lock. 0, or
 * -K42_ENOMEM / -K42_EDQUOT with nothing changed. */
int fcm_cow_flatten(struct fcm *f);
/* Non-zero if f is a COW layer whose chain rests on an anonymous or a
 * physical FCM: FCMs that never give a page up while mapped. Such a
 * chain changes only under the kernel lock (folds), so a fault holding
 * its CPU's local lock may walk it (mm/fault.c). */
int fcm_cow_stable(const struct fcm *f);
/* The file FCM a COW chain f rests on, or NULL (f is no COW layer, or
 * its chain rests on another kind). Needs what fcm_cow_stable needs. */
struct fcm *fcm_cow_file_bottom(const struct fcm *f);
/* A fault on page pgoff of such a chain without the kernel lock, mapped
 * through m (mm/fcm_cow.c): 0, else for the locked path. */
struct fcm_map;
int fcm_cow_file_fault(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m);
/* Faults fcm_cow_file_fault resolved (K42_INFO_COW_FILE_UNLOCKED). */
uint64_t fcm_cow_file_faults_unlocked(void);
/* Non-zero if f itself is a COW layer. Unlike fcm_cow_stable this reads
 * f alone, so it needs only a reference to f (a region's, under its
 * process lock), not the CPU's local lock: a fold may free the layers
 * below f meanwhile. */
int fcm_is_cow(const struct fcm *f);
/* Non-zero for a physical FCM (fcm_phys_create). */
int fcm_is_phys(const struct fcm *f);
/* If f is a COW layer holding no page of its own yet, what it is layered
 * on (a clone of f can share that); else NULL. */
struct fcm *fcm_cow_unwritten(struct fcm *f);
/* A view of real memory the kernel does not own (page aligned), read-only
 * unless `writable` (shared pages such as the trace buffer). */
struct fcm *fcm_phys_create(uint64_t base, uint64_t npages, int writable);
/* The same over nchunks (at most 64) contiguous chunks of chunk_pages
 * pages each, at bases[0..nchunks-1], in that order. */
struct fcm *fcm_phys_create_chunks(const uint64_t *bases, unsigned nchunks, uint64_t chunk_pages,
				   int writable);

#endif
