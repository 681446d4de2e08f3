/*
 * Permissions on ext2 (docs/storage.md, "Permissions") and tmpfs
 * (docs/files.md, "Permissions in tmpfs"): `perm_test DIR`,
 * run as uid 0 from the shell, makes DIR with files and directories of
 * known modes, then starts itself as uid 1000, gid 100 (k42_spawn_grant)
 * to try each operation a mode must allow or refuse; uid 0 then reads
 * what the other could not. The ids are the kernel's (proc_cred), so the
 * child cannot make itself uid 0 or start a child as uid 0. Prints
 * "perm_test: ok" or one line per unexpected answer; the host checks the
 * owner of the file the child made (storage/ext2_perm).
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/services.h>
#include <lib/fmt.h>

static int bad;
static char dir[256];

static const char *at(const char *name)
{
	static char path[2][512];
	static int k;

	k ^= 1;
	k_snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void expect(const char *what, long got, long want)
{
	/* want > 0: any success (a descriptor or a count). */
	if (want > 0 ? got >= 0 : got == want)
		return;
	k42_printf("perm_test: %s: %s, not %s\n", what, got < 0 ? k42_strerror(got) : "ok",
		   want < 0 ? k42_strerror(want) : "ok");
	bad++;
}

static void make(const char *name, unsigned mode, const char *text)
{
	int fd = k42_open(at(name), K42_O_WRONLY | K42_O_CREAT | K42_O_TRUNC, 0600);

	expect(name, fd, 1);
	if (fd >= 0) {
		expect(name, k42_write(fd, text, strlen(text)), 1);
		k42_close(fd);
	}
	expect(name, k42_chmod(at(name), mode), 0);
}

static long open_close(const char *name, int flags)
{
	int fd = k42_open(at(name), flags, 0644);

	if (fd >= 0)
		k42_close(fd);
	return fd;
}

static int as_user(void)
{
	uint64_t self = (uint64_t)k42_sc_sys_info(K42_INFO_PID);
	uint32_t uid = 0, gid = 0;
	char buf[64];
	long n;
	int fd;

	expect("my ids", k42_proc_cred(self, &uid, &gid), 0);
	if (uid != 1000 || gid != 100) {
		k42_printf("perm_test: the child's ids are %u:%u, not 1000:100\n", uid, gid);
		bad++;
	}
	/* The kernel's rule: only uid 0 hands out ids, even one's own. */
	expect("proc_cred(self, 0, 0)", k42_sc_proc_cred(self, 0, 0), -K42_EPERM);
	{
		const char *argv[] = { "perm_test", "never", NULL };
		struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server, 0, 0, 0 };
		struct k42_spawn_grant root = { { 0 }, 1, 0, 0 };

		expect("spawn as uid 0", k42_spawn_path_grant("tests/perm_test", &o, &root),
		       -K42_EPERM);
	}
	expect("read a 0600 file of uid 0", open_close("secret", K42_O_RDONLY), -K42_EACCES);
	expect("write a 0644 file of uid 0", open_close("public", K42_O_WRONLY), -K42_EACCES);
	fd = k42_open(at("public"), K42_O_RDONLY, 0);
	expect("read a 0644 file", fd, 1);
	n = fd >= 0 ? k42_read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		k42_close(fd);
	if (n != 6 || memcmp(buf, "public", 6) != 0) {
		k42_printf("perm_test: reading the 0644 file gave %ld bytes\n", n);
		bad++;
	}
	expect("write a 0666 file", open_close("shared", K42_O_RDWR), 1);
	expect("read a 0640 file of group 100", open_close("group", K42_O_RDONLY), 1);
	expect("write a 0640 file of group 100", open_close("group", K42_O_WRONLY), -K42_EACCES);
	expect("create in a 0755 directory of uid 0",
	       open_close("new", K42_O_WRONLY | K42_O_CREAT), -K42_EACCES);
	expect("mkdir in it", k42_mkdir(at("newdir"), 0755), -K42_EACCES);
	expect("unlink in it", k42_unlink(at("public")), -K42_EACCES);
	expect("rename in it", k42_rename(at("public"), at("moved")), -K42_EACCES);
	expect("chmod a file of uid 0", k42_chmod(at("public"), 0666), -K42_EPERM);
	expect("open in a 0700 directory", open_close("closed/inner", K42_O_RDONLY), -K42_EACCES);
	expect("list a 0711 directory", k42_open(at("search"), K42_O_RDONLY | K42_O_DIRECTORY, 0),
	       -K42_EACCES);
	expect("open through a 0711 directory", open_close("search/inner", K42_O_RDONLY), 1);
	/* A 0777 directory: ours to create in; what we make is ours. */
	fd = k42_open(at("open/mine"), K42_O_WRONLY | K42_O_CREAT | K42_O_EXCL, 0644);
	expect("create in a 0777 directory", fd, 1);
	if (fd >= 0) {
		expect("write it", k42_write(fd, "mine\n", 5), 1);
		k42_close(fd);
	}
	expect("chmod my own file", k42_chmod(at("open/mine"), 0600), 0);
	expect("read it again", open_close("open/mine", K42_O_RDONLY), 1);
	return bad ? 1 : 0;
}

int main(uint64_t argc)
{
	const char *argv[] = { "perm_test", "child", dir, NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server, 0, 0, 0 };
	struct k42_spawn_grant user = { { 0 }, 1, 1000, 100 };
	uint64_t self = (uint64_t)k42_sc_sys_info(K42_INFO_PID);
	int status = -1;
	long pid;

	if (argc == 3 && strcmp(k42_argv[1], "child") == 0) {
		k_snprintf(dir, sizeof(dir), "%s", k42_argv[2]);
		return as_user();
	}
	if (argc != 2) {
		k42_printf("usage: perm_test DIR\n");
		return 2;
	}
	k_snprintf(dir, sizeof(dir), "%s", k42_argv[1]);
	expect("mkdir DIR", k42_mkdir(dir, 0755), 0);
	expect("chmod DIR", k42_chmod(dir, 0755), 0);
	make("secret", 0600, "secret");
	make("public", 0644, "public");
	make("shared", 0666, "shared");
	/* uid 0 may change its own ids: the file it makes as gid 100 is
	 * group 100's. */
	expect("proc_cred(self, 0, 100)", k42_sc_proc_cred(self, 0, 100), 0);
	make("group", 0640, "group");
	expect("proc_cred(self, 0, 0)", k42_sc_proc_cred(self, 0, 0), 0);
	expect("mkdir open", k42_mkdir(at("open"), 0777), 0);
	expect("chmod open", k42_chmod(at("open"), 0777), 0);
	expect("mkdir closed", k42_mkdir(at("closed"), 0700), 0);
	make("closed/inner", 0644, "inner");
	expect("mkdir search", k42_mkdir(at("search"), 0711), 0);
	expect("chmod search", k42_chmod(at("search"), 0711), 0);
	make("search/inner", 0644, "inner");
	pid = k42_spawn_path_grant("tests/perm_test", &o, &user);
	expect("spawn as uid 1000", pid, 1);
	if (pid > 0 && (k42_wait((uint64_t)pid, &status) != K42_PROC_EXITED || status != 0)) {
		k42_printf("perm_test: the uid 1000 child ended with status %d\n", status);
		bad++;
	}
	/* uid 0 is refused nothing. */
	expect("uid 0 reads the 0600 file", open_close("secret", K42_O_RDONLY), 1);
	expect("uid 0 opens in the 0700 directory", open_close("closed/inner", K42_O_RDWR), 1);
	expect("uid 0 chmods the child's file", k42_chmod(at("open/mine"), 0640), 0);
	k42_printf(bad ? "perm_test: %d failed\n" : "perm_test: ok\n", bad);
	return bad ? 1 : 0;
}
