/*
 * /proc for Linux programs (ps, top, free, pidof, killall, uptime): the
 * personality answers paths under /proc itself, making each file's text
 * when it is opened from the kernel's process list (proc_list,
 * proc_describe) and figures (sys_info), and hands it out as a libk42
 * memory file (k42_open_memory: a read-only snapshot, as Linux's seq
 * files are per open). /proc/self is a link to the caller's pid. Other
 * processes are known by what the kernel knows: pid, parent, state and
 * name (a Linux execve renames its process), and those of our Linux
 * process tree also by their entry in the tree's table (ptab.c): command
 * line, binary (exe), process group, session, threads, start time and
 * size. The caller's own entry also has fd/: a link per
 * open descriptor (the path it was opened under, or pipe:[ino] and the
 * like); opening one opens that path again, or for a pipe, socket or
 * the tty gives a duplicate of the descriptor. The files about the
 * system (sys/, partitions, meminfo...) are procsys.c's; a process's
 * stat, status, statm and limits texts procpid.c's, maps procmaps.c's.
 */
#include "lx.h"
#include "lxfs.h"
#include "procfs.h"
#include <k42/procinfo.h>
#include <k42/socket.h>

#define PROC_MAX_LIST 512
#define INO_BASE 0x7000000000ull

char lx_ptext[TEXT_MAX];
size_t lx_ptlen;
static struct k42_procinfo plist[PROC_MAX_LIST];

/* ---- paths ---- */

enum pf {
	PF_NONE, PF_ROOT, PF_SELF, PF_MEMINFO, PF_CPUINFO, PF_UPTIME, PF_LOADAVG, PF_STAT,
	PF_VERSION, PF_CMDLINE_K, PF_MOUNTS, PF_PIDDIR, PF_PSTAT, PF_PSTATUS, PF_PCMDLINE, PF_PCOMM, PF_PEXE,
	PF_PFD, PF_PFDENT, PF_PMAPS, PF_PCWD, PF_PENVIRON, PF_PLIMITS, PF_PSTATM, PF_PLOGINUID, PF_PROOT,
	PF_SYSDIR, PF_SYSFILE,	/* procsys.c's (lookup_sys) */
};

static const struct {
	const char *name;
	enum pf kind;
} top_files[] = {
	{ "self", PF_SELF }, { "meminfo", PF_MEMINFO }, { "cpuinfo", PF_CPUINFO },
	{ "uptime", PF_UPTIME }, { "loadavg", PF_LOADAVG }, { "stat", PF_STAT },
	{ "version", PF_VERSION }, { "cmdline", PF_CMDLINE_K }, { "mounts", PF_MOUNTS },
}, pid_files[] = {
	{ "stat", PF_PSTAT }, { "status", PF_PSTATUS }, { "cmdline", PF_PCMDLINE },
	{ "comm", PF_PCOMM }, { "exe", PF_PEXE }, { "fd", PF_PFD }, { "maps", PF_PMAPS },
	{ "cwd", PF_PCWD }, { "environ", PF_PENVIRON }, { "limits", PF_PLIMITS }, { "statm", PF_PSTATM },
	{ "loginuid", PF_PLOGINUID }, { "mounts", PF_MOUNTS },	/* one mount table for all */
	{ "root", PF_PROOT },
};

/* Files only the process itself has (its own state, not in the tree's
 * table): fd/, cwd, root, environ, limits. */
static int self_only(enum pf kind)
{
	return kind == PF_PFD || kind == PF_PCWD || kind == PF_PROOT || kind == PF_PENVIRON ||
	       kind == PF_PLIMITS;
}

/* The descriptor a PF_PFDENT path names, the node a PF_SYS* one (lookup). */
static int lookup_fd, lookup_sys;

static int is_proc(const char *path)
{
	return strncmp(path, "/proc", 5) == 0 && (path[5] == '\0' || path[5] == '/');
}

/* The working directory if it is /proc or under it (top chdirs there and
 * opens "stat", sysctl to /proc/sys), else "". */
static char proc_cwd[64];

void lx_proc_cwd_changed(void)
{
	if (k42_getcwd(proc_cwd, sizeof(proc_cwd)) < 0 || !is_proc(proc_cwd))
		proc_cwd[0] = '\0';
}

const char *lx_proc_path(int64_t dirfd, const char *path)
{
	static char abs[K42_PATH_MAX], rel[K42_PATH_MAX];
	size_t n = strlen(path);

	if (path[0] == '/') {
		/* Linux's links /dev/fd -> /proc/self/fd, /dev/stdin ->
		 * /proc/self/fd/0 and so on (/dev here is a tmpfs). */
		static const char *const std[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };

		for (int i = 0; i < 3; i++)
			if (strcmp(path, std[i]) == 0) {
				memcpy(abs, "/proc/self/fd/0", 16);
				abs[14] = (char)('0' + i);
				return abs;
			}
		if (strncmp(path, "/dev/fd", 7) == 0 && (path[7] == '\0' || path[7] == '/') &&
		    n + 8 <= sizeof(abs)) {
			memcpy(abs, "/proc/self/fd", 13);
			memcpy(abs + 13, path + 7, n - 7 + 1);
			return abs;
		}
		return is_proc(path) ? path : NULL;
	}
	if (dirfd != LX_AT_FDCWD || !proc_cwd[0] || !n || strlen(proc_cwd) + n + 2 > sizeof(rel))
		return NULL;
	strcpy(rel, proc_cwd);
	strcat(rel, "/");
	strcat(rel, path);
	if (lx_root_len)	/* chrooted: as it is */
		return strcpy(abs, rel);
	/* "." and ".." lexically (sysctl -a opens "./kernel/hostname") */
	return lx_root_path(rel, abs) == 0 && is_proc(abs) ? abs : NULL;
}

static int parse_pid(const char *s, size_t n, uint64_t *pid)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*pid = v;
	return v != 0;
}

static int alive(uint64_t pid, struct k42_procinfo *info)
{
	return k42_sc_proc_describe(pid, (uint64_t)info) == 0 && info->state == K42_PROC_RUNNING;
}

/* What the tree's table says of pid (ours from lx itself): 1 if known. */
static struct lx_pentry pe;

static int entry_of(uint64_t pid)
{
	int known = lx_ptab_get(pid, &pe);

	if (pid != lx.pid)
		return known;
	if (!known) {	/* (no table: no start time or size) */
		memset(&pe, 0, sizeof(pe));
		pe.pid = (uint32_t)lx.pid;
	}
	/* Our own figures are the freshest. */
	pe.pgid = (uint32_t)lx.pgid;
	pe.sid = (uint32_t)lx.sid;
	pe.nthreads = (uint32_t)(lx_nthreads > 0 ? lx_nthreads : 1);
	memcpy(pe.exe, lx.exe, sizeof(pe.exe));
	pe.exe[sizeof(pe.exe) - 1] = '\0';
	memcpy(pe.cmdline, lx.cmdline, lx.cmdline_len);
	pe.cmdline_len = lx.cmdline_len;
	return 1;
}

static int exe_known(uint64_t pid)
{
	return entry_of(pid) && pe.exe[0];
}

const char *lx_proc_exe_of(uint64_t pid)
{
	return entry_of(pid) ? pe.exe : "";
}

/* What path names (its kind and pid); follow: /proc/self as its target. */
static long lookup(const char *path, int follow, enum pf *kind, uint64_t *pid)
{
	const char *p = path + 5, *c;
	size_t n;
	struct k42_procinfo info;

	while (*p == '/')
		p++;
	*pid = 0;
	if (!*p) {
		*kind = PF_ROOT;
		return 0;
	}
	c = p;
	while (*c && *c != '/')
		c++;
	n = (size_t)(c - p);
	while (*c == '/')
		c++;
	/* "self" is the link itself only when it ends the path: a path on
	 * after it, or a trailing slash ("/proc/self/"), goes through it */
	if (parse_pid(p, n, pid) || (n == 4 && strncmp(p, "self", 4) == 0 && (*c || follow || p[n] == '/'))) {
		if (n == 4 && p[0] == 's')
			*pid = lx.pid;
		if (!alive(*pid, &info))
			return -LX_ENOENT;
		if (!*c) {
			*kind = PF_PIDDIR;
			return 0;
		}
		if (strncmp(c, "fd/", 3) == 0 && *pid == lx.pid) {
			uint64_t fd;
			struct k42_stat st;
			const char *f = c + 3;
			size_t fl = strlen(f);

			while (fl && f[fl - 1] == '/')
				fl--;
			if (!fl) {
				*kind = PF_PFD;
				return 0;
			}
			if (!parse_pid(f, fl, &fd) && !(fl == 1 && f[0] == '0'))
				return -LX_ENOENT;
			if (fl == 1 && f[0] == '0')
				fd = 0;
			if (fd >= K42_FD_MAX || k42_fstat((int)fd, &st) < 0)
				return -LX_ENOENT;
			lookup_fd = (int)fd;
			*kind = PF_PFDENT;
			return 0;
		}
		for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++)
			if (strcmp(c, pid_files[i].name) == 0 ||
			    (pid_files[i].kind == PF_PFD && strcmp(c, "fd/") == 0)) {
				*kind = pid_files[i].kind;
				/* Our own descriptors only; the binary of a
				 * process of our tree too (its table entry). */
				if (self_only(*kind) && *pid != lx.pid)
					return -LX_ENOENT;
				if (*kind == PF_PEXE && *pid != lx.pid && !exe_known(*pid))
					return -LX_ENOENT;
				return 0;
			}
		return -LX_ENOENT;
	}
	if ((lookup_sys = lx_procsys_find(p)) >= 0 || lookup_sys == -2) {
		*kind = lookup_sys >= 0 && lx_procsys_isdir(lookup_sys) ? PF_SYSDIR : PF_SYSFILE;
		return lookup_sys >= 0 ? 0 : -LX_ENOTDIR;
	}
	if (*c)
		return -LX_ENOENT;
	for (size_t i = 0; i < sizeof(top_files) / sizeof(top_files[0]); i++)
		if (strlen(top_files[i].name) == n && strncmp(p, top_files[i].name, n) == 0) {
			*kind = top_files[i].kind;
			return 0;
		}
	return -LX_ENOENT;
}

static uint64_t ino_of(enum pf kind, uint64_t pid)
{
	if (kind == PF_PFDENT)	/* one per descriptor, above every other */
		return INO_BASE + (1ull << 36) + (pid << 9) + (uint64_t)lookup_fd;
	if (kind == PF_SYSDIR || kind == PF_SYSFILE)
		return INO_BASE + (2ull << 36) + (uint64_t)lookup_sys;
	return INO_BASE + (pid << 5) + (uint64_t)kind;
}

/* ---- contents ---- */

static uint64_t uptime_hundredths(void)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	return k42_timebase() / (hz / 100);
}

static long nprocs(void)
{
	long n = k42_sc_proc_list((uint64_t)plist, PROC_MAX_LIST);

	return n < 0 ? 0 : n;
}

static void make(enum pf kind, uint64_t pid)
{
	struct k42_procinfo info;
	uint64_t up;
	long n;
	int known;

	lx_ptlen = 0;
	switch (kind) {
	case PF_MEMINFO:
		lx_procsys_text(LX_PROCSYS_MEMINFO);
		break;
	case PF_CPUINFO:
		lx_procsys_text(LX_PROCSYS_CPUINFO);
		break;
	case PF_SYSFILE:
		lx_procsys_text(lookup_sys);
		break;
	case PF_UPTIME:
		up = uptime_hundredths();
		putc2(up);
		put(" ");
		putc2(up);
		put("\n");
		break;
	case PF_LOADAVG:
		n = nprocs();
		put("0.00 0.00 0.00 1/");
		putu((uint64_t)n);
		put(" ");
		putu(n ? plist[n - 1].pid : 0);
		put("\n");
		break;
	case PF_STAT: {
		/* Every CPU's time: user and system as the ticks charged
		 * them (K42_INFO_CPU_*_TB, monotonic), the rest idle. */
		uint64_t ncpu = k42_info(K42_INFO_CPUS_ONLINE), idle;
		uint64_t user = lx_cpu_clock_ticks((uint64_t)k42_info(K42_INFO_CPU_USER_TB));
		uint64_t sys = lx_cpu_clock_ticks((uint64_t)k42_info(K42_INFO_CPU_SYSTEM_TB));

		if (!ncpu)
			ncpu = 1;
		up = uptime_hundredths() * ncpu;
		idle = up > user + sys ? up - user - sys : 0;
		put("cpu  ");
		putu(user);
		put(" 0 ");
		putu(sys);
		put(" ");
		putu(idle);
		put(" 0 0 0 0 0 0\n");
		for (uint64_t c = 0; c < ncpu; c++) {
			put("cpu");
			putu(c);
			put(" ");
			putu(user / ncpu);
			put(" 0 ");
			putu(sys / ncpu);
			put(" ");
			putu(idle / ncpu);
			put(" 0 0 0 0 0 0\n");
		}
		put("intr 0\nctxt 0\nbtime ");
		putu((uint64_t)LX_BOOT_EPOCH);
		put("\nprocesses ");
		putu((uint64_t)nprocs());
		put("\nprocs_running 1\nprocs_blocked 0\n");
		break;
	}
	case PF_VERSION:
		put("Linux version 6.1.0-k42 (k42 Linux personality) #1\n");
		break;
	case PF_CMDLINE_K:
		put("k42\n");
		break;
	case PF_MOUNTS: {
		struct lx_mount m[LX_MOUNTS_MAX];
		int nm = lx_mounts(m, LX_MOUNTS_MAX);

		for (int i = 0; i < nm; i++) {
			put(strcmp(m[i].type, "ext2") == 0 ? "/dev/vda" : m[i].type);
			put(" ");
			put(m[i].point);
			put(" ");
			put(m[i].type);
			put(m[i].ro ? " ro 0 0\n" : " rw 0 0\n");
		}
		put("proc /proc proc rw 0 0\n");
		break;
	}
	case PF_PMAPS:
		lx_proc_maps(pid);
		break;
	case PF_PENVIRON: {
		/* Our environment's strings as they are now on our stack. */
		uint64_t len = lx.env_end > lx.env_start ? lx.env_end - lx.env_start : 0;

		if (len > TEXT_MAX)
			len = TEXT_MAX;
		if (len && lx_copy_in(lx_ptext, lx.env_start, len) == 0)
			lx_ptlen = len;
		break;
	}
	case PF_PLIMITS:
		lx_proc_limits();
		break;
	case PF_PLOGINUID:
		/* Nobody logged in (Linux's unset audit id): glibc's getlogin
		 * then fails ENXIO, as on Linux (logname). */
		put("4294967295");
		break;
	case PF_PSTATM:
		if (!alive(pid, &info))
			break;
		known = entry_of(pid);
		lx_proc_statm(pid, known, &pe);
		break;
	case PF_PSTAT:
	case PF_PSTATUS:
	case PF_PCMDLINE:
	case PF_PCOMM:
		if (!alive(pid, &info))
			break;
		known = entry_of(pid);
		if (kind == PF_PSTAT)
			lx_proc_pstat(&info, known, &pe);
		else if (kind == PF_PSTATUS)
			lx_proc_pstatus(&info, known, &pe);
		else if (kind == PF_PCOMM) {
			putn(info.name, strnlen(info.name, 15));
			put("\n");
		} else if (known) {
			putn(pe.cmdline, pe.cmdline_len);
		} else {
			putn(info.name, strnlen(info.name, sizeof(info.name)));
			lx_ptext[lx_ptlen++] = '\0';
		}
		break;
	default:
		break;
	}
}

/* The directory records (struct k42_dirent) of /proc or /proc/PID. */
static void dir_add(const char *name, uint64_t ino, uint8_t type)
{
	size_t n = strlen(name), rec = (sizeof(struct k42_dirent) + n + 1 + 7) & ~(size_t)7;
	struct k42_dirent *d = (struct k42_dirent *)(lx_ptext + lx_ptlen);

	if (lx_ptlen + rec > TEXT_MAX)
		return;
	memset(d, 0, rec);
	d->ino = ino;
	d->reclen = (uint16_t)rec;
	d->type = type;
	memcpy(d->name, name, n);
	lx_ptlen += rec;
}

/* v in decimal into num (24 bytes) */
static void tlen_num(char *num, uint64_t v)
{
	size_t k = 0;
	char rev[24];

	do {
		rev[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t j = 0; j < k; j++)
		num[j] = rev[k - 1 - j];
	num[k] = '\0';
}

/* What the link /proc/self/fd/N names, into text[]: the path the
 * descriptor was opened under, or its kind and inode as Linux names them. */
static void fd_target(int fd)
{
	struct k42_stat st;
	char *p = NULL;

	lx_ptlen = 0;
	if (k42_fd_path(fd, &p) == 0 && p) {
		put(p);
		free(p);
		return;
	}
	free(p);
	if (k42_fstat(fd, &st) < 0)
		return;
	switch (st.mode & K42_S_IFMT) {
	case K42_S_IFIFO:
		put("pipe:[");
		break;
	case K42_S_IFSOCK:
		put("socket:[");
		break;
	default:
		put(k42_isatty(fd) ? "/dev/console" : "anon_inode:[");
		if (k42_isatty(fd))
			return;
	}
	putu(st.ino);
	put("]");
}

static void make_dir(enum pf kind, uint64_t pid)
{
	char num[24];

	lx_ptlen = 0;
	dir_add(".", ino_of(kind, pid), 4);
	dir_add("..", ino_of(PF_ROOT, 0), 4);
	if (kind == PF_ROOT) {
		long n = nprocs();

		for (size_t i = 0; i < sizeof(top_files) / sizeof(top_files[0]); i++)
			dir_add(top_files[i].name, ino_of(top_files[i].kind, 0),
				top_files[i].kind == PF_SELF ? 10 : 8);
		lx_procsys_list(-1, dir_add, INO_BASE + (2ull << 36));
		for (long i = 0; i < n; i++) {
			/* only those a lookup finds (ls /proc stats each:
			 * an ended process not yet gone gave ENOENT) */
			if (plist[i].state != K42_PROC_RUNNING)
				continue;
			tlen_num(num, plist[i].pid);
			dir_add(num, ino_of(PF_PIDDIR, plist[i].pid), 4);
		}
		return;
	}
	if (kind == PF_SYSDIR) {
		lx_procsys_list(lookup_sys, dir_add, INO_BASE + (2ull << 36));
		return;
	}
	if (kind == PF_PFD) {
		struct k42_stat st;
		int mine = -1;	/* the descriptor this open is about to get, as Linux lists it */

		for (int fd = 0; fd < K42_FD_MAX; fd++) {
			if (k42_fstat(fd, &st) < 0 && (mine >= 0 || (mine = fd) < 0))
				continue;
			tlen_num(num, (uint64_t)fd);
			lookup_fd = fd;
			dir_add(num, ino_of(PF_PFDENT, pid), 10);
		}
		return;
	}
	for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++)
		if ((pid_files[i].kind != PF_PEXE && !self_only(pid_files[i].kind)) || pid == lx.pid ||
		    (pid_files[i].kind == PF_PEXE && exe_known(pid)))
			dir_add(pid_files[i].name, ino_of(pid_files[i].kind, pid),
				pid_files[i].kind == PF_PEXE || pid_files[i].kind == PF_PCWD ||
				pid_files[i].kind == PF_PROOT ? 10 :
				pid_files[i].kind == PF_PFD ? 4 : 8);
}

/* ---- the calls ---- */

/* The process's root directory as the file layer names it: the real
 * root, or the chroot's directory. */
static const char *root_dir(void)
{
	return lx_root_len ? lx_root : "/";
}

long lx_proc_open(const char *path, int flags)
{
	enum pf kind;
	uint64_t pid;
	long rc = lookup(path, !(flags & K42_O_NOFOLLOW), &kind, &pid);

	if (rc < 0)
		return rc;	/* creating a new name in /proc: ENOENT, as Linux */
	if (((flags & K42_O_ACCMODE) != K42_O_RDONLY || (flags & (K42_O_CREAT | K42_O_TRUNC))) &&
	    kind != PF_PFDENT)
		return -LX_EACCES;
	if (kind == PF_PEXE)
		return -LX_ENOENT;	/* opening the binary itself: not offered */
	if (kind == PF_PCWD) {	/* the working directory itself */
		char cwd[256];

		rc = k42_getcwd(cwd, sizeof(cwd));
		return rc < 0 ? lx_errno(rc) : lx_errno(k42_open(cwd, flags & ~(K42_O_CREAT | K42_O_EXCL), 0));
	}
	if (kind == PF_PROOT)	/* the root directory itself (chroot's, chroot.c) */
		return lx_errno(k42_open(root_dir(), flags & ~(K42_O_CREAT | K42_O_EXCL), 0));
	if (kind == PF_PMAPS && pid != lx.pid) {
		/* Linux's rule: the same user, or root (the kernel's rule for
		 * reading the block too). A process that exposes nothing (not
		 * a Linux process) shows no mappings, as a kernel thread. */
		struct k42_procinfo me, them;

		if (k42_sc_proc_describe(lx.pid, (uint64_t)&me) < 0 ||
		    k42_sc_proc_describe(pid, (uint64_t)&them) < 0)
			return -LX_ENOENT;
		if (me.uid != 0 && me.uid != them.uid)
			return -LX_EACCES;
	}
	if (kind == PF_PFDENT) {
		char *p = NULL;
		int fd = lookup_fd;

		/* A file again by its path (a new offset, as Linux); the rest
		 * (pipes, sockets, the tty) share the descriptor's. */
		rc = k42_fd_path(fd, &p);
		if (rc == 0 && p && p[0] == '/') {
			rc = k42_open(p, flags & ~(K42_O_CREAT | K42_O_EXCL), 0);
			free(p);
			return lx_errno(rc);
		}
		free(p);
		return lx_errno(k42_dup(fd));
	}
	if (kind == PF_ROOT || kind == PF_PIDDIR || kind == PF_PFD || kind == PF_SYSDIR) {
		make_dir(kind, pid);
		return lx_errno(k42_open_memory(lx_ptext, lx_ptlen, K42_S_IFDIR | (kind == PF_PFD ? 0500 : 0555),
						ino_of(kind, pid), flags));
	}
	if (flags & K42_O_DIRECTORY)
		return -LX_ENOTDIR;
	make(kind, pid);
	return lx_errno(k42_open_memory(lx_ptext, lx_ptlen, K42_S_IFREG | 0444, ino_of(kind, pid), flags));
}

long lx_proc_stat(const char *path, int nofollow, struct k42_stat *st)
{
	enum pf kind;
	uint64_t pid;
	long rc = lookup(path, !nofollow, &kind, &pid);

	if (rc < 0)
		return rc;
	memset(st, 0, sizeof(*st));
	st->ino = ino_of(kind, pid);
	st->dev = 0x70;
	st->nlink = 1;
	if (kind == PF_PCWD && !nofollow) {	/* the directory itself */
		char cwd[256];

		rc = k42_getcwd(cwd, sizeof(cwd));
		return rc < 0 ? lx_errno(rc) : lx_errno(k42_stat(cwd, st));
	}
	if (kind == PF_PROOT && !nofollow)	/* the root directory itself */
		return lx_errno(k42_stat(root_dir(), st));
	if (kind == PF_PFDENT && !nofollow) {	/* what it links to */
		int fd = lookup_fd;

		rc = k42_fstat(fd, st);
		return lx_errno(rc);
	}
	if (kind == PF_PFDENT) {
		/* As Linux's: the owner's r-x for a descriptor open for
		 * reading, -wx for writing, size 64 (ls -l: lr-x------). */
		long fl = k42_fcntl(lookup_fd, K42_F_GETFL, 0);
		int acc = fl < 0 ? K42_O_RDWR : (int)(fl & K42_O_ACCMODE);

		st->mode = K42_S_IFLNK | (acc != K42_O_WRONLY ? 0500 : 0) | (acc != K42_O_RDONLY ? 0300 : 0);
		st->size = 64;
	} else if (kind == PF_PFD) {
		st->mode = K42_S_IFDIR | 0500;	/* Linux's: the owner's only */
		st->nlink = 2;
	} else if (kind == PF_ROOT || kind == PF_PIDDIR || kind == PF_SYSDIR) {
		st->mode = K42_S_IFDIR | 0555;
		st->nlink = 2;
	} else if (kind == PF_SELF || kind == PF_PEXE || kind == PF_PCWD ||
		   kind == PF_PROOT) {
		st->mode = K42_S_IFLNK | 0777;
	} else {
		st->mode = K42_S_IFREG | 0444;	/* size 0, as Linux's /proc files */
	}
	return 0;
}

long lx_proc_readlink(const char *path, char *buf, size_t n)
{
	enum pf kind;
	uint64_t pid;
	long rc = lookup(path, 0, &kind, &pid);
	size_t len;

	if (rc < 0)
		return rc;
	lx_ptlen = 0;
	if (kind == PF_SELF)
		putu(lx.pid);
	else if (kind == PF_PEXE && entry_of(pid))
		put(pe.exe);
	else if (kind == PF_PFDENT)
		fd_target(lookup_fd);
	else if (kind == PF_PROOT)	/* its root as it names it, as Linux's */
		put("/");
	else if (kind == PF_PCWD) {
		char cwd[256];

		rc = lx_cwd(cwd, sizeof(cwd));
		if (rc < 0)
			return rc;
		put(cwd);
	} else
		return -LX_EINVAL;
	len = lx_ptlen < n ? lx_ptlen : n;
	memcpy(buf, lx_ptext, len);
	return (long)len;
}
