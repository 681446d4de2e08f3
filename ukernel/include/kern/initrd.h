/*
 * The boot archive (initrd) as the kernel sees it at boot: located through
 * the device tree, validated as a cpio newc archive, and searched for the
 * first program. Problems are reported in one clear line each.
 */
#ifndef KERN_INITRD_H
#define KERN_INITRD_H

#include <kern/bootinfo.h>
#include <kern/cpio.h>

/* Validate and summarise the archive; 0 if usable, else a negative error. */
int initrd_check(const struct bootinfo *bi, int verbose);

/* Look up a file in the (validated) archive. */
int initrd_find(const char *name, struct cpio_entry *e);

#endif
