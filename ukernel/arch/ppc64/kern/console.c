/*
 * Console I/O through the sPAPR virtual terminal (hvterm1): H_PUT_TERM_CHAR
 * sends up to 16 bytes per call, H_GET_TERM_CHAR polls for input. The
 * terminal number comes from the device tree (/chosen stdout-path reg);
 * until then 0 selects QEMU's default vty.
 */
#include <stddef.h>
#include <arch/hcall.h>
#include <kern/console.h>

static uint64_t vterm;

void arch_console_set_vterm(uint32_t reg)
{
	vterm = reg;
}

static uint64_t be_pack(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | (i < n ? (uint8_t)p[i] : 0);
	return v;
}

void arch_console_write(const char *s, size_t len)
{
	while (len) {
		size_t n = len > 16 ? 16 : len;
		uint64_t w0 = be_pack(s, n);
		uint64_t w1 = n > 8 ? be_pack(s + 8, n - 8) : 0;
		long rc;
		int tries = 0;

		do {
			rc = hcall(H_PUT_TERM_CHAR, vterm, n, w0, w1, 0, 0, NULL);
		} while (hcall_is_busy(rc) && ++tries < 1000000);
		if (rc != H_SUCCESS)
			return;	/* nowhere left to report it */
		s += n;
		len -= n;
	}
}

int arch_console_poll(char *buf, size_t max)
{
	uint64_t rets[HCALL_RETS];
	long rc = hcall(H_GET_TERM_CHAR, vterm, 0, 0, 0, 0, 0, rets);
	size_t n;

	if (rc != H_SUCCESS)
		return -1;
	n = rets[0] > 16 ? 16 : rets[0];
	if (n > max)
		n = max;	/* callers pass >= 16; anything else is a bug */
	for (size_t i = 0; i < n; i++) {
		uint64_t w = i < 8 ? rets[1] : rets[2];
		buf[i] = (char)(w >> (56 - 8 * (i % 8)));
	}
	return (int)n;
}
