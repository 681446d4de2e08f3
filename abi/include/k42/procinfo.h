/*
 * What proc_list reports about each live process (for ps-like tools).
 */
#ifndef K42_PROCINFO_H
#define K42_PROCINFO_H

#include <stdint.h>

struct k42_procinfo {
	uint32_t pid;
	uint32_t parent;
	int32_t state;		/* K42_PROC_* */
	uint32_t prio;		/* K42_PRIO_* class of its dispatcher */
	uint64_t upcalls;	/* entries into its dispatcher so far */
	char name[32];
};

#endif
