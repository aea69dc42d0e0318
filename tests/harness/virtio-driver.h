/*
 * virtio-driver.h - a minimal virtio-mmio guest driver for the virtio
 * device tests: it does what a guest kernel does, through system memory
 * (register accesses with ts_address_space_load/store, rings and buffers
 * written into guest RAM), and lets a test break every rule on purpose.
 *
 * Guest RAM is TEST_RAM_SIZE bytes at TEST_RAM_BASE; queue q's rings sit
 * at fixed places in its first megabyte (see vd_queue_setup), buffers go
 * from TEST_BUF on.
 */
#ifndef TESTS_HARNESS_VIRTIO_DRIVER_H
#define TESTS_HARNESS_VIRTIO_DRIVER_H

#include "dev-harness.h"

#define TEST_RAM_BASE UINT64_C(0x80000000)
#define TEST_RAM_SIZE (UINT64_C(16) << 20)
#define TEST_RAM_END  (TEST_RAM_BASE + TEST_RAM_SIZE)
#define TEST_BUF      (TEST_RAM_BASE + 0x100000)

/* Registers (virtio-mmio version 2). */
enum {
    VD_MAGIC = 0x000, VD_VERSION = 0x004, VD_DEVICE_ID = 0x008,
    VD_VENDOR_ID = 0x00c, VD_DEVICE_FEATURES = 0x010,
    VD_DEVICE_FEATURES_SEL = 0x014, VD_DRIVER_FEATURES = 0x020,
    VD_DRIVER_FEATURES_SEL = 0x024, VD_QUEUE_SEL = 0x030,
    VD_QUEUE_NUM_MAX = 0x034, VD_QUEUE_NUM = 0x038, VD_QUEUE_READY = 0x044,
    VD_QUEUE_NOTIFY = 0x050, VD_INTERRUPT_STATUS = 0x060,
    VD_INTERRUPT_ACK = 0x064, VD_STATUS = 0x070, VD_QUEUE_DESC_LOW = 0x080,
    VD_QUEUE_DESC_HIGH = 0x084, VD_QUEUE_DRIVER_LOW = 0x090,
    VD_QUEUE_DRIVER_HIGH = 0x094, VD_QUEUE_DEVICE_LOW = 0x0a0,
    VD_QUEUE_DEVICE_HIGH = 0x0a4, VD_SHM_SEL = 0x0ac, VD_SHM_LEN_LOW = 0x0b0,
    VD_SHM_LEN_HIGH = 0x0b4, VD_CONFIG_GENERATION = 0x0fc, VD_CONFIG = 0x100,
};

#define VD_S_ACKNOWLEDGE 0x01
#define VD_S_DRIVER      0x02
#define VD_S_DRIVER_OK   0x04
#define VD_S_FEATURES_OK 0x08
#define VD_S_NEEDS_RESET 0x40

#define VD_F_INDIRECT_DESC (UINT64_C(1) << 28)
#define VD_F_EVENT_IDX     (UINT64_C(1) << 29)
#define VD_F_VERSION_1     (UINT64_C(1) << 32)

#define VD_DESC_NEXT     1
#define VD_DESC_WRITE    2
#define VD_DESC_INDIRECT 4
#define VD_AVAIL_NO_INTERRUPT 1

typedef struct VdQueue {
    unsigned num;
    uint64_t desc, avail, used;
    uint16_t avail_idx;         /* the driver's next available index */
} VdQueue;

typedef struct Vdrv {
    uint64_t base;              /* register window */
    VdQueue q[8];               /* queue q: rings at a fixed place */
} Vdrv;

/* Guest RAM, created once per test program. */
void vd_ram_init(void);
void ram_write(uint64_t addr, const void *buf, size_t len);
void ram_read(uint64_t addr, void *buf, size_t len);
void ram_fill(uint64_t addr, uint8_t byte, size_t len);
/* True if all `len` bytes at addr equal `byte`. */
bool ram_is(uint64_t addr, uint8_t byte, size_t len);
void ram_w16(uint64_t addr, uint16_t v);
uint16_t ram_r16(uint64_t addr);
uint32_t ram_r32(uint64_t addr);

uint32_t vd_rd(Vdrv *d, unsigned reg);
void vd_wr(Vdrv *d, unsigned reg, uint32_t val);

/* Reset, ACKNOWLEDGE, DRIVER, offer `features`, set FEATURES_OK; returns
 * the status read back (FEATURES_OK clear if the device refused). */
uint32_t vd_negotiate(Vdrv *d, uint64_t features);
/* Queue q with `num` entries at its fixed place, made ready. */
void vd_queue_setup(Vdrv *d, unsigned q, unsigned num);
/* Negotiate VERSION_1 + extra, set up queues 0..nq-1 of `num`, DRIVER_OK. */
void vd_start(Vdrv *d, uint64_t extra_features, unsigned nq, unsigned num);

/* Descriptor i of a table (queue's or an indirect one). */
void vd_desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                uint16_t flags, uint16_t next);
void vd_desc(Vdrv *d, unsigned q, unsigned i, uint64_t addr, uint32_t len,
             uint16_t flags, uint16_t next);
/* Put `head` in the available ring and publish it. */
void vd_avail(Vdrv *d, unsigned q, uint16_t head);
/* Write the available index as is (to make it jump). */
void vd_set_avail_idx(Vdrv *d, unsigned q, uint16_t idx);
void vd_set_avail_flags(Vdrv *d, unsigned q, uint16_t flags);
/* used_event, in the available ring after its entries. */
void vd_set_used_event(Vdrv *d, unsigned q, uint16_t v);
void vd_notify(Vdrv *d, unsigned q);

uint16_t vd_used_idx(Vdrv *d, unsigned q);
/* Entry `slot` of the used ring. */
void vd_used_elem(Vdrv *d, unsigned q, unsigned slot, uint32_t *id,
                  uint32_t *len);
/* avail_event, in the used ring after its entries. */
uint16_t vd_avail_event(Vdrv *d, unsigned q);

#endif
