/*
 * Program entry for native k42 processes. The kernel starts a process with
 * r12 = this address (ELFv2 global entry), r1 = the stack, r3 = the argument
 * (init: the boot archive address, r4 its size, r5 init's argument string),
 * all passed on unchanged to k42_start(r3, r4, r5).
 */
#include <lib/elf.h>

	/* What makes this a k42 program to libk42's loader (lib/elf.h):
	 * a Linux binary has no such note, and is refused rather than run
	 * with its system calls taken for k42 kernel calls. */
	.section .note.k42, "a", @note
	.balign 4
	.long	4			/* namesz: "K42" and its NUL */
	.long	4			/* descsz */
	.long	ELF_NOTE_K42_PROGRAM
	.asciz	ELF_NOTE_K42_NAME
	.long	ELF_NOTE_K42_VERSION

	.text
	.globl _start
	.type _start, @function
_start:
	addis	2, 12, (.TOC. - _start)@ha
	addi	2, 2, (.TOC. - _start)@l
	li	0, 0
	stdu	0, -32(1)		/* null back chain ends backtraces */
	bl	k42_start
	nop
	trap
	.size _start, . - _start
