/*
 * The kv table's implementations and interposer (kvtable.h): each root
 * holds the whole table and one rep shared by every dispatcher (the
 * server runs on one). A swap moves the entries through the common
 * interface, so any implementation takes over from any other.
 */
#include <stddef.h>
#include <string.h>
#include <k42/k42.h>
#include "kvtable.h"

#define FREE 0
#define USED 1
#define GONE 2		/* hash: a deleted slot a probe must pass over */

struct entry {
	int state;
	char key[KV_KEY_MAX + 1];
	uint8_t value[KV_VALUE_MAX];
	uint32_t len;
};

struct table {
	struct cobj_root root;	/* first */
	struct kvt_rep rep;
	struct entry e[KV_SLOTS];
};

static struct table *table_of(struct kvt_rep *r)
{
	return (struct table *)((char *)r - offsetof(struct table, rep));
}

static void fill(struct entry *e, const char *key, const uint8_t *value, uint32_t len)
{
	e->state = USED;
	memcpy(e->key, key, strlen(key) + 1);	/* the dispatcher checked: <= KV_KEY_MAX */
	memcpy(e->value, value, len);
	e->len = len;
}

static long copy_out(const struct entry *e, uint8_t *value, uint32_t *len)
{
	memcpy(value, e->value, e->len);
	*len = e->len;
	return 0;
}

static long table_next(struct kvt_rep *r, uint32_t *pos, const char **key, const uint8_t **value,
		       uint32_t *len)
{
	struct table *t = table_of(r);

	for (uint32_t i = *pos; i < KV_SLOTS; i++) {
		if (t->e[i].state == USED) {
			*key = t->e[i].key;
			*value = t->e[i].value;
			*len = t->e[i].len;
			*pos = i + 1;
			return 0;
		}
	}
	return -K42_ENOENT;
}

/* ---- array: scan every slot ---- */

static struct entry *array_find(struct table *t, const char *key)
{
	for (int i = 0; i < KV_SLOTS; i++)
		if (t->e[i].state == USED && strcmp(t->e[i].key, key) == 0)
			return &t->e[i];
	return NULL;
}

static long array_put(struct kvt_rep *r, const char *key, const uint8_t *value, uint32_t len)
{
	struct table *t = table_of(r);
	struct entry *e = array_find(t, key);

	for (int i = 0; !e && i < KV_SLOTS; i++)
		if (t->e[i].state != USED)
			e = &t->e[i];
	if (!e)
		return -K42_ENOSPC;
	fill(e, key, value, len);
	return 0;
}

static long array_get(struct kvt_rep *r, const char *key, uint8_t *value, uint32_t *len)
{
	struct entry *e = array_find(table_of(r), key);

	return e ? copy_out(e, value, len) : -K42_ENOENT;
}

static long array_del(struct kvt_rep *r, const char *key)
{
	struct entry *e = array_find(table_of(r), key);

	if (!e)
		return -K42_ENOENT;
	e->state = FREE;
	return 0;
}

static const struct kvt_ops array_ops = { array_put, array_get, array_del, table_next };

/* ---- hash: open addressing, linear probing ---- */

static uint32_t hash(const char *key)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*key)
		h = (h ^ (uint8_t)*key++) * 16777619u;
	return h % KV_SLOTS;
}

/* The slot holding key, or NULL; *room: the first reusable slot seen. */
static struct entry *hash_find(struct table *t, const char *key, struct entry **room)
{
	uint32_t h = hash(key);

	if (room)
		*room = NULL;
	for (uint32_t n = 0; n < KV_SLOTS; n++) {
		struct entry *e = &t->e[(h + n) % KV_SLOTS];

		if (e->state == USED && strcmp(e->key, key) == 0)
			return e;
		if (e->state != USED && room && !*room)
			*room = e;
		if (e->state == FREE)
			return NULL;	/* the probe ends at a never-used slot */
	}
	return NULL;
}

static long hash_put(struct kvt_rep *r, const char *key, const uint8_t *value, uint32_t len)
{
	struct entry *room, *e = hash_find(table_of(r), key, &room);

	if (!e)
		e = room;
	if (!e)
		return -K42_ENOSPC;
	fill(e, key, value, len);
	return 0;
}

static long hash_get(struct kvt_rep *r, const char *key, uint8_t *value, uint32_t *len)
{
	struct entry *e = hash_find(table_of(r), key, NULL);

	return e ? copy_out(e, value, len) : -K42_ENOENT;
}

static long hash_del(struct kvt_rep *r, const char *key)
{
	struct entry *e = hash_find(table_of(r), key, NULL);

	if (!e)
		return -K42_ENOENT;
	e->state = GONE;
	return 0;
}

static const struct kvt_ops hash_ops = { hash_put, hash_get, hash_del, table_next };

/* ---- roots ---- */

static struct cobj_rep *table_rep(struct cobj_root *root, uint32_t cpu)
{
	(void)cpu;
	return &((struct table *)root)->rep.rep;	/* one rep for all */
}

static void table_rep_destroy(struct cobj_root *root, struct cobj_rep *rep)
{
	(void)root;
	(void)rep;	/* part of the root */
}

static const struct cobj_root_ops table_root_ops = { table_rep, table_rep_destroy, NULL };

static struct cobj_root *table_new(const struct kvt_ops *ops)
{
	struct table *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->rep.ops = ops;
	return &t->root;
}

static struct cobj_root *array_create(void)
{
	return table_new(&array_ops);
}

static struct cobj_root *hash_create(void)
{
	return table_new(&hash_ops);
}

static void table_destroy(struct cobj_root *root)
{
	free(root);
}

/* Every entry of `from` (any implementation, no call running in it) into
 * the empty `to`. */
static long table_transfer(struct cobj_root *from, struct cobj_root *to)
{
	struct kvt_rep *src = (struct kvt_rep *)k42_obj_rep_of(from);
	struct kvt_rep *dst = &((struct table *)to)->rep;
	const uint8_t *value;
	const char *key;
	uint32_t pos = 0, len;
	long rc;

	if (!src)
		return -K42_ENOMEM;
	while (src->ops->next(src, &pos, &key, &value, &len) == 0)
		if ((rc = dst->ops->put(dst, key, value, len)) < 0)
			return rc;
	return 0;
}

static const struct k42_swap_impl impls[] = {
	{ "array", array_create, &table_root_ops, table_transfer, table_destroy },
	{ "hash", hash_create, &table_root_ops, table_transfer, table_destroy },
};

/* ---- count: an interposer that counts calls ---- */

struct counter {
	struct cobj_root root;	/* first */
	struct kvt_rep rep;
	struct kvt_rep *inner;	/* the table's rep under us */
	uint64_t calls;
};

static struct counter *counter_of(struct kvt_rep *r)
{
	return (struct counter *)((char *)r - offsetof(struct counter, rep));
}

static struct kvt_rep *counted(struct kvt_rep *r)
{
	struct counter *c = counter_of(r);

	__atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
	return c->inner;
}

static long count_put(struct kvt_rep *r, const char *key, const uint8_t *value, uint32_t len)
{
	struct kvt_rep *in = counted(r);

	return in->ops->put(in, key, value, len);
}

static long count_get(struct kvt_rep *r, const char *key, uint8_t *value, uint32_t *len)
{
	struct kvt_rep *in = counted(r);

	return in->ops->get(in, key, value, len);
}

static long count_del(struct kvt_rep *r, const char *key)
{
	struct kvt_rep *in = counted(r);

	return in->ops->del(in, key);
}

static long count_next(struct kvt_rep *r, uint32_t *pos, const char **key, const uint8_t **value,
		       uint32_t *len)
{
	struct kvt_rep *in = counted(r);

	return in->ops->next(in, pos, key, value, len);
}

static const struct kvt_ops count_ops = { count_put, count_get, count_del, count_next };

static struct cobj_rep *counter_rep(struct cobj_root *root, uint32_t cpu)
{
	(void)cpu;
	return &((struct counter *)root)->rep.rep;
}

static const struct cobj_root_ops counter_root_ops = { counter_rep, table_rep_destroy, NULL };

static struct cobj_root *counter_create(struct cobj_root *inner)
{
	struct counter *c;
	struct kvt_rep *in = inner ? (struct kvt_rep *)k42_obj_rep_of(inner) : NULL;

	if (!in || !(c = malloc(sizeof(*c))))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->rep.ops = &count_ops;
	c->inner = in;
	return &c->root;
}

static uint64_t counter_count(struct cobj_root *root)
{
	return __atomic_load_n(&((struct counter *)root)->calls, __ATOMIC_RELAXED);
}

static void counter_destroy(struct cobj_root *root)
{
	free(root);
}

static const struct k42_swap_interposer interposers[] = {
	{ "count", counter_create, &counter_root_ops, counter_count, counter_destroy },
};

struct k42_swappable kv_table = {
	.name = "kv.table",
	.impls = impls,
	.nimpls = sizeof(impls) / sizeof(impls[0]),
	.interposers = interposers,
	.ninterposers = sizeof(interposers) / sizeof(interposers[0]),
};

long kvt_publish(const char *impl)
{
	return k42_obj_publish(&kv_table, impl);
}
