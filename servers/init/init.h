/*
 * init's pieces: the boot configuration (bootconf.h), starting a server
 * (start.c) and the main loop that starts and watches them (init.c).
 */
#ifndef INIT_INIT_H
#define INIT_INIT_H

#include <stdint.h>
#include "bootconf.h"

/* Start entry e's program; returns its pid or a negative error. */
long start_server(const struct bc_entry *e, uint64_t names_pid);

#endif
