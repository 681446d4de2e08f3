/*
 * Privileges: the one list of what the kernel lets only some processes do
 * (docs/security.md). A process holds a mask of them. The kernel gives init
 * all of them; every other process starts with none, whatever its parent
 * holds, and gets some only by an explicit proc_privileges from a process
 * that manages it and holds them itself (init, per `privileges=` in
 * /etc/boot.conf). Kernel, init and tools all read this list.
 *
 * X(NAME, bit, "config-name", "what it allows")
 */
#ifndef K42_PRIVILEGE_H
#define K42_PRIVILEGE_H

#define K42_PRIVILEGES(X)							\
	X(CONSOLE, 0, "console", "read console input (console_read)")		\
	X(TRACE, 1, "trace", "set the global trace mask (trace_mask)")		\
	X(CLASS, 2, "class", "create processes in the system and real-time classes")	\
	X(DRIVER, 3, "driver", "drive devices: MMIO, DMA memory, interrupts, PCI config (dev_*)")

#define K42_PRIV_BIT_(name, bit, cname, doc) K42_PRIV_##name = 1ull << (bit),
enum { K42_PRIVILEGES(K42_PRIV_BIT_) };
#undef K42_PRIV_BIT_

#define K42_PRIV_ONE_(name, bit, cname, doc) | K42_PRIV_##name
#define K42_PRIV_ALL (0ull K42_PRIVILEGES(K42_PRIV_ONE_))

#endif
