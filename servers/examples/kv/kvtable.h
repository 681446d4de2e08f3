/*
 * The kv server's table as a swappable object (docs/hot-swap.md): one
 * clustered object, "kv.table", in the process's translation table, with
 * two implementations ("array": a scan of slots; "hash": open addressing)
 * that hold the same KV_SLOTS entries and swap into each other while
 * clients call, and a counting interposer ("count").
 */
#ifndef KV_TABLE_H
#define KV_TABLE_H

#include <stdint.h>
#include <k42/hotswap.h>
#include "kv.h"

#ifndef KV_SLOTS
#define KV_SLOTS 64
#endif

struct kvt_rep;

/* Every implementation and interposer answers these; 0 or -K42_E*. */
struct kvt_ops {
	long (*put)(struct kvt_rep *r, const char *key, const uint8_t *value, uint32_t len);
	/* value has room for KV_VALUE_MAX bytes. */
	long (*get)(struct kvt_rep *r, const char *key, uint8_t *value, uint32_t *len);
	long (*del)(struct kvt_rep *r, const char *key);
	/* The first entry at a position >= *pos; *pos is set past it.
	 * -K42_ENOENT when there is none. */
	long (*next)(struct kvt_rep *r, uint32_t *pos, const char **key, const uint8_t **value,
		     uint32_t *len);
};

struct kvt_rep {
	struct cobj_rep rep;	/* first */
	const struct kvt_ops *ops;
};

extern struct k42_swappable kv_table;

/* Publish the table with implementation impl ("array" or "hash"). */
long kvt_publish(const char *impl);

/* This dispatcher's rep of the table (NULL: held where nobody can wait). */
static inline struct kvt_rep *kvt(void)
{
	return (struct kvt_rep *)k42_obj(kv_table.ref);
}

#endif
