/*
 * Host test of the boot memory map (mm/physmap.c): reserved ranges cut out
 * of RAM at the edges, in the middle, overlapping and unaligned; stealing.
 */
#include <string.h>
#include <mm/physmap.h>
#include "check.h"

#define MiB (1ull << 20)

int main(void)
{
	struct physmap m;
	struct phys_range ram[2] = { { 0, 512 * MiB }, { 1024 * MiB, 256 * MiB } };
	struct phys_range res[] = {
		{ 0, 0x123456 },		/* kernel, unaligned end */
		{ 0x400000, 0x28 },		/* boot stub */
		{ 0x420000, 0x6 },		/* initrd */
		{ 510 * MiB, 4 * MiB },		/* straddles the end of RAM 0 */
		{ 1100 * MiB, 1 },		/* one byte in RAM 1 */
		{ 0x410000, 0x20000 },		/* overlaps stub and initrd */
	};
	uint64_t total, got;

	CHECK(physmap_build(&m, ram, 2, res, 6) == 0, "build");
	CHECK(m.lowest == 0 && m.highest == 1280 * MiB, "span %lx-%lx", m.lowest, m.highest);
	CHECK(m.free[0].base == 0x124000 && m.free[0].size == 0x400000 - 0x124000,
	      "first range %lx+%lx", m.free[0].base, m.free[0].size);
	CHECK(m.free[1].base == 0x401000 && m.free[1].size == 0xf000, "between stub and overlap %lx+%lx",
	      m.free[1].base, m.free[1].size);
	CHECK(m.free[2].base == 0x430000, "after initrd %lx", m.free[2].base);
	for (int i = 0; i < m.nfree; i++) {
		CHECK((m.free[i].base & 0xfff) == 0 && (m.free[i].size & 0xfff) == 0, "alignment");
		CHECK(i == 0 || m.free[i].base > m.free[i - 1].base, "sorted");
		for (size_t r = 0; r < sizeof(res) / sizeof(res[0]); r++)
			CHECK(res[r].base + res[r].size <= m.free[i].base ||
			      res[r].base >= m.free[i].base + m.free[i].size, "reserved %zu overlaps free %d", r, i);
	}
	total = physmap_free_bytes(&m);
	CHECK(total == (0x400000 - 0x124000) + 0xf000 + (510 * MiB - 0x430000) + 256 * MiB - 4096,
	      "total free %lx", total);
	got = physmap_steal(&m, 5 * MiB);
	CHECK(got == 0x430000, "steal gave %lx", got);
	CHECK(physmap_free_bytes(&m) == total - 5 * MiB, "steal accounting");
	CHECK(physmap_steal(&m, 4096 * MiB) == 0, "impossible steal succeeded");

	/* Overlapping RAM ranges are counted once. */
	ram[1].base = 256 * MiB;
	CHECK(physmap_build(&m, ram, 2, NULL, 0) == 0, "overlap build");
	CHECK(physmap_free_bytes(&m) == 512 * MiB, "overlap total %lx", physmap_free_bytes(&m));

	/* A reservation reaching the top of the address space does not wrap. */
	res[0].base = 100 * MiB;
	res[0].size = UINT64_MAX - 100 * MiB + 1;
	CHECK(physmap_build(&m, ram, 1, res, 1) == 0 && physmap_free_bytes(&m) == 100 * MiB,
	      "top reservation: %lx", physmap_free_bytes(&m));
	return check_done("physmap");
}
