/*
 * test-dev-virtio-net.c - the virtio-net model of plugins/dev-virtio-net
 * on the virtio-mmio transport, driven by the test's guest driver
 * (tests/harness/virtio-driver.c), with a fake backend registered by the
 * test as the "fake" netdev type: it records what it receives, can refuse
 * frames (flow control), and can claim a virtio-net header (as tap does).
 *
 * Covered: identity, configuration and the features offered with and
 * without a header-carrying backend; transmit (header stripped or kept,
 * partial checksums finished, segmentation refused), transmit flow
 * control; receive (header, mergeable buffers, too-small buffers, no
 * buffers yet), the receive filter as the control queue sets it (rx
 * modes, MAC table, own address, VLANs), offloads told to the backend;
 * and a hostile driver on every queue.
 */
#include "virtio-driver.h"

#include <errno.h>
#include <stdio.h>

#define NET_BASE UINT64_C(0x10001000)
#define RXBUF    (TEST_BUF)                 /* 4 KiB each */
#define TXBUF    (TEST_BUF + 0x200000)      /* 0x11000 each */
#define CTRLBUF  (TEST_BUF + 0x600000)
#define QNUM     16

#define F(bit) (UINT64_C(1) << (bit))
enum {
    F_CSUM = 0, F_GUEST_CSUM = 1, F_CTRL_GUEST_OFFLOADS = 2, F_MTU = 3,
    F_MAC = 5, F_GUEST_TSO4 = 7, F_GUEST_TSO6 = 8, F_GUEST_ECN = 9,
    F_GUEST_UFO = 10, F_HOST_TSO4 = 11, F_HOST_TSO6 = 12, F_HOST_ECN = 13,
    F_HOST_UFO = 14, F_MRG_RXBUF = 15, F_STATUS = 16, F_CTRL_VQ = 17,
    F_CTRL_RX = 18, F_CTRL_VLAN = 19, F_CTRL_RX_EXTRA = 20,
    F_GUEST_ANNOUNCE = 21, F_MQ = 22, F_CTRL_MAC_ADDR = 23,
    F_SPEED_DUPLEX = 63,
};

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t OTHER[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* ------------------------------------------------------------------ */
/* The fake backend                                                    */

typedef struct FakeNetdev {
    TsNetdev parent;
    bool vnet;                  /* option: claims a virtio-net header */
    bool full;                  /* refuses frames for now */
    bool echo;                  /* answers each frame from receive */
    GPtrArray *frames;          /* GByteArray each */
    int vnet_len;
    bool using_vnet;
    TsNetOffloads offloads;
    unsigned offload_calls;
    unsigned sent_done;         /* our kept frames that went through */
} FakeNetdev;

static FakeNetdev *fake;

static bool fake_can_receive(TsNetClient *nc)
{
    return !fake->full;
}

static ssize_t fake_receive(TsNetClient *nc, const struct iovec *iov,
                            int iovcnt)
{
    if (fake->full) {
        return 0;
    }
    GByteArray *b = g_byte_array_new();
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(b, iov[i].iov_base, iov[i].iov_len);
    }
    g_ptr_array_add(fake->frames, b);
    if (fake->echo) {
        /* As slirp answers an ARP request: at once, from this call */
        ts_net_send_buf(fake->parent.client, b->data, b->len, NULL);
    }
    return b->len;
}

static bool fake_has_vnet_hdr(TsNetClient *nc)
{
    return fake->vnet;
}

static bool fake_has_ufo(TsNetClient *nc)
{
    return fake->vnet;
}

static void fake_set_vnet_hdr_len(TsNetClient *nc, int len)
{
    fake->vnet_len = len;
}

static void fake_set_offload(TsNetClient *nc, const TsNetOffloads *o)
{
    fake->offloads = *o;
    fake->offload_calls++;
}

static void fake_using_vnet_hdr(TsNetClient *nc, bool enable)
{
    fake->using_vnet = enable;
}

static const TsNetClientOps fake_ops = {
    .can_receive = fake_can_receive,
    .receive = fake_receive,
    .has_vnet_hdr = fake_has_vnet_hdr,
    .has_ufo = fake_has_ufo,
    .set_vnet_hdr_len = fake_set_vnet_hdr_len,
    .set_offload = fake_set_offload,
    .using_vnet_hdr = fake_using_vnet_hdr,
};

static bool fake_open(TsNetdev *nd, GError **errp)
{
    fake = (FakeNetdev *)nd;
    fake->frames = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_byte_array_unref);
    return true;
}

static void fake_close(TsNetdev *nd)
{
    FakeNetdev *f = (FakeNetdev *)nd;
    g_ptr_array_unref(f->frames);
    if (fake == f) {
        fake = NULL;
    }
}

static const TsProperty fake_options[] = {
    TS_PROP_BOOL("vnet", FakeNetdev, vnet, false, "claim a vnet header"),
    TS_PROP_END,
};

static const TsNetdevDriver fake_driver = {
    .name = "fake",
    .description = "the test's backend",
    .instance_size = sizeof(FakeNetdev),
    .options = fake_options,
    .ops = &fake_ops,
    .open = fake_open,
    .close = fake_close,
};

static void fake_sent(TsNetClient *nc, ssize_t len)
{
    fake->sent_done++;
}

/* A frame from the backend to the NIC. */
static ssize_t fake_send(const void *buf, size_t len)
{
    return ts_net_send_buf(fake->parent.client, buf, len, fake_sent);
}

/* ------------------------------------------------------------------ */
/* Device and driver                                                   */

#include "net/net-internal.h"
#include "net/net-options.h"

/* -netdev as the core parses it ("fake,id=n0,vnet=on"), and netdev_del */
static bool net_test_netdev_add(const char *opts, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(opts, "type", errp);
    return pairs && netdev_create(pairs, errp);
}

static bool net_test_netdev_del(const char *id, GError **errp)
{
    return netdev_delete_by_id(id, errp);
}

static TsDevice *net_dev;
static Vdrv drv = { .base = NET_BASE };
static TestIrq *irq;

/* The netdev (vnet= as asked) and the device on it, with extra device
 * properties. */
static void net_new(bool vnet, const char *const *extra)
{
    const char *opts = vnet ? "fake,id=n0,vnet=on" : "fake,id=n0";
    g_autoptr(GError) err = NULL;
    g_assert_true(net_test_netdev_add(opts, &err));
    g_assert_no_error(err);
    g_assert_nonnull(fake);
    const char *props[16] = { "addr=0x10001000", "netdev=n0",
                              "mac=52:54:00:aa:bb:cc" };
    unsigned n = 3;
    for (; extra && *extra; extra++) {
        props[n++] = *extra;
    }
    props[n] = NULL;
    if (!irq) {
        irq = test_irq_new();
    }
    net_dev = harness_device("virtio-net-device", "net0", irq, props);
}

static void net_free(void)
{
    harness_destroy(net_dev);
    net_dev = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_true(net_test_netdev_del("n0", &err));
    g_assert_null(fake);
}

static uint64_t device_features(void)
{
    vd_wr(&drv, VD_DEVICE_FEATURES_SEL, 0);
    uint64_t lo = vd_rd(&drv, VD_DEVICE_FEATURES);
    vd_wr(&drv, VD_DEVICE_FEATURES_SEL, 1);
    return lo | (uint64_t)vd_rd(&drv, VD_DEVICE_FEATURES) << 32;
}

/* A receive buffer the device took for a frame it then filtered out:
 * still the device's, so delivered() posts no new one. */
static bool rx_spare;

static void driver_up(uint64_t features)
{
    vd_start(&drv, features, 3, QNUM);
    rx_spare = false;
}

static bool used_reaches(void *opaque)
{
    unsigned q = GPOINTER_TO_UINT(opaque);
    return vd_used_idx(&drv, q) == drv.q[q].avail_idx;
}

static void wait_used(unsigned q)
{
    g_assert_true(run_until(used_reaches, GUINT_TO_POINTER(q), 5000));
}

/* Receive buffer `i` (descriptor i) of `len` bytes, made available. */
static void post_rx(unsigned i, uint32_t len)
{
    ram_fill(RXBUF + 4096 * (uint64_t)i, 0xee, 4096);
    vd_desc(&drv, 0, i % QNUM, RXBUF + 4096 * (uint64_t)i, len,
            VD_DESC_WRITE, 0);
    vd_avail(&drv, 0, i % QNUM);
}

/* An Ethernet frame of `len` bytes to `dst`, payload bytes `fill`. */
static uint8_t *frame_new(const uint8_t *dst, size_t len, uint8_t fill)
{
    uint8_t *f = g_malloc(len);
    memset(f, fill, len);
    memcpy(f, dst, 6);
    memcpy(f + 6, OTHER, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    return f;
}

/* Queue one transmit chain in slot `i`: header then frame, split over
 * two descriptors as Linux does. */
static void post_tx(unsigned i, const uint8_t *hdr, const uint8_t *frame,
                    size_t len)
{
    uint64_t at = TXBUF + 0x11000 * (uint64_t)i;
    ram_write(at, hdr, 12);
    ram_write(at + 12, frame, len);
    unsigned d0 = (2 * i) % QNUM, d1 = (2 * i + 1) % QNUM;
    vd_desc(&drv, 1, d0, at, 12, VD_DESC_NEXT, d1);
    vd_desc(&drv, 1, d1, at + 12, (uint32_t)len, 0, 0);
    vd_avail(&drv, 1, d0);
}

static const uint8_t NO_HDR[12];

static uint16_t vnet16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static GByteArray *fake_frame(unsigned i)
{
    g_assert_cmpuint(fake->frames->len, >, i);
    return g_ptr_array_index(fake->frames, i);
}

/* A control command: class, command, data; returns the ack byte. */
static uint8_t ctrl(uint8_t cls, uint8_t cmd, const void *data,
                    size_t len)
{
    uint8_t buf[1024];
    buf[0] = cls;
    buf[1] = cmd;
    g_assert_cmpuint(len, <=, sizeof(buf) - 2);
    if (len) {
        memcpy(buf + 2, data, len);
    }
    ram_write(CTRLBUF, buf, len + 2);
    ram_fill(CTRLBUF + 0x1000, 0x77, 1);
    vd_desc(&drv, 2, 0, CTRLBUF, (uint32_t)len + 2, VD_DESC_NEXT, 1);
    vd_desc(&drv, 2, 1, CTRLBUF + 0x1000, 1, VD_DESC_WRITE, 0);
    vd_avail(&drv, 2, 0);
    vd_notify(&drv, 2);
    wait_used(2);
    uint8_t ack;
    ram_read(CTRLBUF + 0x1000, &ack, 1);
    return ack;
}

static uint8_t ctrl_rx(uint8_t cmd, bool on)
{
    uint8_t v = on;
    return ctrl(0, cmd, &v, 1);
}

/* ------------------------------------------------------------------ */

static void test_identity(void)
{
    net_new(false, NULL);
    g_assert_cmpuint(vd_rd(&drv, VD_DEVICE_ID), ==, 1);
    uint64_t f = device_features();
    uint64_t want = F(F_MAC) | F(F_MRG_RXBUF) | F(F_STATUS) | F(F_CTRL_VQ) |
                    F(F_CTRL_RX) | F(F_CTRL_VLAN) | F(F_CTRL_RX_EXTRA) |
                    F(F_GUEST_ANNOUNCE) | F(F_CTRL_MAC_ADDR) |
                    F(F_SPEED_DUPLEX) | VD_F_VERSION_1 | VD_F_EVENT_IDX |
                    VD_F_INDIRECT_DESC;
    /* No backend header: no checksum or segmentation offload */
    g_assert_cmphex(f, ==, want);
    uint8_t mac[6];
    for (unsigned i = 0; i < 6; i++) {
        mac[i] = (uint8_t)mmio_read(NET_BASE + VD_CONFIG + i, 1);
    }
    g_assert_cmpmem(mac, 6, MAC, 6);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 6, 2), ==, 1);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 8, 2), ==, 1);
    g_assert_cmphex(vd_rd(&drv, VD_CONFIG + 12), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 16, 1), ==, 0xff);
    vd_wr(&drv, VD_QUEUE_SEL, 2);
    g_assert_cmpuint(vd_rd(&drv, VD_QUEUE_NUM_MAX), ==, 256);
    vd_wr(&drv, VD_QUEUE_SEL, 3);
    g_assert_cmpuint(vd_rd(&drv, VD_QUEUE_NUM_MAX), ==, 0);
    g_assert_false(fake->using_vnet);
    net_free();

    /* Properties off take their bits away; ctrl_vq=off takes the
     * control queue and every command class with it */
    const char *off[] = { "ctrl_vq=off", "mrg_rxbuf=off", "status=off",
                          "event_idx=off", "host_mtu=1400", "speed=1000",
                          "duplex=full", NULL };
    net_new(false, off);
    g_assert_cmphex(device_features(), ==,
                    F(F_MAC) | F(F_MTU) | F(F_SPEED_DUPLEX) |
                    VD_F_VERSION_1 | VD_F_INDIRECT_DESC);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 10, 2), ==, 1400);
    g_assert_cmphex(vd_rd(&drv, VD_CONFIG + 12), ==, 1000);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 16, 1), ==, 1);
    vd_wr(&drv, VD_QUEUE_SEL, 2);
    g_assert_cmpuint(vd_rd(&drv, VD_QUEUE_NUM_MAX), ==, 0);
    net_free();
}

static void test_vnet_peer(void)
{
    net_new(true, NULL);
    uint64_t f = device_features();
    uint64_t offl = F(F_CSUM) | F(F_GUEST_CSUM) | F(F_CTRL_GUEST_OFFLOADS) |
                    F(F_GUEST_TSO4) | F(F_GUEST_TSO6) | F(F_GUEST_ECN) |
                    F(F_GUEST_UFO) | F(F_HOST_TSO4) | F(F_HOST_TSO6) |
                    F(F_HOST_ECN) | F(F_HOST_UFO);
    g_assert_cmphex(f & offl, ==, offl);
    g_assert_true(fake->using_vnet);
    g_assert_cmpint(fake->vnet_len, ==, 12);
    /* The guest's offloads reach the backend */
    driver_up(F(F_GUEST_CSUM) | F(F_GUEST_TSO4) | F(F_CTRL_VQ) |
              F(F_CTRL_GUEST_OFFLOADS));
    uint8_t frame_hdr[12] = { 0 };
    uint8_t *fr = frame_new(OTHER, 60, 1);
    post_tx(0, frame_hdr, fr, 60);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_true(fake->offloads.csum && fake->offloads.tso4);
    g_assert_false(fake->offloads.tso6 || fake->offloads.ufo);
    /* The header goes to the backend with the frame */
    g_assert_cmpuint(fake_frame(0)->len, ==, 72);
    g_assert_cmpmem(fake_frame(0)->data + 12, 60, fr, 60);
    /* CTRL_GUEST_OFFLOADS: TSO4 off, then one not negotiated: refused */
    uint64_t want = GUINT64_TO_LE(F(F_GUEST_CSUM));
    g_assert_cmpuint(ctrl(5, 0, &want, 8), ==, 0);
    g_assert_true(fake->offloads.csum);
    g_assert_false(fake->offloads.tso4);
    want = GUINT64_TO_LE(F(F_GUEST_TSO6));
    g_assert_cmpuint(ctrl(5, 0, &want, 8), ==, 1);
    /* A frame from the backend keeps its header, num_buffers set */
    post_rx(0, 2048);
    vd_notify(&drv, 0);
    uint8_t in[12 + 60] = { 1, 0, 0, 0, 0, 0, 34, 0, 6, 0, 0x55, 0x55 };
    memcpy(in + 12, fr, 60);
    memcpy(in + 12, MAC, 6);
    g_assert_cmpint(fake_send(in, sizeof(in)), ==, sizeof(in));
    wait_used(0);
    uint8_t got[72];
    ram_read(RXBUF, got, sizeof(got));
    g_assert_cmphex(got[0], ==, 1);                 /* NEEDS_CSUM kept */
    g_assert_cmphex(got[6], ==, 34);
    g_assert_cmphex(vnet16(got + 10), ==, 1);       /* num_buffers */
    g_assert_cmpmem(got + 12, 60, in + 12, 60);
    g_free(fr);
    net_free();
}

/* Ones' complement sum of 16-bit words. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

static void test_tx(void)
{
    net_new(false, NULL);
    driver_up(F(F_MRG_RXBUF));
    /* A plain frame: the header is stripped */
    uint8_t *fr = frame_new(OTHER, 100, 7);
    post_tx(0, NO_HDR, fr, 100);
    /* A UDP/IPv4 frame with a partial checksum: finished by the device.
     * IP header at 14, UDP at 34, 40 bytes of data. */
    size_t ulen = 8 + 41;
    uint8_t *u = frame_new(OTHER, 34 + ulen, 0);
    for (size_t i = 42; i < 34 + ulen; i++) {
        u[i] = (uint8_t)(i * 7);
    }
    u[14] = 0x45;
    u[23] = 17;                                     /* UDP */
    memcpy(u + 26, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 2 }, 8);
    u[38] = 0;
    u[39] = (uint8_t)ulen;
    /* pseudo-header: addresses, protocol, UDP length */
    uint32_t ph = sum16(u + 26, 8, 0) + 17 + (uint32_t)ulen;
    uint16_t partial = fold(ph);
    u[40] = (uint8_t)(partial >> 8);
    u[41] = (uint8_t)partial;
    uint8_t hdr[12] = { 1, 0, 0, 0, 0, 0, 34, 0, 6, 0, 0, 0 };
    post_tx(1, hdr, u, 34 + ulen);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 2);
    g_assert_cmpmem(fake_frame(0)->data, fake_frame(0)->len, fr, 100);
    GByteArray *c = fake_frame(1);
    g_assert_cmpuint(c->len, ==, 34 + ulen);
    /* Verifies as a receiver does: pseudo-header + segment = 0xffff */
    uint32_t check = sum16(u + 26, 8, 0) + 17 + (uint32_t)ulen;
    g_assert_cmphex(fold(sum16(c->data + 34, ulen, check)), ==, 0xffff);
    g_assert_cmphex(c->data[40] | c->data[41], !=, 0);
    uint32_t id, len;
    vd_used_elem(&drv, 1, 0, &id, &len);
    g_assert_cmpuint(len, ==, 0);

    /* Segmentation was not offered: such a frame is dropped, the next
     * goes out */
    uint8_t gso[12] = { 0, 1, 54, 0, 0x05, 0xb4, 0, 0, 0, 0, 0, 0 };
    post_tx(2, gso, fr, 100);
    post_tx(3, NO_HDR, fr, 100);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 3);
    /* A checksum offset past the frame: dropped */
    uint8_t bad[12] = { 1, 0, 0, 0, 0, 0, 90, 0, 20, 0, 0, 0 };
    post_tx(4, bad, fr, 100);
    /* A runt: dropped */
    post_tx(5, NO_HDR, fr, 5);
    post_tx(6, NO_HDR, fr, 100);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 4);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    g_free(fr);
    g_free(u);
    net_free();
}

static void test_tx_flow_control(void)
{
    net_new(false, NULL);
    driver_up(0);
    uint8_t *fr = frame_new(OTHER, 80, 3);
    fake->full = true;
    for (unsigned i = 0; i < 5; i++) {
        post_tx(i, NO_HDR, fr, 80);
    }
    vd_notify(&drv, 1);
    /* One frame taken and kept by the core; the rest wait in the ring */
    g_assert_cmpuint(vd_used_idx(&drv, 1), ==, 1);
    g_assert_cmpuint(fake->frames->len, ==, 0);
    /* More notifications change nothing while the backend is full */
    for (unsigned i = 0; i < 100; i++) {
        vd_notify(&drv, 1);
    }
    g_assert_cmpuint(vd_used_idx(&drv, 1), ==, 1);
    /* The backend takes frames again: everything goes through */
    fake->full = false;
    ts_net_flush(fake->parent.client);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 5);
    g_free(fr);
    net_free();
}

static void test_rx(void)
{
    net_new(false, NULL);
    driver_up(0);
    /* No buffer yet: the frame is kept, the backend paused */
    uint8_t *fr = frame_new(MAC, 200, 9);
    g_assert_cmpint(fake_send(fr, 200), ==, 0);
    g_assert_cmpuint(fake->sent_done, ==, 0);
    post_rx(0, 1526);
    vd_notify(&drv, 0);
    wait_used(0);
    g_assert_cmpuint(fake->sent_done, ==, 1);
    uint32_t id, len;
    vd_used_elem(&drv, 0, 0, &id, &len);
    g_assert_cmpuint(len, ==, 212);
    uint8_t got[212];
    ram_read(RXBUF, got, sizeof(got));
    g_assert_cmpmem(got, 12, ((uint8_t[12]){ [10] = 1 }), 12);
    g_assert_cmpmem(got + 12, 200, fr, 200);

    /* Without mergeable buffers, a frame larger than the buffer is
     * dropped; the buffer serves the next frame */
    post_rx(1, 256);
    vd_notify(&drv, 0);
    uint8_t *big = frame_new(MAC, 1000, 1);
    g_assert_cmpint(fake_send(big, 1000), ==, 1000);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 1);
    g_assert_cmpint(fake_send(fr, 200), ==, 200);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 2);
    /* A runt from the backend is dropped, the buffer left for the next */
    post_rx(2, 256);
    vd_notify(&drv, 0);
    g_assert_cmpint(fake_send(fr, 10), ==, 10);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 2);
    g_assert_cmpint(fake_send(fr, 200), ==, 200);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 3);
    g_free(big);
    g_free(fr);
    net_free();
}

/* A backend that answers from inside its receive call: the answer
 * comes in while the transmit chain is still being handled, and each
 * queue's used ring must get its own chains back (it did not: the
 * receive side took its chain into the transmit side's, and Linux said
 * "input.0:id 0 is not a head!"). */
static void test_answer_at_once(void)
{
    net_new(false, NULL);
    driver_up(F(F_MRG_RXBUF));
    fake->echo = true;
    for (unsigned i = 0; i < 4; i++) {
        post_rx(i, 2048);
    }
    vd_notify(&drv, 0);
    uint8_t *fr = frame_new(MAC, 100, 5);
    for (unsigned i = 0; i < 3; i++) {
        post_tx(i, NO_HDR, fr, 100);
    }
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 3);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 3);
    for (unsigned i = 0; i < 3; i++) {
        uint32_t id, len;
        vd_used_elem(&drv, 1, i, &id, &len);
        g_assert_cmpuint(id, ==, 2 * i);            /* the tx heads */
        vd_used_elem(&drv, 0, i, &id, &len);
        g_assert_cmpuint(id, ==, i);                /* the rx buffers */
        g_assert_cmpuint(len, ==, 112);
    }
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    g_free(fr);
    net_free();
}

static void test_rx_mergeable(void)
{
    net_new(false, NULL);
    driver_up(F(F_MRG_RXBUF));
    for (unsigned i = 0; i < 3; i++) {
        post_rx(i, 256);
    }
    vd_notify(&drv, 0);
    /* 12 + 1000 bytes need four 256-byte buffers: three are there, the
     * frame waits for the fourth */
    uint8_t *fr = frame_new(MAC, 1000, 0);
    for (unsigned i = 14; i < 1000; i++) {
        fr[i] = (uint8_t)i;
    }
    g_assert_cmpint(fake_send(fr, 1000), ==, 0);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 0);
    post_rx(3, 256);
    vd_notify(&drv, 0);
    wait_used(0);
    g_assert_cmpuint(fake->sent_done, ==, 1);
    uint8_t got[1012];
    uint32_t total = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint32_t id, len;
        vd_used_elem(&drv, 0, i, &id, &len);
        g_assert_cmpuint(id, ==, i);
        g_assert_cmpuint(len, ==, i < 3 ? 256 : 1012 - 768);
        ram_read(RXBUF + 4096 * (uint64_t)i, got + total, len);
        total += len;
    }
    g_assert_cmphex(vnet16(got + 10), ==, 4);      /* num_buffers */
    g_assert_cmpmem(got + 12, 1000, fr, 1000);
    g_free(fr);
    net_free();
}

/* Deliver `dst`'s frame with one fresh buffer: whether it arrived. */
static bool delivered(const uint8_t *dst, bool vlan, uint16_t vid)
{
    static unsigned slot;
    uint16_t before = vd_used_idx(&drv, 0);
    if (!rx_spare) {
        post_rx(slot++ % QNUM, 1526);
        vd_notify(&drv, 0);
    }
    uint8_t *fr = frame_new(dst, 64, 0);
    if (vlan) {
        fr[12] = 0x81;
        fr[13] = 0x00;
        fr[14] = (uint8_t)(vid >> 8);
        fr[15] = (uint8_t)vid;
    }
    fake_send(fr, 64);
    g_free(fr);
    bool got = vd_used_idx(&drv, 0) != before;
    rx_spare = !got;
    return got;
}

static void test_filter(void)
{
    net_new(false, NULL);
    driver_up(F(F_CTRL_VQ) | F(F_CTRL_RX) | F(F_CTRL_RX_EXTRA) |
              F(F_CTRL_VLAN) | F(F_CTRL_MAC_ADDR));
    /* Promiscuous until the driver says otherwise */
    g_assert_true(delivered(OTHER, false, 0));
    g_assert_cmpuint(ctrl_rx(0, false), ==, 0);
    g_assert_false(delivered(OTHER, false, 0));
    g_assert_true(delivered(MAC, false, 0));
    g_assert_true(delivered(BCAST, false, 0));
    g_assert_false(delivered(MCAST, false, 0));
    /* allmulti, nobcast, alluni, nouni, nomulti */
    g_assert_cmpuint(ctrl_rx(1, true), ==, 0);
    g_assert_true(delivered(MCAST, false, 0));
    g_assert_cmpuint(ctrl_rx(3, true), ==, 0);
    g_assert_false(delivered(MCAST, false, 0));
    g_assert_cmpuint(ctrl_rx(3, false), ==, 0);
    g_assert_cmpuint(ctrl_rx(1, false), ==, 0);
    g_assert_cmpuint(ctrl_rx(5, true), ==, 0);
    g_assert_false(delivered(BCAST, false, 0));
    g_assert_cmpuint(ctrl_rx(5, false), ==, 0);
    g_assert_cmpuint(ctrl_rx(2, true), ==, 0);
    g_assert_true(delivered(OTHER, false, 0));
    g_assert_cmpuint(ctrl_rx(2, false), ==, 0);
    g_assert_cmpuint(ctrl_rx(4, true), ==, 0);
    g_assert_false(delivered(MAC, false, 0));
    g_assert_cmpuint(ctrl_rx(4, false), ==, 0);
    /* Unknown rx command, wrong length: ERR */
    g_assert_cmpuint(ctrl_rx(6, true), ==, 1);
    g_assert_cmpuint(ctrl(0, 0, "\0\0", 2), ==, 1);

    /* MAC table: one unicast, one multicast */
    uint8_t table[4 + 6 + 4 + 6];
    uint32_t one = GUINT32_TO_LE(1);
    memcpy(table, &one, 4);
    memcpy(table + 4, OTHER, 6);
    memcpy(table + 10, &one, 4);
    memcpy(table + 14, MCAST, 6);
    g_assert_cmpuint(ctrl(1, 0, table, sizeof(table)), ==, 0);
    g_assert_true(delivered(OTHER, false, 0));
    g_assert_true(delivered(MCAST, false, 0));
    /* A table whose count says more than the command holds: ERR, the
     * filter unchanged */
    uint32_t lots = GUINT32_TO_LE(1000);
    memcpy(table, &lots, 4);
    g_assert_cmpuint(ctrl(1, 0, table, sizeof(table)), ==, 1);
    g_assert_true(delivered(OTHER, false, 0));
    /* An empty table */
    uint32_t zero[2] = { 0, 0 };
    g_assert_cmpuint(ctrl(1, 0, zero, 8), ==, 0);
    g_assert_false(delivered(OTHER, false, 0));

    /* The driver's own address: the configuration shows it */
    g_assert_cmpuint(ctrl(1, 1, OTHER, 6), ==, 0);
    g_assert_cmphex(mmio_read(NET_BASE + VD_CONFIG + 5, 1), ==, 0x33);
    g_assert_true(delivered(OTHER, false, 0));
    g_assert_false(delivered(MAC, false, 0));
    g_assert_cmpuint(ctrl(1, 1, OTHER, 5), ==, 1);
    g_assert_cmpuint(ctrl(1, 1, MAC, 6), ==, 0);

    /* VLANs: none pass until added */
    g_assert_false(delivered(MAC, true, 5));
    uint16_t vid = GUINT16_TO_LE(5);
    g_assert_cmpuint(ctrl(2, 0, &vid, 2), ==, 0);
    g_assert_true(delivered(MAC, true, 5));
    g_assert_false(delivered(MAC, true, 6));
    g_assert_cmpuint(ctrl(2, 1, &vid, 2), ==, 0);
    g_assert_false(delivered(MAC, true, 5));
    vid = GUINT16_TO_LE(4096);
    g_assert_cmpuint(ctrl(2, 0, &vid, 2), ==, 1);

    /* Announce ACK without an announcement, unknown classes, MQ not
     * negotiated: ERR */
    g_assert_cmpuint(ctrl(3, 0, NULL, 0), ==, 1);
    g_assert_cmpuint(ctrl(99, 0, NULL, 0), ==, 1);
    uint16_t pairs = GUINT16_TO_LE(1);
    g_assert_cmpuint(ctrl(4, 0, &pairs, 2), ==, 1);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);

    /* A reset brings the device's own state back */
    driver_up(F(F_CTRL_VQ) | F(F_CTRL_RX));
    g_assert_true(delivered(OTHER, false, 0));
    net_free();
}

/* A hostile driver: each case must end with DEVICE_NEEDS_RESET or a
 * dropped frame, never a crash, and the device works after a reset. */
static void test_hostile(void)
{
    net_new(false, NULL);
    driver_up(F(F_CTRL_VQ) | F(F_MRG_RXBUF));
    uint8_t *fr = frame_new(OTHER, 64, 0);

    /* A transmit chain shorter than the header */
    vd_desc(&drv, 1, 0, TXBUF, 6, 0, 0);
    vd_avail(&drv, 1, 0);
    vd_notify(&drv, 1);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);

    /* A frame larger than any: dropped, the queue goes on */
    driver_up(F(F_CTRL_VQ) | F(F_MRG_RXBUF));
    vd_desc(&drv, 1, 0, TXBUF, 12, VD_DESC_NEXT, 1);
    vd_desc(&drv, 1, 1, TXBUF + 12, 0x20000, 0, 0);
    vd_avail(&drv, 1, 0);
    post_tx(1, NO_HDR, fr, 64);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 1);
    g_assert_cmpuint(fake_frame(0)->len, ==, 64);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);

    /* A receive buffer the device could only read */
    vd_desc(&drv, 0, 0, RXBUF, 1526, 0, 0);
    vd_avail(&drv, 0, 0);
    vd_notify(&drv, 0);
    fake_send(fr, 64);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);

    /* Receive buffers of one byte each: a frame no queue's worth could
     * hold is dropped, not waited for */
    driver_up(F(F_CTRL_VQ) | F(F_MRG_RXBUF));
    for (unsigned i = 0; i < QNUM; i++) {
        vd_desc(&drv, 0, i, RXBUF + i, 1, VD_DESC_WRITE, 0);
        vd_avail(&drv, 0, i);
    }
    vd_notify(&drv, 0);
    g_assert_cmpint(fake_send(fr, 64), ==, 64);
    g_assert_cmpuint(vd_used_idx(&drv, 0), ==, 0);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);

    /* A control command without an ack byte, then one without a
     * header */
    driver_up(F(F_CTRL_VQ));
    vd_desc(&drv, 2, 0, CTRLBUF, 3, 0, 0);
    vd_avail(&drv, 2, 0);
    vd_notify(&drv, 2);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    driver_up(F(F_CTRL_VQ));
    vd_desc(&drv, 2, 0, CTRLBUF + 0x1000, 1, VD_DESC_WRITE, 0);
    vd_avail(&drv, 2, 0);
    vd_notify(&drv, 2);
    g_assert_cmphex(vd_rd(&drv, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);

    /* A MAC table whose counts overflow 32 bits when multiplied */
    driver_up(F(F_CTRL_VQ));
    uint32_t huge[2] = { GUINT32_TO_LE(0xffffffff), 0 };
    g_assert_cmpuint(ctrl(1, 0, huge, 8), ==, 1);

    /* Notify storms on every queue and on queues that do not exist */
    for (unsigned i = 0; i < 10000; i++) {
        vd_notify(&drv, i % 5);
    }
    /* The device still works */
    post_tx(0, NO_HDR, fr, 64);
    vd_notify(&drv, 1);
    wait_used(1);
    g_assert_cmpuint(fake->frames->len, ==, 2);
    g_free(fr);
    net_free();
}

static void test_realize_errors(void)
{
    static const struct {
        const char *prop, *error;
    } cases[] = {
        { "rx_queue_size=2048", "Invalid rx_queue_size (= 2048)" },
        { "tx_queue_size=100", "Invalid tx_queue_size (= 100)" },
        { "duplex=fast", "'duplex' must be 'half' or 'full'" },
        { "speed=-5", "'speed' must be between 0 and INT_MAX" },
        { "mac=52:54:00:zz:00:00", "mac" },
        { "netdev=nope", "nope" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *props[] = { "addr=0x10001000", cases[i].prop, NULL };
        g_autoptr(GError) err = NULL;
        TsDevice *dev = harness_try_device("virtio-net-device", "bad",
                                           props, &err);
        if (dev) {
            g_assert_no_error(err);
            g_assert_false(ts_device_realize(dev, &err));
            harness_destroy(dev);
        }
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, cases[i].error));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-net-device")) {
        return 0;
    }
    vd_ram_init();
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_netdev_driver_register(&fake_driver, &err));

    g_test_add_func("/virtio-net/identity", test_identity);
    g_test_add_func("/virtio-net/vnet-peer", test_vnet_peer);
    g_test_add_func("/virtio-net/tx", test_tx);
    g_test_add_func("/virtio-net/tx-flow-control", test_tx_flow_control);
    g_test_add_func("/virtio-net/rx", test_rx);
    g_test_add_func("/virtio-net/rx-mergeable", test_rx_mergeable);
    g_test_add_func("/virtio-net/answer-at-once", test_answer_at_once);
    g_test_add_func("/virtio-net/filter", test_filter);
    g_test_add_func("/virtio-net/hostile", test_hostile);
    g_test_add_func("/virtio-net/realize-errors", test_realize_errors);
    return g_test_run();
}
