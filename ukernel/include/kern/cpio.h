/*
 * Reader for the boot archive: a cpio "newc" archive (magic 070701/070702)
 * in memory. Every header field is checked against the archive bounds, so
 * a truncated or corrupt archive yields an error with a reason and offset.
 */
#ifndef KERN_CPIO_H
#define KERN_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_NAME_MAX 256

struct cpio_entry {
	const char *name;	/* NUL-terminated, inside the archive */
	const void *data;
	uint64_t size;
	uint32_t mode;		/* st_mode bits, e.g. 0100755 */
};

struct cpio_iter {
	const uint8_t *base;
	size_t len;
	size_t off;
	const char *why;	/* reason for the last error */
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);
/* 1: *e filled; 0: clean end (TRAILER!!!); < 0: error, see it->why and it->off. */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);
/* Find name (without leading "/" or "./"); 0, -K42_ENOENT or another error. */
int cpio_find(const void *archive, size_t len, const char *name, struct cpio_entry *e,
	      const char **why);

#define CPIO_MODE_TYPE 0170000
#define CPIO_MODE_REG  0100000
#define CPIO_MODE_DIR  0040000

#endif
