/*
 * What procfs.c, procmaps.c, procpid.c and procsys.c share: the text a
 * /proc file is made in when it is opened (bss: pages only as used) and
 * a small formatter into it; only the /proc files include this.
 */
#ifndef LX_PROCFS_H
#define LX_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_MAX (256 * 1024)	/* a file's text */

extern char lx_ptext[TEXT_MAX];
extern size_t lx_ptlen;

/* ---- a small formatter into lx_ptext[] ---- */

static inline void put(const char *s)
{
	while (*s && lx_ptlen < TEXT_MAX - 1)
		lx_ptext[lx_ptlen++] = *s++;
}

static inline void putn(const char *s, size_t n)
{
	while (n-- && lx_ptlen < TEXT_MAX - 1)
		lx_ptext[lx_ptlen++] = *s++;
}

static inline void putu(uint64_t v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i && lx_ptlen < TEXT_MAX - 1)
		lx_ptext[lx_ptlen++] = b[--i];
}

/* v / 100 as "N.NN" */
static inline void putc2(uint64_t hundredths)
{
	putu(hundredths / 100);
	put(".");
	putu(hundredths % 100 / 10);
	putu(hundredths % 10);
}

static inline void putx(uint64_t v, int width)
{
	char b[17];
	int i = 0;

	do {
		b[i++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || i < width);
	while (i && lx_ptlen < TEXT_MAX - 1)
		lx_ptext[lx_ptlen++] = b[--i];
}

/* procsys.c: /proc's files about the system. A node is a path relative
 * to /proc ("sys/kernel/hostname", "partitions"), or -1 (-2: a file
 * was taken for a directory: ENOTDIR); _list calls add
 * for each entry of directory dir (-1: those of /proc), inode ino_base +
 * node; _text makes a file's text, or meminfo's and cpuinfo's. */
#define LX_PROCSYS_MEMINFO 1000
#define LX_PROCSYS_CPUINFO 1001
int lx_procsys_find(const char *rel);
int lx_procsys_isdir(int n);
void lx_procsys_list(int dir, void (*add)(const char *name, uint64_t ino, uint8_t type),
		     uint64_t ino_base);
void lx_procsys_text(int n);
/* procfs.c: pid's binary as the tree's table (or lx) names it, or "". */
const char *lx_proc_exe_of(uint64_t pid);
/* procmaps.c: /proc/PID/maps's text. */
void lx_proc_maps(uint64_t pid);
/* procpid.c: /proc/PID/stat, status and statm of p (pid), with its entry
 * in the tree's table (pe) if `known`; /proc/self/limits. */
struct k42_procinfo;
struct lx_pentry;
void lx_proc_pstat(const struct k42_procinfo *p, int known, const struct lx_pentry *pe);
void lx_proc_pstatus(const struct k42_procinfo *p, int known, const struct lx_pentry *pe);
void lx_proc_statm(uint64_t pid, int known, const struct lx_pentry *pe);
void lx_proc_limits(void);

#endif
