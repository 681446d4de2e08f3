/*
 * /proc's files about the system rather than a process (procfs.c asks
 * here first): /proc/sys (sysctl's tree: a few real values of k42 and
 * of this personality, read-only; kernel/random's UUIDs), /proc/partitions
 * (the block devices the name server knows, sized by their drivers),
 * /proc/filesystems (the file systems k42 has servers for in the boot
 * archive), /proc/modules (none), /proc/swaps (none in use),
 * /proc/meminfo and /proc/cpuinfo. Every text is made when the file is opened.
 */
#include "lx.h"
#include "lxfs.h"
#include "procfs.h"
#include <k42/procinfo.h>
#include <k42/services.h>
#include "blk.h"	/* idl/blk.idl client stubs */

enum {
	N_SYS, N_PARTITIONS, N_FILESYSTEMS, N_MODULES, N_SWAPS,	/* in /proc */
	N_FS, N_KERNEL, N_VM,			/* in /proc/sys */
	N_NR_OPEN,				/* in /proc/sys/fs */
	N_DOMAINNAME, N_HOSTNAME, N_OSRELEASE, N_OSTYPE, N_PID_MAX, N_TAINTED, N_VERSION, /* kernel */
	N_RANDOM, N_BOOT_ID, N_UUID,		/* in /proc/sys/kernel/random */
	N_OVERCOMMIT,				/* in /proc/sys/vm */
	N_COUNT
};

/* The tree: each node's name and parent (-1: /proc itself); directories
 * have children. rootfs/meson.build makes the directories in the boot
 * archive too, so a program can chdir into them (busybox sysctl does). */
static const struct {
	const char *name;
	int parent, dir;
} node[N_COUNT] = {
	[N_SYS] = { "sys", -1, 1 },
	[N_PARTITIONS] = { "partitions", -1, 0 },
	[N_FILESYSTEMS] = { "filesystems", -1, 0 },
	[N_MODULES] = { "modules", -1, 0 },
	[N_SWAPS] = { "swaps", -1, 0 },
	[N_FS] = { "fs", N_SYS, 1 },
	[N_KERNEL] = { "kernel", N_SYS, 1 },
	[N_VM] = { "vm", N_SYS, 1 },
	[N_NR_OPEN] = { "nr_open", N_FS, 0 },
	[N_DOMAINNAME] = { "domainname", N_KERNEL, 0 },
	[N_HOSTNAME] = { "hostname", N_KERNEL, 0 },
	[N_OSRELEASE] = { "osrelease", N_KERNEL, 0 },
	[N_OSTYPE] = { "ostype", N_KERNEL, 0 },
	[N_PID_MAX] = { "pid_max", N_KERNEL, 0 },
	[N_TAINTED] = { "tainted", N_KERNEL, 0 },
	[N_VERSION] = { "version", N_KERNEL, 0 },
	[N_RANDOM] = { "random", N_KERNEL, 1 },
	[N_BOOT_ID] = { "boot_id", N_RANDOM, 0 },
	[N_UUID] = { "uuid", N_RANDOM, 0 },
	[N_OVERCOMMIT] = { "overcommit_memory", N_VM, 0 },
};

int lx_procsys_find(const char *rel)
{
	int at = -1;

	while (*rel) {
		const char *c = rel;
		size_t n;
		int found = -1;

		while (*c && *c != '/')
			c++;
		n = (size_t)(c - rel);
		for (int i = 0; i < N_COUNT && found < 0; i++)
			if (node[i].parent == at && strlen(node[i].name) == n &&
			    strncmp(node[i].name, rel, n) == 0)
				found = i;
		if (found < 0)
			return -1;
		at = found;
		while (*c == '/')
			c++;
		if ((*c || c[-1] == '/') && !node[at].dir)
			return -2;	/* a file is not a directory */
		rel = c;
	}
	return at;
}

int lx_procsys_isdir(int n)
{
	return node[n].dir;
}

void lx_procsys_list(int dir, void (*add)(const char *name, uint64_t ino, uint8_t type),
		     uint64_t ino_base)
{
	for (int i = 0; i < N_COUNT; i++)
		if (node[i].parent == dir)
			add(node[i].name, ino_base + (uint64_t)i, node[i].dir ? 4 : 8);
}

/* v right-aligned in width columns */
static void padu(uint64_t v, int width)
{
	int digits = 1;

	for (uint64_t t = v; t >= 10; t /= 10)
		digits++;
	while (width-- > digits)
		put(" ");
	putu(v);
}

/* The block devices: the driver named "blk" (virtio, docs/devices.md),
 * as Linux names the first virtio disk, sized in KiB. */
static void partitions(void)
{
	uint64_t pid, sectors;
	uint32_t bytes;

	if (k42_name_lookup("blk", &pid, NULL) < 0 || blk_info(pid, &sectors, &bytes) < 0)
		return;	/* none: empty, header too, as Linux's */
	put("major minor  #blocks  name\n\n");
	padu(254, 4);	/* Linux's major for the virtio disk */
	padu(0, 9);
	padu(sectors * bytes / 1024, 11);
	put(" vda\n");
}

/* The file systems k42 can mount: those whose server is in the boot
 * archive (ext2's also mounts ext3 with an empty journal), and /proc. */
static void filesystems(void)
{
	static const struct {
		const char *server, *names;
	} fs[] = {
		{ "/servers/files", "nodev\trootfs\n" },
		{ "/servers/tmpfs", "nodev\ttmpfs\n" },
		{ NULL, "nodev\tproc\n" },
		{ "/servers/ext2", "\text2\n\text3\n" },
	};
	struct k42_stat st;

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (!fs[i].server || k42_stat(fs[i].server, &st) == 0)
			put(fs[i].names);
}

static void meminfo(void)
{
	uint64_t total = k42_info(K42_INFO_TOTAL_FRAMES) * 4, free = k42_info(K42_INFO_FREE_FRAMES) * 4;
	static const char *zero[] = { "Buffers", "Cached", "SwapCached", "SwapTotal", "SwapFree",
				      "Shmem", "Slab" };

	put("MemTotal:       ");
	putu(total);
	put(" kB\nMemFree:        ");
	putu(free);
	put(" kB\nMemAvailable:   ");
	putu(free);
	put(" kB\n");
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		put(zero[i]);
		put(":");
		for (size_t k = strlen(zero[i]) + 1; k < 16; k++)
			put(" ");
		put("0 kB\n");
	}
}

static void cpuinfo(void)
{
	uint64_t n = k42_info(K42_INFO_CPUS_ONLINE);

	for (uint64_t i = 0; i < (n ? n : 1); i++) {
		put("processor\t: ");
		putu(i);
		put("\ncpu\t\t: POWER9 (architected), altivec supported\nrevision\t: 2.2 (pvr 004e 1202)\n\n");
	}
	put("timebase\t: ");
	putu(k42_info(K42_INFO_TIMEBASE_HZ));
	put("\nplatform\t: pSeries\nmodel\t\t: IBM pSeries (emulated by qemu)\n"
	    "machine\t\t: CHRP IBM pSeries (emulated by qemu)\n");
}

/* A version 4 UUID's text from 128 bits, as Linux's random/uuid. */
static void uuid(uint64_t hi, uint64_t lo)
{
	hi = (hi & ~0xf000ull) | 0x4000ull;			/* version 4 */
	lo = (lo & ~(3ull << 62)) | (2ull << 62);		/* variant 10 */
	putx(hi >> 32, 8);
	put("-");
	putx(hi >> 16 & 0xffff, 4);
	put("-");
	putx(hi & 0xffff, 4);
	put("-");
	putx(lo >> 48, 4);
	put("-");
	putx(lo & 0xffffffffffffull, 12);
}

/* splitmix64's finaliser: spreads a boot's figures over all the bits */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void lx_procsys_text(int n)
{
	switch (n) {
	case N_PARTITIONS:
		partitions();
		return;
	case N_FILESYSTEMS:
		filesystems();
		return;
	case N_NR_OPEN:	/* the most RLIMIT_NOFILE may be: libk42's table */
		putu(K42_FD_MAX);
		break;
	case N_DOMAINNAME:
	case N_HOSTNAME: {
		struct lx_utsname u;

		lx_uts_now(&u);
		put(n == N_HOSTNAME ? u.nodename : u.domainname);
		break;
	}
	case N_OSRELEASE:
		put(lx_uts.release);
		break;
	case N_OSTYPE:
		put(lx_uts.sysname);
		break;
	case N_VERSION:
		put(lx_uts.version);
		break;
	case N_PID_MAX:	/* pids are below it: a slot and its generation (k42/procinfo.h) */
		putu((((uint64_t)K42_PID_GEN_MAX << K42_PID_SLOT_BITS) | K42_PID_SLOT_MASK) + 1);
		break;
	case N_MODULES:	/* k42 loads no modules: empty (lsmod) */
		return;
	case N_SWAPS:	/* no Linux swap area is ever in use (swapon): the header alone */
		put("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
		return;
	case N_UUID:	/* a new one at every read, as Linux's */
		uuid(lx_random64(), lx_random64());
		break;
	case N_BOOT_ID:	/* one for the boot: from the machine clock's time at boot */
		uuid(mix64((uint64_t)lx_epoch ^ 0x6b34326b34326b34ull),
		     mix64((uint64_t)lx_epoch + 0x9e3779b97f4a7c15ull));
		break;
	case N_TAINTED:	/* nothing taints it (lsmod says "Not tainted") */
		put("0");
		break;
	case N_OVERCOMMIT:
		/* 1, "always": mmap reserves nothing (a k42 region takes
		 * frames as it faults), and running out of the tree's quota
		 * ends the process then, as Linux's OOM killer would. */
		put("1");
		break;
	case LX_PROCSYS_MEMINFO:
		meminfo();
		return;
	case LX_PROCSYS_CPUINFO:
		cpuinfo();
		return;
	default:
		return;
	}
	put("\n");
}
