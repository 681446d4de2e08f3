/*
 * The text of a process's /proc/PID files made from its figures rather
 * than its memory or table strings: stat, status, statm and (the
 * caller's own) limits, as Linux lays them out. procfs.c finds the
 * process and its entry in the tree's table and calls these; maps is
 * procmaps.c's.
 */
#include "lx.h"
#include "procfs.h"
#include <k42/procinfo.h>

/* After entry_of(p->pid): T while stopped (job control), from the table. */
static char state_of(const struct k42_procinfo *p, int known, const struct lx_pentry *pe)
{
	return p->state != K42_PROC_RUNNING ? 'Z' : known && pe->stop_sig ? 'T' : p->running ? 'R' : 'S';
}

/* stat and status of p, with its table entry (pe) if `known`. */
void lx_proc_pstat(const struct k42_procinfo *p, int known, const struct lx_pentry *pe)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	putu(p->pid);
	put(" (");
	putn(p->name, strnlen(p->name, sizeof(p->name)));
	put(") ");
	putn(&(char){ state_of(p, known, pe) }, 1);
	put(" ");
	putu(p->parent);
	put(" ");
	putu(known ? pe->pgid : p->pid);
	put(" ");
	putu(known ? pe->sid : p->pid);
	/* tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice num_threads itrealvalue starttime
	 * (clock ticks, 100 a second, since boot) vsize rss, then the rest
	 * of Linux's 52 fields. */
	put(" 0 -1 0 0 0 0 0 ");
	{
		uint64_t cu = 0, cs = 0;

		if (p->pid == lx.pid)
			lx_cpu_children(&cu, &cs);
		else if (known)
			cu = pe->cutime_tb, cs = pe->cstime_tb;
		putu(lx_cpu_clock_ticks(p->utime_tb));
		put(" ");
		putu(lx_cpu_clock_ticks(p->stime_tb));
		put(" ");
		putu(lx_cpu_clock_ticks(cu));
		put(" ");
		putu(lx_cpu_clock_ticks(cs));
		put(" ");
	}
	{
		int ni = known && pe->nice >= -20 && pe->nice <= 19 ? pe->nice : 0;

		putu((uint64_t)(20 + ni));
		put(ni < 0 ? " -" : " ");
		putu((uint64_t)(ni < 0 ? -ni : ni));
		put(" ");
	}
	putu(known && pe->nthreads ? pe->nthreads : 1);
	put(" 0 ");
	putu(known && hz >= 100 ? pe->start_tb / (hz / 100) : 0);
	put(" ");
	putu(known ? pe->vsize : 0);
	put(" 0");
	for (int i = 0; i < 28; i++)
		put(" 0");
	put("\n");
}

/* status's signal lines: SigQ (signals pending / RLIMIT_SIGPENDING), then
 * the sets as Linux's 16 hex digits. Another process's pending signals
 * are its own (not in the table): 0 there. */
static void put_sigs(int self, const struct lx_pentry *pe)
{
	static const char *const names[LX_SIGSETS] = { "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt" };
	uint64_t s[LX_SIGSETS] = { 0 }, qcur = 0, qmax;

	if (self) {
		lx_sig_sets(s);
	} else {
		s[LX_SIGSET_BLK] = pe->sigblk;
		s[LX_SIGSET_IGN] = pe->sigign;
		s[LX_SIGSET_CGT] = pe->sigcgt;
	}
	put("SigQ:\t");
	putu((uint64_t)__builtin_popcountll(s[LX_SIGSET_PND] | s[LX_SIGSET_SHD]));
	put("/");
	lx_rlimit_get(11, &qcur, &qmax);	/* RLIMIT_SIGPENDING (ours: the tree's are alike) */
	putu(qcur);
	put("\n");
	for (int k = 0; k < LX_SIGSETS; k++) {
		put(names[k]);
		put(":\t");
		putx(s[k], 16);
		put("\n");
	}
}

void lx_proc_pstatus(const struct k42_procinfo *p, int known, const struct lx_pentry *pe)
{
	int self = p->pid == lx.pid;

	put("Name:\t");
	putn(p->name, strnlen(p->name, sizeof(p->name)));
	/* four octal digits, as Linux's "%04o" (0022) */
	put("\nUmask:\t");
	for (int shift = 9, um = self ? (int)lx.umask : 022; shift >= 0; shift -= 3)
		putn(&(char){ (char)('0' + (um >> shift & 7)) }, 1);
	put("\nState:\t");
	putn(&(char){ state_of(p, known, pe) }, 1);
	put(state_of(p, known, pe) == 'R' ? " (running)" : state_of(p, known, pe) == 'T' ? " (stopped)" : " (sleeping)");
	put("\nTgid:\t");
	putu(p->pid);
	put("\nNgid:\t0\nPid:\t");
	putu(p->pid);
	put("\nPPid:\t");
	putu(p->parent);
	put("\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	if (known) {
		put("NSpgid:\t");
		putu(pe->pgid);
		put("\nNSsid:\t");
		putu(pe->sid);
		put("\nVmSize:\t");
		putu(pe->vsize / 1024);
		put(" kB\n");
	}
	put("Threads:\t");
	putu(known && pe->nthreads ? pe->nthreads : 1);
	put("\n");
	if (self || known)
		put_sigs(self, pe);
	if (self || known) {	/* a Linux process's own sets (caps.c) */
		static const char *const names[5] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
		uint64_t own[5];
		const uint64_t *c = own;

		if (self)
			lx_caps_get(own);
		else
			c = pe->caps;
		for (int k = 0; k < 5; k++) {
			put(names[k]);
			put(":\t");
			putx(c[k], 16);
			put("\n");
		}
	}
	put("Cpus_allowed_list:\t");
	putu(p->cpu);
	put("\n");
}

/* /proc/self/limits, Linux's table of the limits getrlimit gives. */
void lx_proc_limits(void)
{
	static const struct {
		const char *name, *unit;
	} rows[] = {
		{ "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
		{ "Max stack size", "bytes" }, { "Max core file size", "bytes" },
		{ "Max resident set", "bytes" }, { "Max processes", "processes" },
		{ "Max open files", "files" }, { "Max locked memory", "bytes" },
		{ "Max address space", "bytes" }, { "Max file locks", "locks" },
		{ "Max pending signals", "signals" }, { "Max msgqueue size", "bytes" },
		{ "Max nice priority", "" }, { "Max realtime priority", "" },
		{ "Max realtime timeout", "us" },
	};

	put("Limit                     Soft Limit           Hard Limit           Units     \n");
	for (int r = 0; r < (int)(sizeof(rows) / sizeof(rows[0])); r++) {
		uint64_t v[2];
		size_t start = lx_ptlen;

		if (lx_rlimit_get(r, &v[0], &v[1]) < 0)
			break;
		put(rows[r].name);
		for (int k = 0; k < 2; k++) {
			while (lx_ptlen - start < (size_t)(26 + 21 * k))
				put(" ");
			if (v[k] == ~0ull)
				put("unlimited");
			else
				putu(v[k]);
		}
		while (lx_ptlen - start < 68)
			put(" ");
		put(rows[r].unit);
		while (lx_ptlen - start < 78)
			put(" ");
		put("\n");
	}
}

/* /proc/PID/statm, in pages: size resident shared text lib data dt.
 * Resident and shared sizes are not known (0); ours split into the
 * binary's text and the rest. */
void lx_proc_statm(uint64_t pid, int known, const struct lx_pentry *pe)
{
	uint64_t size = known ? pe->vsize / K42_PAGE_SIZE : 0, text_pg = 0;

	if (pid == lx.pid) {
		size = 0;
		for (int i = 0; i < lx_nvmas; i++) {
			size += lx_vmas[i].len / K42_PAGE_SIZE;
			if ((lx_vmas[i].prot & K42_PROT_EXEC) && lx_vmas[i].va < lx.brk_start)
				text_pg += lx_vmas[i].len / K42_PAGE_SIZE;
		}
	}
	putu(size);
	put(" 0 0 ");
	putu(text_pg);
	put(" 0 ");
	putu(size - text_pg);
	put(" 0\n");
}
