/*
 * virtio-blk.c - the block device (VIRTIO 1.2, 5.2) as a model: its
 * properties (QEMU's names and defaults), the features and configuration
 * it shows the driver, the write cache toggle, resize, and its life
 * cycle on the block backend named by drive=.  The requests themselves
 * are virtio-blk-request.c's.  The core does the rest (tessera/virtio.h);
 * this plugin makes it "virtio-blk-device" on the virtio-mmio transport.
 */
#include "virtio-blk.h"

#define BLK_DEVICE_ID 2

/* Configuration layout (5.2.4), little-endian, as far as the fields for
 * the features we can offer go (write_zeroes_may_unmap and its padding). */
enum {
    CFG_CAPACITY = 0,               /* le64, in 512-byte sectors */
    CFG_SIZE_MAX = 8,               /* le32 */
    CFG_SEG_MAX = 12,               /* le32 */
    CFG_GEOMETRY = 16,              /* le16 + u8 + u8 */
    CFG_BLK_SIZE = 20,              /* le32 */
    CFG_PHYS_BLOCK_EXP = 24,        /* u8 */
    CFG_ALIGNMENT_OFFSET = 25,      /* u8 */
    CFG_MIN_IO_SIZE = 26,           /* le16, in logical blocks */
    CFG_OPT_IO_SIZE = 28,           /* le32, in logical blocks */
    CFG_WRITEBACK = 32,             /* u8 */
    CFG_NUM_QUEUES = 34,            /* le16 */
    CFG_MAX_DISCARD_SECTORS = 36,   /* le32 */
    CFG_MAX_DISCARD_SEG = 40,       /* le32 */
    CFG_DISCARD_ALIGNMENT = 44,     /* le32, in sectors */
    CFG_MAX_WZ_SECTORS = 48,        /* le32 */
    CFG_MAX_WZ_SEG = 52,            /* le32 */
    CFG_WZ_MAY_UNMAP = 56,          /* u8 */
    CFG_SIZE = 60,
};

/* QEMU's default for max-discard-sectors and max-write-zeroes-sectors:
 * the largest request the block layer takes, in sectors. */
#define DWZ_SECTORS_DEFAULT ((UINT32_C(0x7fffffff) & ~UINT32_C(511)) / 512)

static VirtioBlk *of_dev(TsVirtioDevice *dev)
{
    return (VirtioBlk *)dev;
}

bool vblk_has_feature(VirtioBlk *b, unsigned bit)
{
    return ts_virtio_driver_features(&b->parent) & (UINT64_C(1) << bit);
}

uint64_t vblk_capacity(VirtioBlk *b)
{
    /* The guest counts 512-byte sectors; a tail shorter than one is not
     * shown (QEMU does the same). */
    return ts_block_length(b->blk) & ~(uint64_t)(VBLK_SECTOR - 1);
}

/* ---- Configuration --------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

static void blk_read_config(TsVirtioDevice *dev, uint8_t *cfg)
{
    VirtioBlk *b = of_dev(dev);
    memset(cfg, 0, CFG_SIZE);
    put64(cfg + CFG_CAPACITY, vblk_capacity(b) / VBLK_SECTOR);
    put32(cfg + CFG_SEG_MAX, VBLK_QUEUE_SIZE - 2);
    put32(cfg + CFG_BLK_SIZE, b->lbs);
    cfg[CFG_PHYS_BLOCK_EXP] = (uint8_t)(g_bit_storage(b->pbs / b->lbs) - 1);
    cfg[CFG_ALIGNMENT_OFFSET] = 0;
    put16(cfg + CFG_MIN_IO_SIZE, (uint16_t)(b->min_io_size / b->lbs));
    put32(cfg + CFG_OPT_IO_SIZE, (uint32_t)(b->opt_io_size / b->lbs));
    cfg[CFG_WRITEBACK] = ts_block_write_cache_enabled(b->blk);
    put16(cfg + CFG_NUM_QUEUES, (uint16_t)b->num_queues);
    put32(cfg + CFG_MAX_DISCARD_SECTORS, (uint32_t)b->max_discard_sectors);
    put32(cfg + CFG_MAX_DISCARD_SEG, VBLK_DWZ_SEG_MAX);
    put32(cfg + CFG_DISCARD_ALIGNMENT, b->lbs / VBLK_SECTOR);
    put32(cfg + CFG_MAX_WZ_SECTORS, (uint32_t)b->max_write_zeroes_sectors);
    put32(cfg + CFG_MAX_WZ_SEG, VBLK_DWZ_SEG_MAX);
    cfg[CFG_WZ_MAY_UNMAP] = 1;
}

/* Only `writeback` is the driver's to write, and only with CONFIG_WCE:
 * 0 asks for writethrough (every write stable before it completes). */
static void blk_write_config(TsVirtioDevice *dev, unsigned offset,
                             uint32_t value, unsigned size)
{
    VirtioBlk *b = of_dev(dev);
    if (offset == CFG_WRITEBACK && size == 1 &&
        vblk_has_feature(b, VIRTIO_BLK_F_CONFIG_WCE)) {
        ts_block_set_write_cache(b->blk, value != 0);
    } else if (ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        ts_log(TS_LOG_GUEST_ERROR, "virtio-blk %s: %u-byte write of 0x%x "
               "to read-only configuration offset %u; ignored\n",
               ts_block_name(b->blk), size, value, offset);
    }
}

/* ---- Life cycle ------------------------------------------------------ */

static void blk_resized(void *opaque)
{
    ts_virtio_config_changed(opaque);
}

static const TsBlockDevOps blk_dev_ops = {
    .resize = blk_resized,
};

/* A block size property: 0 (the backend's) or a power of two from 512
 * to 32 KiB, as the guest's block layer takes them. */
static bool check_block_size(const char *name, uint64_t v, GError **errp)
{
    if (v == 0) {
        return true;
    }
    if (v < 512 || v > 32768) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property virtio-blk-device.%s doesn't take value %"
                    PRIu64 " (minimum: 512, maximum: 32768)", name, v);
        return false;
    }
    if (v & (v - 1)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property virtio-blk-device.%s doesn't take value '%"
                    PRIu64 "', it's not a power of 2", name, v);
        return false;
    }
    return true;
}

static bool check_properties(VirtioBlk *b, GError **errp)
{
    if (!b->drive || !*b->drive) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "drive property not set");
        return false;
    }
    if (b->num_queues == 0) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "num-queues property must be larger than 0");
        return false;
    }
    if (b->num_queues > TS_VIRTIO_QUEUES_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "num-queues property must be <= %u",
                    TS_VIRTIO_QUEUES_MAX);
        return false;
    }
    if (b->serial && strlen(b->serial) > VBLK_ID_BYTES) {
        /* QEMU cuts it silently in GET_ID; saying so is kinder. */
        g_printerr("warning: virtio-blk-device: serial '%s' is longer "
                   "than %u bytes; the guest sees its first %u\n",
                   b->serial, VBLK_ID_BYTES, VBLK_ID_BYTES);
    }
    if (!check_block_size("logical_block_size", b->logical_block_size,
                          errp) ||
        !check_block_size("physical_block_size", b->physical_block_size,
                          errp)) {
        return false;
    }
    if (b->discard && (b->max_discard_sectors == 0 ||
                       b->max_discard_sectors > DWZ_SECTORS_DEFAULT)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid max-discard-sectors property (%" PRIu64 "), "
                    "must be between 1 and %u", b->max_discard_sectors,
                    DWZ_SECTORS_DEFAULT);
        return false;
    }
    if (b->write_zeroes && (b->max_write_zeroes_sectors == 0 ||
                            b->max_write_zeroes_sectors >
                                DWZ_SECTORS_DEFAULT)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid max-write-zeroes-sectors property (%" PRIu64
                    "), must be between 1 and %u",
                    b->max_write_zeroes_sectors, DWZ_SECTORS_DEFAULT);
        return false;
    }
    return true;
}

/* Block sizes: what the user gave, else what the host storage says. */
static bool settle_block_sizes(VirtioBlk *b, GError **errp)
{
    uint32_t logical = 512, physical = 4096;
    ts_block_block_sizes(b->blk, &logical, &physical);
    b->lbs = b->logical_block_size ? (uint32_t)b->logical_block_size
                                   : MAX(logical, 512u);
    b->pbs = b->physical_block_size ? (uint32_t)b->physical_block_size
                                    : MAX(physical, b->lbs);
    if (b->lbs > b->pbs) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "logical_block_size > physical_block_size not "
                            "supported");
        return false;
    }
    if (b->min_io_size % b->lbs || b->opt_io_size % b->lbs ||
        b->min_io_size / b->lbs > UINT16_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "min_io_size and opt_io_size must be multiples of the "
                    "logical block size (%u)", b->lbs);
        return false;
    }
    return true;
}

static uint64_t offered_features(VirtioBlk *b)
{
    uint64_t f = (UINT64_C(1) << VIRTIO_BLK_F_SEG_MAX) |
                 (UINT64_C(1) << VIRTIO_BLK_F_BLK_SIZE) |
                 (UINT64_C(1) << VIRTIO_BLK_F_FLUSH) |
                 (UINT64_C(1) << VIRTIO_BLK_F_TOPOLOGY);
    if (b->read_only) {
        f |= UINT64_C(1) << VIRTIO_BLK_F_RO;
    }
    if (b->config_wce) {
        f |= UINT64_C(1) << VIRTIO_BLK_F_CONFIG_WCE;
    }
    if (b->num_queues > 1) {
        f |= UINT64_C(1) << VIRTIO_BLK_F_MQ;
    }
    if (b->discard) {
        f |= UINT64_C(1) << VIRTIO_BLK_F_DISCARD;
    }
    if (b->write_zeroes) {
        f |= UINT64_C(1) << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    if (b->indirect_desc) {
        f |= UINT64_C(1) << TS_VIRTIO_F_INDIRECT_DESC;
    }
    if (b->event_idx) {
        f |= UINT64_C(1) << TS_VIRTIO_F_EVENT_IDX;
    }
    return f;
}

static bool blk_realize(TsVirtioDevice *dev, GError **errp)
{
    VirtioBlk *b = of_dev(dev);
    if (!check_properties(b, errp) ||
        !ts_virtio_set_num_queues(dev, (unsigned)b->num_queues, errp)) {
        return false;
    }
    /* On a read-only drive the attachment is read-only: the disk is then
     * read-only for the guest (VIRTIO_BLK_F_RO), as in QEMU. */
    b->blk = ts_block_attach(b->drive, ts_virtio_object(dev), &blk_dev_ops,
                             dev, true, errp);
    if (!b->blk) {
        return false;
    }
    b->read_only = ts_block_is_read_only(b->blk);
    if (!settle_block_sizes(b, errp)) {
        ts_block_detach(b->blk);
        b->blk = NULL;
        return false;
    }
    b->original_wce = ts_block_write_cache_enabled(b->blk);
    ts_virtio_set_features(dev, offered_features(b));
    b->deferred_bh = ts_bh_new("virtio-blk completions", vblk_deferred_bh,
                               b);
    g_queue_init(&b->deferred);
    return true;
}

static void blk_unrealize(TsVirtioDevice *dev)
{
    VirtioBlk *b = of_dev(dev);
    /* Detaching drains: completions run now and find the epoch moved on,
     * so they only free their requests. */
    vblk_requests_reset(b);
    if (b->blk) {
        ts_block_detach(b->blk);
        b->blk = NULL;
    }
    vblk_requests_free(b);
    ts_bh_free(b->deferred_bh);
    b->deferred_bh = NULL;
}

static void blk_reset(TsVirtioDevice *dev)
{
    VirtioBlk *b = of_dev(dev);
    if (!b->blk) {
        return;                         /* machine reset before realize */
    }
    vblk_requests_reset(b);
    /* A driver that toggled the cache leaves it as the user set it. */
    if (ts_block_write_cache_enabled(b->blk) != b->original_wce) {
        ts_block_set_write_cache(b->blk, b->original_wce);
    }
}

static bool blk_queue_notify(TsVirtioDevice *dev, unsigned q)
{
    return vblk_handle_queue(of_dev(dev), q);
}

static const TsProperty blk_props[] = {
    TS_PROP_STRING("drive", VirtioBlk, drive, NULL,
                   "Node name or ID of a block device to use as a backend"),
    TS_PROP_STRING("serial", VirtioBlk, serial, NULL,
                   "serial number the guest reads (GET_ID, up to 20 bytes)"),
    TS_PROP_SIZE("logical_block_size", VirtioBlk, logical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_SIZE("physical_block_size", VirtioBlk, physical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_SIZE("min_io_size", VirtioBlk, min_io_size, 0,
                 "preferred minimum I/O size (a multiple of the logical "
                 "block size)"),
    TS_PROP_SIZE("opt_io_size", VirtioBlk, opt_io_size, 0,
                 "optimal I/O size (a multiple of the logical block size)"),
    { .name = "num-queues", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioBlk, num_queues), .def.u = 1,
      .min = 0, .max = UINT16_MAX,
      .description = "number of request queues (VIRTIO_BLK_F_MQ above 1)" },
    TS_PROP_BOOL("config-wce", VirtioBlk, config_wce, true,
                 "let the guest switch the write cache "
                 "(VIRTIO_BLK_F_CONFIG_WCE)"),
    TS_PROP_BOOL("discard", VirtioBlk, discard, true,
                 "offer discard requests (VIRTIO_BLK_F_DISCARD)"),
    TS_PROP_BOOL("write-zeroes", VirtioBlk, write_zeroes, true,
                 "offer write-zeroes requests (VIRTIO_BLK_F_WRITE_ZEROES)"),
    { .name = "max-discard-sectors", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioBlk, max_discard_sectors),
      .def.u = DWZ_SECTORS_DEFAULT, .min = 0, .max = UINT32_MAX,
      .description = "largest discard request, in 512-byte sectors" },
    { .name = "max-write-zeroes-sectors", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioBlk, max_write_zeroes_sectors),
      .def.u = DWZ_SECTORS_DEFAULT, .min = 0, .max = UINT32_MAX,
      .description = "largest write-zeroes request, in 512-byte sectors" },
    TS_PROP_BOOL("event_idx", VirtioBlk, event_idx, true,
                 "offer VIRTIO_F_EVENT_IDX"),
    TS_PROP_BOOL("indirect_desc", VirtioBlk, indirect_desc, true,
                 "offer VIRTIO_F_INDIRECT_DESC"),
    TS_PROP_END,
};

static const TsVirtioDeviceClass blk_class = {
    .name = "virtio-blk",
    .device_id = BLK_DEVICE_ID,
    /* Each instance says what it offers (offered_features). */
    .features = 0,
    .num_queues = TS_VIRTIO_QUEUES_MAX,
    .queue_size = VBLK_QUEUE_SIZE,
    .config_size = CFG_SIZE,
    .driver_hint = "CONFIG_VIRTIO_BLK",
    .instance_size = sizeof(VirtioBlk),
    .properties = blk_props,
    .realize = blk_realize,
    .unrealize = blk_unrealize,
    .reset = blk_reset,
    .queue_notify = blk_queue_notify,
    .read_config = blk_read_config,
    .write_config = blk_write_config,
};

static bool dev_virtio_blk_init(GError **errp)
{
    return ts_virtio_register_mmio(&blk_class, "virtio-blk-device",
                                   "virtio block device (virtio-mmio)",
                                   errp) &&
           ts_virtio_register_pci(&blk_class, "virtio-blk-pci",
                                  "virtio block device (PCI)", errp);
}

TS_PLUGIN("dev-virtio-blk", "virtio block device", dev_virtio_blk_init);
