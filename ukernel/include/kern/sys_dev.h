/*
 * Device access for user-level drivers (kern/sys_dev.c).
 */
#ifndef KERN_SYS_DEV_H
#define KERN_SYS_DEV_H

/* Read the PCI host bridges and the RTAS config tokens from the tree. */
void dev_init(const void *fdt);

#endif
