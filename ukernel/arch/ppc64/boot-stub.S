/*
 * The ELF file given to QEMU as -kernel. QEMU pseries refuses -initrd and
 * -append without -kernel, and -kernel must be ELF; the CPU never runs this
 * (it starts at 0x100 of the -bios image), so it only traps.
 */
	.text
	.globl _start
_start:
	trap
