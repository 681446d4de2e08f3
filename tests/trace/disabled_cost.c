/*
 * What a trace event costs on ppc64le when its class is off: the
 * check_disabled_cost.py test compiles this file with the kernel's flags
 * and reads the instructions. The hooks are the two ways an includer
 * would provide the mask: in the per-CPU area reached through r13 (the
 * kernel), or in a global variable (a process reading a shared page).
 * Also proves the generated header builds freestanding for ppc64le.
 */
#include <stdint.h>

/* As the kernel and libk42 promise (kern/trace.h, <k42/ktrace.h>): rings of
 * <k42/layout.h>'s geometry, a buffer whenever a class is on, mftb time. */
#define K42_TRACE_FIXED_BLOCK_SHIFT 9
#define K42_TRACE_FIXED_RING_SHIFT  17
#define K42_TRACE_BUF_NONNULL
#define K42_TRACE_NOW_IS_MFTB
#include <k42/trace_events.h>
#include <k42/trace_selftest.h>

#ifdef MASK_IN_GLOBAL
extern uint64_t trace_mask_word __attribute__((visibility("hidden")));
extern struct k42_trace_buf trace_buf_here __attribute__((visibility("hidden")));

static inline uint64_t k42_trace_mask(void) { return trace_mask_word; }
static inline struct k42_trace_buf *k42_trace_cpu_buf(void) { return &trace_buf_here; }
#else
struct cpu_area {
	uint64_t stack_guard;		/* at -0x7010(r13), as in the kernel */
	uint64_t trace_mask;
	struct k42_trace_buf trace_buf;
};

static inline struct cpu_area *cpu_area(void)
{
	register uintptr_t r13 __asm__("r13");

	return (struct cpu_area *)(r13 - 0x7010);
}

static inline uint64_t k42_trace_mask(void) { return cpu_area()->trace_mask; }
static inline struct k42_trace_buf *k42_trace_cpu_buf(void) { return &cpu_area()->trace_buf; }
#endif

static inline uint64_t k42_trace_now(void)
{
	uint64_t tb;

	__asm__ volatile("mftb %0" : "=r"(tb));
	return tb;
}

/* One function per class bit range: the test differs (andi., andis., rldicl.). */
void disabled_ppc_call(uint64_t caller, uint64_t target, uint64_t op);
void disabled_ppc_call(uint64_t caller, uint64_t target, uint64_t op)
{
	trace_ppc_call(caller, target, op);
}

void disabled_thread_switch(uint64_t from, uint64_t to);
void disabled_thread_switch(uint64_t from, uint64_t to)
{
	trace_thread_switch(from, to);
}

void disabled_request_begin(uint64_t iface, uint64_t ordinal);
void disabled_request_begin(uint64_t iface, uint64_t ordinal)
{
	trace_request_begin(iface, ordinal);
}

void disabled_app_marker(uint64_t id);
void disabled_app_marker(uint64_t id)
{
	trace_app_marker(id);
}

/* Every event, so every generated function is compiled. */
void all_events(unsigned i, const uint64_t *a, const char *const *s);
void all_events(unsigned i, const uint64_t *a, const char *const *s)
{
	k42_trace_selftest_call(i, a, s);
}
