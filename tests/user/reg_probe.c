/*
 * Helper of reg_leak_test: a dispatcher whose entry points record every
 * register exactly as the kernel entered it (GPRs, CR, XER, CTR, LR,
 * VRSAVE, f0-f31) into a page the test reads with mem_read. Incoming calls
 * are answered at once; other entries resume the saved context, so the
 * main loop (an enabled spin) keeps being preempted and re-entered.
 * The probe is a dispatcher of its own on the CPU the test names (arg =
 * cpu + 1), where the victim spins and the test calls from, so a call
 * from the test is taken there (docs/smp.md: the server's dispatcher on
 * the caller's CPU) at any CPU count; dispatcher 0 only sleeps.
 */
#include <k42/k42.h>
#include "reg_probe.h"

/* Each stub stores the registers below r1 (the upcall stack) before it
 * touches any, then calls probe_entry(regs) with the TOC set up. */
#define PROBE_STUB(name, kind)							\
	".globl " #name "\n"							\
	".type " #name ", @function\n"						\
	#name ":\n"								\
	".irp n, 0,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n" \
	"std \\n, -2048 + \\n * 8(1)\n"						\
	".endr\n"								\
	"mfcr 0\n std 0, -2048 + 32 * 8(1)\n"					\
	"mfxer 0\n std 0, -2048 + 33 * 8(1)\n"					\
	"mfctr 0\n std 0, -2048 + 34 * 8(1)\n"					\
	"mflr 0\n std 0, -2048 + 35 * 8(1)\n"					\
	"mfspr 0, 256\n std 0, -2048 + 36 * 8(1)\n"				\
	"li 0, " #kind "\n std 0, -2048 + 37 * 8(1)\n"				\
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n" \
	"stfd \\n, -2048 + (38 + \\n) * 8(1)\n"					\
	".endr\n"								\
	"std 1, -2048 + 1 * 8(1)\n"						\
	"addi 3, 1, -2048\n"							\
	"addi 1, 1, -2048 - 128\n"						\
	"addis 2, 12, (.TOC. - " #name ")@ha\n"					\
	"addi 2, 2, (.TOC. - " #name ")@l\n"					\
	"bl probe_entry\n nop\n trap\n"						\
	".size " #name ", . - " #name "\n"

__asm__(".text\n"
	PROBE_STUB(probe_run, 0)
	PROBE_STUB(probe_softintr, 1)
	PROBE_STUB(probe_other, 2)
	PROBE_STUB(probe_call, 3));

extern char probe_run[], probe_softintr[], probe_other[], probe_call[];
void probe_entry(const uint64_t *regs) __attribute__((noreturn, used));

/* The probe dispatcher's shared page (K42_DISP_VA + its index pages). */
static struct k42_disp_shared *probe_sh;
static uint64_t probe_stack[2048] __attribute__((aligned(16)));

void probe_entry(const uint64_t *regs)
{
	volatile uint64_t *dump = (volatile uint64_t *)PROBE_DUMP_VA;
	struct k42_disp_shared *sh = probe_sh;
	uint64_t n = dump[PROBE_COUNT];

	if (n < PROBE_SLOTS) {
		for (int i = 0; i < PROBE_SLOT_WORDS; i++)
			dump[PROBE_HEADER + n * PROBE_SLOT_WORDS + i] = regs[i];
		dump[PROBE_COUNT] = n + 1;
	}
	if (regs[PROBE_KIND] == 3)
		k42_sc_ppc_reply_idle(0, 0, 0, 0, 0, 0, 0, 0, regs[11]);	/* r11: the handle; then idle, no context */
	__atomic_and_fetch(&sh->pending, 0, __ATOMIC_ACQ_REL);
	/* A call that came while we were disabled in here (preempted) was
	 * queued, not entered: it shows no entry registers, so it is
	 * refused with -K42_EBUSY and the test makes it again. (Dropping
	 * its K42_SOFTINTR_CALL with the rest left its caller waiting for
	 * ever: the test hung now and then under load.) */
	for (;;) {
		uint64_t out[8];
		long h = k42_sc_ppc_accept(out);

		if (h < 0)
			break;
		k42_sc_ppc_reply((uint64_t)h, (uint64_t)-K42_EBUSY, 0, 0, 0, 0, 0, 0, 0);
	}
	if (sh->saved_valid)
		k42_sc_disp_resume(1);
	for (;;) {
		sh->disabled = 0;
		k42_sc_block();
	}
}

/* The probe dispatcher (index idx) starts here. */
static void probe_main(uint64_t idx) __attribute__((noreturn, used));
static void probe_main(uint64_t idx)
{
	uint64_t entries[K42_ENTRY_COUNT];
	struct k42_disp_shared *sh = (struct k42_disp_shared *)(K42_DISP_VA + idx * K42_PAGE_SIZE);

	probe_sh = sh;
	for (int i = 0; i < K42_ENTRY_COUNT; i++)
		entries[i] = (uint64_t)probe_other;
	entries[K42_ENTRY_RUN] = (uint64_t)probe_run;
	entries[K42_ENTRY_SOFTINTR] = (uint64_t)probe_softintr;
	entries[K42_ENTRY_IPC_CALL] = (uint64_t)probe_call;
	__atomic_store_n(&sh->disabled, 1, __ATOMIC_RELEASE);
	if (k42_sc_disp_init((uint64_t)entries, K42_ENTRY_COUNT, PROBE_DUMP_VA + PROBE_REGION) < 0)
		k42_sc_exit(1);
	((volatile uint64_t *)PROBE_DUMP_VA)[PROBE_READY] = 1;
	sh->saved_valid = 0;
	__atomic_store_n(&sh->disabled, 0, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("" ::: "memory");
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	long idx;

	if (arg == 0)
		return 1;	/* the test always names a CPU */
	if (k42_sc_mem_map_anon(self, PROBE_DUMP_VA, PROBE_REGION, K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 1;
	/* Our first dispatcher after 0 gets index 1; it is told so. */
	idx = k42_sc_disp_create(arg - 1, (uint64_t)probe_main,
				 (uint64_t)&probe_stack[sizeof(probe_stack) / sizeof(probe_stack[0])], 1);
	if (idx != 1)
		return 1;
	for (;;)
		k42_thread_sleep_us(1000000);
}
