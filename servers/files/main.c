/*
 * The boot-archive file server: a read-only file system over the cpio
 * archive init shares with it (see files.h), registered as "files" with
 * the name server. Serves idl/file.idl and the kernel's page-ins of
 * mapped files. It is mounted at "/" for the file layer, or at its one
 * argument (`/boot` when an ext2 disk is the root, docs/storage.md).
 */
#include <k42/k42.h>
#include <k42/server.h>
#include "files.h"
#include "fs.h"

int main(uint64_t argc)
{
	uint64_t size = k42_initrd_bytes();
	char mount[128];
	long rc;

	if (k42_server_mount_name("files", argc > 1 ? k42_argv[1] : "/", mount, sizeof(mount)) < 0)
		return 1;
	if (!size) {
		k42_puts("files: no boot archive was shared with me (K42_SPAWN_SHARE_ARCHIVE)\n");
		return 1;
	}
	rc = archive_index((const void *)K42_FILES_ARCHIVE_VA, size);
	if (rc < 0) {
		k42_printf("files: bad boot archive: %s\n", k42_strerror(rc));
		return 1;
	}
	files_serve();
	/* Its mount for the file layer (fsipc.c), then the name clients wait for. */
	rc = k42_name_register(mount, FS_RIGHT_READ);
	if (rc == 0)
		rc = k42_name_register("files", FILE_RIGHT_READ | FILE_RIGHT_MAP);
	if (rc < 0) {
		k42_printf("files: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_server_idle();	/* (idle with no context: the fast paths) */
}
