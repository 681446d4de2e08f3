/*
 * The boot-archive file server (servers/files), started the way init
 * starts it (sharing the archive): open, read, stat, readdir and close
 * against what the archive holds, per-client handles, mapping a file's
 * pages through an FR, and starting a program loaded from the server.
 */
#include <string.h>
#include "check.h"
#include "suite.h"
#include "file.h"

#define MAP_VA 0x40000000000ul

static int dir_has(uint64_t fs, const char *dir, const char *name, file_kind_t kind)
{
	char entry[FILE_PATH_MAX + 1];
	struct file_stat st;

	for (uint32_t i = 0; file_readdir(fs, dir, i, entry, sizeof(entry), &st) == 0; i++)
		if (strcmp(entry, name) == 0)
			return st.kind == kind;
	return 0;
}

int main(uint64_t arg)
{
	const char *argv[] = { "args_child", "one", "", "three words", NULL };
	static uint8_t buf[FILE_IO_MAX];
	const uint8_t *motd, *elf;
	uint64_t motd_len, elf_len, f, g, fr, size, fs, img_len;
	void *img;
	struct file_stat st;
	char entry[FILE_PATH_MAX + 1];
	uint32_t got;
	long rc, files;
	int status = -1;

	(void)arg;
	suite_name_server(NULL);
	files = suite_server("servers/files", "files", K42_SPAWN_SHARE_ARCHIVE);
	EXPECT(files > 0, "file server registered: %ld\n", files);
	fs = (uint64_t)files;
	EXPECT(k42_initrd_find("etc/motd", (const void **)&motd, &motd_len) == 0, "motd\n");

	/* open / stat / read agree with the archive. */
	rc = file_open(fs, "/etc/motd", &f);
	EXPECT(rc == 0, "open /etc/motd: %ld\n", rc);
	rc = file_stat(fs, f, &st);
	EXPECT(rc == 0 && st.size == motd_len && st.kind == FILE_KIND_REGULAR,
	       "stat: %ld size %lu\n", rc, st.size);
	rc = file_read(fs, f, 0, sizeof(buf), buf, sizeof(buf), &got);
	EXPECT(rc == 0 && got == motd_len && memcmp(buf, motd, got) == 0, "read: %ld %u\n", rc, got);
	rc = file_read(fs, f, 3, 4, buf, sizeof(buf), &got);
	EXPECT(rc == 0 && got == 4 && memcmp(buf, motd + 3, 4) == 0, "read in the middle\n");
	rc = file_read(fs, f, motd_len, 10, buf, sizeof(buf), &got);
	EXPECT(rc == 0 && got == 0, "read at end of file: %ld %u\n", rc, got);

	/* Handles are per open and per client; bogus ones are refused. */
	EXPECT(file_open(fs, "etc/motd", &g) == 0 && g != f, "a second open, relative path\n");
	EXPECT(file_stat(fs, f + 1000, &st) == -K42_EBADH, "bogus handle\n");
	EXPECT(file_open(fs, "/etc/nothing", &g) == -K42_ENOENT, "missing file\n");

	/* Directories exist though mkinitrd packs only files. */
	EXPECT(dir_has(fs, "/", "etc", FILE_KIND_DIRECTORY), "/ holds etc\n");
	EXPECT(dir_has(fs, "/", "servers", FILE_KIND_DIRECTORY), "/ holds servers\n");
	EXPECT(dir_has(fs, "/servers", "files", FILE_KIND_REGULAR), "/servers holds files\n");
	EXPECT(dir_has(fs, "etc/", "motd", FILE_KIND_REGULAR), "etc holds motd\n");
	EXPECT(file_readdir(fs, "/etc/motd", 0, entry, sizeof(entry), &st) == -K42_ENOTDIR,
	       "readdir of a file\n");
	EXPECT(file_open(fs, "/etc", &g) == 0, "open a directory\n");
	EXPECT(file_read(fs, g, 0, 1, buf, sizeof(buf), &got) == -K42_EISDIR, "read a directory\n");
	EXPECT(file_map(fs, g, &fr, &size) == -K42_EACCES, "no map right on a directory\n");

	/* Map a program's pages from the server and compare with the archive. */
	EXPECT(k42_initrd_find("servers/kv", (const void **)&elf, &elf_len) == 0, "kv in archive\n");
	EXPECT(file_open(fs, "/servers/kv", &g) == 0, "open kv\n");
	rc = file_map(fs, g, &fr, &size);
	EXPECT(rc == 0 && size == elf_len, "map: %ld size %lu\n", rc, size);
	rc = k42_sc_mem_map_file(k42_info(K42_INFO_PID), MAP_VA,
				 (size + K42_PAGE_SIZE - 1) & ~(K42_PAGE_SIZE - 1), K42_PROT_READ, fr);
	EXPECT(rc == 0, "mem_map_file: %ld\n", rc);
	if (rc == 0)
		EXPECT(memcmp((const void *)MAP_VA, elf, size) == 0, "mapped pages match\n");

	/* close is one-way: once the server has run, the handle is dead. */
	EXPECT(file_close(fs, f) == 0, "close\n");
	rc = 0;
	for (int i = 0; i < 500 && rc != -K42_EBADH; i++) {	/* wall time: a loaded host is slow */
		k42_thread_sleep_us(2000);
		rc = file_stat(fs, f, &st);
	}
	EXPECT(rc == -K42_EBADH, "closed handle: %ld\n", rc);

	/* Programs loaded through the file server start and see their args. */
	rc = k42_file_load("/tests/args_child", &img, &img_len);
	EXPECT(rc == 0, "load args_child: %ld\n", rc);
	if (rc == 0) {
		rc = k42_spawn_image_argv(img, img_len, "args_child", argv, K42_PRIO_GENERAL, 4242);
		EXPECT(rc > 0 && k42_wait((uint64_t)rc, &status) == K42_PROC_EXITED && status == 0,
		       "args_child from the file server: %ld status %d\n", rc, status);
		free(img);
	}
	/* k42_spawn_file passes our name server on: args_child notices (4). */
	rc = k42_spawn_file("tests/args_child", argv, K42_PRIO_GENERAL);
	EXPECT(rc > 0 && k42_wait((uint64_t)rc, &status) == K42_PROC_EXITED && status == 4,
	       "k42_spawn_file: %ld status %d\n", rc, status);
	return verdict("files_test");
}
