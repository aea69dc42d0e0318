/*
 * virtio-driver.c - the tests' virtio-mmio guest driver (see
 * virtio-driver.h).
 */
#include "virtio-driver.h"

static TsAddressSpace *sys(void)
{
    return ts_address_space_system();
}

void vd_ram_init(void)
{
    g_autoptr(GError) err = NULL;
    TsMemoryRegion *ram = ts_memory_region_new_ram("ram", TEST_RAM_SIZE,
                                                   &err);
    g_assert_no_error(err);
    g_assert_true(ts_memory_region_add_subregion(ts_machine_system_memory(),
                                                 TEST_RAM_BASE, ram, 0));
    ts_memory_region_unref(ram);        /* the container holds it */
}

void ram_write(uint64_t addr, const void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_write(sys(), addr, buf, len), ==,
                    TS_MEM_OK);
}

void ram_read(uint64_t addr, void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_read(sys(), addr, buf, len), ==,
                    TS_MEM_OK);
}

void ram_fill(uint64_t addr, uint8_t byte, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);
    memset(buf, byte, len);
    ram_write(addr, buf, len);
}

bool ram_is(uint64_t addr, uint8_t byte, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);
    ram_read(addr, buf, len);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != byte) {
            return false;
        }
    }
    return true;
}

void ram_w16(uint64_t addr, uint16_t v)
{
    uint16_t le = GUINT16_TO_LE(v);
    ram_write(addr, &le, 2);
}

uint16_t ram_r16(uint64_t addr)
{
    uint16_t le;
    ram_read(addr, &le, 2);
    return GUINT16_FROM_LE(le);
}

uint32_t ram_r32(uint64_t addr)
{
    uint32_t le;
    ram_read(addr, &le, 4);
    return GUINT32_FROM_LE(le);
}

uint32_t vd_rd(Vdrv *d, unsigned reg)
{
    return (uint32_t)mmio_read(d->base + reg, 4);
}

void vd_wr(Vdrv *d, unsigned reg, uint32_t val)
{
    mmio_write(d->base + reg, 4, val);
}

uint32_t vd_negotiate(Vdrv *d, uint64_t features)
{
    vd_wr(d, VD_STATUS, 0);
    g_assert_cmphex(vd_rd(d, VD_STATUS), ==, 0);
    vd_wr(d, VD_STATUS, VD_S_ACKNOWLEDGE);
    vd_wr(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER);
    vd_wr(d, VD_DRIVER_FEATURES_SEL, 0);
    vd_wr(d, VD_DRIVER_FEATURES, (uint32_t)features);
    vd_wr(d, VD_DRIVER_FEATURES_SEL, 1);
    vd_wr(d, VD_DRIVER_FEATURES, (uint32_t)(features >> 32));
    vd_wr(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);
    return vd_rd(d, VD_STATUS);
}

/* Queue q's rings: 64 KiB apart, each area page-aligned. */
static uint64_t queue_area(unsigned q)
{
    return TEST_RAM_BASE + 0x10000 * (uint64_t)(q + 1);
}

void vd_queue_setup(Vdrv *d, unsigned q, unsigned num)
{
    VdQueue *vq = &d->q[q];
    *vq = (VdQueue){ .num = num };
    vq->desc = queue_area(q);
    vq->avail = vq->desc + 0x4000;
    vq->used = vq->desc + 0x8000;
    ram_fill(vq->desc, 0, 0x10000);
    vd_wr(d, VD_QUEUE_SEL, q);
    g_assert_cmpuint(vd_rd(d, VD_QUEUE_READY), ==, 0);
    g_assert_cmpuint(vd_rd(d, VD_QUEUE_NUM_MAX), >=, num);
    vd_wr(d, VD_QUEUE_NUM, num);
    vd_wr(d, VD_QUEUE_DESC_LOW, (uint32_t)vq->desc);
    vd_wr(d, VD_QUEUE_DESC_HIGH, (uint32_t)(vq->desc >> 32));
    vd_wr(d, VD_QUEUE_DRIVER_LOW, (uint32_t)vq->avail);
    vd_wr(d, VD_QUEUE_DRIVER_HIGH, (uint32_t)(vq->avail >> 32));
    vd_wr(d, VD_QUEUE_DEVICE_LOW, (uint32_t)vq->used);
    vd_wr(d, VD_QUEUE_DEVICE_HIGH, (uint32_t)(vq->used >> 32));
    vd_wr(d, VD_QUEUE_READY, 1);
    g_assert_cmpuint(vd_rd(d, VD_QUEUE_READY), ==, 1);
}

void vd_start(Vdrv *d, uint64_t extra_features, unsigned nq, unsigned num)
{
    uint32_t st = vd_negotiate(d, VD_F_VERSION_1 | extra_features);
    g_assert_cmphex(st & VD_S_FEATURES_OK, ==, VD_S_FEATURES_OK);
    for (unsigned q = 0; q < nq; q++) {
        vd_queue_setup(d, q, num);
    }
    vd_wr(d, VD_STATUS, st | VD_S_DRIVER_OK);
    g_assert_cmphex(vd_rd(d, VD_STATUS), ==, st | VD_S_DRIVER_OK);
}

void vd_desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                uint16_t flags, uint16_t next)
{
    uint8_t raw[16];
    uint64_t a = GUINT64_TO_LE(addr);
    uint32_t l = GUINT32_TO_LE(len);
    uint16_t f = GUINT16_TO_LE(flags), n = GUINT16_TO_LE(next);
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &l, 4);
    memcpy(raw + 12, &f, 2);
    memcpy(raw + 14, &n, 2);
    ram_write(table + 16 * (uint64_t)i, raw, sizeof(raw));
}

void vd_desc(Vdrv *d, unsigned q, unsigned i, uint64_t addr, uint32_t len,
             uint16_t flags, uint16_t next)
{
    vd_desc_at(d->q[q].desc, i, addr, len, flags, next);
}

void vd_avail(Vdrv *d, unsigned q, uint16_t head)
{
    VdQueue *vq = &d->q[q];
    ram_w16(vq->avail + 4 + 2 * (vq->avail_idx % vq->num), head);
    vq->avail_idx++;
    ram_w16(vq->avail + 2, vq->avail_idx);
}

void vd_set_avail_idx(Vdrv *d, unsigned q, uint16_t idx)
{
    d->q[q].avail_idx = idx;
    ram_w16(d->q[q].avail + 2, idx);
}

void vd_set_avail_flags(Vdrv *d, unsigned q, uint16_t flags)
{
    ram_w16(d->q[q].avail, flags);
}

void vd_set_used_event(Vdrv *d, unsigned q, uint16_t v)
{
    ram_w16(d->q[q].avail + 4 + 2 * d->q[q].num, v);
}

void vd_notify(Vdrv *d, unsigned q)
{
    vd_wr(d, VD_QUEUE_NOTIFY, q);
}

uint16_t vd_used_idx(Vdrv *d, unsigned q)
{
    return ram_r16(d->q[q].used + 2);
}

void vd_used_elem(Vdrv *d, unsigned q, unsigned slot, uint32_t *id,
                  uint32_t *len)
{
    uint64_t e = d->q[q].used + 4 + 8 * (uint64_t)(slot % d->q[q].num);
    *id = ram_r32(e);
    *len = ram_r32(e + 4);
}

uint16_t vd_avail_event(Vdrv *d, unsigned q)
{
    return ram_r16(d->q[q].used + 4 + 8 * d->q[q].num);
}
