/*
 * Host test of init's boot-configuration reader (servers/init/bootconf.c,
 * order.c) on bad configurations, under ASan and UBSan: one line per
 * problem, the good entries kept, and nothing read or written out of
 * bounds — more servers than the table holds (a 33rd overran it), long
 * lines, NUL bytes, bad values — then 3,000 configurations made of
 * random tokens.
 */
#include <stdint.h>
#include <string.h>
#include <k42/sched.h>
#include "bootconf.h"
#include "check.h"

/* The policies libk42 registers, as the reader asks for them. */
const struct k42_sched_ops *k42_sched_find(const char *name, size_t n)
{
	static const char fifo[] = "fifo";

	return n == 4 && memcmp(name, fifo, 4) == 0 ? (const struct k42_sched_ops *)fifo : NULL;
}

char *k42_sched_names(char *buf, size_t n, const char *sep)
{
	(void)sep;
	snprintf(buf, n, "fifo");
	return buf;
}

static int said;
static char last[512];

static void report(void *ctx, const char *line)
{
	(void)ctx;
	said++;
	snprintf(last, sizeof(last), "%s", line);
}

static int in_archive(const char *path)
{
	return strncmp(path, "/servers/", 9) == 0;
}

static struct bootconf *bc;
static int order[BC_ENTRIES];

/* Parse text (copied to a buffer of its exact size) and order it. */
static int load(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);

	memcpy(copy, text, len);
	memset(bc, 0, sizeof(*bc));
	bc->file = "t.conf";
	bc->report = report;
	said = 0;
	last[0] = '\0';
	bootconf_parse(bc, copy, len);
	int n = bootconf_order(bc, in_archive, order);

	free(copy);
	return n;
}

static int loads(const char *text)
{
	return load(text, strlen(text));
}

static uint64_t rnd_state = 42;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rnd_state >> 33) % n;
}

int main(void)
{
	static char text[1 << 16];
	size_t len = 0;
	int n;

	bc = malloc(sizeof(*bc));	/* exactly its size: ASan sees an overrun */

	/* 40 servers: 32 kept, one line for the rest, nothing overrun. */
	len = (size_t)snprintf(text, sizeof(text), "name /servers/name role=names\n");
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"s%d /servers/s needs=name restart=crash class=system -- a b\n", i);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"shell /servers/shell needs=name role=shell\n");
	n = load(text, len);
	CHECK(bc->n == BC_ENTRIES, "kept %d entries", bc->n);
	CHECK(said == 10 && strstr(last, "t.conf:42: more than 32 servers"), "%d lines, last: %s",
	      said, last);
	CHECK(n == BC_ENTRIES, "ordered %d of the %d kept", n, BC_ENTRIES);

	/* One line per problem; the good entries stay. */
	memset(text, 'x', 600);
	memcpy(text + 600, "\nname /servers/name role=names\n", 31);
	n = load(text, 631);
	CHECK(n == 1 && said == 1 && strstr(last, "t.conf:1: longer than 511 bytes"), "%s", last);
	static const char nul[] = "name /servers/name role=names\nsh\0ell /servers/shell role=shell\n";

	n = load(nul, sizeof(nul) - 1);
	CHECK(n == 1 && said == 1 && strstr(last, "t.conf:2: contains a NUL byte"), "%s", last);
	n = loads("name /servers/name role=names\na /servers/a needs=name,b,c,d,e,f,g,h,i\n");
	CHECK(n == 1 && said == 1 && strstr(last, "more than 8 dependencies"), "%s", last);
	n = loads("name /servers/name role=names\na /servers/a needs=a\n");
	CHECK(n == 1 && said == 1 && strstr(last, "a: needs itself"), "%s", last);
	n = loads("name /servers/name role=names\na /servers/a quota=100\n");
	CHECK(n == 1 && said == 1 && strstr(last, "quota=100: not a percentage in 1..99"), "%s", last);
	n = loads("name /servers/name role=names\r\nshell /servers/shell needs=name role=shell\r\n");
	CHECK(n == 2 && said == 0, "CRLF lines: %d, %s", n, last);
	n = loads("");
	CHECK(n == 0 && said == 0, "empty file");

	/* Random tokens, good and bad: whatever is said, nothing overruns. */
	static const char *const words[] = {
		"name", "shell", "a", "b", "kv", "/servers/name", "/servers/x", "/no/such", "needs=",
		"needs=a,b", "needs=a,,b", "needs=name,a,b,c,d,e,f,g,h", "role=names", "role=shell",
		"role=", "class=system", "class=", "quota=0", "quota=50", "quota=99999999999999999999",
		"privileges=console,bogus", "devices=zz:yy", "devices=1af4:1001,1af4:1000,1,2,3",
		"when=disk", "restart=crash", "--", "-- x y", "sched=fifo", "sched=rr", "archive=yes",
		"archive=maybe", "=", "==", "#", "\t", "\r", "x=", "Bad!", "\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (int round = 0; round < 3000; round++) {
		len = 0;
		for (unsigned l = rnd(80); l > 0; l--) {
			for (unsigned w = rnd(10); w > 0 && len < sizeof(text) - 128; w--) {
				const char *t = words[rnd(sizeof(words) / sizeof(words[0]))];

				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s ", t);
			}
			if (rnd(30) == 0)
				for (unsigned k = rnd(700); k > 0 && len < sizeof(text) - 2; k--)
					text[len++] = 'y';
			if (len < sizeof(text) - 1)
				text[len++] = '\n';
		}
		n = load(text, len);
		CHECK(n >= 0 && n <= bc->n && bc->n <= BC_ENTRIES, "round %d: %d of %d", round, n,
		      bc->n);
	}
	free(bc);
	return check_done("bootconf");
}
