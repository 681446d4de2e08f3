/*
 * FR (file representative): the kernel's handle on a file that a user-level
 * server serves. Its FCM asks the FR for pages it does not have; the FR
 * sends the server a one-way page-in message (op K42_FR_PAGEIN_OP, words:
 * fr handle, file id, byte offset) and the server answers with fr_complete,
 * the data in its PPC page. Waiting dispatchers are then woken: those that
 * took the fault synchronously are resumed, those that had it reflected
 * get the token in their shared page and a K42_SOFTINTR_PGFLT.
 */
#ifndef MM_FR_H
#define MM_FR_H

#include <stdint.h>

struct fcm;
struct process;
struct dispatcher;

/* Handles are (index | key << 32): unguessable, checked on every use. */
int fr_create(struct process *server, uint64_t file_id, uint64_t size, uint64_t *handle);
struct fr *fr_lookup(uint64_t handle);
struct fcm *fr_fcm(struct fr *fr);
uint64_t fr_size(struct fr *fr);
/* The server's answer for one page. */
int fr_complete(struct process *server, uint64_t handle, uint64_t offset, long status,
		const void *data);
/* Record that d waits for token (async: reflected; else synchronous).
 * -K42_EBUSY if the page has too many waiters already. */
int fr_add_waiter(uint64_t token, struct dispatcher *d, int async);
/* The server died: fail its FRs' pending pages and wake their waiters. */
void fr_server_gone(struct process *server);

#endif
