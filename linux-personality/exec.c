/*
 * The loader for unmodified static Linux ELF binaries: map the binary's
 * segments where it was linked, build the Linux initial stack (argc, argv,
 * envp, auxv with AT_PHDR ... AT_EXECFN, the AT_RANDOM bytes and the
 * platform string), and start it with the registers a Linux kernel gives a
 * new ppc64 process. Used at start (main.c) and by execve, which replaces
 * the image in place: same k42 process, same personality.
 */
#include <kern/cpio.h>
#include <lib/elf.h>
#include "lx.h"
#include "lxfs.h"

#define ELF_PT_INTERP 3

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_BASE_PLATFORM 24
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_DCACHEBSIZE 19
#define AT_ICACHEBSIZE 20
#define AT_UCACHEBSIZE 21
#define AT_MINSIGSTKSZ 51

/* What POWER9 reports on Linux: 32/64-bit, AltiVec, FPU, MMU, SMT, icache
 * snoop, DFP, ISA 2.05/2.06, VSX, perfmon, true little-endian. */
#define LX_HWCAP 0xdc0065c2ull
/* ISA 2.07 and 3.00, isel, tar, vector crypto, IEEE128, darn; never
 * PPC_FEATURE2_SCV (0x00100000): glibc must use `sc`, which is what k42
 * reflects (PLATFORM.md, "What real Linux binaries need"). */
#define LX_HWCAP2 0x8ee00000ull
#define LX_PPC_FEATURE2_SCV 0x00100000ull
_Static_assert(!(LX_HWCAP2 & LX_PPC_FEATURE2_SCV), "scv must stay off");


static const char platform[] = "power9";

static long lx_exec_depth(const char *path, char *const argv[], char *const envp[], int depth);

/* Copy argv/envp strings into one block (they may live in the image
 * about to be replaced), within Linux's limits: the strings and a pointer
 * for each (and the NULLs) in LX_ARG_MAX, each string under LX_ARG_STRLEN. */
static long gather(char *const v[], char *blk, uint64_t *used, uint64_t *offs, uint64_t *nptrs,
		   uint64_t *n)
{
	for (*n = 0; v && v[*n]; (*n)++) {
		uint64_t l = strlen(v[*n]) + 1;

		if (l > LX_ARG_STRLEN || *used + l + (*nptrs + *n + 2) * 8 > LX_ARG_MAX)
			return -LX_E2BIG;
		memcpy(blk + *used, v[*n], l);
		offs[*nptrs + *n] = *used;
		*used += l;
	}
	*nptrs += *n + 1;
	return 0;
}

/* The program at path: in the boot archive (mapped, no copy), or read
 * whole through the file layer from any other mount into *heap. */
static long find_file(const char *path, struct cpio_entry *e, char *name, size_t nlen,
		      void **heap)
{
	struct k42_stat st;
	uint8_t *buf;
	uint64_t got = 0;
	long rc, fd;

	*heap = NULL;
	if (strcmp(path, "/proc/self/exe") == 0)
		path = lx.exe;
	if (lx_archive_find(path, name + 1, nlen - 1, e) == 0) {
		name[0] = '/';
		if ((e->mode & 0170000) != 0100000 || !(e->mode & 0111))
			return -LX_EACCES;
		return 0;
	}
	fd = k42_open(path, K42_O_RDONLY, 0);
	if (fd < 0)
		return lx_errno(fd);
	rc = k42_fstat((int)fd, &st);
	if (rc == 0 && ((st.mode & K42_S_IFMT) != K42_S_IFREG || !(st.mode & 0111)))
		rc = -LX_EACCES;
	if (rc == 0 && st.size > (64ull << 20))
		rc = -LX_ENOMEM;
	buf = rc == 0 ? malloc(st.size ? st.size : 1) : NULL;
	if (rc == 0 && !buf)
		rc = -LX_ENOMEM;
	while (rc == 0 && got < st.size) {
		long n = k42_read((int)fd, buf + got, st.size - got);

		if (n <= 0)
			rc = n < 0 ? lx_errno(n) : -LX_EIO;
		else
			got += (uint64_t)n;
	}
	k42_close((int)fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	if (strlen(path) + 1 > nlen)
		return free(buf), -LX_ENAMETOOLONG;
	strcpy(name, path);
	e->data = buf;
	e->size = st.size;
	e->mode = st.mode;
	*heap = buf;
	return 0;
}

/* "#!interpreter [arg]": run the interpreter with the script's path. */
static long exec_script(const char *path, const struct cpio_entry *e, char *const argv[],
			char *const envp[], int depth)
{
	static char line[256];
	static char **nargv;	/* at most LX_ARG_MAX / 8 pointers, and the three added */
	const char *s = e->data;
	size_t n = 2, k = 0;
	char *interp, *arg = NULL, *p;

	if (depth > 4)
		return -LX_ELOOP;
	while (n < e->size && n < sizeof(line) && s[n] != '\n')
		n++;
	memcpy(line, s + 2, n - 2);
	line[n - 2] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			arg = p;
			p += strlen(p);
			while (p > arg && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
				*--p = '\0';
		}
	}
	if (!interp[0])
		return -LX_ENOEXEC;
	if (!nargv && !(nargv = malloc(LX_ARG_MAX + 4 * sizeof(char *))))
		return -LX_ENOMEM;
	nargv[k++] = interp;
	if (arg)
		nargv[k++] = arg;
	nargv[k++] = (char *)path;
	/* All of them: gather refuses (E2BIG) what goes past the limit. */
	for (uint64_t i = 1; argv && argv[0] && argv[i] && k < LX_ARG_MAX / 8 + 3; i++)
		nargv[k++] = argv[i];
	nargv[k] = NULL;
	return lx_exec_depth(interp, nargv, envp, depth + 1);
}

long lx_exec(const char *path, char *const argv[], char *const envp[])
{
	return lx_exec_depth(path, argv, envp, 0);
}

static long lx_exec_depth(const char *path, char *const argv[], char *const envp[], int depth)
{
	static char *strs;		/* LX_ARG_MAX bytes */
	static uint64_t *offs;		/* LX_ARG_MAX / 8 offsets: argv's, then envp's */
	static struct k42_user_regs regs;
	const struct elf64_ehdr *eh;
	struct elf_image img;
	struct cpio_entry e;
	static char name[K42_PATH_MAX];
	void *heap;
	const char *why;
	uint64_t used = 0, nptrs = 0, argc, envc, top, sp, phdr = 0, end = 0, execfn_off, entry;
	uint64_t *argoff, *envoff;
	uint64_t *vec, nvec, rnd[2];
	long rc;

	static char real[K42_PATH_MAX];

	/* Under a chroot the program's path is made real to find the file;
	 * the program (AT_EXECFN, a script's argument) sees its own. */
	if (lx_root_len && (rc = lx_root_path(path, real)) < 0)
		return rc;
	if ((rc = find_file(lx_root_len ? real : path, &e, name, sizeof(name), &heap)) < 0)
		return rc;
	if (e.size >= 2 && ((const char *)e.data)[0] == '#' && ((const char *)e.data)[1] == '!') {
		rc = exec_script(path, &e, argv, envp, depth);
		free(heap);
		return rc;
	}
	if (elf_check(e.data, e.size, K42_USER_BASE, LX_MMAP_BASE, &img, &why) < 0) {
		/* Not a script: say why an ELF file is refused (the shell then
		 * tries it as a script, as on Linux, and that only confuses). */
		if (e.size >= 4 && memcmp(e.data, "\177ELF", 4) == 0)
			k42_printf("lx: pid %lu: exec %s: %s: ENOEXEC\n", lx.pid, path, why);
		free(heap);
		return -LX_ENOEXEC;
	}
	eh = e.data;
	for (int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = (const struct elf64_phdr *)
			((const uint8_t *)e.data + eh->phoff) + i;	/* inside: elf_check */

		if (ph->type == ELF_PT_INTERP) {
			k42_printf("lx: pid %lu: exec %s: dynamically linked (it asks for a program "
				   "interpreter); only static programs run here: ENOEXEC\n", lx.pid, path);
			free(heap);
			return -LX_ENOEXEC;
		}
	}
	if ((!strs && !(strs = malloc(LX_ARG_MAX))) || (!offs && !(offs = malloc(LX_ARG_MAX)))) {
		free(heap);
		return -LX_ENOMEM;
	}
	argoff = offs;
	if ((rc = gather(argv, strs, &used, offs, &nptrs, &argc)) < 0) {
		free(heap);
		return rc;
	}
	envoff = offs + nptrs;
	if ((rc = gather(envp, strs, &used, offs, &nptrs, &envc)) < 0) {
		free(heap);
		return rc;
	}
	execfn_off = used;
	if (used + strlen(path) + 1 + nptrs * 8 > LX_ARG_MAX) {
		free(heap);
		return -LX_E2BIG;
	}
	memcpy(strs + used, path, strlen(path) + 1);
	used += strlen(path) + 1;

	/* Past here the old image is gone: a failure ends the process.
	 * Readers of our maps see the old image's until the new one is
	 * whole (lx_mm_release), never the emptied record. */
	lx_mm_hold();
	lx_threads_exec();
	lx_unmap_all();
	lx_fs_exec();
	lx_signal_exec();
	lx_caps_exec();
	for (int i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];

		rc = lx_map_anon(s->vaddr, s->memsz, K42_PROT_READ | K42_PROT_WRITE);
		if (rc < 0)
			goto dead;
		memcpy((void *)s->file_vaddr, (const uint8_t *)e.data + s->offset, s->filesz);
		if (s->prot != (K42_PROT_READ | K42_PROT_WRITE) &&
		    k42_sc_mem_protect(lx.pid, s->vaddr, s->memsz, s->prot) < 0)
			goto dead;
		lx_vmas[lx_nvmas - 1].prot = s->prot;
		if (s->vaddr + s->memsz > end)
			end = s->vaddr + s->memsz;
		if (eh->phoff >= s->offset && eh->phoff < s->offset + s->filesz)
			phdr = s->file_vaddr + (eh->phoff - s->offset);
	}
	lx.brk_start = lx.brk_cur = lx.brk_mapped = end;
	lx_mmview.live.brk_start = lx_mmview.live.brk_mapped = end;
	lx.mmap_next = LX_MMAP_BASE;
	if (lx_map_anon(LX_STACK_TOP - LX_STACK_SIZE, LX_STACK_SIZE, K42_PROT_READ | K42_PROT_WRITE) < 0)
		goto dead;

	/* The stack, from the top: random bytes, platform, strings, then
	 * (16-aligned) argc, argv, NULL, envp, NULL, auxv. */
	top = LX_STACK_TOP - 16;
	rnd[0] = lx_random64();
	rnd[1] = lx_random64();
	memcpy((void *)top, rnd, 16);
	top -= sizeof(platform);
	memcpy((void *)top, platform, sizeof(platform));
	top -= used;
	memcpy((void *)top, strs, used);
	lx.env_start = top + (envc ? envoff[0] : execfn_off);
	lx.env_end = top + execfn_off;
	{
		uint64_t aux[] = {
			AT_PHDR, phdr, AT_PHENT, sizeof(struct elf64_phdr), AT_PHNUM, eh->phnum,
			AT_PAGESZ, K42_PAGE_SIZE, AT_BASE, 0, AT_FLAGS, 0, AT_ENTRY, eh->entry,
			AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0, AT_SECURE, 0,
			AT_HWCAP, LX_HWCAP, AT_HWCAP2, LX_HWCAP2, AT_CLKTCK, 100,
			AT_PLATFORM, LX_STACK_TOP - 16 - sizeof(platform),
			AT_BASE_PLATFORM, LX_STACK_TOP - 16 - sizeof(platform),
			AT_RANDOM, LX_STACK_TOP - 16, AT_EXECFN, top + execfn_off,
			AT_DCACHEBSIZE, 128, AT_ICACHEBSIZE, 128, AT_UCACHEBSIZE, 0,
			AT_MINSIGSTKSZ, 4096, AT_NULL, 0,
		};

		nvec = 1 + argc + 1 + envc + 1 + sizeof(aux) / 8;
		sp = (top - nvec * 8) & ~15ull;
		vec = (uint64_t *)sp;
		*vec++ = argc;
		for (uint64_t i = 0; i < argc; i++)
			*vec++ = top + argoff[i];
		*vec++ = 0;
		for (uint64_t i = 0; i < envc; i++)
			*vec++ = top + envoff[i];
		*vec++ = 0;
		memcpy(vec, aux, sizeof(aux));
	}
	if (strlen(name) < sizeof(lx.exe))
		strcpy(lx.exe, name);
	entry = eh->entry;	/* eh is in the heap copy of a file not in the archive */
	free(heap);
	{
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t n = strlen(base) < 15 ? strlen(base) : 15;

		memset(lx.comm, 0, sizeof(lx.comm));
		memcpy(lx.comm, base, n);
		/* The name ps, pidof and killall see (proc_list): the program's
		 * own name for itself (busybox runs applets as /proc/self/exe). */
		const char *a0 = argv && argv[0] && argv[0][0] ? argv[0] : base;
		const char *b0 = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;

		k42_sc_proc_rename(lx.pid, (uint64_t)b0, strlen(b0) ? strlen(b0) : 1);
		lx.cmdline_len = 0;
		for (uint64_t i = 0; argv && argv[i]; i++) {
			size_t k = strlen(argv[i]) + 1;

			if (lx.cmdline_len + k > sizeof(lx.cmdline)) {
				/* Cut, as ps shows a long line cut. */
				k = sizeof(lx.cmdline) - lx.cmdline_len;
				memcpy(lx.cmdline + lx.cmdline_len, argv[i], k);
				lx.cmdline[sizeof(lx.cmdline) - 1] = '\0';
				lx.cmdline_len += (uint32_t)k;
				break;
			}
			memcpy(lx.cmdline + lx.cmdline_len, argv[i], k);
			lx.cmdline_len += (uint32_t)k;
		}
		lx_ptab_publish();
		/* A vfork child's parent goes on (proc.c, vfork_wait). */
		lx_ptab_set_vfork(lx.pid, LX_VFORK_NONE);
	}
	lx_mm_release();

	/* Registers as Linux starts a ppc64 ELFv2 process: r1 = argc's
	 * address, r12 = the entry, r3..r6 = argc, argv, envp, auxv, the rest 0. */
	memset(&regs, 0, sizeof(regs));
	regs.gpr[1] = sp;
	regs.gpr[3] = argc;
	regs.gpr[4] = sp + 8;
	regs.gpr[5] = sp + 8 * (argc + 2);
	regs.gpr[6] = sp + 8 * (argc + envc + 3);
	regs.gpr[12] = entry;
	regs.nip = entry;
	k42_disable();
	lx_answers_init();
	if (k42_sc_disp_reflect(1) < 0)
		k42_fatal("lx: disp_reflect failed");
	lx_resume(&regs);

dead:
	k42_printf("lx: pid %lu: exec of %s failed after the old image was gone\n", lx.pid, path);
	k42_sc_exit(127);
	return -LX_ENOMEM;
}
