/*
 * User page faults and the end of misbehaving processes.
 */
#ifndef KERN_USER_FAULT_H
#define KERN_USER_FAULT_H

#include <stdint.h>
#include <arch/trapframe.h>

/* A user access to va (K42_PROT_READ/_WRITE/_EXEC) faulted. */
void user_fault(struct trap_frame *tf, uint64_t va, unsigned access);
/* End the current process with `why` and run something else. */
void user_kill(struct trap_frame *tf, const char *why);

#endif
