/*
 * virtio-rng.c - the entropy device (VIRTIO 1.2, 5.4): one request queue
 * whose device-writable buffers the device fills with random bytes from
 * the host kernel (getrandom(2)).  No features, no configuration.
 */
#include "virtio.h"

#include <errno.h>
#include <sys/random.h>

#define RNG_DEVICE_ID 4
/* Bytes given for one request at most: the used length tells the driver
 * how many it got, and Linux asks for far less. */
#define RNG_REQUEST_MAX (64 * 1024)
/* Bytes produced per call of the queue work, before yielding. */
#define RNG_WORK_BYTES (256 * 1024)

typedef struct VirtioRng {
    VirtioMmio parent;
    VirtqChain chain;           /* too large for the stack */
} VirtioRng;

/* getrandom(2) blocks only before the host's pool is initialised; short
 * reads happen for large requests and signals.  If the host has no
 * getrandom at all, GLib's generator is still better than nothing. */
static void fill_random(uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = getrandom(buf, len, 0);
        if (n > 0) {
            buf += n;
            len -= n;
        } else if (n < 0 && errno != EINTR) {
            for (; len; len--) {
                *buf++ = g_random_int_range(0, 256);
            }
        }
    }
}

/* Fill one request; false (queue given up) on a DMA failure. */
static bool serve_request(VirtioRng *r, VirtQueue *vq, uint32_t *given)
{
    uint8_t block[4096];
    uint32_t want = MIN(r->chain.in_len, RNG_REQUEST_MAX);
    GError *err = NULL;
    for (uint32_t off = 0; off < want; off += sizeof(block)) {
        size_t n = MIN(sizeof(block), want - off);
        fill_random(block, n);
        if (!virtq_chain_write(vq, &r->chain, off, block, n, &err)) {
            virtio_mmio_queue_error(&r->parent, 0, err);
            return false;
        }
    }
    if (!virtq_push(vq, r->chain.head, want, &err)) {
        virtio_mmio_queue_error(&r->parent, 0, err);
        return false;
    }
    *given = want;
    return true;
}

static bool rng_queue_work(VirtioMmio *v, unsigned q)
{
    VirtioRng *r = (VirtioRng *)v;
    VirtQueue *vq = &v->vq[0];
    size_t bytes = 0;
    unsigned served = 0;
    bool more = false;
    for (;;) {
        /* A driver on another vCPU may keep adding requests while we run:
         * stop after a queue's worth, or a few hundred KiB, and come
         * back from the bottom half. */
        if (bytes >= RNG_WORK_BYTES || served == vq->num) {
            more = true;
            break;
        }
        GError *err = NULL;
        int got = virtq_pop(vq, &r->chain, &err);
        if (got < 0) {
            virtio_mmio_queue_error(v, 0, err);
            break;
        }
        uint32_t given;
        if (got == 0 || !serve_request(r, vq, &given)) {
            break;
        }
        bytes += given;
        served++;
    }
    virtio_mmio_notify(v, 0);
    return more && virtio_mmio_queue_active(v, 0);
}

static void rng_class_init(TsObjectClass *klass, const void *data)
{
    VirtioMmioClass *vc = (VirtioMmioClass *)klass;
    vc->device_id = RNG_DEVICE_ID;
    vc->num_queues = 1;
    vc->driver_hint = "CONFIG_HW_RANDOM_VIRTIO";
    vc->queue_work = rng_queue_work;
}

static const TsTypeInfo rng_type = {
    .name = "virtio-rng-device",
    .parent = TYPE_VIRTIO_MMIO,
    .description = "virtio entropy source (virtio-mmio)",
    .instance_size = sizeof(VirtioRng),
    .class_init = rng_class_init,
};

bool virtio_rng_register(GError **errp)
{
    return ts_type_register(&rng_type, errp);
}
