/*
 * Device-tree parsing for boot (see kern/bootinfo.h), through libfdt only.
 * Pure logic over a tree in memory: the host tests run it against trees
 * dumped from QEMU and against damaged copies of them.
 */
#include <string.h>
#include <libfdt.h>
#include <k42/errno.h>
#include <kern/bootinfo.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static int parse_memory(const void *fdt, struct bootinfo *bi, const char **why)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	int node;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		*why = "root #address-cells/#size-cells out of range";
		return -K42_EINVAL;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		const fdt32_t *reg;
		int len, entry = (ac + sc) * 4;

		if (!type || strcmp(type, "memory") != 0)
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || len <= 0 || len % entry) {
			*why = "memory node without a well-formed reg property";
			return -K42_EINVAL;
		}
		for (int off = 0; off < len; off += entry) {
			const fdt32_t *e = reg + off / 4;
			uint64_t base = read_cells(e, ac), size = read_cells(e + ac, sc);

			if (size == 0)
				continue;
			if (base + size < base) {
				*why = "memory range wraps around";
				return -K42_EINVAL;
			}
			if (bi->nmem == BOOTINFO_MAX_RANGES) {
				*why = "too many memory ranges";
				return -K42_ENOSPC;
			}
			bi->mem[bi->nmem].base = base;
			bi->mem[bi->nmem].size = size;
			bi->nmem++;
		}
	}
	if (bi->nmem == 0) {
		*why = "no memory node";
		return -K42_ENOENT;
	}
	return 0;
}

static int parse_reserved(const void *fdt, struct bootinfo *bi, const char **why)
{
	int n = fdt_num_mem_rsv(fdt);

	if (n < 0) {
		*why = "bad memory reservation block";
		return n;
	}
	for (int i = 0; i < n; i++) {
		uint64_t base, size;

		if (fdt_get_mem_rsv(fdt, i, &base, &size) < 0 || base + size < base) {
			*why = "bad memory reservation entry";
			return -K42_EINVAL;
		}
		if (bi->nreserved == BOOTINFO_MAX_RANGES) {
			*why = "too many memory reservations";
			return -K42_ENOSPC;
		}
		bi->reserved[bi->nreserved].base = base;
		bi->reserved[bi->nreserved].size = size;
		bi->nreserved++;
	}
	return 0;
}

static int parse_cpus(const void *fdt, struct bootinfo *bi, const char **why)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;

	if (cpus < 0) {
		*why = "no /cpus node";
		return cpus;
	}
	fdt_for_each_subnode(node, fdt, cpus) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		const fdt32_t *p;
		int len;

		if (!type || strcmp(type, "cpu") != 0)
			continue;
		if (bi->ncpus == BOOTINFO_MAX_CPUS) {
			*why = "too many CPUs";
			return -K42_ENOSPC;
		}
		p = fdt_getprop(fdt, node, "reg", &len);
		if (!p || len < 4) {
			*why = "cpu node without reg";
			return -K42_EINVAL;
		}
		bi->cpu_hw_ids[bi->ncpus] = fdt32_to_cpu(p[0]);
		if (bi->timebase_hz == 0) {
			p = fdt_getprop(fdt, node, "timebase-frequency", &len);
			if (p && (len == 4 || len == 8))
				bi->timebase_hz = read_cells(p, len / 4);
		}
		bi->ncpus++;
	}
	if (bi->ncpus == 0) {
		*why = "no cpu nodes under /cpus";
		return -K42_ENOENT;
	}
	/* The CPU that runs this code: the header names it; a tree that
	 * names none we know of means the first one. */
	bi->boot_hw_id = bi->cpu_hw_ids[0];
	for (int i = 0; i < bi->ncpus; i++)
		if (bi->cpu_hw_ids[i] == fdt_boot_cpuid_phys(fdt))
			bi->boot_hw_id = bi->cpu_hw_ids[i];
	if (bi->timebase_hz == 0) {
		*why = "no timebase-frequency on the cpu nodes";
		return -K42_ENOENT;
	}
	return 0;
}

static int parse_chosen(const void *fdt, struct bootinfo *bi, const char **why)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	const fdt32_t *p, *q;
	const char *s;
	int len, qlen;

	if (chosen < 0)
		return 0;	/* no /chosen: no bootargs, no initrd, default console */

	s = fdt_getprop(fdt, chosen, "bootargs", &len);
	if (s && len > 0) {
		size_t n = strnlen(s, (size_t)len);

		bi->bootargs_len = n;
		if (n >= sizeof(bi->bootargs))
			n = sizeof(bi->bootargs) - 1;
		memcpy(bi->bootargs, s, n);
		bi->bootargs[n] = '\0';
	}

	p = fdt_getprop(fdt, chosen, "linux,initrd-start", &len);
	q = fdt_getprop(fdt, chosen, "linux,initrd-end", &qlen);
	if (p || q) {
		if (!p || !q || (len != 4 && len != 8) || (qlen != 4 && qlen != 8)) {
			*why = "malformed linux,initrd-start/end";
			return -K42_EINVAL;
		}
		bi->initrd_start = read_cells(p, len / 4);
		bi->initrd_end = read_cells(q, qlen / 4);
		if (bi->initrd_end < bi->initrd_start) {
			*why = "initrd ends before it starts";
			return -K42_EINVAL;
		}
		bi->has_initrd = 1;
	}

	s = fdt_getprop(fdt, chosen, "stdout-path", NULL);
	if (s) {
		int node = fdt_path_offset(fdt, s);

		p = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
		if (p && len >= 4) {
			bi->console_vterm = fdt32_to_cpu(p[0]);
			bi->has_console = 1;
		}
	}
	return 0;
}

int bootinfo_parse(const void *fdt, struct bootinfo *bi, const char **why)
{
	static const char *ignored;
	int rc;

	if (!why)
		why = &ignored;
	memset(bi, 0, sizeof(*bi));
	rc = fdt_check_header(fdt);
	if (rc < 0) {
		*why = "bad device tree header";
		return rc;
	}
	bi->fdt_size = fdt_totalsize(fdt);
	if ((rc = parse_memory(fdt, bi, why)) < 0 ||
	    (rc = parse_reserved(fdt, bi, why)) < 0 ||
	    (rc = parse_cpus(fdt, bi, why)) < 0 ||
	    (rc = parse_chosen(fdt, bi, why)) < 0)
		return rc;
	*why = NULL;
	return 0;
}

uint64_t bootinfo_total_ram(const struct bootinfo *bi)
{
	uint64_t total = 0;

	for (int i = 0; i < bi->nmem; i++)
		total += bi->mem[i].size;
	return total;
}
