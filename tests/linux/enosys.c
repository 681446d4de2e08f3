/*
 * A static musl program for the Linux personality: 20 system calls k42
 * does not implement must each fail with ENOSYS (and be logged once, by
 * name), and the program must then go on and exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	long nr;
	const char *name;
} calls[] = {
	{ SYS_acct, "acct" }, { SYS_uselib, "uselib" }, { SYS_vhangup, "vhangup" },
	{ SYS_init_module, "init_module" }, { SYS_delete_module, "delete_module" },
	{ SYS_quotactl, "quotactl" }, { SYS_bdflush, "bdflush" }, { SYS_sysfs, "sysfs" },
	{ SYS_afs_syscall, "afs_syscall" }, { SYS_setfsuid, "setfsuid" },
	{ SYS_setfsgid, "setfsgid" }, { SYS_query_module, "query_module" },
	{ SYS_nfsservctl, "nfsservctl" }, { SYS_lookup_dcookie, "lookup_dcookie" },
	{ SYS_kexec_load, "kexec_load" }, { SYS_add_key, "add_key" },
	{ SYS_request_key, "request_key" }, { SYS_keyctl, "keyctl" },
	{ SYS_fanotify_init, "fanotify_init" }, { SYS_pivot_root, "pivot_root" },
};

int main(void)
{
	int n = 0;

	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		long rc = syscall(calls[i].nr, 0, 0, 0, 0, 0, 0);

		if (rc == -1 && errno == ENOSYS)
			n++;
		else
			printf("enosys: %s gave %ld (errno %d)\n", calls[i].name, rc, errno);
	}
	/* Twice the same: logged only once. */
	syscall(SYS_acct, 0);
	printf("enosys: %d unimplemented calls gave ENOSYS\n", n);
	return n == 20 ? 0 : 1;
}
