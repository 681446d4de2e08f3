/*
 * /proc/PID/maps (docs/linux.md, "/proc"): a process's mappings in
 * address order, named and merged as Linux shows them. Ours come from
 * lx_mmview; another process's from the same block in its memory, which
 * its personality exposes (mem_expose) to readers of its user or root.
 */
#include "lx.h"
#include "procfs.h"

/* Another process's mappings, read from its exposed block (mm.c). */
static struct lx_mmrec other_mm;

/* Read pid's record of its mappings into other_mm: `live`, or while it
 * execs `before` (the old image's); read again if its gen moved across
 * the copy (an execve began or ended meanwhile). 0, or -LX_EACCES. */
static long read_other(uint64_t pid)
{
	const uint64_t hdr = offsetof(struct lx_mmrec, vmas);

	for (int tries = 0;; tries++) {
		uint32_t gen, again;
		const struct lx_mmrec *rec;

		if (k42_sc_mem_read(pid, (uint64_t)&lx_mmview.gen, (uint64_t)&gen, sizeof(gen)) < 0)
			return -LX_EACCES;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		rec = gen & 1 ? &lx_mmview.before : &lx_mmview.live;
		if (k42_sc_mem_read(pid, (uint64_t)rec, (uint64_t)&other_mm, hdr) < 0)
			return -LX_EACCES;
		if (other_mm.nvmas < 0 || other_mm.nvmas > LX_MAX_VMAS)
			other_mm.nvmas = 0;	/* caught mid-change, or scribbled on */
		if (other_mm.nvmas &&
		    k42_sc_mem_read(pid, (uint64_t)rec->vmas, (uint64_t)other_mm.vmas,
				    (uint64_t)other_mm.nvmas * sizeof(struct lx_vma)) < 0)
			return -LX_EACCES;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (k42_sc_mem_read(pid, (uint64_t)&lx_mmview.gen, (uint64_t)&again,
				    sizeof(again)) < 0)
			return -LX_EACCES;
		if (again == gen || tries == 8)
			return 0;	/* (a process execing without pause: its last) */
	}
}

/* The mappings of pid into *mm (ours, or read from pid's exposed block)
 * and its binary's path into exe: 0, or -LX_EACCES if pid shows us
 * nothing (not a Linux process, or not ours to read: the kernel's rule
 * is Linux's, same user or root). */
static long maps_of(uint64_t pid, const struct lx_mmrec **mm, const char **exe)
{
	if (pid == lx.pid) {
		*mm = &lx_mmview.live;
		*exe = lx.exe;
		return 0;
	}
	if (read_other(pid) < 0)
		return -LX_EACCES;
	*mm = &other_mm;
	*exe = lx_proc_exe_of(pid);
	return 0;
}

/* What Linux names a mapping: the binary's segments, [heap], [stack]. */
static const char *vma_name(const struct lx_mmrec *mm, const struct lx_vma *v, const char *exe)
{
	return v->va + v->len <= mm->brk_start ? exe :
	       v->va >= mm->brk_start && v->va < mm->brk_mapped ? "[heap]" :
	       v->va == LX_STACK_TOP - LX_STACK_SIZE ? "[stack]" : "";
}

/* /proc/PID/maps: pid's mappings in address order, named as Linux names
 * them. Neighbours Linux would keep in one vma — the same rights, name
 * and kind (private, or the same shared mapping), one ending where the
 * next begins (brk's growths, mmaps placed end to end) — show as one
 * line, as Linux merges them; the personality keeps them apart (each is
 * a k42 region of its own). */
void lx_proc_maps(uint64_t pid)
{
	const struct lx_mmrec *mm;
	const char *exe;
	uint64_t last = 0;

	if (maps_of(pid, &mm, &exe) < 0)
		return;
	for (;;) {
		const struct lx_vma *v = NULL;
		const char *name;
		uint64_t end;
		size_t start = lx_ptlen;

		for (int i = 0; i < mm->nvmas; i++)
			if (mm->vmas[i].va >= last && (!v || mm->vmas[i].va < v->va))
				v = &mm->vmas[i];
		if (!v || lx_ptlen > TEXT_MAX - 200)
			return;
		name = vma_name(mm, v, exe);
		end = v->va + v->len;
		for (;;) {	/* the neighbours it merges with */
			const struct lx_vma *w = NULL;

			for (int i = 0; i < mm->nvmas && !w; i++)
				if (mm->vmas[i].va == end && mm->vmas[i].len)
					w = &mm->vmas[i];
			if (!w || w->prot != v->prot || w->sid != v->sid ||
			    strcmp(vma_name(mm, w, exe), name) != 0 || end + w->len < end)
				break;
			end += w->len;
		}
		last = end > v->va ? end : v->va + 1;
		putx(v->va, 8);
		put("-");
		putx(end, 8);
		put(v->prot & K42_PROT_READ ? " r" : " -");
		put(v->prot & K42_PROT_WRITE ? "w" : "-");
		put(v->prot & K42_PROT_EXEC ? "x" : "-");
		put(v->sid ? "s 00000000 00:00 0" : "p 00000000 00:00 0");
		if (*name)
			while (lx_ptlen - start < 73)
				put(" ");
		put(name);
		put("\n");
	}
}
