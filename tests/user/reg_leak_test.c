/*
 * Registers must not leak between processes (issue 12 item 3), run as init.
 * A victim spins with every register set to a pattern; a probe records its
 * registers at each kernel entry. The test calls the probe by PPC with its
 * own non-argument registers set to another pattern, then lets the probe
 * be entered with no saved context right after the victim was preempted.
 * At every entry the probe must see zeros in every register but the entry
 * ones (r1, r12; r3..r10 of a call, which must be exactly what was sent):
 * nothing of the victim's or the caller's GPRs, CR, XER, CTR, LR, VRSAVE
 * or floating-point registers. At any CPU count the victim and the probe
 * run on dispatchers of their own on the test's CPU, so they preempt each
 * other there and the probe takes the test's calls there.
 */
#include "check.h"
#include "reg_probe.h"

/* leaky_call(target, op, w0..w5): a PPC made with r2, r11..r31, CR, CTR,
 * LR and XER holding 0x7e577e.. patterns; returns the status. */
long leaky_call(uint64_t t, uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3,
		uint64_t w4, uint64_t w5);
__asm__(".text\n"
	".globl leaky_call\n .type leaky_call, @function\n"
	"leaky_call:\n"
	"mflr 0\n std 0, 16(1)\n mfcr 0\n stw 0, 8(1)\n"
	"stdu 1, -320(1)\n"
	".irp n, 2,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"std \\n, 32 + \\n * 8(1)\n"
	".endr\n"
	".irp n, 2,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"lis \\n, 0x7e57\n ori \\n, \\n, 0x7e00 + \\n\n sldi \\n, \\n, 32\n"
	".endr\n"
	"mtctr 14\n mtlr 15\n"
	"lis 0, 0x7e57\n ori 0, 0, 0x7ec5\n mtcrf 0xff, 0\n"
	"lis 0, 0x6000\n ori 0, 0, 0x55\n mtxer 0\n"
	"li 0, 8\n"	/* K42_SC_PPC_CALL */
	"sc\n"
	".irp n, 2,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"ld \\n, 32 + \\n * 8(1)\n"
	".endr\n"
	"addi 1, 1, 320\n"
	"ld 0, 16(1)\n mtlr 0\n lwz 0, 8(1)\n mtcrf 0xff, 0\n"
	"blr\n"
	".size leaky_call, . - leaky_call\n");

static void print_reg(int i)
{
	static const char *const names[] = { "cr", "xer", "ctr", "lr", "vrsave", "kind" };

	if (i < 32)
		k42_printf("r%d", i);
	else if (i < PROBE_FPR)
		k42_printf("%s", names[i - 32]);
	else
		k42_printf("f%d", i - PROBE_FPR);
}

static const uint64_t sent[7] = { 0x12340000, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5 };

/* 1 if the slot holds only what the probe may see. */
static int check_slot(const uint64_t *s, int n, uint64_t self)
{
	int kind = (int)s[PROBE_KIND], bad = 0;

	for (int i = 0; i < PROBE_SLOT_WORDS; i++) {
		uint64_t want = 0;

		if (i == 1 || i == 12 || i == PROBE_KIND)
			continue;	/* stack, entry address, the probe's own tag */
		if (kind == 3 && i == 11)
			continue;	/* the call handle the kernel gives (kernel-interface.md) */
		if (kind == 3 && i == 3)
			want = self;
		else if (kind == 3 && i >= 4 && i <= 10)
			want = sent[i - 4];
		if (s[i] != want) {
			if (bad++ < 6) {
				k42_printf("reg_leak_test: entry %d (kind %d): ", n, kind);
				print_reg(i);
				k42_printf(" = 0x%lx, want 0x%lx\n", s[i], want);
			}
		}
	}
	EXPECT(s[1] != 0 && s[12] != 0, "entry %d: r1 0x%lx r12 0x%lx", n, s[1], s[12]);
	return bad == 0;
}

int main(uint64_t arg)
{
	static uint64_t dump[PROBE_HEADER + PROBE_SLOTS * PROBE_SLOT_WORDS];
	uint64_t self = k42_info(K42_INFO_PID), ready = 0, cpu = k42_info(K42_INFO_CPU);
	long victim, probe, rc;
	int calls = 0, runs = 0, clean = 0;

	(void)arg;
	victim = k42_spawn_path("tests/reg_victim", K42_PRIO_GENERAL, cpu + 1);
	probe = k42_spawn_path("tests/reg_probe", K42_PRIO_GENERAL, cpu + 1);
	EXPECT(victim > 0 && probe > 0, "spawn: %ld %ld", victim, probe);
	if (victim <= 0 || probe <= 0)
		return verdict("reg_leak_test");
	for (int i = 0; i < 2000 && ready != 1; i++) {
		k42_thread_sleep_us(1000);
		if (k42_sc_mem_read((uint64_t)probe, PROBE_DUMP_VA + PROBE_READY * 8,
				    (uint64_t)&ready, 8) < 0)
			ready = 0;
	}
	EXPECT(ready == 1, "probe never got ready");
	k42_thread_sleep_us(30000);	/* both spin and get preempted */
	for (int i = 0; i < 3; i++) {
		for (int tries = 0; tries < 100; tries++) {
			rc = leaky_call((uint64_t)probe, sent[0], sent[1], sent[2], sent[3], sent[4],
					sent[5], sent[6]);
			if (rc != -K42_EDISABLED && rc != -K42_EBUSY)
				break;
			k42_thread_sleep_us(1000);
		}
		EXPECT(rc == 0, "call %d to the probe: %ld (from CPU %lu; the probe is on %lu)", i, rc,
		       k42_info(K42_INFO_CPU), cpu);
		k42_thread_sleep_us(40000);	/* the probe is entered with no context */
	}
	rc = k42_sc_mem_read((uint64_t)probe, PROBE_DUMP_VA, (uint64_t)dump, sizeof(dump));
	EXPECT(rc == 0, "read the probe's dump: %ld", rc);
	k42_sc_proc_kill((uint64_t)probe);
	k42_sc_proc_kill((uint64_t)victim);
	for (uint64_t n = 0; rc == 0 && n < dump[PROBE_COUNT] && n < PROBE_SLOTS; n++) {
		const uint64_t *s = &dump[PROBE_HEADER + n * PROBE_SLOT_WORDS];

		calls += s[PROBE_KIND] == 3;
		runs += s[PROBE_KIND] == 0;
		clean += check_slot(s, (int)n, self);
	}
	k42_printf("reg_leak_test: %lu entries recorded (%d calls, %d without context), %d clean\n",
		   dump[PROBE_COUNT], calls, runs, clean);
	EXPECT(calls == 3, "%d incoming calls recorded", calls);
	EXPECT(runs >= 1, "no entry without a saved context was recorded");
	EXPECT(clean == (int)(dump[PROBE_COUNT] < PROBE_SLOTS ? dump[PROBE_COUNT] : PROBE_SLOTS),
	       "registers of other processes reached the probe");
	return verdict("reg_leak_test");
}
