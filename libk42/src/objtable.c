/*
 * The per-process object table for servers: a growable array of slots
 * (object, client pid, rights, generation); a handle is the slot index
 * plus the slot's generation, so revoked handles die with their slot.
 */
#include <string.h>
#include <k42/alloc.h>
#include <k42/errno.h>
#include <k42/obj.h>

struct slot {
	void *obj;
	uint64_t pid, rights;
	uint32_t gen, used;
};

static struct slot *slots;
static uint32_t nslots, cap, free_hint;

uint64_t k42_obj_grant(void *obj, uint64_t pid, uint64_t rights)
{
	uint32_t i;

	for (i = free_hint; i < nslots && slots[i].used; i++)
		;
	if (i == nslots) {
		if (nslots == cap) {
			uint32_t ncap = cap ? cap * 2 : 64;
			struct slot *s = realloc(slots, ncap * sizeof(*s));

			if (!s)
				return 0;
			memset(s + cap, 0, (ncap - cap) * sizeof(*s));
			slots = s;
			cap = ncap;
		}
		nslots++;
	}
	free_hint = i + 1;
	slots[i].obj = obj;
	slots[i].pid = pid;
	slots[i].rights = rights;
	slots[i].used = 1;
	slots[i].gen++;
	return ((uint64_t)slots[i].gen << 32) | (i + 1);
}

static struct slot *find(uint64_t handle)
{
	uint32_t i = (uint32_t)handle, gen = (uint32_t)(handle >> 32);

	if (i == 0 || i > nslots || !slots[i - 1].used || slots[i - 1].gen != gen)
		return NULL;
	return &slots[i - 1];
}

int k42_obj_check(uint64_t handle, uint64_t pid, uint64_t need, struct k42_ipc_caller *who,
		  void **obj)
{
	struct slot *s = find(handle);

	if (!s || s->pid != pid)
		return -K42_EBADH;
	if ((s->rights & need) != need)
		return -K42_EACCES;
	if (who) {
		who->pid = pid;
		who->object = handle;
		who->rights = s->rights;
	}
	if (obj)
		*obj = s->obj;
	return 0;
}

int k42_obj_revoke(uint64_t handle)
{
	struct slot *s = find(handle);

	if (!s)
		return -K42_EBADH;
	s->used = 0;
	s->obj = NULL;
	if ((uint32_t)(s - slots) < free_hint)
		free_hint = (uint32_t)(s - slots);
	return 0;
}
