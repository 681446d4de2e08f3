/*
 * Helper of forged_ctx_test: resumes a forged context through disp_resume,
 * the one kernel call that loads user-supplied registers (the return from
 * an upcall, from a reflected system call and from a Linux signal all end
 * in it). `arg` picks the forgery; the kernel must end the process or run
 * the context in user mode, never privileged.
 *   0: pc in the kernel's text (0xc000000000000100)
 *   1: pc at K42_USER_TOP, the first address past user space
 *   2: pc at a user routine that runs mfmsr (privileged) and exits 77 if
 *      that worked; every other register holds a kernel address
 */
#include <string.h>
#include <k42/k42.h>

#define XSTR(x) STR(x)
#define STR(x) #x

/* Exit 77 if mfmsr did not trap. Self-contained: needs no TOC or stack. */
__asm__(".text\n.globl priv_probe\n.type priv_probe, @function\npriv_probe:\n"
	"\tmfmsr 3\n"
	"\tli 0, " XSTR(K42_SC_EXIT) "\n"
	"\tli 3, 77\n"
	"\tsc\n"
	"\tb .\n"
	".size priv_probe, . - priv_probe\n");
extern char priv_probe[];

int main(uint64_t arg)
{
	struct k42_disp_shared *sh = k42_disp();
	struct k42_user_regs r;
	long rc;

	memset(&r, 0, sizeof(r));
	switch (arg) {
	case 0:
		r.nip = 0xc000000000000100ul;
		break;
	case 1:
		r.nip = K42_USER_TOP;
		break;
	case 2:
		for (int i = 0; i < 32; i++)
			r.gpr[i] = 0xc000000000000000ul + (uint64_t)i * 8;
		r.nip = (uint64_t)priv_probe;
		r.lr = r.ctr = 0xc000000000000100ul;
		r.cr = r.xer = ~0ul;
		break;
	default:
		return 99;
	}
	k42_disable();
	memcpy(&sh->saved, &r, sizeof(r));
	sh->saved_valid = 1;
	rc = k42_sc_disp_resume(1);
	k42_printf("forged_ctx: disp_resume returned %ld\n", rc);
	return 98;
}
