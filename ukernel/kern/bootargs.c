/*
 * Boot-argument parsing (see kern/bootargs.h). Pure logic, host-tested.
 */
#include <stdarg.h>
#include <string.h>
#include <kern/bootargs.h>
#include <lib/fmt.h>

#define WORD_MAX 256

__attribute__((format(printf, 2, 3)))
static int report(bootargs_warn_fn warn, const char *fmt, ...)
{
	char msg[WORD_MAX + 96];
	va_list ap;

	va_start(ap, fmt);
	k_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (warn)
		warn(msg);
	return 1;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > 0xffffffffu)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int set_name(char *dst, const char *key, const char *val, bootargs_warn_fn warn)
{
	size_t n = strlen(val);

	if (n == 0)
		return report(warn, "bootargs: '%s' needs a value", key);
	if (n >= BOOTOPT_NAME_MAX)
		return report(warn, "bootargs: value of '%s' is too long (max %d characters), ignored",
			      key, BOOTOPT_NAME_MAX - 1);
	memcpy(dst, val, n + 1);
	return 0;
}

static int apply(struct bootopts *o, char *word, bootargs_warn_fn warn)
{
	char *eq = strchr(word, '=');
	const char *val = eq ? eq + 1 : NULL;

	if (eq)
		*eq = '\0';
	if (strcmp(word, "test") == 0) {
		return val ? set_name(o->test, word, val, warn)
			   : report(warn, "bootargs: '%s' needs a value", word);
	}
	if (strcmp(word, "init") == 0) {
		return val ? set_name(o->init, word, val, warn)
			   : report(warn, "bootargs: '%s' needs a value", word);
	}
	if (strcmp(word, "trace") == 0) {
		return val ? set_name(o->trace, word, val, warn)
			   : report(warn, "bootargs: '%s' needs a value", word);
	}
	if (strcmp(word, "tracemode") == 0) {
		if (val && strcmp(val, "stream") == 0)
			o->trace_stream = 1;
		else if (val && strcmp(val, "flight") == 0)
			o->trace_stream = 0;
		else
			return report(warn, "bootargs: tracemode=%s is not flight or stream; keeping %s",
				      val ? val : "", o->trace_stream ? "stream" : "flight");
		return 0;
	}
	if (strcmp(word, "hz") == 0) {
		uint32_t hz;

		if (!val || parse_u32(val, &hz) < 0 || hz < BOOTOPT_HZ_MIN || hz > BOOTOPT_HZ_MAX)
			return report(warn, "bootargs: hz=%s is not a number in %d..%d; keeping %u",
				      val ? val : "", BOOTOPT_HZ_MIN, BOOTOPT_HZ_MAX, o->hz);
		o->hz = hz;
		return 0;
	}
	if (strcmp(word, "verbose") == 0 && !val) {
		o->verbose = 1;
		return 0;
	}
	return report(warn, "bootargs: unknown option '%s'%s ignored", word, val ? "=..." : "");
}

int bootargs_parse(const char *s, struct bootopts *o, bootargs_warn_fn warn)
{
	int problems = 0;

	memset(o, 0, sizeof(*o));
	o->hz = BOOTOPT_HZ_DEFAULT;
	memcpy(o->init, "/init", sizeof("/init"));
	if (!s)
		return 0;
	while (*s) {
		char word[WORD_MAX];
		size_t n = 0;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
			n++;
		if (n == 2 && s[0] == '-' && s[1] == '-') {
			/* The rest belongs to init, unparsed. */
			s += 2;
			while (*s == ' ' || *s == '\t')
				s++;
			o->init_args = s;
			break;
		}
		if (n >= WORD_MAX) {
			char head[24];

			k_snprintf(head, sizeof(head), "%.16s", s);
			problems += report(warn, "bootargs: option starting '%s...' is too long, ignored",
					   head);
		} else {
			memcpy(word, s, n);
			word[n] = '\0';
			problems += apply(o, word, warn);
		}
		s += n;
	}
	return problems;
}
