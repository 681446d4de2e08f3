/*
 * /bin/lx: a Linux process on k42. It is started as a native k42 program
 * (linked with libk42 at LX_PERSONALITY_BASE, out of the way of any Linux
 * binary), installs the reflected-system-call handler, loads the Linux
 * binary beside itself and jumps into it; from then on it only runs when
 * the program makes a system call.
 *
 *   lx PATH [ARGV0 ARGS...]   run the static Linux binary PATH
 *   lx -c CMDS...             /bin/sh -c 'CMDS...' (words joined back
 *                             together: init gets them split at spaces)
 *   lx -x HEX                 /bin/sh -c with the script hex-encoded, so any
 *                             bytes survive the boot arguments
 *   lx -u TEXT                the same with %XX for every byte but letters,
 *                             digits and -_./,:=+@ (shorter; what
 *                             ./k42 run --linux -c 'CMDS' passes)
 *   lx -f PATH                /bin/sh -c with the text of the file PATH (what
 *                             ./k42 run --linux -c passes for commands too
 *                             long for the boot arguments)
 */
#include "lx.h"
#include "lxfs.h"

struct lx_proc lx;
void lx_entry_init(void);

static char *default_env[] = {
	(char *)"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
	(char *)"HOME=/",
	(char *)"TERM=vt100",
	(char *)"SHELL=/bin/sh",
	NULL,
};

int64_t lx_epoch;

int main(uint64_t arg)
{
	static char *sh_argv[4];
	char **argv = k42_argv + 1;
	const char *path;
	long rc;

	(void)arg;
	lx.pid = k42_info(K42_INFO_PID);
	lx.ppid = 0;
	lx.pgid = lx.sid = lx.pid;
	lx.root = lx.pid;
	lx_epoch = (int64_t)k42_info(K42_INFO_EPOCH);
	lx_entry_init();
	lx_signal_init();
	lx_fs_init();
	lx_ptab_init();
	lx_mm_expose();
	if (k42_argc < 2) {
		k42_printf("usage: lx PATH [ARGV0 ARGS...] | lx -c CMDS... | lx -x HEX\n");
		return 2;
	}
	if (strcmp(argv[0], "-u") == 0 && argv[1]) {
		char *h = argv[1], *o = argv[1];

		for (; *h; h++) {
			if (h[0] == '%' && h[1] && h[2]) {
				int hi = h[1] <= '9' ? h[1] - '0' : (h[1] | 0x20) - 'a' + 10;
				int lo = h[2] <= '9' ? h[2] - '0' : (h[2] | 0x20) - 'a' + 10;

				*o++ = (char)(hi << 4 | lo);
				h += 2;
			} else {
				*o++ = *h;
			}
		}
		*o = '\0';
		argv[0] = (char *)"-c";
		argv[2] = NULL;
	} else if (strcmp(argv[0], "-f") == 0 && argv[1]) {
		/* Commands too long for the boot arguments: tools/run.py puts
		 * them in a file of the boot archive. sh -c with its text, so
		 * they run exactly as -u's would. */
		static char script[LX_ARG_STRLEN];
		long fd = k42_open(argv[1], K42_O_RDONLY, 0), got = 0, n = 1;

		if (fd < 0) {
			k42_printf("lx: -f %s: cannot open it (%ld)\n", argv[1], fd);
			return 2;
		}
		while (n > 0 && got < (long)sizeof(script) - 1) {
			n = k42_read((int)fd, script + got, sizeof(script) - 1 - (size_t)got);
			got += n > 0 ? n : 0;
		}
		k42_close((int)fd);
		if (n < 0 || got == (long)sizeof(script) - 1) {
			k42_printf("lx: -f %s: %s\n", argv[1],
				   n < 0 ? "cannot read it" : "longer than 128 KiB");
			return 2;
		}
		script[got] = '\0';
		argv[0] = (char *)"-c";
		argv[1] = script;
		argv[2] = NULL;
	} else if (strcmp(argv[0], "-x") == 0 && argv[1]) {
		char *h = argv[1], *o = argv[1];

		for (; h[0] && h[1]; h += 2) {
			int hi = h[0] <= '9' ? h[0] - '0' : (h[0] | 0x20) - 'a' + 10;
			int lo = h[1] <= '9' ? h[1] - '0' : (h[1] | 0x20) - 'a' + 10;

			*o++ = (char)(hi << 4 | lo);
		}
		*o = '\0';
		argv[0] = (char *)"-c";
		argv[2] = NULL;
	}
	if (strcmp(argv[0], "-c") == 0) {
		/* init's arguments were split at spaces in place: join them
		 * back into the one command string. */
		char *s = argv[1];

		if (!s) {
			k42_printf("lx: -c needs commands\n");
			return 2;
		}
		int last = 1;

		while (argv[last + 1])
			last++;
		for (char *p = s; p < argv[last]; p++)
			if (!*p)
				*p = ' ';
		sh_argv[0] = (char *)"sh";
		sh_argv[1] = (char *)"-c";
		sh_argv[2] = s;
		sh_argv[3] = NULL;
		path = "/bin/sh";
		argv = sh_argv;
	} else {
		path = argv[0];
		if (argv[1])
			argv++;
	}
	rc = lx_exec(path, argv, default_env);
	k42_printf("lx: %s: cannot run: error %ld\n", path, -rc);
	return 127;
}
