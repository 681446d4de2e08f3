/*
 * The start order of the boot configuration: entries whose program is
 * missing or that need an unknown server are dropped, then everything that
 * needs a dropped entry; the rest is sorted topologically (Kahn, ties in
 * file order), the name server first and the shell last. What is left
 * unsorted lies on or behind a dependency cycle, and is reported as such.
 */
#include <string.h>
#include <lib/fmt.h>
#include "bootconf.h"

static void say(struct bootconf *bc, const struct bc_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct bootconf *bc, const struct bc_entry *e, const char *fmt, ...)
{
	char msg[BC_LINE_MAX + 64];
	int n;
	va_list ap;

	n = k_snprintf(msg, sizeof(msg), "init: %s:%d: %s: ", bc->file, e->line, e->name);
	va_start(ap, fmt);
	k_vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	bc->errors++;
	bc->report(bc->ctx, msg);
}

/* Drop entries that need a dropped one, until nothing changes. */
static void drop_dependents(struct bootconf *bc)
{
	int changed = 1;

	while (changed) {
		changed = 0;
		for (int i = 0; i < bc->n; i++) {
			struct bc_entry *e = &bc->e[i];

			for (int k = 0; k < e->nneeds && !e->dropped; k++) {
				int d = bootconf_find(bc, e->needs[k]);

				if (d >= 0 && bc->e[d].dropped) {
					say(bc, e, "not started: needs %s, which is not started",
					    e->needs[k]);
					e->dropped = changed = 1;
				}
			}
		}
	}
}

/* Can entry i start once the entries marked in placed[] have? */
static int ready(const struct bootconf *bc, int i, const int placed[])
{
	const struct bc_entry *e = &bc->e[i];

	for (int k = 0; k < e->nneeds; k++)
		if (!placed[bootconf_find(bc, e->needs[k])])
			return 0;
	return 1;
}

/* Report the cycle reached from entry i (every unplaced entry needs an
 * unplaced one, so following those needs must come round) and drop it. */
static void report_cycle(struct bootconf *bc, int i, const int placed[])
{
	int seen[BC_ENTRIES], path[BC_ENTRIES + 1] = { 0 }, len = 0, start;
	char text[BC_LINE_MAX];
	int n = 0;

	memset(seen, 0, sizeof(seen));
	while (!seen[i]) {
		const struct bc_entry *e = &bc->e[i];

		seen[i] = 1;
		path[len++] = i;
		for (int k = 0; k < e->nneeds; k++) {
			int d = bootconf_find(bc, e->needs[k]);

			if (!placed[d] && !bc->e[d].dropped) {
				i = d;
				break;
			}
		}
	}
	for (start = 0; path[start] != i; start++)
		;
	for (int k = start; k < len; k++)
		n += k_snprintf(text + n, sizeof(text) - (size_t)n, "%s -> ", bc->e[path[k]].name);
	k_snprintf(text + n, sizeof(text) - (size_t)n, "%s", bc->e[i].name);
	say(bc, &bc->e[i], "not started: dependency cycle %s", text);
	for (int k = start; k < len; k++)
		bc->e[path[k]].dropped = 1;
}

int bootconf_order(struct bootconf *bc, int (*exists)(const char *path), int order[BC_ENTRIES])
{
	int placed[BC_ENTRIES], n = 0, names = -1, shell = -1;

	for (int i = 0; i < bc->n; i++) {
		struct bc_entry *e = &bc->e[i];

		if (!exists(e->path)) {
			say(bc, e, "not started: %s is not in the boot archive", e->path);
			e->dropped = 1;
			continue;
		}
		for (int k = 0; k < e->nneeds && !e->dropped; k++)
			if (bootconf_find(bc, e->needs[k]) < 0) {
				say(bc, e, "not started: needs unknown server '%s'", e->needs[k]);
				e->dropped = 1;
			}
		if (e->dropped)
			continue;
		if (e->role == BC_ROLE_NAMES && (names >= 0 || e->nneeds)) {
			say(bc, e, "not started: %s", names >= 0 ? "a second name server" :
			    "the name server cannot need other servers");
			e->dropped = 1;
		} else if (e->role == BC_ROLE_NAMES) {
			names = i;
		} else if (e->role == BC_ROLE_SHELL && shell >= 0) {
			say(bc, e, "not started: a second shell");
			e->dropped = 1;
		} else if (e->role == BC_ROLE_SHELL) {
			shell = i;
		}
	}
	drop_dependents(bc);
	memset(placed, 0, sizeof(placed));
	if (names >= 0 && !bc->e[names].dropped) {
		order[n++] = names;
		placed[names] = 1;
	}
	for (;;) {
		int progress = 0, left = -1;

		for (int i = 0; i < bc->n; i++) {
			if (placed[i] || bc->e[i].dropped || i == shell)
				continue;
			if (ready(bc, i, placed)) {
				order[n++] = i;
				placed[i] = progress = 1;
				i = -1;		/* ties in file order: rescan from the top */
			} else if (left < 0) {
				left = i;
			}
		}
		if (progress)
			continue;
		if (left < 0)
			break;
		report_cycle(bc, left, placed);
		drop_dependents(bc);
	}
	if (shell >= 0 && !bc->e[shell].dropped) {
		if (ready(bc, shell, placed)) {
			order[n++] = shell;
		} else {
			report_cycle(bc, shell, placed);
			drop_dependents(bc);
		}
	}
	return n;
}
