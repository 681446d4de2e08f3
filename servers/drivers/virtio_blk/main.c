/*
 * The virtio-blk driver server (docs/devices.md): claims the first virtio
 * block device, serves idl/blk.idl under the name "blk", and is the only
 * process that touches the device. Calls are served on threads
 * (k42_serve_threads): a call queues its virtio request, and sleeps until
 * the device's interrupt, taken as a soft interrupt, completes it. Needs
 * the `driver` privilege (boot.conf privileges=driver).
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/sync.h>
#include <k42/syscalls.h>
#include "blk.h"
#include "virtio.h"

#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define NPAGES		(3 + 1 + 1)	/* queue; request header and status; data */
#define HDR_VA		(DMA_VA + 3 * 4096)
#define DATA_VA		(DMA_VA + 4 * 4096)
#define IRQ_BIT		K42_SOFTINTR_USER0
#define F_FLUSH		9
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define S_OK		0

struct req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct virtio_dev v;
static struct virtq q;
static uint64_t pas[NPAGES], capacity;
/* One request at a time: the DMA buffers are the device's until it is done. */
static struct k42_mutex io_lock;
static struct k42_cond io_done;
static volatile int completed;

/* Soft interrupt (disabled): drop INTx, collect the request, unmask. */
static void on_irq(uint64_t bits)
{
	void *cookie;
	uint32_t len;

	if (!(bits & IRQ_BIT))
		return;
	virtio_isr(&v);
	while (virtq_get(&q, &cookie, &len))
		completed = 1;
	k42_sc_dev_irq_ack(v.pci.irq_source);
	k42_cond_signal(&io_done);
}

/* Run one request (the caller holds io_lock); its status byte. */
static int run(uint32_t type, uint64_t sector, uint32_t bytes)
{
	struct req_hdr *h = (struct req_hdr *)HDR_VA;
	volatile uint8_t *status = (volatile uint8_t *)(HDR_VA + 64);
	struct virtq_buf b[3] = {
		{ pas[3], sizeof(*h), 0 },
		{ pas[4], bytes, type == T_IN },
		{ pas[3] + 64, 1, 1 },
	};
	int n = 3;

	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;
	if (!bytes) {
		b[1] = b[2];
		n = 2;
	}
	completed = 0;
	if (virtq_add(&q, b, n, (void *)1) < 0)
		return -K42_EAGAIN;
	virtq_kick(&v, &q);
	/* Timed: the interrupt may come between the test and the wait. */
	while (!completed)
		k42_cond_timedwait(&io_done, &io_lock,
				   k42_timebase() + k42_info(K42_INFO_TIMEBASE_HZ) / 100);
	return *status == S_OK ? 0 : -K42_EIO;
}

long blk_info_impl(const struct k42_ipc_caller *caller, uint64_t *sectors, uint32_t *sector_bytes)
{
	(void)caller;
	*sectors = capacity;
	*sector_bytes = BLK_SECTOR_SIZE;
	return 0;
}

long blk_read_impl(const struct k42_ipc_caller *caller, uint64_t sector, uint32_t count,
		   uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	uint32_t bytes = count * BLK_SECTOR_SIZE;
	long rc;

	(void)caller;
	if (count == 0 || bytes > data_cap || sector >= capacity || count > capacity - sector)
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	rc = run(T_IN, sector, bytes);
	if (rc == 0) {
		memcpy(data, (void *)DATA_VA, bytes);
		*data_len = bytes;
	}
	k42_mutex_unlock(&io_lock);
	return rc;
}

long blk_write_impl(const struct k42_ipc_caller *caller, uint64_t sector, const uint8_t *data,
		    uint32_t data_len)
{
	uint32_t count = data_len / BLK_SECTOR_SIZE;
	long rc;

	(void)caller;
	if (!data_len || data_len % BLK_SECTOR_SIZE || sector >= capacity || count > capacity - sector)
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	memcpy((void *)DATA_VA, data, data_len);
	rc = run(T_OUT, sector, data_len);
	k42_mutex_unlock(&io_lock);
	return rc;
}

long blk_flush_impl(const struct k42_ipc_caller *caller)
{
	long rc;

	(void)caller;
	if (!(v.features & (1ull << F_FLUSH)))
		return 0;	/* no volatile write cache to flush */
	k42_mutex_lock(&io_lock);
	rc = run(T_FLUSH, 0, 0);
	k42_mutex_unlock(&io_lock);
	return rc;
}

static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, BLK_RIGHT_READ | BLK_RIGHT_WRITE };

	blk_dispatch(&who, m);
}

static int start_device(void)
{
	int rc = virtio_open(0x1001, 0, MMIO_VA, 1ull << F_FLUSH, &v);

	if (rc < 0)
		return rc;
	capacity = *(volatile uint32_t *)v.device | (uint64_t)*(volatile uint32_t *)(v.device + 4) << 32;
	if ((rc = (int)k42_sc_dev_dma_alloc(DMA_VA, NPAGES, (uint64_t)pas)) < 0)
		return rc;
	k42_on_user_softintr(on_irq);
	if ((rc = (int)k42_sc_dev_irq_attach(v.pci.irq_source, IRQ_BIT)) < 0)
		return rc;
	if ((rc = virtq_setup(&v, 0, 16, &q, DMA_VA, pas)) < 0)
		return rc;
	return virtio_ready(&v);
}

int main(uint64_t arg)
{
	struct k42_sem forever;
	long rc;

	(void)arg;
	k42_mutex_init(&io_lock);
	k42_cond_init(&io_done);
	rc = start_device();
	if (rc < 0) {
		k42_printf("virtio_blk: no disk: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_serve_threads(handle);
	rc = k42_name_register("blk", BLK_RIGHT_READ | BLK_RIGHT_WRITE);
	if (rc < 0) {
		k42_printf("virtio_blk: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_printf("virtio_blk: %lu sectors, irq 0x%x\n", capacity, v.pci.irq_source);
	k42_sem_init(&forever, 0);
	k42_sem_wait(&forever);
	return 0;
}
