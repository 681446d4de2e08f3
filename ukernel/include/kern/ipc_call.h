/*
 * Call records: the kernel's per-call state for PPC IPC. Every call the
 * kernel accepts gets one, named to user space by a call handle (index and
 * generation: a handle whose generation does not match is stale or forged
 * and is refused). A record is on its server's `calls_queued` list until
 * the server takes it (upcall or ppc_accept), then on `calls_active` until
 * the reply. The caller (while it waits) points at its record; a caller
 * that dies leaves the record with caller == NULL, and the server's later
 * reply gets -K42_EDEAD.
 *
 * Records live in one fixed table (K42_IPC_CALLS_MAX), so outstanding
 * calls take no memory from the page manager. Everything here runs with
 * interrupts off on the one CPU that owns the dispatchers involved.
 */
#ifndef KERN_IPC_CALL_H
#define KERN_IPC_CALL_H

#include <stdint.h>
#include <k42/ipc.h>
#include <kern/dispatcher.h>

enum ipc_call_state { CALL_FREE, CALL_QUEUED, CALL_ACTIVE };

struct ipc_call {
	uint32_t gen;			/* bumped on every free */
	uint8_t state;			/* enum ipc_call_state */
	struct dispatcher *caller;	/* waiting for the reply; NULL once gone */
	struct dispatcher *server;
	uint64_t caller_pid;
	uint64_t op, w[K42_IPC_WORDS];	/* the request (kept while queued) */
	struct ipc_call *prev, *next;	/* on the server's list; next = free link */
};

/* A free record for a call to `server`, or NULL (table or the server's
 * share exhausted; counted). */
struct ipc_call *ipc_call_alloc(struct dispatcher *server);
/* Take c off its list and free it; its handle goes stale. */
void ipc_call_free(struct ipc_call *c);
uint64_t ipc_call_handle(const struct ipc_call *c);
/* The active call `handle` names, served by `server`, or NULL. */
struct ipc_call *ipc_call_lookup(uint64_t handle, struct dispatcher *server);

void ipc_call_list_add(struct ipc_call_list *l, struct ipc_call *c);
void ipc_call_list_del(struct ipc_call_list *l, struct ipc_call *c);

/* Figures for sys_info. */
uint64_t ipc_calls_in_use(void);
uint64_t ipc_calls_refused(void);

#endif
