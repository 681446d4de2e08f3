/*
 * init: the first process, started by the kernel from the boot archive.
 * Today it greets and ends, which powers the machine off; reading the boot
 * configuration and starting the server set is the server suite's work
 * (docs/boot.md, "What runs at boot").
 */
#include <k42/k42.h>

int main(uint64_t arg)
{
	const void *motd;
	uint64_t len;

	(void)arg;
	if (k42_initrd_find("etc/motd", &motd, &len) == 0)
		k42_sc_debug_write((uint64_t)motd, len);
	k42_printf("init: pid %lu, %lu processes, %lu MiB free; no servers configured yet\n",
		   k42_info(K42_INFO_PID), k42_info(K42_INFO_PROCESSES),
		   k42_info(K42_INFO_FREE_FRAMES) >> 8);
	return 0;
}
