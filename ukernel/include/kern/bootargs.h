/*
 * Kernel boot options from /chosen bootargs: space-separated key=value or
 * bare-key words. Every option is checked; a bad one is reported and its
 * default kept, so a typo never stops the boot silently or hangs it.
 *
 *   test=NAME   run the in-kernel test NAME (or "list") instead of booting on
 *   hz=N        decrementer interrupts per second, 1..10000 (default 100)
 *   init=PATH   first program to start from the boot archive (default /init)
 *   trace=LIST  trace classes to enable from boot: all, none, or ppc,fault,...
 *   tracemode=M flight (default: the rings overwrite their oldest block) or
 *               stream (a consumer drains them; full rings drop and count)
 *   verbose     print more during boot
 *   --          everything after it is for init (see exec_init)
 */
#ifndef KERN_BOOTARGS_H
#define KERN_BOOTARGS_H

#include <stddef.h>
#include <stdint.h>

#define BOOTOPT_NAME_MAX 64
#define BOOTOPT_HZ_DEFAULT 100
#define BOOTOPT_HZ_MIN 1
#define BOOTOPT_HZ_MAX 10000

struct bootopts {
	char test[BOOTOPT_NAME_MAX];
	char init[BOOTOPT_NAME_MAX];
	char trace[BOOTOPT_NAME_MAX];	/* trace classes: "all", "none" or "ppc,fault,..." */
	uint32_t hz;
	int trace_stream;	/* tracemode=stream */
	int verbose;
	const char *init_args;	/* inside the parsed string: what followed "--", or NULL */
};

/* Called for each problem found, with a one-line message. */
typedef void (*bootargs_warn_fn)(const char *msg);

/* Parse s into o (defaults first). Returns the number of problems reported. */
int bootargs_parse(const char *s, struct bootopts *o, bootargs_warn_fn warn);

#endif
