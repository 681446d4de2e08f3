/*
 * init's boot-configuration code (servers/init/bootconf.c, order.c) run on
 * the configurations in the boot archive: the real /etc/boot.conf must give
 * the name server first and the shell last with no complaint, and each of
 * the files in /etc/bad/ must give exactly its one-line messages, in order,
 * and nothing else. Booted as init.
 */
#include <string.h>
#include <lib/fmt.h>
#include "check.h"
#include "bootconf.h"

static char said[4096];
static size_t said_len;

static void collect(void *ctx, const char *line)
{
	size_t n = strlen(line);

	(void)ctx;
	k42_printf("  | %s\n", line);
	if (said_len + n + 1 < sizeof(said)) {
		memcpy(said + said_len, line, n);
		said[said_len + n] = '\n';
		said_len += n + 1;
		said[said_len] = 0;
	}
}

static int in_archive(const char *path)
{
	const void *d;
	uint64_t n;

	return path[0] == '/' && k42_initrd_find(path + 1, &d, &n) == 0;
}

static struct bootconf bc;

/* Parse and order /etc/FILE; returns the started names, space-separated. */
static const char *load(const char *file, char *started, size_t cap)
{
	char path[64];
	const void *text;
	uint64_t size;
	int order[BC_ENTRIES], n;
	size_t len = 0;

	said_len = 0;
	said[0] = started[0] = 0;
	memset(&bc, 0, sizeof(bc));
	bc.file = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	bc.report = collect;
	memcpy(path, "etc/", 4);
	memcpy(path + 4, file, strlen(file) + 1);
	EXPECT(k42_initrd_find(path, &text, &size) == 0, "/%s is in the archive", path);
	k42_printf("%s:\n", path);
	bootconf_parse(&bc, text, size);
	n = bootconf_order(&bc, in_archive, order);
	for (int i = 0; i < n && len + BC_NAME_MAX + 2 < cap; i++) {
		size_t l = strlen(bc.e[order[i]].name);

		if (len)
			started[len++] = ' ';
		memcpy(started + len, bc.e[order[i]].name, l + 1);
		len += l;
	}
	k42_printf("  started: %s\n", started);
	return started;
}

/* Exactly these lines, in this order, and nothing else; and as many errors. */
#define SAID_EXACTLY(...) said_exactly((const char *const[]){ __VA_ARGS__, NULL })

static void said_exactly(const char *const lines[])
{
	char want[sizeof(said)];
	size_t len = 0;
	int n = 0;

	for (; lines[n]; n++) {
		size_t l = strlen(lines[n]);

		memcpy(want + len, lines[n], l);
		want[len + l] = '\n';
		len += l + 1;
	}
	want[len] = 0;
	EXPECT(strcmp(said, want) == 0, "messages:\n%s-- expected:\n%s--", said, want);
	EXPECT(bc.errors == n, "%d errors counted, %d expected", bc.errors, n);
}

int main(uint64_t arg)
{
	char started[512], names[128], sched_said[192];

	(void)arg;
	load("boot.conf", started, sizeof(started));
	EXPECT(said_len == 0 && bc.errors == 0, "boot.conf has no complaints");
	EXPECT(strncmp(started, "name ", 5) == 0, "name server first: %s", started);
	EXPECT(strlen(started) > 6 && strcmp(started + strlen(started) - 6, " shell") == 0,
	       "shell last: %s", started);
	/* The disk's servers start only when init is told of a disk (when=disk). */
	EXPECT(bootconf_find(&bc, "disk") >= 0 && strcmp(bc.e[bootconf_find(&bc, "disk")].when, "disk") == 0,
	       "the ext2 server waits for when=disk");

	load("bad/unknown.conf", started, sizeof(started));
	SAID_EXACTLY("init: unknown.conf:3: kv: not started: needs unknown server 'storage'");
	EXPECT(strcmp(started, "name console shell") == 0, "unknown: %s", started);

	load("bad/missing.conf", started, sizeof(started));
	SAID_EXACTLY("init: missing.conf:3: ghost: not started: /servers/no_such is not in the boot archive",
		     "init: missing.conf:4: haunted: not started: needs ghost, which is not started");
	EXPECT(strcmp(started, "name console shell") == 0, "missing: %s", started);

	load("bad/cycle.conf", started, sizeof(started));
	SAID_EXACTLY("init: cycle.conf:3: a: not started: dependency cycle a -> b -> c -> a",
		     "init: cycle.conf:6: d: not started: needs a, which is not started");
	EXPECT(strcmp(started, "name console shell") == 0, "cycle: %s", started);

	/* The policies named are the registry's (libk42/meson.build). */
	k_snprintf(sched_said, sizeof(sched_said),
		   "init: malformed.conf:7: sched=roundrobin: no such policy (%s)",
		   k42_sched_names(names, sizeof(names), ", "));
	EXPECT(strncmp(names, "fifo, prio, lottery", 19) == 0, "registry: %s", names);
	load("bad/malformed.conf", started, sizeof(started));
	SAID_EXACTLY("init: malformed.conf:3: 'Bad!' is not a server name ([a-z][a-z0-9_-]*, up to 31)",
		     "init: malformed.conf:4: lonely: no program given",
		     "init: malformed.conf:5: rel: program 'servers/kv' is not an absolute path (up to 127 bytes)",
		     "init: malformed.conf:6: unknown option 'colour'",
		     sched_said,
		     "init: malformed.conf:8: class=urgent: not system, realtime, general or background",
		     "init: malformed.conf:9: restart=sometimes: not never, crash or always",
		     "init: malformed.conf:10: name: defined again (first on line 2)");
	EXPECT(strcmp(started, "name console shell") == 0, "malformed: %s", started);
	return verdict("bootconf_test");
}
