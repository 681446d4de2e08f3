/*
 * The name server's parts: the name table (ops.c), the IPC glue to the
 * generated name.idl dispatcher (ipc.c) and the main loop (main.c).
 */
#ifndef NAME_SERVER_NAMES_H
#define NAME_SERVER_NAMES_H

#include <stdint.h>

#define NAMES_MAX 256	/* registered names at most */

struct name_entry {
	char name[128];
	uint64_t pid;		/* who registered it (kernel-given caller pid) */
	uint64_t obj;		/* that process's object handle */
	uint64_t rights;	/* what a client should ask for */
};

/* ops.c: 0 or -K42_E*; `admin` lets unregister take other pids' names. */
long names_valid(const char *name);
long names_add(const char *name, uint64_t pid, uint64_t obj, uint64_t rights);
long names_find(const char *name, struct name_entry *out);
long names_remove(const char *name, uint64_t pid, int admin);
long names_at(uint32_t index, struct name_entry *out);
/* Give every name of process `from` to process `to`; returns how many. */
uint32_t names_move(uint64_t from, uint64_t to);
uint32_t names_count(void);

/* ipc.c */
void names_serve(uint64_t admin_pid);

#endif
