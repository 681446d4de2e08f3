/*
 * Host test of device-tree parsing (kern/bootinfo.c) against trees dumped
 * from QEMU pseries at build time, with the machine options that made them
 * as expectations; then damaged copies (truncations, byte flips), which
 * must give an error or a result, never a crash or a read out of bounds.
 *
 * usage: test_bootinfo TREE.dtb MEM_MIB NCPUS BOOTARGS INITRD_FILE
 * ("-" for BOOTARGS or INITRD_FILE means none was given)
 */
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include <kern/bootinfo.h>
#include "check.h"

int main(int argc, char **argv)
{
	static struct bootinfo bi;
	const char *why;
	size_t len;
	void *fdt;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: %s TREE.dtb MEM_MIB NCPUS BOOTARGS INITRD_FILE\n", argv[0]);
		return 2;
	}
	fdt = read_file(argv[1], &len);
	CHECK(fdt != NULL, "cannot read %s", argv[1]);
	if (!fdt)
		return check_done("bootinfo");

	rc = bootinfo_parse(fdt, &bi, &why);
	CHECK(rc == 0, "parse failed: %d %s", rc, why);
	CHECK(bootinfo_total_ram(&bi) == strtoull(argv[2], NULL, 0) << 20, "RAM %lu bytes",
	      bootinfo_total_ram(&bi));
	CHECK(bi.ncpus == atoi(argv[3]), "%d CPUs", bi.ncpus);
	CHECK(bi.timebase_hz == 512000000, "timebase %lu", bi.timebase_hz);
	CHECK(bi.has_console && bi.console_vterm == 0x71000000, "console 0x%x", bi.console_vterm);
	if (strcmp(argv[4], "-") == 0)
		CHECK(bi.bootargs[0] == '\0', "unexpected bootargs '%s'", bi.bootargs);
	else
		CHECK(strcmp(bi.bootargs, argv[4]) == 0, "bootargs '%s'", bi.bootargs);
	if (strcmp(argv[5], "-") == 0) {
		CHECK(!bi.has_initrd, "unexpected initrd");
	} else {
		size_t rd_len = 0;
		void *rd = read_file(argv[5], &rd_len);

		free(rd);
		CHECK(bi.has_initrd && bi.initrd_end - bi.initrd_start == rd_len,
		      "initrd %lx-%lx", bi.initrd_start, bi.initrd_end);
		CHECK(bi.nreserved >= 1, "initrd not in the reservation map");
	}
	CHECK(bi.fdt_size == len, "fdt size %lu vs file %zu", bi.fdt_size, len);

	/*
	 * Damage. libfdt trusts the header's totalsize (the kernel gets no other
	 * length), so flips stay past the header; the header itself is checked
	 * by fdt_check_header.
	 */
	CHECK(bootinfo_parse("not a tree at all, just some bytes of text.....", &bi, &why) < 0 &&
	      strcmp(why, "bad device tree header") == 0, "text accepted: %s", why);
	srand(7);
	for (int i = 0; i < 3000; i++) {
		unsigned char *copy = malloc(len);
		size_t at = sizeof(struct fdt_header) + (size_t)rand() % (len - sizeof(struct fdt_header));

		memcpy(copy, fdt, len);
		copy[at] ^= (unsigned char)(1u << (rand() % 8));
		rc = bootinfo_parse(copy, &bi, &why);
		if (rc < 0)
			CHECK(why != NULL, "error %d without a reason", rc);
		free(copy);
	}
	free(fdt);
	return check_done("bootinfo");
}
