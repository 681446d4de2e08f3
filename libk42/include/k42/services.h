/*
 * Helpers over the generated stubs of the system's first services: the
 * name server (idl/name.idl), process control (idl/proc.idl, answered by
 * libk42 in every process) and the boot-archive file server
 * (idl/file.idl). All return 0 (or a count) or a negative -K42_E* code.
 */
#ifndef K42_SERVICES_H
#define K42_SERVICES_H

#include <stddef.h>
#include <stdint.h>

/* Name server (the pid in k42_name_server; -K42_ESRCH without one).
 * Names: [a-z0-9_./-], at most 127 bytes. */
long k42_name_register(const char *name, uint64_t rights);	/* object 0: the service */
long k42_name_register_obj(const char *name, uint64_t obj, uint64_t rights);
long k42_name_unregister(const char *name);
long k42_name_lookup(const char *name, uint64_t *pid, uint64_t *handle);
long k42_name_lookup_rights(const char *name, uint64_t *pid, uint64_t *handle,
			    uint64_t *rights);
/* Look up, retrying every millisecond for up to `ms` ms of timebase time
 * while the name is missing or the name server busy (a server just started
 * may not have registered yet). */
long k42_name_wait(const char *name, uint64_t *pid, uint64_t *handle, uint64_t ms);
/* Enumerate: *cursor = 0 first; each call fills name (n bytes) and *pid
 * and advances *cursor; -K42_ENOENT after the last. */
long k42_name_list(uint32_t *cursor, char *name, size_t n, uint64_t *pid);

/* Process control of any process (the proc interface). */
long k42_proc_get_sched(uint64_t pid, char *buf, size_t n);
long k42_proc_set_sched(uint64_t pid, const char *policy);
long k42_proc_info(uint64_t pid, uint64_t *alive, uint64_t *created);

/* Authority of a caller, for servers that act on other processes (from the
 * kernel's process table, proc_describe): whether `manager` is `pid` itself
 * or one of its ancestors (the kernel's rule for who may manage whom), and
 * whether live process `pid` holds every K42_PRIV_* bit of `privs`. A pid
 * that is not alive holds nothing and manages nothing. */
int k42_proc_manages(uint64_t manager, uint64_t pid);
int k42_proc_holds(uint64_t pid, uint64_t privs);
/* The user and group ids the kernel keeps for live process pid (a
 * server's caller: docs/security.md, "User and group ids"): 0, or
 * -K42_ESRCH. */
long k42_proc_cred(uint64_t pid, uint32_t *uid, uint32_t *gid);

/* Files from the file server registered as "files": the whole file
 * `path` in a malloc'd buffer (*data, *size; free() it). */
long k42_file_load(const char *path, void **data, uint64_t *size);
/* Spawn a program whose ELF comes from the file server, with a startup
 * block passing argv and our name server on. */
long k42_spawn_file(const char *path, const char *const argv[], unsigned prio);

#endif
