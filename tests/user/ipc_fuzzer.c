/*
 * IPC fuzzer of the soak (docs/soak.md): random calls to every generated
 * server interface, driven by stubgen's interface table (idl_table.h):
 * mostly real methods with wrong sizes, lengths, strings and handles,
 * sometimes unknown ordinals, versions, interfaces and flags. argv:
 * ipc_fuzzer CALLS SEED PID... (the servers to call; any of them answers
 * the process-control interface). Every reply must be a status, never a
 * crash of the server; the exit status is 0. A call never answered leaves
 * it waiting, which the soak reports (soak_test.c, wait_children).
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include "console.h"
#include "idl_table.h"

#define MAX_TARGETS 8

static uint64_t state;

static uint64_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* A handle: mostly small numbers (as servers hand out), sometimes junk. */
static uint64_t handle(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		return (uint64_t)-(long)(rnd() % 4);
	default:
		return rnd() % 16;
	}
}

/* Fill the request page: random bytes, or text with or without its NUL,
 * sometimes a path. */
static void fill(uint8_t *page, uint32_t len)
{
	static const char *const words[] = { "/", "/etc/motd", "kv", "name", "..", "/servers/kv",
					     "a/../../b", "" };
	uint32_t kind = (uint32_t)(rnd() % 3);

	for (uint32_t i = 0; i < len; i++)
		page[i] = kind == 0 ? (uint8_t)rnd() : (uint8_t)('a' + rnd() % 26);
	if (kind == 2 && len) {
		const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
		uint32_t n = (uint32_t)strlen(w) + 1;

		memcpy(page + (rnd() % 8 < len ? rnd() % 8 : 0) % len, w, n < len ? n : len);
	}
}

int main(uint64_t argc)
{
	uint64_t calls, targets[MAX_TARGETS], counts[4] = { 0 };
	int ntargets = 0;

	if (argc < 4) {
		k42_puts("usage: ipc_fuzzer CALLS SEED PID...\n");
		return 2;
	}
	calls = strtoul(k42_argv[1], NULL, 0);
	state = strtoul(k42_argv[2], NULL, 0) | 1;
	for (int i = 3; i < k42_argc && ntargets < MAX_TARGETS; i++)
		targets[ntargets++] = strtoul(k42_argv[i], NULL, 0);
	for (uint64_t c = 0; c < calls; c++) {
		const struct k42_idl_iface_desc *ifc = &k42_idl_ifaces[rnd() % K42_IDL_IFACES];
		const struct k42_idl_method_desc *md = &ifc->methods[rnd() % ifc->nmethods];
		struct k42_ipc_msg *m = k42_ipc_msg_get();
		uint32_t id = ifc->id, version = ifc->version, ord = md->ordinal;
		uint32_t flags = md->oneway ? K42_IPC_FLAG_ONEWAY : 0, len;
		long rc;

		switch (rnd() % 16) {	/* now and then, the header itself is wrong */
		case 0:
			ord = (uint32_t)rnd();
			break;
		case 1:
			version = (uint32_t)rnd();
			break;
		case 2:
			id = (uint32_t)rnd();
			break;
		case 3:
			flags = (uint32_t)rnd();
			break;
		default:
			break;
		}
		/* Lengths around the largest the method takes. */
		len = rnd() % 4 ? (uint32_t)(rnd() % (md->max_len + 1)) :
				  (uint32_t)(rnd() % K42_IPC_PAGE_BYTES);
		fill(m->page, len);
		for (int w = 0; w < (int)K42_IPC_WORDS; w++) {
			if (md->handle_words & (1u << w))
				m->w[w] = handle();
			else if (rnd() % 2)
				m->w[w] = rnd() % (md->max_len + 2);	/* plausible lengths */
			else
				m->w[w] = rnd();
		}
		/* The console's read_line and read wait for typed input by design. */
		if (id == CONSOLE_IFACE_ID && (ord == CONSOLE_ORD_READ_LINE || ord == CONSOLE_ORD_READ))
			continue;
		m->op = k42_ipc_op(id, version, ord, flags, len);
		m->len = len;
		rc = k42_ipc_call(targets[rnd() % (uint64_t)ntargets], m);
		counts[rc == 0 ? 0 : rc == -K42_EBUSY || rc == -K42_EDISABLED ? 1 :
			rc == -K42_EAGAIN ? 2 : 3]++;
	}
	k42_printf("ipc_fuzzer: %lu calls to %d servers over %d interfaces: %lu ok, %lu busy, "
		   "%lu queue full, %lu refused\n", calls, ntargets, K42_IDL_IFACES, counts[0],
		   counts[1], counts[2], counts[3]);
	return 0;
}
