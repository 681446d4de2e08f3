/*
 * User page faults and the end of misbehaving processes.
 */
#ifndef KERN_USER_FAULT_H
#define KERN_USER_FAULT_H

#include <stdint.h>
#include <arch/trapframe.h>

/* A user access to va (K42_PROT_READ/_WRITE/_EXEC) faulted; `traced`:
 * user_fault_unlocked already logged its start. Under the kernel lock. */
void user_fault(struct trap_frame *tf, uint64_t va, unsigned access, int traced);
/* Without the kernel lock: 1 if the fault was resolved (an anonymous
 * page, mm/fault.h) and the access may be retried at once, or it was a
 * file miss whose page-in is on its way (tf is then the reflected
 * PGFLT upcall, or the dispatcher this CPU resumes while the faulting
 * one waits; with nothing to resume it goes idle and does not return),
 * 0 if it needs
 * user_fault (its start is traced either way). Touches only the current dispatcher's process, under its
 * own locks; leaves pending events to the next locked entry (a CPU that
 * raises one kicks this CPU). */
int user_fault_unlocked(struct trap_frame *tf, uint64_t va, unsigned access);
/* Faults retried while frames waited for quiescence (K42_INFO_FAULTS_RETIRED_WAIT). */
uint64_t user_faults_retired_wait(void);
/* End the current process with `why` and run something else. */
void user_kill(struct trap_frame *tf, const char *why);

#endif
