/*
 * virtio-rng.c - the entropy device (VIRTIO 1.2, 5.4): one request queue
 * whose device-writable buffers the device fills with random bytes from
 * the host kernel (getrandom(2)).  No features, no configuration.  The
 * core does the rest (tessera/virtio.h); this plugin makes it
 * "virtio-rng-device" on the virtio-mmio transport.
 */
#include <tessera/tessera.h>

#include <errno.h>
#include <sys/random.h>

#define RNG_DEVICE_ID 4
/* Bytes given for one request at most: the used length tells the driver
 * how many it got, and Linux asks for far less. */
#define RNG_REQUEST_MAX (64 * 1024)
/* Bytes produced per notification before yielding to the bottom half. */
#define RNG_WORK_BYTES (256 * 1024)

typedef struct VirtioRng {
    TsVirtioDevice parent;
    TsVirtqChain chain;         /* too large for the stack */
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

/* Fill one request; false when the queue broke. */
static bool serve_request(VirtioRng *r, uint32_t *given)
{
    uint8_t block[4096];
    uint32_t want = MIN(r->chain.in_len, RNG_REQUEST_MAX);
    for (uint32_t off = 0; off < want; off += sizeof(block)) {
        size_t n = MIN(sizeof(block), want - off);
        fill_random(block, n);
        if (!ts_virtio_chain_write(&r->parent, &r->chain, off, block, n)) {
            return false;
        }
    }
    *given = want;
    return ts_virtio_push(&r->parent, &r->chain, want);
}

static bool rng_queue_notify(TsVirtioDevice *dev, unsigned q)
{
    VirtioRng *r = (VirtioRng *)dev;
    size_t bytes = 0;
    /* A driver on another vCPU may keep adding requests while we run:
     * stop after a queue's worth, or a few hundred KiB. */
    for (unsigned served = 0; served < ts_virtio_queue_size(dev, 0);
         served++) {
        uint32_t given;
        if (bytes >= RNG_WORK_BYTES) {
            break;
        }
        if (ts_virtio_pop(dev, 0, &r->chain) <= 0 ||
            !serve_request(r, &given)) {
            ts_virtio_notify(dev, 0);
            return false;
        }
        bytes += given;
    }
    ts_virtio_notify(dev, 0);
    return ts_virtio_queue_active(dev, 0);
}

static const TsVirtioDeviceClass rng_class = {
    .name = "virtio-rng",
    .device_id = RNG_DEVICE_ID,
    .num_queues = 1,
    .driver_hint = "CONFIG_HW_RANDOM_VIRTIO",
    .instance_size = sizeof(VirtioRng),
    .queue_notify = rng_queue_notify,
};

static bool dev_virtio_rng_init(GError **errp)
{
    return ts_virtio_register_mmio(&rng_class, "virtio-rng-device",
                                   "virtio entropy source (virtio-mmio)",
                                   errp) &&
           ts_virtio_register_pci(&rng_class, "virtio-rng-pci",
                                  "virtio entropy source (PCI)", errp);
}

TS_PLUGIN("dev-virtio-rng", "virtio entropy source", dev_virtio_rng_init);
