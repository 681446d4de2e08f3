/*
 * k42's side of ./k42 bench, run as init. Each figure is timed with the
 * timebase over many iterations after a warm-up (the best of three
 * repetitions counts); under QEMU -icount
 * shift=0 one instruction is one virtual nanosecond and the timebase runs
 * at 512 MHz, so instructions = ticks / 0.512 exactly. Prints one line per
 * figure: `BENCH name ticks_per_op`.
 *
 * Every timed operation's result is checked: a call that fails or answers
 * wrongly ends the run with `kbench: ...` and a non-zero status, and the
 * figure is never printed (a benchmark of the error path is no benchmark).
 */
#include <k42/k42.h>
#include <k42/ktrace.h>
#include <k42/startup.h>
#include <string.h>
#include <k42/thread.h>
#include <k42/fs.h>
#include "bench.h"
#include "swapbench.h"

#ifndef ITERS
#define ITERS 20000
#endif
#define REPS 3

static uint64_t server;
static uint64_t errors;		/* operations that failed or answered wrongly */
static long first_error;	/* the first failing operation's status */

static void bad(long status)
{
	if (!errors++)
		first_error = status;
}

static void report(const char *name, uint64_t best_ticks, uint64_t iters)
{
	uint64_t milli = best_ticks * 1000 / iters;

	if (errors) {
		k42_printf("kbench: %s: %lu operations failed (first status %ld); no figure\n",
			   name, errors, first_error);
		k42_sc_exit(3);
	}
	k42_printf("BENCH %s %lu.%03lu\n", name, milli / 1000, milli % 1000);
}

static uint64_t time_null_syscall(void)
{
	uint64_t t0 = k42_timebase();

	for (int i = 0; i < ITERS; i++)
		if (k42_sc_null() != 0)
			bad(-1);
	return k42_timebase() - t0;
}

/* The null round trip is the `bench` interface's null method (idl/bench.idl),
 * which the server answers through its generated register-level entry
 * (docs/idl.md), called here with the bare kernel call rather than the
 * generated client stub (the stub row prices that). Ordinal 1 of the raw
 * interface 0x4b42 answers the sum of the payload's words, which change
 * every iteration, in its first reply word (out[0] is the reply length,
 * out[1..6] the words). */
static uint64_t time_ppc(uint32_t payload)
{
	uint64_t out[7], op = payload ? k42_ipc_op(0x4b42, 1, 1, 0, payload)
				      : k42_ipc_op(BENCH_IFACE_ID, BENCH_VERSION, BENCH_ORD_NULL, 0, 0);
	uint64_t *page = k42_ppc_page(), t0, n = payload / 8;

	t0 = k42_timebase();
	for (uint64_t i = 0; i < ITERS; i++) {
		long st;

		for (uint64_t j = 0; j < n; j++)
			page[j] = j + i;
		st = k42_sc_ppc_call(server, op, i, 0, 0, 0, 0, 0, out);
		if (st != 0)
			bad(st);
		else if (n && out[1] != n * (n - 1) / 2 + n * i)
			bad(0);
	}
	return k42_timebase() - t0;
}

/* An asynchronous call (ppc_call_async) and its reply, taken with
 * ppc_collect. We stay disabled, so the reply waits for us on the kernel's
 * list (K42_SOFTINTR_REPLY); until it is there we block, which lets the
 * server (of a lower class than init) run. */
static uint64_t time_async(uint32_t unused)
{
	uint64_t out[8], op = k42_ipc_op(0x4b42, 1, 0, 0, 0), t0;
	struct k42_disp_shared *sh = k42_disp();

	(void)unused;
	t0 = k42_timebase();
	for (uint64_t i = 0; i < ITERS; i++) {
		long h = k42_sc_ppc_call_async(server, op, i, 0, 0, 0, 0, 0, 0), r;
		int spins = 0;

		while ((r = k42_sc_ppc_collect(out)) == -K42_EAGAIN && spins++ < 1000) {
			__atomic_and_fetch(&sh->pending, ~K42_SOFTINTR_REPLY, __ATOMIC_ACQ_REL);
			if ((r = k42_sc_ppc_collect(out)) != -K42_EAGAIN)
				break;
			k42_sc_block();
		}
		if (h < 0 || r != h || out[0] != 0)
			bad(h < 0 ? h : r < 0 ? r : (long)out[0]);
	}
	return k42_timebase() - t0;
}

/* A call whose server thread blocks (defers it) and another thread of the
 * server replies. */
static uint64_t blocking_server;

static uint64_t time_blocking(uint32_t unused)
{
	uint64_t out[7], op = k42_ipc_op(0x4b42, 1, 3, 0, 0), t0;

	(void)unused;
	t0 = k42_timebase();
	for (uint64_t i = 0; i < ITERS; i++) {
		long st = k42_sc_ppc_call(blocking_server, op, i, 0, 0, 0, 0, 0, out);

		if (st != 0 || out[1] != i + 1)
			bad(st ? st : -3);
	}
	return k42_timebase() - t0;
}

/* 64 KiB lent to the server by reference (a grant), read by it whole. */
#define BIG_ITERS (ITERS / 20 ? ITERS / 20 : 1)
static uint64_t big[64 * 1024 / 8];

static uint64_t time_grant(uint32_t bytes)
{
	uint64_t out[7], op = k42_ipc_op(0x4b42, 1, 2, 0, 0), t0, n = bytes / 8;
	struct k42_disp_shared *sh = k42_disp();

	t0 = k42_timebase();
	for (uint64_t i = 0; i < BIG_ITERS; i++) {
		long st;

		big[0] = i;
		big[n - 1] = 2 * i + 1;
		sh->call_grant_va = (uint64_t)big;
		sh->call_grant_prot = K42_PROT_READ;
		sh->call_grant_len = bytes;
		st = k42_sc_ppc_call(server, op, bytes, 0, 0, 0, 0, 0, out);
		if (st != 0 || out[1] != 3 * i + 1)
			bad(st ? st : -4);
	}
	return k42_timebase() - t0;
}

static uint64_t time_obj_call(uint32_t swappable)
{
	return swapbench_calls(swappable, ITERS, &errors);
}

#define SWAP_ITERS (ITERS / 20)

static uint64_t time_obj_swap(uint32_t unused)
{
	(void)unused;
	return swapbench_swaps(SWAP_ITERS, &errors);
}

static uint64_t best(uint64_t (*fn)(uint32_t), uint32_t arg)
{
	uint64_t b = UINT64_MAX;

	fn(arg);	/* warm up */
	for (int r = 0; r < REPS; r++) {
		uint64_t t = fn(arg);

		if (t < b)
			b = t;
	}
	return b;
}

/*
 * First-touch faults on anonymous memory: a fresh region of resident +
 * ITERS pages, the first `resident` touched untimed, then ITERS more timed
 * (one store each: the fault, a zeroed frame, the mapping). With a region
 * already holding many pages, this is what showed a page lookup that grew
 * with the region (issue 12 item 16).
 */
#define FAULT_VA 0x100000000ul

static uint64_t time_faults(uint32_t resident)
{
	uint64_t self = k42_info(K42_INFO_PID), pages = resident + (uint64_t)ITERS, t0, t;
	volatile uint8_t *mem = (volatile uint8_t *)FAULT_VA;

	if (k42_sc_mem_map_anon(self, FAULT_VA, pages * K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE) != 0) {
		bad(-1);
		return 1;
	}
	for (uint64_t pg = 0; pg < resident; pg++)
		mem[pg * K42_PAGE_SIZE] = 1;
	t0 = k42_timebase();
	for (uint64_t pg = resident; pg < pages; pg++)
		mem[pg * K42_PAGE_SIZE] = 1;
	t = k42_timebase() - t0;
	if (mem[(pages - 1) * K42_PAGE_SIZE] != 1 || k42_sc_mem_unmap(self, FAULT_VA,
								       pages * K42_PAGE_SIZE) != 0)
		bad(-2);
	return t;
}

static uint64_t time_stub_call(uint32_t unused)
{
	uint64_t t0 = k42_timebase(), b;

	(void)unused;
	for (int i = 0; i < ITERS; i++) {
		long st = bench_inc(server, (uint64_t)i, &b);

		if (st != 0 || b != (uint64_t)i + 1)
			bad(st);
	}
	return k42_timebase() - t0;
}

/* Trace events return nothing; the ring's write index tells whether each
 * one was written (enabled: ITERS events' words, disabled: none). */
static uint64_t time_trace_event(uint32_t enabled)
{
	struct k42_trace_buf *tb = k42_trace_cpu_buf();
	uint64_t t0, t1, i0, lost0;

	if (!tb) {
		bad(-2);
		return 0;
	}
	i0 = tb->ctl->index;
	lost0 = tb->ctl->lost;
	t0 = k42_timebase();
	for (int i = 0; i < ITERS; i++)
		trace_app_event((uint64_t)i, 42);
	t1 = k42_timebase();
	if (enabled ? tb->ctl->index - i0 < (uint64_t)ITERS * K42_TRACE_EV_APP_EVENT_WORDS ||
			      tb->ctl->lost != lost0
		    : tb->ctl->index != i0)
		bad(0);
	return t1 - t0;
}

/* The bare loop the trace events run in: subtracted from the trace figures
 * to give an event's own cost, "loop excluded" (docs/performance.md). It is
 * written out because the compiler would unroll an empty C loop; this is
 * the shape time_trace_event's loop compiles to (count, compare, branch). */
static uint64_t time_loop(uint32_t unused)
{
	uint64_t t0 = k42_timebase(), i = 0;

	(void)unused;
	__asm__ volatile("1:	addi %0, %0, 1\n"
			 "	cmpld %0, %1\n"
			 "	bne 1b"
			 : "+r"(i) : "r"((uint64_t)ITERS) : "cr0");
	return k42_timebase() - t0;
}

/* ITERS switches, both directions; 0 means the partner did not run them. */
static uint64_t time_thread_switch(uint32_t unused)
{
	uint64_t t;

	(void)unused;
	t = k42_thread_switch_bench(ITERS);
	if (t == 0)
		bad(0);
	return t;
}

static uint64_t null_adapter(uint32_t unused)
{
	(void)unused;
	return time_null_syscall();
}

/* The pipe round trip (docs/files.md): we write a byte into one pipe,
 * pipe_echo reads it and writes it into the other, we read it back. */
static int to_echo = -1, from_echo = -1;
static long echo_pid;

static int pipe_start(void)
{
	int a[2], b[2], save0, save1;
	const char *argv[] = { "pipe_echo", NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, 0, 0, 0, 0 };

	if (k42_pipe2(a, K42_O_CLOEXEC) < 0 || k42_pipe2(b, K42_O_CLOEXEC) < 0)
		return -1;
	save0 = k42_fcntl(0, K42_F_DUPFD_CLOEXEC, 10);
	save1 = k42_fcntl(1, K42_F_DUPFD_CLOEXEC, 10);
	k42_dup2(a[0], 0);
	k42_dup2(b[1], 1);
	echo_pid = k42_spawn_path_ex("bench/pipe_echo", &o);
	k42_dup2(save0, 0);
	k42_dup2(save1, 1);
	k42_close(save0);
	k42_close(save1);
	k42_close(a[0]);
	k42_close(b[1]);
	to_echo = a[1];
	from_echo = b[0];
	return echo_pid > 0 ? 0 : -1;
}

static uint64_t time_pipe(uint32_t unused)
{
	uint64_t t0 = k42_timebase();

	(void)unused;
	for (int i = 0; i < ITERS; i++) {
		char c = (char)i, d = 0;

		if (k42_write(to_echo, &c, 1) != 1 || k42_read(from_echo, &d, 1) != 1 || d != c)
			bad(-3);
	}
	return k42_timebase() - t0;
}

/* 4 KiB reads and writes of tmpfs files (docs/files.md): an unshared one,
 * which the file layer maps (its second call maps it), and a shared one
 * (a second open file has it), which goes through the server. */
static int file_fd = -1, shared_fd = -1, shared_other = -1;
static uint8_t file_buf[4096];

static int file_start(void)
{
	const char *name_argv[] = { "name", NULL }, *tmp_argv[] = { "tmpfs", "/tmp", NULL };
	const char *files_argv[] = { "files", NULL };
	struct k42_spawn_opts o = { files_argv, K42_PRIO_SYSTEM, 0, K42_SPAWN_SHARE_ARCHIVE, 0, 0 };
	long ns = k42_spawn_argv("servers/name", name_argv, K42_PRIO_SYSTEM, 0);

	if (ns < 0)
		return -1;
	k42_name_server = (uint64_t)ns;
	o.name_server = k42_name_server;
	if (k42_spawn_path_ex("servers/files", &o) < 0)
		return -1;
	o.argv = tmp_argv;
	o.flags = 0;
	if (k42_spawn_path_ex("servers/tmpfs", &o) < 0 ||
	    k42_name_wait("mnt/tmp", &(uint64_t){ 0 }, NULL, 2000) < 0 ||
	    k42_name_wait("mnt", &(uint64_t){ 0 }, NULL, 2000) < 0)
		return -1;
	k42_fs_remount();
	file_fd = k42_open("/tmp/bench", K42_O_CREAT | K42_O_RDWR, 0644);
	shared_fd = k42_open("/tmp/bench_shared", K42_O_CREAT | K42_O_RDWR, 0644);
	shared_other = k42_open("/tmp/bench_shared", K42_O_RDONLY, 0);
	memset(file_buf, 0x42, sizeof(file_buf));
	return file_fd >= 0 && shared_fd >= 0 && shared_other >= 0 &&
	       k42_pwrite(file_fd, file_buf, 4096, 0) == 4096 &&
	       k42_pwrite(shared_fd, file_buf, 4096, 0) == 4096 ? 0 : -1;
}

/* arg: bit 0 write, bit 1 the shared file. */
static uint64_t time_file(uint32_t arg)
{
	int fd = arg & 2 ? shared_fd : file_fd;
	uint64_t t0 = k42_timebase();

	for (int i = 0; i < ITERS; i++) {
		long n = arg & 1 ? k42_pwrite(fd, file_buf, 4096, 0) : k42_pread(fd, file_buf, 4096, 0);

		if (n != 4096 || file_buf[4095] != 0x42)
			bad(n);
	}
	return k42_timebase() - t0;
}

/* Give a server that just answered its first call the processor until it
 * waits (we are of a higher class and would otherwise never leave it):
 * the figures are for calls to a waiting server, the common case the
 * fast path is for (docs/performance.md). */
static void settle(void)
{
	k42_thread_sleep_us(20000);	/* two ticks; ample even without icount */
}

/* `-- --kill-server` (a test of kbench itself): end the server before
 * timing, so every call fails and no PPC figure may appear. */
int main(uint64_t arg)
{
	struct k42_ipc_msg m;
	long pid;
	int status;

	(void)arg;
	pid = k42_spawn_path("bench/kbench_server", K42_PRIO_GENERAL, 0);
	if (pid < 0)
		return 1;
	server = (uint64_t)pid;
	/* Wait until the server takes calls, then measure with upcalls off so
	 * nothing but the measured path runs. */
	m.op = k42_ipc_op(0x4b42, 1, 0, 0, 0);
	if (k42_call(server, &m, 1000) != 0)
		return 2;
	settle();
	if (k42_argc > 1 && strcmp(k42_argv[1], "--kill-server") == 0) {
		k42_sc_proc_kill(server);
		k42_wait(server, &status);
		k42_printf("kbench: killed the server (pid %lu)\n", server);
	}
	k42_disable();
	if (k42_argc > 1 && strcmp(k42_argv[1], "--ppc-spin") == 0) {
		/* Profiling the host (docs/performance.md): null PPC round
		 * trips only, 100 rounds of ITERS, each round's ticks per op. */
		for (int r = 0; r < 100; r++)
			report("ppc_spin_ticks_per_op", time_ppc(0), ITERS);
		k42_printf("BENCH done\n");
		return 0;
	}
	report("null_syscall_ticks_per_op", best(null_adapter, 0), ITERS);
	report("ppc_null_roundtrip_ticks_per_op", best(time_ppc, 0), ITERS);
	report("ppc_1k_roundtrip_ticks_per_op", best(time_ppc, 1024), ITERS);
	report("ppc_4k_roundtrip_ticks_per_op", best(time_ppc, 4096), ITERS);
	report("stub_roundtrip_ticks_per_op", best(time_stub_call, 0), ITERS);
	report("ppc_async_roundtrip_ticks_per_op", best(time_async, 0), ITERS);
	report("ppc_64k_grant_ticks_per_op", best(time_grant, 64 * 1024), BIG_ITERS);
	k42_enable();
	pid = k42_spawn_path("bench/kbench_server", K42_PRIO_GENERAL, 1);
	if (pid < 0)
		return 1;
	blocking_server = (uint64_t)pid;
	m.op = k42_ipc_op(0x4b42, 1, 0, 0, 0);
	if (k42_call(blocking_server, &m, 1000) != 0)
		return 2;
	settle();
	k42_disable();
	report("ppc_blocking_roundtrip_ticks_per_op", best(time_blocking, 0), ITERS);
	report("thread_switch_ticks_per_op", best(time_thread_switch, 0), ITERS);
	k42_sc_trace_mask(0);
	report("loop_overhead_ticks_per_op", best(time_loop, 0), ITERS);
	report("trace_event_disabled_ticks_per_op", best(time_trace_event, 0), ITERS);
	k42_sc_trace_mask(K42_TRACE_MASK_APP);
	report("trace_event_enabled_ticks_per_op", best(time_trace_event, 1), ITERS);
	k42_sc_trace_mask(0);
	report("anon_fault_ticks_per_op", best(time_faults, 0), ITERS);
	report("anon_fault_large_ticks_per_op", best(time_faults, 6 * ITERS), ITERS);
	if (swapbench_init() < 0) {
		k42_printf("kbench: cannot publish the swappable counter\n");
		return 4;
	}
	report("obj_plain_call_ticks_per_op", best(time_obj_call, 0), ITERS);
	report("obj_swappable_call_ticks_per_op", best(time_obj_call, 1), ITERS);
	report("obj_swap_ticks_per_op", best(time_obj_swap, 0), SWAP_ITERS);
	k42_enable();
	/* The file layer blocks its threads: these run enabled. */
	if (pipe_start() < 0) {
		k42_printf("kbench: cannot set up the pipe round trip\n");
		return 4;
	}
	report("pipe_roundtrip_ticks_per_op", best(time_pipe, 0), ITERS);
	k42_close(to_echo);
	if (k42_wait((uint64_t)echo_pid, &status) < 0 || status != 0) {
		k42_printf("kbench: pipe_echo ended with status %d\n", status);
		return 4;
	}
	k42_close(from_echo);
	if (file_start() < 0) {
		k42_printf("kbench: cannot set up the file servers\n");
		return 5;
	}
	report("file_read_4k_ticks_per_op", best(time_file, 0), ITERS);
	report("file_write_4k_ticks_per_op", best(time_file, 1), ITERS);
	report("file_read_4k_shared_ticks_per_op", best(time_file, 2), ITERS);
	report("file_write_4k_shared_ticks_per_op", best(time_file, 3), ITERS);
	/* The figures mean what their names say only if the one was mapped
	 * and the other was not. */
	if (k42_fs_mapped(file_fd) != 1 || k42_fs_mapped(shared_fd) != 0) {
		k42_printf("kbench: the unshared file is %smapped, the shared one %smapped\n",
			   k42_fs_mapped(file_fd) == 1 ? "" : "not ", k42_fs_mapped(shared_fd) ? "" : "not ");
		return 5;
	}
	k42_printf("BENCH done\n");
	return 0;
}
