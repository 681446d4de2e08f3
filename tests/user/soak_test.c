/*
 * The soak (docs/soak.md), run as init: rounds of hostile load, each
 *  - CALLS random kernel calls from FUZZERS fuzzer processes at once,
 *  - IPC random calls to every generated interface (ipc_fuzzer, driven by
 *    stubgen's table) against the name, file, console, kv and bench
 *    servers,
 *  - the attacks of issue 12 again (hostile programs, pid reuse, forged
 *    identity, privilege probes, a quota hog),
 * then checks that every server still answers correctly, ends everything,
 * and compares the free-frame figure with the one after the first round.
 * Arguments (init's, after "--"): calls=N fuzzers=N ipc=N rounds=N
 * seconds=N (keep starting rounds until that much time has passed).
 * ./k42 test runs calls=100000 rounds=2; ./k42 soak 1,000,000 for 10 min.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/fcm.h>
#include "check.h"
#include "sec.h"
#include "suite.h"
#include "kv.h"
#include "file.h"

#define MAX_PROCS 512
#define MAX_KIDS 32

static struct k42_procinfo procs[MAX_PROCS];
static uint64_t calls = 100000, nfuzzers = 4, ipc_calls = 0, rounds = 2, seconds = 0;
static uint64_t me, tb_hz;

static uint64_t opt(const char *name, uint64_t def)
{
	size_t n = strlen(name);

	for (int i = 1; i < k42_argc; i++)
		if (strncmp(k42_argv[i], name, n) == 0 && k42_argv[i][n] == '=')
			return strtoul(k42_argv[i] + n + 1, NULL, 0);
	return def;
}

/* init's own memory (this process's regions): how many, and the pages
 * their FCMs hold. A page init touches for the first time in a later
 * round (a deeper stack, one more thread stack or heap page) is one
 * frame and one kernel object (its fcm_page) more, and is init's, not a
 * leak. With `was` (after round 1), each region whose count differs
 * from was's, or is new, is printed (the first 64 regions are kept). */
#define OWN_MAX 64
struct own_mem {
	long regions, pages;
	uint64_t start[OWN_MAX], resident[OWN_MAX];
};

static void own_memory(struct own_mem *m, const struct own_mem *was)
{
	struct k42_fcminfo fi;
	uint64_t va = 0;

	m->regions = m->pages = 0;
	while (k42_sc_fcm_info(me, va, (uint64_t)&fi) == 0 && fi.end > va) {
		if (m->regions < OWN_MAX) {
			m->start[m->regions] = fi.start;
			m->resident[m->regions] = fi.resident;
		}
		if (was) {
			long i;

			for (i = 0; i < was->regions && i < OWN_MAX && was->start[i] != fi.start; i++)
				;
			if (i == was->regions || i == OWN_MAX || was->resident[i] != fi.resident)
				k42_printf("SOAK: init's region %#lx-%#lx (%s): %lu pages, %ld before\n",
					   fi.start, fi.end, fi.impl, fi.resident,
					   i < was->regions && i < OWN_MAX ? (long)was->resident[i] : -1L);
		}
		m->regions++;
		m->pages += (long)fi.resident;
		va = fi.end;
	}
}

static uint64_t ms_now(void)
{
	return k42_timebase() / (tb_hz / 1000);
}

static void settle(void)
{
	long left = settle_deferred(30);

	EXPECT(left == 0, "%ld objects still wait for quiescence after 30 s", left);
}

static long spawn_args(const char *path, const char *const argv[], unsigned quota,
		       uint64_t privileges, unsigned prio)
{
	struct k42_spawn_opts o;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.prio = prio;
	o.name_server = k42_name_server;
	o.flags = K42_SPAWN_SHARE_ARCHIVE;
	o.privileges = privileges;
	o.quota_percent = quota;
	return k42_spawn_path_ex(path, &o);
}

/* End every process but init, repeatedly (orphans come back to init). */
static int end_all(void)
{
	int ended = 0, n;

	do {
		long got = k42_sc_proc_list((uint64_t)procs, MAX_PROCS);

		n = 0;
		for (long i = 0; i < got; i++)
			if (procs[i].pid != me && k42_sc_proc_kill(procs[i].pid) == 0)
				n++;
		ended += n;
		if (n)
			k42_sc_yield();
	} while (n);
	return ended;
}

static uint64_t find(const char *name)
{
	long n = k42_sc_proc_list((uint64_t)procs, MAX_PROCS);

	for (long i = 0; i < n; i++)
		if (strcmp(procs[i].name, name) == 0)
			return procs[i].pid;
	return 0;
}

/* The attacks, again, beside the fuzzers. */
static void attacks(void)
{
	int status = -1, state;
	long parent, orphan, attacker, hog;

	for (uint64_t deed = 0; deed < 10; deed++) {
		long pid = k42_spawn_path("tests/hostile", K42_PRIO_GENERAL, deed);

		if (pid > 0) {
			state = k42_wait((uint64_t)pid, &status);
			EXPECT(state == K42_PROC_EXITED || state == K42_PROC_KILLED,
			       "hostile %lu: state %d", deed, state);
		}
	}
	/* Pid reuse: the orphan of a dead parent stays out of reach. */
	parent = sec_spawn("orphaner", K42_PRIO_GENERAL, 0, 0, 0);
	if (parent > 0 && k42_wait((uint64_t)parent, &status) == K42_PROC_EXITED && status > 0) {
		orphan = status;
		attacker = sec_spawn("manage", K42_PRIO_GENERAL, (uint64_t)parent, (uint64_t)orphan, 0);
		if (attacker > 0) {
			k42_wait((uint64_t)attacker, &status);
			EXPECT(!(status & 7), "pid reuse attack won: %#x", status);
		}
	}
	/* Privileges. */
	attacker = sec_spawn("probe", K42_PRIO_GENERAL, me, 0, 0);
	if (attacker > 0) {
		k42_wait((uint64_t)attacker, &status);
		EXPECT(!(status & (PROBE_SYSTEM_CLASS | PROBE_REALTIME_CLASS | PROBE_SOFTINTR |
				   PROBE_CONSOLE | PROBE_TRACE | PROBE_ESCALATE)),
		       "unprivileged probe won: %#x", status);
	}
	/* A quota hog: stopped at 1%, while everything else goes on. */
	{
		const char *argv[] = { "sec_helper", "hog", NULL };

		hog = spawn_args("tests/sec_helper", argv, 1, 0, K42_PRIO_GENERAL);
	}
	if (hog > 0 && k42_wait((uint64_t)hog, &status) == K42_PROC_EXITED && status > 0) {
		uint64_t used[1] = { 0 };
		long lim;

		for (int ms = 0; ms < 20000 && !find("hog-done"); ms += 5)
			k42_thread_sleep_us(5000);
		EXPECT(find("hog-done") == (uint64_t)status, "the hog's orphan %d never finished", status);
		/* (A refusal leaves used[] unwritten: it is no figure.) */
		lim = k42_sc_proc_limit((uint64_t)status, K42_QUOTA_PROCESSES, K42_QUOTA_QUERY, used);
		EXPECT(lim >= 0 && (uint64_t)lim >= used[0],
		       "hog over its process quota: limit %ld (%s), used %lu", lim,
		       lim < 0 ? k42_strerror(lim) : "ok", used[0]);
	}
}

/* Wait for the round's children, all at once (one waits in a call to
 * another until that one ends). A child that waits in one call to one of
 * the round's servers (which answer at once: no fuzzer asks for typed
 * input) for STALL_MS, its dispatcher entered not once meanwhile, is a
 * call never answered: named with the server, ended, and counted as a
 * failure, so a lost reply fails the soak within a minute, and says
 * where, rather than hanging it until the harness's timeout. */
#define STALL_MS 60000

static const struct k42_procinfo *listed(long n, uint64_t pid)
{
	for (long i = 0; i < n; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

static void wait_children(const long *kids, int nkids, const long *srv, int nsrv, int *state,
			  int *status)
{
	uint64_t in_call[MAX_KIDS] = { 0 }, upcalls[MAX_KIDS] = { 0 }, since[MAX_KIDS];
	int done[MAX_KIDS] = { 0 }, left;

	for (int i = 0; i < nkids; i++)
		since[i] = ms_now();
	do {
		long n = k42_sc_proc_list((uint64_t)procs, MAX_PROCS);

		left = 0;
		for (int i = 0; i < nkids; i++) {
			const struct k42_procinfo *pi, *sp;
			uint64_t out[1];
			int to_server = 0;

			if (kids[i] <= 0 || done[i])
				continue;
			if (k42_sc_proc_status((uint64_t)kids[i], out) != K42_PROC_RUNNING) {
				state[i] = k42_wait((uint64_t)kids[i], &status[i]);
				done[i] = 1;
				continue;
			}
			left++;
			pi = listed(n, (uint64_t)kids[i]);
			for (int j = 0; pi && j < nsrv; j++)
				to_server |= pi->in_call && pi->in_call == (uint64_t)srv[j];
			if (!to_server || pi->in_call != in_call[i] || pi->upcalls != upcalls[i]) {
				in_call[i] = to_server ? pi->in_call : 0;
				upcalls[i] = pi ? pi->upcalls : 0;
				since[i] = ms_now();
			} else if (ms_now() - since[i] >= STALL_MS) {
				sp = listed(n, in_call[i]);
				k42_printf("SOAK: %s (pid %ld) has waited %d s in a call to %s (pid %lu) "
					   "that is never answered; ending it\n", pi->name, kids[i],
					   STALL_MS / 1000, sp ? sp->name : "?", (unsigned long)in_call[i]);
				EXPECT(0, "pid %ld: a call to pid %lu never answered", kids[i],
				       (unsigned long)in_call[i]);
				k42_sc_proc_kill((uint64_t)kids[i]);
				since[i] = ms_now();
			}
		}
		if (left)
			k42_thread_sleep_us(100000);
	} while (left);
}

/* The servers still do their jobs after the fuzzing. */
static void servers_work(uint64_t kv, uint64_t files)
{
	static uint8_t value[16];
	uint64_t pid = 0;
	uint32_t len = 0;
	k42_handle_t f;
	struct file_stat st;

	long rc = k42_name_lookup("kv", &pid, NULL);

	EXPECT(rc == 0 && pid == kv, "name server: kv is %lu (%ld)", pid, rc);
	EXPECT(kv_put(kv, "soak", (const uint8_t *)"alive", 5) == 0, "kv put");
	EXPECT(kv_get(kv, "soak", value, sizeof(value), &len) == 0 && len == 5 &&
	       memcmp(value, "alive", 5) == 0, "kv get");
	EXPECT(file_open(files, "/etc/motd", &f) == 0 && file_stat(files, f, &st) == 0 &&
	       st.size > 0, "files: /etc/motd");
}

static long start_console(void)
{
	const char *argv[] = { "console", NULL };

	return spawn_args("servers/console", argv, 0, K42_PRIV_CONSOLE, K42_PRIO_SYSTEM);
}

static long one_round(uint64_t round)
{
	static char nums[MAX_KIDS][2][24];
	long kids[MAX_KIDS], kv, files, name, console, bench;
	int nkids = 0, states[MAX_KIDS], statuses[MAX_KIDS];
	uint64_t t0, t1;

	name = (long)suite_name_server("0");
	/* Until it serves, its calls are answered by libk42 alone (-K42_ENOSYS). */
	for (int ms = 0; ms < 2000 && k42_name_lookup("name", NULL, NULL) != 0; ms++)
		k42_thread_sleep_us(1000);
	files = suite_server("servers/files", "files", K42_SPAWN_SHARE_ARCHIVE);
	kv = suite_server("servers/kv", "kv", 0);
	console = start_console();
	{
		/* With a startup block its main gets argc (1): thread mode,
		 * where ordinal 3 of any interface is deferred to a replier
		 * thread (bench/k42/kbench_server.c), so the IPC fuzzers'
		 * calls are also answered later, by another thread. */
		const char *argv[] = { "kbench_server", NULL };

		bench = spawn_args("bench/kbench_server", argv, 0, 0, K42_PRIO_GENERAL);
	}
	EXPECT(files > 0 && kv > 0 && console > 0, "servers: files %ld kv %ld console %ld", files,
	       kv, console);
	k42_thread_sleep_us(5000);

	t0 = ms_now();
	for (uint64_t i = 0; i < nfuzzers && nkids < MAX_KIDS; i++, nkids++) {
		const char *argv[] = { "fuzzer", nums[nkids][0], nums[nkids][1], NULL };

		k_snprintf(nums[nkids][0], sizeof(nums[0][0]), "%lu", calls / nfuzzers);
		k_snprintf(nums[nkids][1], sizeof(nums[0][1]), "%lu", round * 1000 + i + 1);
		kids[nkids] = spawn_args("tests/fuzzer", argv, 10, 0, K42_PRIO_GENERAL);
		EXPECT(kids[nkids] > 0, "fuzzer %lu: %ld", i, kids[nkids]);
	}
	for (uint64_t i = 0; i < 2 && nkids < MAX_KIDS; i++, nkids++) {
		static char tgt[5][24];
		const char *argv[] = { "ipc_fuzzer", nums[nkids][0], nums[nkids][1], tgt[0], tgt[1],
				       tgt[2], tgt[3], tgt[4], NULL };

		k_snprintf(nums[nkids][0], sizeof(nums[0][0]), "%lu", ipc_calls / 2);
		k_snprintf(nums[nkids][1], sizeof(nums[0][1]), "%lu", round * 77 + i + 1);
		k_snprintf(tgt[0], sizeof(tgt[0]), "%ld", name);
		k_snprintf(tgt[1], sizeof(tgt[1]), "%ld", files);
		k_snprintf(tgt[2], sizeof(tgt[2]), "%ld", kv);
		k_snprintf(tgt[3], sizeof(tgt[3]), "%ld", console);
		k_snprintf(tgt[4], sizeof(tgt[4]), "%ld", bench > 0 ? bench : kv);
		kids[nkids] = spawn_args("tests/ipc_fuzzer", argv, 10, 0, K42_PRIO_GENERAL);
		EXPECT(kids[nkids] > 0, "ipc_fuzzer %lu: %ld", i, kids[nkids]);
	}
	attacks();
	{
		const long srv[] = { name, files, kv, console, bench };

		wait_children(kids, nkids, srv, 5, states, statuses);
	}
	for (int i = 0; i < nkids; i++)
		EXPECT(kids[i] <= 0 || (states[i] == K42_PROC_EXITED && statuses[i] == 0),
		       "fuzzer %d: state %d status %d", i, states[i], statuses[i]);
	t1 = ms_now();
	/* A server ended by hostile calls is a denial of service. */
	{
		const long srv[] = { name, files, kv, console };

		for (int i = 0; i < 4; i++) {
			uint64_t out[1] = { 0 };
			long st = k42_sc_proc_status((uint64_t)srv[i], out);

			EXPECT(st == K42_PROC_RUNNING, "server %ld: state %ld status %ld", srv[i], st,
			       (long)out[0]);
		}
	}
	servers_work((uint64_t)kv, (uint64_t)files);
	k42_printf("SOAK round %lu: %lu kernel calls from %lu processes and %lu IPC calls in %lu ms "
		   "(%lu kernel calls/s)\n", round, calls / nfuzzers * nfuzzers, nfuzzers,
		   ipc_calls / 2 * 2, t1 - t0, calls * 1000 / (t1 - t0 ? t1 - t0 : 1));
	end_all();
	settle();
	k42_thread_sleep_us(20000);
	settle();
	return k42_info(K42_INFO_FREE_FRAMES);
}

int main(uint64_t arg)
{
	long free0, free1 = 0, after1 = 0, freen = 0, objs1 = 0;
	static struct own_mem own1, own;
	uint64_t start, r;

	(void)arg;
	me = k42_info(K42_INFO_PID);
	tb_hz = k42_info(K42_INFO_TIMEBASE_HZ);
	calls = opt("calls", calls);
	nfuzzers = opt("fuzzers", nfuzzers) ?: 1;
	ipc_calls = opt("ipc", calls / 10);
	rounds = opt("rounds", rounds);
	seconds = opt("seconds", seconds);
	settle();
	free0 = k42_info(K42_INFO_FREE_FRAMES);
	start = ms_now();
	for (r = 1; r <= rounds || ms_now() - start < seconds * 1000; r++) {
		long f = one_round(r);
		long kmem = k42_info(K42_INFO_KMEM_CACHED), objs = k42_info(K42_INFO_KMEM_OBJECTS);

		own_memory(&own, r == 1 ? NULL : &own1);
		k42_printf("SOAK round %lu: free frames %ld, kernel-object cache frames %ld, kernel "
			   "objects %ld; init's own regions %ld, pages %ld\n", r, f, kmem, objs,
			   own.regions, own.pages);
		if (r == 1) {
			free1 = f + kmem;
			after1 = f;
			objs1 = objs;
			own1 = own;
		} else {
			/* What init itself took meanwhile is its own (a page: a
			 * frame and its fcm_page); anything else is a leak. */
			long grew = own.pages - own1.pages;

			EXPECT(own.regions == own1.regions, "round %lu: init has %ld regions, %ld "
			       "after round 1", r, own.regions, own1.regions);
			EXPECT(f + kmem + grew == free1, "round %lu: %ld frames not returned (init's "
			       "own pages %+ld)", r, free1 - (f + kmem), grew);
			EXPECT(objs - grew == objs1, "round %lu: %ld more kernel objects than after "
			       "round 1 (init's own pages %+ld)", r, objs - objs1, grew);
		}
		freen = f;
		if (failures)
			break;
	}
	k42_printf("SOAK: %lu rounds in %lu s; free frames %ld at the start, %ld after round 1, "
		   "%ld at the end\n", r - 1, (ms_now() - start) / 1000, free0, after1, freen);
	return verdict("soak_test");
}
