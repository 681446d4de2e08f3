/*
 * The network server's interface (docs/network.md): an lwIP netif whose
 * frames go to the netdev driver (idl/netdev.idl) one per call and come
 * from it as many as are waiting per call (recv_many, into a grant). A driver that dies is looked up again; frames sent
 * meanwhile are lost, as on a wire, and TCP sends them again.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/services.h>
#include "lwip/init.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"
#include "netdev.h"
#include "net.h"

struct netif net_if;
static uint64_t driver;
static uint64_t drops;
static int driver_dead;	/* seen by linkoutput; the main thread looks again */

static long find_driver(void)
{
	uint64_t pid;
	long rc = k42_name_wait("netdev", &pid, NULL, 5000);

	if (rc == 0)
		driver = pid;
	return rc;
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	uint8_t frame[NETDEV_FRAME_MAX];
	uint16_t len = pbuf_copy_partial(p, frame, sizeof(frame), 0);
	long rc;

	(void)n;
	rc = netdev_send(driver, frame, len);
	if (rc == -K42_EDEAD || rc == -K42_ESRCH)
		driver_dead = 1;	/* may be handler context: no waiting here */
	if (rc < 0)
		drops++;
	return ERR_OK;	/* a lost frame is the wire's business */
}

static err_t if_init(struct netif *n)
{
	uint8_t mac[6];
	uint32_t mtu = 1500;

	if (netdev_info(driver, mac, &mtu) < 0)
		return ERR_IF;
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	n->mtu = (u16_t)mtu;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		   NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

int net_if_start(uint32_t addr, uint32_t mask, uint32_t gw)
{
	ip4_addr_t a, m, g;
	long rc = find_driver();

	if (rc < 0)
		return (int)rc;
	lwip_init();
	a.addr = addr;
	m.addr = mask;
	g.addr = gw;
	if (!netif_add(&net_if, &a, &m, &g, NULL, if_init, ethernet_input))
		return -K42_ENXIO;
	netif_set_default(&net_if);
	netif_set_up(&net_if);
	if (!addr && dhcp_start(&net_if) != ERR_OK)
		return -K42_ENOMEM;
	return 0;
}

int net_if_ready(void)
{
	return !ip4_addr_isany_val(*netif_ip4_addr(&net_if));
}

static void input(const uint8_t *frame, uint32_t len)
{
	struct pbuf *p;
	int s = k42_disable_save();

	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (p) {
		pbuf_take(p, frame, (u16_t)len);
		if (net_if.input(p, &net_if) != ERR_OK)
			pbuf_free(p);
	}
	k42_restore(s);
}

void net_pump(void)
{
	static uint8_t frames[NETDEV_MANY_MAX];

	if (driver_dead) {
		if (find_driver() < 0)
			return;
		driver_dead = 0;
	}
	for (;;) {
		uint32_t count = 0, used = 0, at = 0;
		bool more = false;
		long rc;

		k42_ipc_grant(frames, sizeof(frames), K42_PROT_WRITE);
		rc = netdev_recv_many(driver, true, sizeof(frames), &count, &used, &more);
		if (rc == -K42_EDEAD || rc == -K42_ESRCH) {
			if (find_driver() < 0)
				return;
			continue;
		}
		if (rc < 0)
			return;
		/* Records: a 2-byte length, then the frame (idl/netdev.idl). */
		for (uint32_t i = 0; i < count && used <= sizeof(frames) && at + 2 <= used; i++) {
			uint32_t len = frames[at] | (uint32_t)frames[at + 1] << 8;

			if (len > NETDEV_FRAME_MAX || at + 2 + len > used)
				break;	/* the driver broke the format: drop the rest */
			input(frames + at + 2, len);
			at += 2 + len;
		}
	}
}
