/*
 * Host test of boot-argument parsing (kern/bootargs.c): good options,
 * unknown ones, bad numbers, over-long words and values.
 */
#include <string.h>
#include <kern/bootargs.h>
#include "check.h"

static int warnings;
static char last[512];

static void warn(const char *msg)
{
	warnings++;
	snprintf(last, sizeof(last), "%s", msg);
}

static int parse(const char *s, struct bootopts *o)
{
	warnings = 0;
	last[0] = '\0';
	return bootargs_parse(s, o, warn);
}

int main(void)
{
	struct bootopts o;
	char big[4096];

	CHECK(parse(NULL, &o) == 0 && o.hz == 100 && strcmp(o.init, "/init") == 0, "defaults");
	CHECK(parse("", &o) == 0 && o.test[0] == '\0', "empty");
	CHECK(parse("  test=pm_alloc_free   hz=250 verbose ", &o) == 0, "good options: %s", last);
	CHECK(strcmp(o.test, "pm_alloc_free") == 0 && o.hz == 250 && o.verbose, "values");
	CHECK(parse(NULL, &o) == 0 && !o.trace_stream, "flight mode by default");
	CHECK(parse("tracemode=stream", &o) == 0 && o.trace_stream, "tracemode=stream");
	CHECK(parse("tracemode=stream tracemode=flight", &o) == 0 && !o.trace_stream, "tracemode=flight");
	CHECK(parse("tracemode=river", &o) == 1 && !o.trace_stream && strstr(last, "tracemode=river"),
	      "bad tracemode: %s", last);
	CHECK(parse("tracemode", &o) == 1 && !o.trace_stream, "tracemode without value");
	CHECK(parse("hz=0", &o) == 1 && o.hz == 100 && strstr(last, "hz=0"), "hz=0: %s", last);
	CHECK(parse("hz=99999999999", &o) == 1 && o.hz == 100, "huge hz");
	CHECK(parse("hz=12abc", &o) == 1 && o.hz == 100, "junk hz");
	CHECK(parse("hz", &o) == 1 && o.hz == 100, "hz without value");
	CHECK(parse("frobnicate=1 test=x", &o) == 1 && strstr(last, "unknown option 'frobnicate'") &&
	      strcmp(o.test, "x") == 0, "unknown: %s", last);
	CHECK(parse("test=", &o) == 1 && o.test[0] == '\0', "empty value: %s", last);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &o) == 1 && strstr(last, "too long"), "huge word: %s", last);
	memcpy(big, "test=", 5);
	big[5 + 100] = '\0';
	CHECK(parse(big, &o) == 1 && o.test[0] == '\0' && strstr(last, "too long"), "long value: %s", last);
	CHECK(parse("init=/bin/sh\ttest=list\n", &o) == 0 && strcmp(o.init, "/bin/sh") == 0 &&
	      strcmp(o.test, "list") == 0, "tabs and newlines");
	CHECK(parse("hz=200 -- bootconf=/etc/x.conf frobnicate", &o) == 0 && o.hz == 200 &&
	      o.init_args && strcmp(o.init_args, "bootconf=/etc/x.conf frobnicate") == 0,
	      "init's arguments after --: %s", o.init_args ? o.init_args : "(none)");
	CHECK(parse("hz=200", &o) == 0 && o.init_args == NULL, "no init arguments");
	return check_done("bootargs");
}
