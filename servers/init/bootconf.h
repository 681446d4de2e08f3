/*
 * The boot configuration (docs/boot-config.md): one line per server with
 * its program, options and arguments. bootconf_parse reads the text;
 * bootconf_order drops entries that cannot start (missing program, unknown
 * or unstartable dependency, cycle) and gives the start order. Both report
 * every problem as one line through bc->report. Pure code: no kernel calls,
 * so tests can run it on any text.
 */
#ifndef INIT_BOOTCONF_H
#define INIT_BOOTCONF_H

#include <stddef.h>
#include <stdint.h>

#define BC_ENTRIES	32
#define BC_NAME_MAX	31
#define BC_PATH_MAX	127
#define BC_ARGS_MAX	255
#define BC_SCHED_MAX	15
#define BC_NEEDS	8
#define BC_LINE_MAX	511

enum bc_restart {
	BC_RESTART_NEVER,	/* report the end, nothing more */
	BC_RESTART_CRASH,	/* start again if it was killed or exited non-zero */
	BC_RESTART_ALWAYS,	/* start again whenever it ends */
};

enum bc_role {
	BC_ROLE_SERVER,
	BC_ROLE_NAMES,		/* the name server: started first, its pid given to all */
	BC_ROLE_SHELL,		/* started last; its end ends the machine */
};

struct bc_entry {
	char name[BC_NAME_MAX + 1];
	char path[BC_PATH_MAX + 1];
	char args[BC_ARGS_MAX + 1];	/* what followed "--", spaces between words */
	char sched[BC_SCHED_MAX + 1];	/* user-level policy; "" keeps the default */
	unsigned prio_class;		/* K42_PRIO_* */
	enum bc_restart restart;
	enum bc_role role;
	int archive;			/* share the boot archive with it (archive=yes) */
	uint64_t privileges;		/* K42_PRIV_* granted at the start (privileges=) */
	uint32_t devices[4];		/* devices=VVVV:DDDD,...: PCI ids it may drive (0 ends) */
	unsigned quota_percent;		/* quota=: share of init's limits for its tree; 0: all */
	char when[BC_NAME_MAX + 1];	/* when=: start only if init's arguments hold this word */
	char needs[BC_NEEDS][BC_NAME_MAX + 1];
	int nneeds;
	int line;
	int dropped;
};

struct bootconf {
	const char *file;		/* the name messages carry, e.g. "boot.conf" */
	void (*report)(void *ctx, const char *line);
	void *ctx;
	struct bc_entry e[BC_ENTRIES];
	int n;
	int errors;
};

/* Parse `text`; malformed lines are reported and left out. Returns the
 * number of entries kept. */
int bootconf_parse(struct bootconf *bc, const char *text, size_t len);
/* Decide what starts and in which order: order[] receives entry indexes,
 * the name server first and the shell last. exists(path) says whether a
 * program is in the boot archive. Returns the count. */
int bootconf_order(struct bootconf *bc, int (*exists)(const char *path), int order[BC_ENTRIES]);
/* The entry named `name`, or -1. */
int bootconf_find(const struct bootconf *bc, const char *name);

#endif
