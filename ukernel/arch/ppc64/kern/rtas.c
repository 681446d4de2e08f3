/*
 * RTAS calls (see arch/rtas.h) and the machine-ending calls built on them:
 * power-off for a clean end, ibm,os-term for a failing one (QEMU is run
 * with -action panic=exit-failure, so os-term makes it exit with status 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <libfdt.h>
#include <arch/hcall.h>
#include <arch/rtas.h>
#include <kern/panic.h>
#include <kern/percpu.h>

static struct rtas_tokens tokens = {
	RTAS_TOKEN_NONE, RTAS_TOKEN_NONE, RTAS_TOKEN_NONE, RTAS_TOKEN_NONE, RTAS_TOKEN_NONE,
	RTAS_TOKEN_NONE,
};

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t token_of(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 4 ? fdt32_to_cpu(*p) : RTAS_TOKEN_NONE;
}

int rtas_init(const void *fdt)
{
	int node = fdt_path_offset(fdt, "/rtas");

	if (node < 0)
		return node;
	tokens.power_off = token_of(fdt, node, "power-off");
	tokens.os_term = token_of(fdt, node, "ibm,os-term");
	tokens.system_reboot = token_of(fdt, node, "system-reboot");
	tokens.start_cpu = token_of(fdt, node, "start-cpu");
	tokens.stop_self = token_of(fdt, node, "stop-self");
	tokens.get_time_of_day = token_of(fdt, node, "get-time-of-day");
	return 0;
}

const struct rtas_tokens *rtas_tokens(void)
{
	return &tokens;
}

/* Real address of a kernel virtual address (link base 0xc000...). */
static uint64_t real_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p & 0x0fffffffffffffffull;
}

int rtas_call(uint32_t token, int nargs, int nret, uint32_t *rets, ...)
{
	uint32_t *a = this_cpu()->arch.rtas_args;
	va_list ap;
	long rc;

	if (token == RTAS_TOKEN_NONE || nargs < 0 || nret < 1 ||
	    3 + nargs + nret > RTAS_ARGS_WORDS)
		return -1;
	a[0] = be32(token);
	a[1] = be32((uint32_t)nargs);
	a[2] = be32((uint32_t)nret);
	va_start(ap, rets);
	for (int i = 0; i < nargs; i++)
		a[3 + i] = be32(va_arg(ap, uint32_t));
	va_end(ap);
	for (int i = 0; i < nret; i++)
		a[3 + nargs + i] = 0;
	rc = hcall(H_RTAS, real_addr(a), 0, 0, 0, 0, 0, NULL);
	if (rc != H_SUCCESS)
		return -1;
	for (int i = 0; rets && i < nret; i++)
		rets[i] = be32(a[3 + nargs + i]);
	return (int)be32(a[3 + nargs]);
}

void arch_power_off(void)
{
	rtas_call(tokens.power_off, 2, 1, NULL, 0xffffffffu, 0xffffffffu);
	/* Without RTAS there is no way out: stop here. */
	for (;;)
		__asm__ volatile("" ::: "memory");
}

void arch_os_term(const char *msg)
{
	static char buf[256];
	size_t n = strnlen(msg, sizeof(buf) - 1);

	memcpy(buf, msg, n);
	buf[n] = '\0';
	rtas_call(tokens.os_term, 1, 1, NULL, (uint32_t)real_addr(buf));
	for (;;)
		__asm__ volatile("" ::: "memory");
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int rtas_time_of_day(int64_t *unix_sec)
{
	uint32_t r[8];	/* status, year, month, day, hour, minute, second, ns */

	if (rtas_call(tokens.get_time_of_day, 0, 8, r) != 0)
		return -1;
	if (r[1] < 1970 || r[2] < 1 || r[2] > 12 || r[3] < 1 || r[3] > 31 || r[4] > 23 ||
	    r[5] > 59 || r[6] > 60)
		return -1;
	*unix_sec = days_from_civil(r[1], r[2], r[3]) * 86400 + r[4] * 3600 + r[5] * 60 + r[6];
	return 0;
}
