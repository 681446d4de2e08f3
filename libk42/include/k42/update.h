/*
 * Live update of a server process (docs/hot-swap.md): a running server
 * hands its state, its names and its callers to a successor started from
 * a new binary, while clients keep calling; they see no error and lose no
 * update. libk42 answers idl/update.idl in every process; a program takes
 * part with three calls:
 *
 *   the old binary   k42_update_offer(export)         once, before it serves
 *   the new binary   k42_serve(...), then, if old = k42_update_predecessor(),
 *                    k42_update_takeover(old, import)
 *   the updater      k42_update_start(old, path, &opts), then wait for old
 *                    to end (it does, once its successor has everything)
 */
#ifndef K42_UPDATE_H
#define K42_UPDATE_H

#include <stdint.h>
#include <k42/k42.h>

/* Write the program's state into buf (cap bytes); return its length, which
 * may exceed cap (then nothing need be written: it is asked again with
 * room), or -K42_E*. Runs while no call to the program runs or can start. */
typedef long (*k42_update_export_fn)(void *buf, uint64_t cap);
/* Take over the state export wrote (len bytes): 0 or -K42_E* (the update
 * is then called off and the old process goes on serving). */
typedef long (*k42_update_import_fn)(const void *buf, uint64_t len);

/* This program can be replaced: export is how its state leaves. */
void k42_update_offer(k42_update_export_fn export_fn);

/* The pid this process was started to replace ("--takeover=PID" as its
 * last argument), or 0. */
uint64_t k42_update_predecessor(void);

/* Take process old over: fetch its state (waiting up to 20 s for its
 * manager's go-ahead), import it, then commit: old's names, held calls and
 * future callers come to us, and old ends. Install the handler first (no
 * call reaches us before the commit; from then on they must find it).
 * Returns how many held calls were forwarded to us, or -K42_E* (then old
 * goes on). */
long k42_update_takeover(uint64_t old, k42_update_import_fn import_fn);

/* Start `path` as the successor of process old (which we manage), with
 * o's options and its argv plus "--takeover=OLD", and name it to old.
 * Returns the new pid; old ends once the new process has taken over. */
long k42_update_start(uint64_t old, const char *path, const struct k42_spawn_opts *o);

#endif
