/*
 * The network server (docs/network.md): lwIP over the netdev driver,
 * registered as "sock/inet" once its interface has an address. Arguments:
 * `ADDR/PREFIX [GATEWAY]` for a static address, or `dhcp`; with none,
 * QEMU's user network defaults (10.0.2.15/24 via 10.0.2.2). The main
 * thread feeds received frames to lwIP and runs its timers, sleeping on
 * I/O events (the driver's wake-up) until the next timer is due.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/server.h>
#include "lwip/timeouts.h"
#include "lwip/ip4_addr.h"
#include "sock.h"
#include "net.h"

static uint64_t next_due_tb;	/* when the main thread wakes for lwIP's timers */
static uint64_t self;

static uint64_t ms_to_tb(uint32_t ms);

/* A call may start a timer sooner than the main thread will wake (a
 * connection's retransmission): then wake it now to sleep less. */
static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	uint32_t ms;

	isock_serve(pid, m);
	netif_poll(&net_if);	/* what the call sent to ourselves */
	net_if_flush();		/* what it sent out */
	ms = sys_timeouts_sleeptime();
	if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE && k42_timebase() + ms_to_tb(ms) < next_due_tb) {
		next_due_tb = 0;
		(void)k42_io_notify(self);
	}
}

/* "a.b.c.d" into network order; 0 if malformed. */
static uint32_t parse_ip(const char *s, const char **end)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char *e;
		unsigned long b = strtoul(s, &e, 10);

		if (e == s || b > 255 || (i < 3 && *e != '.'))
			return 0;
		v |= (uint32_t)b << (8 * i);	/* little-endian host: byte i is octet i */
		s = e + (i < 3);
	}
	*end = s;
	return v;
}

static uint64_t ms_to_tb(uint32_t ms)
{
	return (uint64_t)ms * (k42_info(K42_INFO_TIMEBASE_HZ) / 1000);
}

int main(uint64_t argc)
{
	uint32_t addr = 0, mask = 0, gw = 0;
	const char *end;
	int registered = 0;
	long rc;

	if (argc < 2 || strcmp(k42_argv[1], "dhcp") != 0) {
		const char *a = argc >= 2 ? k42_argv[1] : "10.0.2.15/24";
		const char *g = argc >= 3 ? k42_argv[2] : argc >= 2 ? "0.0.0.0" : "10.0.2.2";
		unsigned long prefix = 24;

		addr = parse_ip(a, &end);
		if (addr && *end == '/')
			prefix = strtoul(end + 1, NULL, 10);
		if (!addr || prefix < 1 || prefix > 32) {
			k42_printf("net: bad address %s (ADDR/PREFIX, or dhcp)\n", a);
			return 1;
		}
		mask = __builtin_bswap32(prefix == 32 ? ~0u : ~(~0u >> prefix));
		gw = parse_ip(g, &end);
	}
	self = (uint64_t)k42_sc_sys_info(K42_INFO_PID);
	rc = net_if_start(addr, mask, gw);
	if (rc < 0) {
		k42_printf("net: no network device: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_serve(handle);
	for (;;) {
		uint64_t gen = k42_io_generation();
		uint32_t sleep_ms;
		int s;

		net_pump();
		s = k42_disable_save();
		netif_poll(&net_if);
		sys_check_timeouts();
		sleep_ms = sys_timeouts_sleeptime();
		net_if_flush();
		k42_restore(s);
		if (!registered && net_if_ready()) {
			const ip4_addr_t *ip = netif_ip4_addr(&net_if);

			if (k42_server_register("net", "sock/inet", SOCK_RIGHT_USE) < 0)
				return 1;
			registered = 1;
			k42_printf("net: %s up, %u.%u.%u.%u%s\n", net_if.name[0] ? "en0" : "?",
				   ip4_addr1(ip), ip4_addr2(ip), ip4_addr3(ip), ip4_addr4(ip),
				   addr ? "" : " (dhcp)");
		}
		if (sleep_ms > 1000)
			sleep_ms = 1000;
		s = k42_disable_save();
		next_due_tb = k42_timebase() + ms_to_tb(sleep_ms ? sleep_ms : 1);
		k42_restore(s);
		(void)k42_io_wait_gen(gen, next_due_tb);
	}
}
