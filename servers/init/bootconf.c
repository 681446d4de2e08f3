/*
 * Parsing the boot configuration: one entry per line,
 *   NAME PROGRAM [KEY=VALUE ...] [-- ARGS ...]
 * with '#' comments. Every malformed line is reported once, as
 * "init: FILE:LINE: what", and left out; the rest of the file still counts.
 */
#include <string.h>
#include <k42/layout.h>
#include <k42/privilege.h>
#include <k42/sched.h>
#include <lib/fmt.h>
#include "bootconf.h"

static void complain(struct bootconf *bc, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void complain(struct bootconf *bc, int line, const char *fmt, ...)
{
	char msg[BC_LINE_MAX + 64];
	int n;
	va_list ap;

	n = k_snprintf(msg, sizeof(msg), "init: %s:%d: ", bc->file, line);
	va_start(ap, fmt);
	k_vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	bc->errors++;
	bc->report(bc->ctx, msg);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Names: [a-z0-9_-], starting with a letter. */
static int good_name(const char *s, size_t n)
{
	if (n == 0 || n > BC_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Does token [s, s+n) equal the word w? */
static int is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static void copy(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = 0;
}

static const char *const class_names[] = { "system", "realtime", "general", "background" };
static const char *const restart_names[] = { "never", "crash", "always" };
static const char *const role_names[] = { "server", "names", "shell" };

/* Index of [v, v+n) in names[], or -1. */
static int lookup(const char *const *names, int count, const char *v, size_t n)
{
	for (int i = 0; i < count; i++)
		if (is(v, n, names[i]))
			return i;
	return -1;
}

static int parse_needs(struct bootconf *bc, struct bc_entry *e, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && v[j] != ',')
			j++;
		if (!good_name(v + i, j - i)) {
			complain(bc, e->line, "needs=: '%.*s' is not a server name", (int)(j - i), v + i);
			return -1;
		}
		if (e->nneeds == BC_NEEDS) {
			complain(bc, e->line, "needs=: more than %d dependencies", BC_NEEDS);
			return -1;
		}
		copy(e->needs[e->nneeds++], v + i, j - i);
		i = j + 1;
	}
	return 0;
}

/* devices=1af4:1001,...: PCI vendor:device ids in hex, up to 4, that the
 * driver may drive (dev_grant; docs/devices.md). */
static int parse_devices(struct bootconf *bc, struct bc_entry *e, const char *v, size_t vn)
{
	size_t pos = 0;
	int n = 0;

	while (pos < vn) {
		uint32_t part[2] = { 0, 0 };
		size_t start = pos;
		int k = 0, digits = 0;

		for (; pos < vn && v[pos] != ','; pos++) {
			char c = v[pos];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (c == ':' && k == 0 && digits) {
				k = 1;
				digits = 0;
			} else if (d >= 0 && digits < 4) {
				part[k] = part[k] << 4 | (uint32_t)d;
				digits++;
			} else {
				digits = -1;
				break;
			}
		}
		if (k != 1 || digits <= 0 || n == 4) {
			while (pos < vn && v[pos] != ',')
				pos++;
			complain(bc, e->line, "devices=: '%.*s' is not a vendor:device id in hex%s",
				 (int)(pos - start), v + start, n == 4 ? " (at most 4)" : "");
			return -1;
		}
		e->devices[n++] = part[0] | part[1] << 16;
		pos++;	/* the comma */
	}
	return 0;
}

/* privileges=a,b: names from the one list in <k42/privilege.h>. */
static int parse_privileges(struct bootconf *bc, struct bc_entry *e, const char *v, size_t vn)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} privs[] = {
#define PRIV_ENTRY(name, bit, cname, doc) { cname, K42_PRIV_##name },
		K42_PRIVILEGES(PRIV_ENTRY)
#undef PRIV_ENTRY
	};

	while (vn) {
		const char *comma = memchr(v, ',', vn);
		size_t n = comma ? (size_t)(comma - v) : vn;
		size_t i;

		for (i = 0; i < sizeof(privs) / sizeof(privs[0]); i++)
			if (is(v, n, privs[i].name))
				break;
		if (i == sizeof(privs) / sizeof(privs[0])) {
			complain(bc, e->line, "privileges=: '%.*s' is not a privilege", (int)n, v);
			return -1;
		}
		e->privileges |= privs[i].bit;
		v += n;
		vn -= n;
		if (comma) {
			v++;
			vn--;
		}
	}
	return 0;
}

static int parse_option(struct bootconf *bc, struct bc_entry *e, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t kn, vn;
	const char *v;
	int i;

	if (!eq) {
		complain(bc, e->line, "'%.*s' is not KEY=VALUE", (int)n, s);
		return -1;
	}
	kn = (size_t)(eq - s);
	v = eq + 1;
	vn = n - kn - 1;
	if (vn == 0) {
		complain(bc, e->line, "'%.*s' has no value", (int)kn, s);
		return -1;
	}
	if (is(s, kn, "needs"))
		return parse_needs(bc, e, v, vn);
	if (is(s, kn, "sched")) {
		if (!k42_sched_find(v, vn) || vn > BC_SCHED_MAX) {
			char names[128];

			complain(bc, e->line, "sched=%.*s: no such policy (%s)", (int)vn, v,
				 k42_sched_names(names, sizeof(names), ", "));
			return -1;
		}
		copy(e->sched, v, vn);
		return 0;
	}
	if (is(s, kn, "class")) {
		if ((i = lookup(class_names, 4, v, vn)) < 0) {
			complain(bc, e->line, "class=%.*s: not system, realtime, general or background",
				 (int)vn, v);
			return -1;
		}
		e->prio_class = (unsigned)i;
		return 0;
	}
	if (is(s, kn, "restart")) {
		if ((i = lookup(restart_names, 3, v, vn)) < 0) {
			complain(bc, e->line, "restart=%.*s: not never, crash or always", (int)vn, v);
			return -1;
		}
		e->restart = (enum bc_restart)i;
		return 0;
	}
	if (is(s, kn, "archive")) {
		if (!is(v, vn, "yes") && !is(v, vn, "no")) {
			complain(bc, e->line, "archive=%.*s: not yes or no", (int)vn, v);
			return -1;
		}
		e->archive = is(v, vn, "yes");
		return 0;
	}
	if (is(s, kn, "quota")) {
		unsigned pct = 0;

		for (size_t j = 0; j < vn && pct < 100; j++)
			pct = v[j] >= '0' && v[j] <= '9' ? pct * 10 + (unsigned)(v[j] - '0') : 100;
		if (pct == 0 || pct >= 100) {
			complain(bc, e->line, "quota=%.*s: not a percentage in 1..99", (int)vn, v);
			return -1;
		}
		e->quota_percent = pct;
		return 0;
	}
	if (is(s, kn, "privileges"))
		return parse_privileges(bc, e, v, vn);
	if (is(s, kn, "devices"))
		return parse_devices(bc, e, v, vn);
	if (is(s, kn, "when")) {
		if (vn > BC_NAME_MAX) {
			complain(bc, e->line, "when=%.*s: longer than %d bytes", (int)vn, v, BC_NAME_MAX);
			return -1;
		}
		copy(e->when, v, vn);
		return 0;
	}
	if (is(s, kn, "role")) {
		if ((i = lookup(role_names, 3, v, vn)) < 0) {
			complain(bc, e->line, "role=%.*s: not server, names or shell", (int)vn, v);
			return -1;
		}
		e->role = (enum bc_role)i;
		return 0;
	}
	complain(bc, e->line, "unknown option '%.*s'", (int)kn, s);
	return -1;
}

/* One line without its newline; 0 kept or blank, -1 reported. */
static int parse_line(struct bootconf *bc, int lineno, const char *s, size_t n)
{
	/* Past BC_ENTRIES a line is still read (its problems reported), into
	 * a scratch entry: it was read into bc->e[BC_ENTRIES], past the array
	 * (a 33rd server overran init's table). */
	struct bc_entry scratch;
	struct bc_entry *e = bc->n < BC_ENTRIES ? &bc->e[bc->n] : &scratch;
	size_t i = 0, tok[2][2];
	int ntok = 0;

	memset(e, 0, sizeof(*e));
	e->line = lineno;
	e->prio_class = K42_PRIO_GENERAL;
	for (;;) {
		size_t start;

		while (i < n && is_space(s[i]))
			i++;
		if (i == n || s[i] == '#')
			break;
		start = i;
		while (i < n && !is_space(s[i]))
			i++;
		if (ntok < 2) {
			tok[ntok][0] = start;
			tok[ntok][1] = i - start;
			ntok++;
			continue;
		}
		if (is(s + start, i - start, "--")) {
			size_t end = n;

			while (i < n && is_space(s[i]))
				i++;
			while (end > i && is_space(s[end - 1]))
				end--;
			if (end - i > BC_ARGS_MAX) {
				complain(bc, lineno, "arguments longer than %d bytes", BC_ARGS_MAX);
				return -1;
			}
			copy(e->args, s + i, end - i);
			break;
		}
		if (parse_option(bc, e, s + start, i - start) < 0)
			return -1;
	}
	if (ntok == 0)
		return 0;
	if (!good_name(s + tok[0][0], tok[0][1])) {
		complain(bc, lineno, "'%.*s' is not a server name ([a-z][a-z0-9_-]*, up to %d)",
			 (int)tok[0][1], s + tok[0][0], BC_NAME_MAX);
		return -1;
	}
	copy(e->name, s + tok[0][0], tok[0][1]);
	if (ntok < 2) {
		complain(bc, lineno, "%s: no program given", e->name);
		return -1;
	}
	if (s[tok[1][0]] != '/' || tok[1][1] > BC_PATH_MAX) {
		complain(bc, lineno, "%s: program '%.*s' is not an absolute path (up to %d bytes)",
			 e->name, (int)tok[1][1], s + tok[1][0], BC_PATH_MAX);
		return -1;
	}
	copy(e->path, s + tok[1][0], tok[1][1]);
	if (bootconf_find(bc, e->name) >= 0) {
		complain(bc, lineno, "%s: defined again (first on line %d)", e->name,
			 bc->e[bootconf_find(bc, e->name)].line);
		return -1;
	}
	for (int k = 0; k < e->nneeds; k++)
		if (strcmp(e->needs[k], e->name) == 0) {
			complain(bc, lineno, "%s: needs itself", e->name);
			return -1;
		}
	if (bc->n == BC_ENTRIES) {
		complain(bc, lineno, "more than %d servers; ignoring the rest", BC_ENTRIES);
		return -1;
	}
	bc->n++;
	return 0;
}

int bootconf_find(const struct bootconf *bc, const char *name)
{
	for (int i = 0; i < bc->n; i++)
		if (strcmp(bc->e[i].name, name) == 0)
			return i;
	return -1;
}

int bootconf_parse(struct bootconf *bc, const char *text, size_t len)
{
	size_t i = 0;
	int lineno = 0;

	bc->n = 0;
	bc->errors = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;

		lineno++;
		if (memchr(text + i, 0, end - i))
			complain(bc, lineno, "contains a NUL byte");
		else if (end - i > BC_LINE_MAX)
			complain(bc, lineno, "longer than %d bytes", BC_LINE_MAX);
		else
			(void)parse_line(bc, lineno, text + i, end - i);
		i = end + 1;
	}
	return bc->n;
}
