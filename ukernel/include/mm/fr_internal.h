/*
 * Between the FR and its file FCM (mm/fr.c, mm/fcm_file.c) only.
 */
#ifndef MM_FR_INTERNAL_H
#define MM_FR_INTERNAL_H

#include <stdint.h>

struct fr;
struct fcm;

/* Ask the file's server for page pgoff; the reply carries token. */
int fr_request(struct fr *fr, uint64_t pgoff, uint64_t token);
struct fcm *fcm_file_create(struct fr *fr, uint64_t max_resident);
int fcm_file_fill(struct fcm *f, uint64_t pgoff, uint64_t token, long status,
		  void (*copy)(uint64_t pa, const void *src), const void *src);
uint64_t fcm_file_token(struct fcm *f, uint64_t pgoff);

#endif
