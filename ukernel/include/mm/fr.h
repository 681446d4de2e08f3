/*
 * FR (file representative): the kernel's handle on a file that a user-level
 * server serves. Its FCM asks the FR for pages it does not have; the FR
 * sends the server a one-way page-in message (op K42_MSG_FR_PAGEIN, words:
 * fr handle, file id, byte offset) and the server answers with fr_complete,
 * the data in its PPC page. Waiting dispatchers are then woken: those that
 * took the fault synchronously are resumed, those that had it reflected
 * get the token in their shared page and a K42_SOFTINTR_PGFLT.
 *
 * Limits are per FR and per dispatcher, never global: an FR has at most
 * FR_PENDING_MAX page-ins in flight (a fault past that waits for the
 * oldest), a dispatcher at most FR_ASYNC_WAITS reflected faults (past that
 * the fault is taken synchronously). A request that does not fit the
 * server's message ring is kept and sent when the ring has room.
 *
 * Lifetime: an FR lives while its server holds it (until fr_destroy or the
 * server's end: the FR is then withdrawn, its page-ins fail with
 * -K42_EDEAD) and while any region maps its FCM; the slot is reused only
 * after the FCM is gone and quiescence.
 */
#ifndef MM_FR_H
#define MM_FR_H

#define FR_MAX 256	/* the FR table (mm/fr.c); also the root quota of FRs */

#include <stdint.h>

struct fcm;
struct process;
struct dispatcher;

#define FR_PENDING_MAX 64

/* Handles are (index | key << 32): unguessable, checked on every use. */
int fr_create(struct process *server, uint64_t file_id, uint64_t size, uint64_t *handle);
/* The server withdraws one of its FRs (mappings keep their resident pages). */
int fr_destroy(struct process *server, uint64_t handle);
struct fr *fr_lookup(uint64_t handle);
struct fcm *fr_fcm(struct fr *fr);
uint64_t fr_size(struct fr *fr);
/* Page-ins fr can still start before it has FR_PENDING_MAX in flight. */
int fr_room(struct fr *fr);
/* The server's answer for one page. */
int fr_complete(struct process *server, uint64_t handle, uint64_t offset, long status,
		const void *data);
/* The same without the kernel lock, under this CPU's local lock
 * (docs/smp.md): 1 and *rc if done, 0 (nothing changed) for the locked
 * path. The count of those done so (K42_INFO_FR_COMPLETES_UNLOCKED). */
int fr_complete_unlocked(struct process *server, uint64_t handle, uint64_t offset, long status,
			 const void *data, long *rc);
uint64_t fr_completes_unlocked(void);
struct trap_frame;
int sys_fr_complete_fast(struct trap_frame *tf);
/* The server's control of fr's cached pages (K42_FR_CTL_*, <k42/dispatcher.h>):
 * allow writable mappings, take a dirty page back, write into a resident
 * page, drop pages past a new end. */
long fr_ctl(struct process *server, uint64_t handle, uint64_t op, uint64_t offset, uint64_t buf,
	    uint64_t len);
/* The same without the kernel lock, under this CPU's local lock
 * (docs/smp.md): 1 and *rc if done, 0 if it must be made on the locked
 * path (a buffer not resident in anonymous memory), before any change. */
int fr_ctl_unlocked(struct process *server, uint64_t handle, uint64_t op, uint64_t offset,
		    uint64_t buf, uint64_t len, long *rc);
/* Kernel call fr_ctl from user mode without the kernel lock
 * (arch_user_trap): 1 if it was made (result set in tf), else 0. */
struct trap_frame;
int sys_fr_ctl_fast(struct trap_frame *tf);
/* Whether mappers may map fr writable (its server allowed it). */
int fr_writable(struct fr *fr);
/* Record that d waits for token (async: reflected; else synchronous).
 * -K42_ENOENT: that page-in is over (retry the access); -K42_EAGAIN: d has
 * all its reflected faults outstanding (take this one synchronously). */
int fr_add_waiter(uint64_t token, struct dispatcher *d, int async);
/* d has a reflected-fault slot free (fr_add_waiter async would not
 * answer -K42_EAGAIN). */
int fr_async_room(const struct dispatcher *d);
/* Misses whose page-in was sent without the kernel lock
 * (K42_INFO_FR_MISSES_UNLOCKED). */
uint64_t fr_misses_unlocked(void);
/* Read-ahead page-ins sent so (K42_INFO_FR_AHEAD_UNLOCKED). */
uint64_t fr_aheads_unlocked(void);
/* d is going away: take it off every page-in it waits for. */
void fr_dispatcher_gone(struct dispatcher *d);
/* The server died: withdraw its FRs. */
void fr_server_gone(struct process *server);
/* d serves FRs with requests its ring had no room for: send what fits now. */
void fr_flush(struct dispatcher *d);
/* The same without the kernel lock, under this CPU's local lock, for a
 * disabled dispatcher 0 running here (mm/fr.c). */
void fr_flush_unlocked(struct dispatcher *d);
/* Page-ins fr_flush_unlocked sent. */
uint64_t fr_flushes_unlocked(void);

#endif
