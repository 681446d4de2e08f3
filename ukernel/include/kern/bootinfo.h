/*
 * What the kernel learns from the flattened device tree at boot: RAM,
 * reserved ranges, CPUs, the timebase frequency, the console, the boot
 * arguments and the initrd. Parsed once by bootinfo_parse() through libfdt;
 * every value is checked, and a bad tree gives an error, not a guess.
 */
#ifndef KERN_BOOTINFO_H
#define KERN_BOOTINFO_H

#include <stdint.h>
#include <stddef.h>

#define BOOTINFO_MAX_RANGES 16
#define BOOTINFO_MAX_CPUS 64
#define BOOTINFO_MAX_ARGS 1024

struct phys_range {
	uint64_t base;
	uint64_t size;
};

struct bootinfo {
	struct phys_range mem[BOOTINFO_MAX_RANGES];
	int nmem;
	struct phys_range reserved[BOOTINFO_MAX_RANGES];	/* FDT memreserve entries */
	int nreserved;
	uint32_t cpu_hw_ids[BOOTINFO_MAX_CPUS];
	int ncpus;
	uint32_t boot_hw_id;		/* the CPU the kernel was entered on */
	uint64_t timebase_hz;
	uint32_t console_vterm;
	int has_console;
	char bootargs[BOOTINFO_MAX_ARGS];
	size_t bootargs_len;		/* length as found, even if longer than kept */
	uint64_t initrd_start, initrd_end;
	int has_initrd;
	uint64_t fdt_size;
};

/*
 * Fill bi from the tree at fdt. Returns 0, or a negative libfdt (FDT_ERR_*)
 * or k42 error; *why then names what was wrong in words.
 */
int bootinfo_parse(const void *fdt, struct bootinfo *bi, const char **why);

uint64_t bootinfo_total_ram(const struct bootinfo *bi);

#endif
