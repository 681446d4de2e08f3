/*
 * The server-side object table: maps the object ids a server hands out to
 * (object, client pid, rights). The caller's pid comes from the kernel
 * (unforgeable), so a handle stolen by another process is useless.
 * Handles are index | generation << 32: a revoked slot's old handles
 * stop working when the slot is reused.
 */
#ifndef K42_OBJ_H
#define K42_OBJ_H

#include <stdint.h>
#include <k42/ipc.h>

/* Grant `pid` the `rights` on obj; returns the handle, or 0 out of memory. */
uint64_t k42_obj_grant(void *obj, uint64_t pid, uint64_t rights);
/* Check that caller `pid` holds handle with all of `need`; fills *who and
 * *obj. 0, -K42_EBADH (no such handle or not the caller's), -K42_EACCES. */
int k42_obj_check(uint64_t handle, uint64_t pid, uint64_t need, struct k42_ipc_caller *who,
		  void **obj);
int k42_obj_revoke(uint64_t handle);

#endif
