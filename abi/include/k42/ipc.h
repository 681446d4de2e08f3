/*
 * PPC IPC message layout: the contract between the kernel's PPC transport,
 * libk42's IPC runtime and the stubs that stubgen generates.
 *
 * A protected procedure call carries an op word and K42_IPC_WORDS data words
 * in registers, plus up to K42_IPC_PAGE_BYTES of bulk data in the per-CPU PPC
 * page. The reply carries a status (0 or -K42_E*) in place of the op word and
 * the same number of words and bytes back.
 *
 * Register mapping on ppc64 (see docs/kernel-interface.md):
 *   call:   r3 = target pid,  r4 = op word, r5..r10 = w[0..5]
 *   upcall: r3 = caller pid,  r4 = op word, r5..r10 = w[0..5], r11 = call handle
 *   reply:  r3 = call handle, r4 = status, r5 = page length | flags, r6..r11 = w[0..5]
 *   result: r3 = status,      r4 = page length, r5..r10 = w[0..5]
 *
 * Every call the kernel accepts gets a call handle: per-call kernel state
 * (who called, whom to reply to), named by an index and a generation so a
 * stale or forged handle is refused. A server holds any number of calls
 * (up to K42_IPC_CALLS_PER_SERVER) and replies to each by its handle, in any
 * order and from any of its threads. Page data travels by copy between the
 * caller's and the server's own PPC pages (each process has a private one).
 */
#ifndef K42_IPC_H
#define K42_IPC_H

#include <stdint.h>

#define K42_IPC_WORDS      6u
#define K42_IPC_PAGE_BYTES 4096u

/* Outstanding calls one server may hold (queued or accepted); past it a
 * call is refused with -K42_EBUSY, counted in K42_INFO_IPC_REFUSED. */
#define K42_IPC_CALLS_PER_SERVER 512u
/* Outstanding calls in the whole kernel. */
#define K42_IPC_CALLS_MAX        2048u
/* Asynchronous calls (ppc_call_async) one caller may have outstanding,
 * replies not yet collected included; past it -K42_EBUSY, counted too. */
#define K42_IPC_ASYNC_PER_CALLER 64u

/* Bulk data by reference: one grant of the caller's memory per call, up
 * to K42_IPC_GRANT_MAX bytes (docs/kernel-interface.md). ppc_grant_copy's
 * fifth argument: the direction. */
#define K42_IPC_GRANT_MAX        (1ull << 20)
#define K42_GRANT_FROM_CALLER    0u	/* read the caller's memory into ours */
#define K42_GRANT_TO_CALLER      1u	/* write ours into the caller's memory */

/* ppc_reply's third argument: the page length in the low 16 bits, and flags. */
#define K42_IPC_REPLY_LEN_MASK   0xffffull
/* After the reply, drop the server's context and wait enabled (as the idle
 * loop would): the dispatcher is entered again at an entry point. */
#define K42_IPC_REPLY_IDLE       (1ull << 32)

/*
 * Op word layout (request):
 *   [63:40] interface id (24 bits)   [39:32] interface version
 *   [31:16] method ordinal           [15:13] flags
 *   [12:0]  bytes used in the PPC page (0..4096)
 */
#define K42_IPC_OP_IFACE_SHIFT   40
#define K42_IPC_OP_IFACE_MASK    0xffffffull
#define K42_IPC_OP_VERSION_SHIFT 32
#define K42_IPC_OP_VERSION_MASK  0xffull
#define K42_IPC_OP_ORDINAL_SHIFT 16
#define K42_IPC_OP_ORDINAL_MASK  0xffffull
#define K42_IPC_OP_FLAGS_SHIFT   13
#define K42_IPC_OP_FLAGS_MASK    0x7ull
#define K42_IPC_OP_LEN_MASK      0x1fffull

#define K42_IPC_FLAG_ONEWAY      0x1u	/* no reply expected */

static inline uint64_t k42_ipc_op(uint32_t iface, uint32_t version,
				  uint32_t ordinal, uint32_t flags, uint32_t len)
{
	return ((uint64_t)(iface & K42_IPC_OP_IFACE_MASK) << K42_IPC_OP_IFACE_SHIFT) |
	       ((uint64_t)(version & K42_IPC_OP_VERSION_MASK) << K42_IPC_OP_VERSION_SHIFT) |
	       ((uint64_t)(ordinal & K42_IPC_OP_ORDINAL_MASK) << K42_IPC_OP_ORDINAL_SHIFT) |
	       ((uint64_t)(flags & K42_IPC_OP_FLAGS_MASK) << K42_IPC_OP_FLAGS_SHIFT) |
	       ((uint64_t)len & K42_IPC_OP_LEN_MASK);
}

static inline uint32_t k42_ipc_op_iface(uint64_t op)   { return (uint32_t)((op >> K42_IPC_OP_IFACE_SHIFT) & K42_IPC_OP_IFACE_MASK); }
static inline uint32_t k42_ipc_op_version(uint64_t op) { return (uint32_t)((op >> K42_IPC_OP_VERSION_SHIFT) & K42_IPC_OP_VERSION_MASK); }
static inline uint32_t k42_ipc_op_ordinal(uint64_t op) { return (uint32_t)((op >> K42_IPC_OP_ORDINAL_SHIFT) & K42_IPC_OP_ORDINAL_MASK); }
static inline uint32_t k42_ipc_op_flags(uint64_t op)   { return (uint32_t)((op >> K42_IPC_OP_FLAGS_SHIFT) & K42_IPC_OP_FLAGS_MASK); }
static inline uint32_t k42_ipc_op_len(uint64_t op)     { return (uint32_t)(op & K42_IPC_OP_LEN_MASK); }

/*
 * A message as the stubs see it. `page` points at the PPC page (per CPU in
 * the real system, a plain buffer in host tests); `len` is the number of
 * bytes of it in use. On a reply, `op` holds the status.
 */
struct k42_ipc_msg {
	uint64_t op;
	uint64_t w[K42_IPC_WORDS];
	uint32_t len;
	uint8_t *page;
};

/*
 * Who is calling, as established by the kernel (pid, which the caller cannot
 * forge) and the server runtime's object table (object and rights the
 * caller's handle grants). Generated server skeletons check method rights
 * against `rights`.
 */
struct k42_ipc_caller {
	uint64_t pid;
	uint64_t object;
	uint64_t rights;
};

typedef uint64_t k42_handle_t;

/*
 * Register-level server entries (docs/idl.md, "Register-level entries").
 * For each method whose arguments and results are all words in registers
 * (scalars, bools, enums, handles; at most K42_IPC_WORDS each way; no page
 * bytes; not one-way), stubgen generates an entry that takes the request
 * words where the kernel delivered them (the upcall's r5..r10: the entry's
 * third to eighth arguments) and answers with k42_ipc_reply_regs, the
 * results passed in registers too: no struct k42_ipc_msg is built either
 * way. <iface>_regs lists them by ordinal, each with the one op word it
 * answers (the version generated clients send for it, the method's first;
 * no flags; no page bytes). The runtime
 * (libk42: k42_serve_regs) calls an entry, with the call's handle as the
 * one being served, only where its lean path applies and otherwise passes
 * the call to the program's handler as before; an entry answers exactly as
 * <iface>_dispatch would.
 */
typedef void (*k42_ipc_reg_fn)(const struct k42_ipc_caller *caller, uint64_t op,
			       uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4,
			       uint64_t w5);
struct k42_ipc_reg_method {
	uint64_t op;		/* the op word it answers; ~0 (fn NULL): none at this ordinal */
	k42_ipc_reg_fn fn;
};
struct k42_ipc_regs {
	uint32_t iface;
	uint32_t n;		/* entries in m, indexed by ordinal */
	const struct k42_ipc_reg_method *m;
};
/* The answer of a register-level entry to the call being served: status
 * (0 or -K42_E*), len (the reply's page bytes, as for k42_sc_ppc_reply_idle:
 * generated entries pass 0) and the reply words. The arguments are in the
 * registers the caller receives (r3 status, r4 page length, r5..r10
 * words), so the runtime passes them to the kernel untouched. Provided by
 * the IPC runtime (libk42; a loopback in host tests); only a
 * register-level entry the runtime called may use it. */
void k42_ipc_reply_regs(long status, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
			uint64_t w3, uint64_t w4, uint64_t w5);

/*
 * Provided by the IPC runtime (libk42 on the target, a loopback in host
 * tests): send `m` to `target`, block until the reply, and leave the reply
 * in `m` (status in m->op). Returns the status. One-way calls return once
 * the message is queued.
 */
long k42_ipc_call(k42_handle_t target, struct k42_ipc_msg *m);

/*
 * An asynchronous call in flight: the generated <method>_start of an
 * @async method marshals into `msg` and `page` and sends it (k42_ipc_start,
 * 0 or a refusal); <method>_finish waits for the reply, which lands in the
 * same record (k42_ipc_finish returns its status). The record must stay
 * where it is, untouched, from start until finish returns.
 */
struct k42_ipc_pending {
	struct k42_ipc_msg msg;
	uint64_t handle;
	long status;
	int done;
	void *waiter;
	struct k42_ipc_pending *next;
	uint8_t page[K42_IPC_PAGE_BYTES];
};
long k42_ipc_start(k42_handle_t target, struct k42_ipc_pending *p);
long k42_ipc_finish(struct k42_ipc_pending *p);
/* Give up a call started with k42_ipc_start (kernel call ppc_cancel_async):
 * 0 if it was cancelled, no reply will come and the record is finished
 * with status -K42_EINTR (k42_ipc_finish returns that at once); 1 if its
 * reply came or is on its way first (k42_ipc_finish returns it). Either
 * way the record is free to go once k42_ipc_finish has returned. */
long k42_ipc_cancel(struct k42_ipc_pending *p);

/* The message buffer of the calling thread, with `page` set up. */
struct k42_ipc_msg *k42_ipc_msg_get(void);

/*
 * Bulk data by reference, for generated stubs whose bytes<N> exceed the
 * page (docs/idl.md, "Bulk parameters"), also provided by the runtime:
 * k42_ipc_grant lends `len` bytes at `buf` (K42_PROT_READ and/or
 * K42_PROT_WRITE, k42/layout.h) for the calling thread's next call; the
 * server names the call it serves with k42_ipc_handle and copies from or
 * into the lent bytes with k42_ipc_grant_read/write (0, or a negative
 * error: -K42_EINVAL past what was lent). k42_ipc_bulk_alloc gives a
 * server dispatcher a zeroed buffer for the bytes (NULL: none left).
 */
void k42_ipc_grant(const void *buf, uint64_t len, unsigned prot);
uint64_t k42_ipc_handle(void);
long k42_ipc_grant_read(uint64_t handle, uint64_t off, void *dst, uint64_t len);
long k42_ipc_grant_write(uint64_t handle, uint64_t off, const void *src, uint64_t len);
void *k42_ipc_bulk_alloc(uint32_t len);
void k42_ipc_bulk_free(void *p);

#endif
