/*
 * The name table: a sorted array of registered names (so a listing comes
 * out in name order and a lookup is a binary search). Every call runs on
 * the server's upcall stack with upcalls disabled, one at a time, so the
 * table needs no lock. A name whose process has ended may be taken over
 * by a new registration: a restarted server gets its name back.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include "names.h"

static struct name_entry table[NAMES_MAX];
static uint32_t count;

long names_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(table[0].name) || name[0] == '/' || name[0] == '.')
		return -K42_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '.' && name[i + 1] == '.')
			return -K42_EINVAL;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '/' || c == '-'))
			return -K42_EINVAL;
	}
	return 0;
}

/* Index of name, or -(insertion point) - 1. */
static long search(const char *name)
{
	long lo = 0, hi = (long)count - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		int c = strcmp(table[mid].name, name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static int alive(uint64_t pid)
{
	static struct k42_procinfo procs[128];
	long n = k42_sc_proc_list((uint64_t)procs, sizeof(procs) / sizeof(procs[0]));

	if (n < 0)
		return 1;	/* cannot tell: keep the name */
	for (long i = 0; i < n; i++)
		if (procs[i].pid == pid)
			return procs[i].state == K42_PROC_RUNNING || procs[i].state == K42_PROC_CREATED;
	return 0;
}

long names_add(const char *name, uint64_t pid, uint64_t obj, uint64_t rights)
{
	long i = search(name);
	struct name_entry *e;

	if (names_valid(name) < 0)
		return -K42_EINVAL;
	if (i >= 0) {
		if (table[i].pid == pid || alive(table[i].pid))
			return -K42_EEXIST;
		e = &table[i];	/* its server has ended: take the name over */
	} else {
		if (count == NAMES_MAX)
			return -K42_ENOSPC;
		i = -i - 1;
		memmove(&table[i + 1], &table[i], (count - (uint32_t)i) * sizeof(table[0]));
		count++;
		e = &table[i];
		memcpy(e->name, name, strlen(name) + 1);
	}
	e->pid = pid;
	e->obj = obj;
	e->rights = rights;
	return 0;
}

/* Drop the names of servers that have ended, so lookups and listings never
 * hand out a dead pid. One proc_list snapshot for the whole table. */
static void purge_dead(void)
{
	static struct k42_procinfo procs[256];
	long n = k42_sc_proc_list((uint64_t)procs, sizeof(procs) / sizeof(procs[0]));
	uint32_t kept = 0;

	if (n < 0 || n == (long)(sizeof(procs) / sizeof(procs[0])))
		return;	/* cannot tell (or the snapshot may be cut short): keep all */
	for (uint32_t i = 0; i < count; i++) {
		int live = 0;

		for (long j = 0; j < n && !live; j++)
			live = procs[j].pid == table[i].pid && (procs[j].state == K42_PROC_RUNNING ||
								procs[j].state == K42_PROC_CREATED);
		if (live)
			table[kept++] = table[i];
	}
	count = kept;
}

long names_find(const char *name, struct name_entry *out)
{
	long i;

	purge_dead();
	i = search(name);

	if (i < 0)
		return -K42_ENOENT;
	*out = table[i];
	return 0;
}

long names_remove(const char *name, uint64_t pid, int admin)
{
	long i = search(name);

	if (i < 0)
		return -K42_ENOENT;
	if (table[i].pid != pid && !admin)
		return -K42_EPERM;
	memmove(&table[i], &table[i + 1], (count - (uint32_t)i - 1) * sizeof(table[0]));
	count--;
	return 0;
}

uint32_t names_move(uint64_t from, uint64_t to)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < count; i++) {
		if (table[i].pid == from) {
			table[i].pid = to;
			n++;
		}
	}
	return n;
}

long names_at(uint32_t index, struct name_entry *out)
{
	if (index == 0)
		purge_dead();	/* a listing starts: show only live servers */
	if (index >= count)
		return -K42_ENOENT;
	*out = table[index];
	return 0;
}

uint32_t names_count(void)
{
	return count;
}
