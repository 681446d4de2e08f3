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
/* Ask the file's server to take back dirty page pgoff (K42_MSG_FR_PAGEOUT):
 * 0 sent, -1 not now (its ring is full, or it is gone). */
int fr_request_pageout(struct fr *fr, uint64_t pgoff);
/* The FR's file FCM was destroyed (its last reference went). */
void fr_fcm_gone(struct fr *fr);
struct fcm *fcm_file_create(struct fr *fr, uint64_t max_resident);
int fcm_file_fill(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
		  void (*copy)(uint64_t pa, const void *src), const void *src);

void fcm_file_set_writable(struct fcm *f);
/* A file FCM's paging policy (mm/fcm_file.c, K42_FCM_DEMAND, _PREFETCH
 * or _ADAPTIVE); describe one into a struct k42_fcminfo. */
int fcm_is_file(const struct fcm *f);
/* A file FCM's page pgoff if it is resident and nothing else is to be
 * done (no page-in, no read-ahead, no eviction): 0 and *pa, *maxprot as
 * get_page; else -K42_EAGAIN. For the fault path without the kernel
 * lock (mm/fault.c), which holds its CPU's local lock: nothing takes a
 * page away meanwhile (evictions, pulls and drops are made under the
 * kernel lock). */
int fcm_file_get_resident(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			  unsigned *maxprot);
int fcm_file_set_policy(struct fcm *f, int policy);
struct k42_fcminfo;
void fcm_file_describe(struct fcm *f, struct k42_fcminfo *out);
int fcm_file_writable(struct fcm *f);
/* fr_ctl's work on the FCM (mm/fr.c decodes and checks the call). */
int fcm_file_pull(struct fcm *f, uint64_t pgoff, uint64_t end, void *out, uint64_t *found);
int fcm_file_push(struct fcm *f, uint64_t pgoff, uint64_t off, const void *src, uint64_t len);
int fcm_file_drop(struct fcm *f, uint64_t pgoff);

#endif
