/*
 * The tutorial key-value server (docs/writing-a-server.md): idl/kv.idl
 * implemented in one file. The generated kv_dispatch() decodes and checks
 * every request and calls the kv_*_impl functions below; this file holds
 * the data, says which rights callers get, and registers "kv" with the
 * name server.
 */
#include <string.h>
#include <k42/k42.h>
#include "kv.h"

#define KV_SLOTS 64

struct entry {
	int used;
	char key[KV_KEY_MAX + 1];
	uint8_t value[KV_VALUE_MAX];
	uint32_t len;
};

/* Calls are served one at a time on the upcall stack: no lock needed. */
static struct entry table[KV_SLOTS];

static struct entry *find(const char *key)
{
	for (int i = 0; i < KV_SLOTS; i++)
		if (table[i].used && strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

long kv_put_impl(const struct k42_ipc_caller *caller, const char *key, const uint8_t *value,
		 uint32_t value_len)
{
	struct entry *e = find(key);

	(void)caller;
	for (int i = 0; !e && i < KV_SLOTS; i++)
		if (!table[i].used)
			e = &table[i];
	if (!e)
		return -K42_ENOSPC;
	e->used = 1;
	memcpy(e->key, key, strlen(key) + 1);	/* the dispatcher checked: at most KV_KEY_MAX bytes */
	memcpy(e->value, value, value_len);
	e->len = value_len;
	return 0;
}

long kv_get_impl(const struct k42_ipc_caller *caller, const char *key, uint8_t *value,
		 uint32_t value_cap, uint32_t *value_len)
{
	struct entry *e = find(key);

	(void)caller;
	(void)value_cap;	/* KV_VALUE_MAX, as the IDL says */
	if (!e)
		return -K42_ENOENT;
	memcpy(value, e->value, e->len);
	*value_len = e->len;
	return 0;
}

long kv_delete_impl(const struct k42_ipc_caller *caller, const char *key)
{
	struct entry *e = find(key);

	(void)caller;
	if (!e)
		return -K42_ENOENT;
	e->used = 0;
	return 0;
}

long kv_list_impl(const struct k42_ipc_caller *caller, uint32_t cursor, uint32_t *next,
		  char *key, uint32_t key_cap)
{
	(void)caller;
	(void)key_cap;
	for (uint32_t i = cursor; i < KV_SLOTS; i++) {
		if (table[i].used) {
			memcpy(key, table[i].key, strlen(table[i].key) + 1);
			*next = i + 1;
			return 0;
		}
	}
	return -K42_ENOENT;
}

/* Every incoming call: this server gives every caller both rights. */
static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, KV_RIGHT_READ | KV_RIGHT_WRITE };

	kv_dispatch(&who, m);
}

int main(uint64_t argc)
{
	long rc;

	(void)argc;
	k42_serve(handle);
	rc = k42_name_register("kv", KV_RIGHT_READ | KV_RIGHT_WRITE);
	if (rc < 0) {
		k42_printf("kv: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	for (;;)
		k42_sc_block();
}
