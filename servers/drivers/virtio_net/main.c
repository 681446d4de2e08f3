/*
 * The virtio-net driver server (docs/network.md): claims the first virtio
 * network device and serves idl/netdev.idl under the name "netdev", one
 * Ethernet frame per call, or with recv_many / send_many as many as fit
 * 64 KiB of the caller's grant, to one client at a time (the network server;
 * a dead client's claim passes to the next caller). Receive buffers are
 * posted ahead; the device's interrupt, taken as a soft interrupt,
 * collects what it filled and wakes the client (ioevent.event). Calls
 * and the interrupt both run disabled on the upcall stack (k42_serve),
 * so they never interleave and nothing here needs a lock. Needs the
 * `driver` privilege (boot.conf privileges=driver).
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/services.h>
#include <k42/syscalls.h>
#include "netdev.h"
#include "virtio.h"

#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define QSIZE		128
#define BUF_BYTES	2048		/* two per page */
#define RXQ_PAGE	0
#define TXQ_PAGE	3
#define RXBUF_PAGE	6
#define TXBUF_PAGE	(RXBUF_PAGE + QSIZE / 2)
#define NPAGES		(TXBUF_PAGE + QSIZE / 2)
#define IRQ_BIT		K42_SOFTINTR_USER0
#define F_MAC		5
#define HDR_BYTES	12		/* struct virtio_net_hdr with num_buffers (VERSION_1) */

static struct virtio_dev v;
static struct virtq rxq, txq;
static uint64_t pas[NPAGES];
static uint8_t mac[6];
/* Received buffers not yet taken, in order: index and length. */
static uint16_t done_idx[QSIZE];
static uint32_t done_len[QSIZE];
static uint32_t done_head, done_tail;
static uint16_t tx_free[QSIZE];
static uint32_t ntx_free;
static uint64_t client;		/* the claiming process */
static uint32_t armed;		/* client asked to be woken */
static uint64_t n_sent, n_received, n_dropped;

static uint64_t buf_pa(int page0, unsigned i)
{
	return pas[page0 + i / 2] + (i % 2) * BUF_BYTES;
}

static uint8_t *buf_va(int page0, unsigned i)
{
	return (uint8_t *)(DMA_VA + (uint64_t)(page0 + i / 2) * 4096 + (i % 2) * BUF_BYTES);
}

static void post_rx(unsigned i)
{
	struct virtq_buf b = { buf_pa(RXBUF_PAGE, i), BUF_BYTES, 1 };

	(void)virtq_add(&rxq, &b, 1, (void *)(uintptr_t)(i + 1));
}

/* Collect what the device finished: received frames, sent buffers. */
static void reap(void)
{
	void *cookie;
	uint32_t len;

	while (virtq_get(&rxq, &cookie, &len)) {
		unsigned i = (unsigned)(uintptr_t)cookie - 1;

		if (len <= HDR_BYTES || len > BUF_BYTES) {
			post_rx(i);	/* nothing usable: give it back */
			n_dropped++;
			continue;
		}
		done_idx[done_tail % QSIZE] = (uint16_t)i;
		done_len[done_tail % QSIZE] = len - HDR_BYTES;
		done_tail++;
		n_received++;
	}
	while (virtq_get(&txq, &cookie, &len))
		tx_free[ntx_free++] = (uint16_t)((uintptr_t)cookie - 1);
}

static void on_irq(uint64_t bits)
{
	if (!(bits & IRQ_BIT))
		return;
	virtio_isr(&v);
	reap();
	k42_sc_dev_irq_ack(v.pci.irq_source);
	if (armed && done_head != done_tail) {
		armed = 0;
		(void)k42_io_notify(client);
	}
}

/* One client at a time: the first caller claims the device; a claim
 * passes on when its holder has died. */
static long claim(const struct k42_ipc_caller *c)
{
	uint64_t alive = 0;

	if (client == c->pid)
		return 0;
	if (client && k42_proc_info(client, &alive, NULL) == 0 && alive)
		return -K42_EBUSY;
	client = c->pid;
	armed = 0;
	return 0;
}

long netdev_info_impl(const struct k42_ipc_caller *c, uint8_t out[6], uint32_t *mtu)
{
	long rc = claim(c);

	if (rc < 0)
		return rc;
	memcpy(out, mac, 6);
	*mtu = 1500;
	return 0;
}

/* One frame onto the transmit ring (not kicked); 0 or -K42_EAGAIN (full). */
static long tx_one(const uint8_t *frame, uint32_t len)
{
	struct virtq_buf b;
	unsigned i;

	if (!ntx_free) {
		n_dropped++;
		return -K42_EAGAIN;
	}
	i = tx_free[--ntx_free];
	memset(buf_va(TXBUF_PAGE, i), 0, HDR_BYTES);
	memcpy(buf_va(TXBUF_PAGE, i) + HDR_BYTES, frame, len);
	b = (struct virtq_buf){ buf_pa(TXBUF_PAGE, i), HDR_BYTES + len, 0 };
	if (virtq_add(&txq, &b, 1, (void *)(uintptr_t)(i + 1)) < 0) {
		tx_free[ntx_free++] = (uint16_t)i;
		n_dropped++;
		return -K42_EAGAIN;
	}
	n_sent++;
	return 0;
}

long netdev_send_impl(const struct k42_ipc_caller *c, const uint8_t *frame, uint32_t len)
{
	long rc = claim(c);

	if (rc < 0)
		return rc;
	if (len < 14)
		return -K42_EINVAL;
	reap();
	rc = tx_one(frame, len);
	if (rc == 0)
		virtq_kick(&v, &txq);
	return rc;
}

long netdev_send_many_impl(const struct k42_ipc_caller *c, uint32_t bytes, uint32_t *sent)
{
	static uint8_t stage[NETDEV_MANY_MAX];
	uint32_t at, k = 0;
	long rc = claim(c);

	if (rc < 0)
		return rc;
	if (bytes > NETDEV_MANY_MAX)
		return -K42_EINVAL;
	if ((rc = k42_ipc_grant_read(k42_ipc_handle(), 0, stage, bytes)) < 0)
		return rc;
	/* Check every record before sending any. */
	for (at = 0; at < bytes;) {
		uint32_t n = at + 2 <= bytes ? (uint32_t)(stage[at] | stage[at + 1] << 8) : 0;

		if (n < 14 || n > NETDEV_FRAME_MAX || at + 2 + n > bytes)
			return -K42_EINVAL;
		at += 2 + n;
	}
	reap();
	for (at = 0; at < bytes; ) {
		uint32_t n = (uint32_t)(stage[at] | stage[at + 1] << 8);

		if (tx_one(stage + at + 2, n) == 0)
			k++;
		at += 2 + n;
	}
	if (k)
		virtq_kick(&v, &txq);
	*sent = k;
	return 0;
}

long netdev_recv_impl(const struct k42_ipc_caller *c, bool arm, uint8_t *frame, uint32_t cap,
		      uint32_t *len, bool *more)
{
	unsigned i;
	uint32_t n;
	long rc = claim(c);

	if (rc < 0)
		return rc;
	reap();
	if (done_head == done_tail) {
		if (arm)
			armed = 1;
		return -K42_EAGAIN;
	}
	i = done_idx[done_head % QSIZE];
	n = done_len[done_head % QSIZE];
	done_head++;
	if (n > cap)
		n = cap;	/* longer than a frame: the device broke the MTU */
	memcpy(frame, buf_va(RXBUF_PAGE, i) + HDR_BYTES, n);
	*len = n;
	post_rx(i);
	virtq_kick(&v, &rxq);
	*more = done_head != done_tail;
	return 0;
}

long netdev_recv_many_impl(const struct k42_ipc_caller *c, bool arm, uint32_t cap,
			   uint32_t *count, uint32_t *used, bool *more)
{
	static uint8_t stage[NETDEV_MANY_MAX];
	uint32_t k = 0, at = 0, head;
	long rc = claim(c);

	if (rc < 0)
		return rc;
	if (cap < 2 + NETDEV_FRAME_MAX || cap > NETDEV_MANY_MAX)
		return -K42_EINVAL;
	reap();
	if (done_head == done_tail) {
		if (arm)
			armed = 1;
		return -K42_EAGAIN;
	}
	/* Stage the records, copy them out in one go, and only then give
	 * the buffers back: a refused grant leaves the frames queued. */
	for (head = done_head; head != done_tail; head++, k++) {
		uint32_t n = done_len[head % QSIZE];

		if (n > NETDEV_FRAME_MAX)
			n = NETDEV_FRAME_MAX;	/* longer than a frame: the device broke the MTU */
		if (at + 2 + n > cap)
			break;
		stage[at] = (uint8_t)n;
		stage[at + 1] = (uint8_t)(n >> 8);
		memcpy(stage + at + 2, buf_va(RXBUF_PAGE, done_idx[head % QSIZE]) + HDR_BYTES, n);
		at += 2 + n;
	}
	if ((rc = k42_ipc_grant_write(k42_ipc_handle(), 0, stage, at)) < 0)
		return rc;
	for (uint32_t i = 0; i < k; i++, done_head++)
		post_rx(done_idx[done_head % QSIZE]);
	virtq_kick(&v, &rxq);
	*count = k;
	*used = at;
	*more = done_head != done_tail;
	return 0;
}

long netdev_stats_impl(const struct k42_ipc_caller *c, uint64_t *sent, uint64_t *received,
		       uint64_t *dropped)
{
	(void)c;
	*sent = n_sent;
	*received = n_received;
	*dropped = n_dropped;
	return 0;
}

static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, NETDEV_RIGHT_USE };

	if (k42_ipc_op_iface(m->op) != NETDEV_IFACE_ID) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	netdev_dispatch(&who, m);
}

static int start_device(void)
{
	int rc = virtio_open(0x1000, 0, MMIO_VA, 1ull << F_MAC, &v);

	if (rc < 0)
		return rc;
	if (v.features & (1ull << F_MAC)) {
		for (int i = 0; i < 6; i++)
			mac[i] = v.device[i];
	} else {
		static const uint8_t local[6] = { 0x02, 0x00, 0x00, 0x4b, 0x34, 0x32 };

		memcpy(mac, local, 6);
	}
	if ((rc = (int)k42_sc_dev_dma_alloc(DMA_VA, NPAGES, (uint64_t)pas)) < 0)
		return rc;
	k42_on_user_softintr(on_irq);
	if ((rc = (int)k42_sc_dev_irq_attach(v.pci.irq_source, IRQ_BIT)) < 0)
		return rc;
	if ((rc = virtq_setup(&v, 0, QSIZE, &rxq, DMA_VA + RXQ_PAGE * 4096, &pas[RXQ_PAGE])) < 0 ||
	    (rc = virtq_setup(&v, 1, QSIZE, &txq, DMA_VA + TXQ_PAGE * 4096, &pas[TXQ_PAGE])) < 0)
		return rc;
	if (rxq.size != QSIZE || txq.size != QSIZE)
		return -K42_EINVAL;
	for (unsigned i = 0; i < QSIZE; i++) {
		post_rx(i);
		tx_free[ntx_free++] = (uint16_t)i;
	}
	if ((rc = virtio_ready(&v)) < 0)
		return rc;
	virtq_kick(&v, &rxq);
	return 0;
}

int main(uint64_t arg)
{
	long rc;

	(void)arg;
	rc = start_device();
	if (rc < 0) {
		k42_printf("virtio_net: no network device: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_serve(handle);
	rc = k42_name_register("netdev", NETDEV_RIGHT_USE);
	if (rc < 0) {
		k42_printf("virtio_net: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_printf("virtio_net: %02x:%02x:%02x:%02x:%02x:%02x, irq 0x%x\n", mac[0], mac[1], mac[2],
		   mac[3], mac[4], mac[5], v.pci.irq_source);
	for (;;)
		k42_sc_block();
}
