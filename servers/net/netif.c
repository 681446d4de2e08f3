/*
 * The network server's interface (docs/network.md): an lwIP netif whose
 * frames go to and come from the netdev driver (idl/netdev.idl) in
 * batches through grants: lwIP's output is staged and sent by
 * net_if_flush (send_many) at the end of every entry into lwIP (a call,
 * the main loop's round) or when the stage is full; recv_many takes
 * every frame waiting. Staging happens with upcalls disabled (lwIP runs
 * so), and so does the flush. A driver that dies is looked up again; frames sent
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

static uint8_t tx_stage[NETDEV_MANY_MAX];
static uint32_t tx_used, tx_frames;

void net_if_flush(void)
{
	uint32_t sent = 0;
	long rc;

	if (!tx_used)
		return;
	k42_ipc_grant(tx_stage, tx_used, K42_PROT_READ);
	rc = netdev_send_many(driver, tx_used, &sent);
	if (rc == -K42_EDEAD || rc == -K42_ESRCH)
		driver_dead = 1;	/* may be handler context: no waiting here */
	drops += rc < 0 ? tx_frames : tx_frames - sent;
	tx_used = tx_frames = 0;
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	uint16_t len;

	(void)n;
	if (p->tot_len > NETDEV_FRAME_MAX) {
		drops++;
		return ERR_OK;
	}
	if (tx_used + 2 + p->tot_len > sizeof(tx_stage))
		net_if_flush();
	len = pbuf_copy_partial(p, tx_stage + tx_used + 2, NETDEV_FRAME_MAX, 0);
	tx_stage[tx_used] = (uint8_t)len;
	tx_stage[tx_used + 1] = (uint8_t)(len >> 8);
	tx_used += 2 + len;
	tx_frames++;
	return ERR_OK;	/* sent at the flush; a lost frame is the wire's business */
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
		{
			int s = k42_disable_save();

			net_if_flush();	/* the batch's answers (ACKs) go out together */
			k42_restore(s);
		}
	}
}
