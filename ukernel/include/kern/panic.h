/*
 * panic(): for broken kernel invariants only, never for bad user input.
 * It prints the message and a backtrace, then ends the machine with a
 * failing status (RTAS ibm,os-term; QEMU runs with -action panic=exit-failure).
 */
#ifndef KERN_PANIC_H
#define KERN_PANIC_H

#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2)))
void panic(const char *fmt, ...);

/* End the machine: status 0 powers off cleanly, anything else fails. */
__attribute__((noreturn)) void machine_halt(int status);

/* Provided by the architecture. */
__attribute__((noreturn)) void arch_power_off(void);
__attribute__((noreturn)) void arch_os_term(const char *msg);
void arch_backtrace(uint64_t sp, uint64_t pc, uint64_t lr);
uint64_t arch_current_sp(void);

#define BUG_ON(cond) do { if (cond) panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__); } while (0)

#endif
