/*
 * Between the FR and its file FCM (mm/fr.c, mm/fcm_file.c) only.
 */
#ifndef MM_FR_INTERNAL_H
#define MM_FR_INTERNAL_H

#include <stdint.h>

struct fr;
struct fcm;

/* A new token for a page of fr about to be read in (never 0, never reused). */
uint64_t fr_next_token(struct fr *fr);
/* 1 if fr has FR_PENDING_MAX page-ins in flight; *token = the oldest's. */
int fr_busy(struct fr *fr, uint64_t *token);
/* Ask the file's server for page pgoff; the reply carries token. On
 * failure nothing is pending and the caller releases the page. */
int fr_request(struct fr *fr, uint64_t pgoff, uint64_t token);
/* Page-ins sent without the kernel lock (mm/fr_send.c): begin checks that
 * the server can be sent messages now and holds what that needs (its
 * CPU's local lock; with `need`, room for one and its page-in record),
 * -1 with nothing held if not; commit sends that one for page pgoff with
 * token; ahead sends a read-ahead page-in if the ring has room left (-1,
 * nothing sent, if not: the caller releases the page); end lets go (and
 * frees the record if not committed). Under this CPU's local lock and the
 * FCM's lock. */
struct percpu;
struct process;
struct fr_pending;
struct fr_send {
	struct process *srv;
	struct percpu *held;
	struct fr_pending *pe;
	uint32_t room;		/* ring slots left after the one begun */
};
int fr_send_begin(struct fr *fr, struct fr_send *s, int need);
void fr_send_commit(struct fr *fr, struct fr_send *s, uint64_t pgoff, uint64_t token);
int fr_send_ahead(struct fr *fr, struct fr_send *s, uint64_t pgoff, uint64_t token);
void fr_send_end(struct fr_send *s);
/* Ask the file's server to take back dirty page pgoff (K42_MSG_FR_PAGEOUT):
 * 0 sent, -1 not now (its ring is full, or it is gone). */
int fr_request_pageout(struct fr *fr, uint64_t pgoff);
/* The FR's file FCM was destroyed (its last reference went). */
void fr_fcm_gone(struct fr *fr);
struct fcm *fcm_file_create(struct fr *fr, uint64_t max_resident);
int fcm_file_fill(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
		  void (*copy)(uint64_t pa, const void *src), const void *src);
/* The same with f->lock held (fr_complete without the kernel lock). */
int fcm_file_fill_locked(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
			 void (*copy)(uint64_t pa, const void *src), const void *src);

void fcm_file_set_writable(struct fcm *f);
/* A file FCM's paging policy (mm/fcm_file.c, K42_FCM_DEMAND, _PREFETCH
 * or _ADAPTIVE); describe one into a struct k42_fcminfo. */
int fcm_is_file(const struct fcm *f);
/* A fault's mapping of a file FCM's page into a region that maps the
 * FCM directly: the page goes to hat at va with prot (the region's) as
 * far as the FCM allows, while the FCM's lock is held, so that an unmap
 * made under that lock (an eviction, fr_ctl's pull or drop) is never
 * followed by the map of what it took away or of a page it cleaned. */
struct hat;
struct fcm_map {
	struct hat *hat;
	uint64_t va;
	unsigned prot;
};
/* get_page and the map: 0 mapped, -K42_EAGAIN and *token (being read
 * in), or another negative code (hat_map's too). */
int fcm_file_map(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m,
		 uint64_t *token);
/* The same for page pgoff only if it is resident and nothing else is to
 * be done (no page-in, no read-ahead, no eviction): 0 mapped, else
 * -K42_EAGAIN (or hat_map's code). For the fault path without the kernel
 * lock (mm/fault.c). */
int fcm_file_map_resident(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m);
/* The same for a COW layer over f (mm/fcm_cow.c, without the kernel
 * lock): under f's lock, the resident page pgoff is either mapped through
 * m read-only (to NULL: a read; an eviction unmaps it from the COW
 * layers' regions under that lock, so before or after) or copied to `to`
 * (a write: no push or drop changes it meanwhile). 0, else -K42_EAGAIN
 * with nothing done (or hat_map's code). */
int fcm_file_cow_resident(struct fcm *f, uint64_t pgoff, const struct fcm_map *m, void *to);
/* A miss without the kernel lock (mm/fcm_file.c): 1 and *token if d now
 * waits for the page-in (async: reflected), 0 if the page was resident
 * and is mapped, -K42_EAGAIN (nothing changed) for the locked path. */
struct dispatcher;
int fcm_file_miss_unlocked(struct fcm *f, uint64_t pgoff, int write, const struct fcm_map *m,
			   struct dispatcher *d, int async, uint64_t *token);
int fcm_file_set_policy(struct fcm *f, int policy);
struct k42_fcminfo;
void fcm_file_describe(struct fcm *f, struct k42_fcminfo *out);
int fcm_file_writable(struct fcm *f);
/* fr_ctl's work on the FCM (mm/fr.c decodes and checks the call). */
int fcm_file_pull(struct fcm *f, uint64_t pgoff, uint64_t end, void *out, uint64_t *found);
int fcm_file_push(struct fcm *f, uint64_t pgoff, uint64_t off, const void *src, uint64_t len);
int fcm_file_drop(struct fcm *f, uint64_t pgoff);

#endif
