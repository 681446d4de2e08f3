/*
 * The FR's own types, private to mm/fr.c (the table, lookups, locked
 * page-ins, completions, control) and mm/fr_send.c (page-ins sent by a
 * miss without the kernel lock). Nothing else includes this.
 */
#ifndef MM_FR_PRIV_H
#define MM_FR_PRIV_H

#include <stdint.h>
#include <kern/quiesce.h>

struct fr;
struct fr_pending;
struct fr_waiter;
struct fcm;
struct process;

/* How a file representative reaches its file's data: today one way, a
 * one-way message to the user-level server that owns the file. Another
 * FR (a disk driver in the kernel, a network file) is another ops table. */
struct fr_ops {
	const char *name;
	int (*request)(struct fr *fr, struct fr_pending *pe);
};

enum fr_state {
	FR_FREE,
	FR_LIVE,	/* held by its server; the handle works */
	FR_WITHDRAWN,	/* server gone or fr_destroy: FCM still mapped somewhere */
	FR_RETIRED,	/* FCM gone: slot freed after quiescence */
};

/* One page-in in flight. */
struct fr_pending {
	uint64_t token;
	uint64_t pgoff;
	int sent;			/* in the server's message ring */
	struct fr_waiter *waiters;	/* nodes inside the waiting dispatchers */
	struct fr_pending *next;	/* newest first */
};

struct fr {
	const struct fr_ops *ops;
	enum fr_state state;
	uint32_t key;
	uint32_t server;	/* pid (with generation: never reused) */
	uint64_t file_id;
	uint64_t size;
	struct fcm *fcm;	/* the server's reference while LIVE */
	struct fr_pending *pending;
	int npending;
	uint64_t seq;		/* token sequence; kept across reuse of the slot */
	struct deferred dfr;
};


/* Put page-in pe's message in srv's ring and mark it sent: 0, or -1 if
 * the ring is full (pe stays unsent). */
int fr_put_pagein(struct process *srv, struct fr *fr, struct fr_pending *pe);

#endif
