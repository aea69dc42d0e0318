/*
 * fw-cfg.c - "fw-cfg-mmio", QEMU's firmware configuration device as the
 * RISC-V virt board has it ("qemu,fw-cfg-mmio", 0x18 bytes): items the
 * firmware reads by a 16-bit key, among them a directory of named files.
 *
 *   +0   data: a byte stream; an access of N bytes returns (or, ignored,
 *        takes) the next N bytes of the selected item in order
 *   +8   selector: 16-bit big-endian key; selecting rewinds the item
 *   +16  DMA address: 64-bit big-endian, written whole or as two 32-bit
 *        halves; writing the low half (+20) runs the descriptor there
 *
 * A DMA descriptor is {be32 control, be32 length, be64 address}: SELECT
 * (key in control's high 16 bits), then READ, SKIP or WRITE of length
 * bytes; the device writes control back as 0, or with ERROR set.  Bytes
 * past the end of the item read as zeroes; a transfer to memory that is
 * not there stops with ERROR; writes go only to writable items (none
 * here), as in QEMU.
 *
 * The items: the signature "QEMU", the interface bits (traditional and
 * DMA), -uuid, -nographic, -boot menu=, and the files bios-geometry and
 * bootorder (empty: nothing on this board reads them), etc/boot-fail-wait
 * (-boot reboot-timeout=) and every -fw_cfg item.
 */
#include "platform.h"

#include <inttypes.h>
#include <libfdt.h>

#include <string.h>

#define FW_CFG_WINDOW       0x18

#define KEY_SIGNATURE       0x0000
#define KEY_ID              0x0001
#define KEY_UUID            0x0002
#define KEY_NOGRAPHIC       0x0004
#define KEY_BOOT_MENU       0x000e
#define KEY_FILE_DIR        0x0019
#define KEY_FILE_FIRST      0x0020
#define KEY_MAX             0x4000      /* keys are 14 bits (+ write bit) */

#define ID_TRADITIONAL      1u
#define ID_DMA              2u

#define DMA_ERROR           0x01u
#define DMA_READ            0x02u
#define DMA_SKIP            0x04u
#define DMA_SELECT          0x08u
#define DMA_WRITE           0x10u

#define FILE_NAME_LEN       56

typedef struct FwCfgEntry {
    uint8_t *data;              /* owned */
    uint32_t len;
} FwCfgEntry;

typedef struct FwCfg {
    TsMmioDevice parent;
    FwCfgEntry entries[KEY_MAX];
    uint16_t cur;               /* selected key */
    uint32_t offset;            /* in the selected item */
    uint64_t dma_addr;          /* as written so far */
} FwCfg;

typedef struct FileEntry {
    char name[FILE_NAME_LEN];
    const void *data;
    uint32_t len;
} FileEntry;

static void set_entry(FwCfg *f, uint16_t key, const void *data, uint32_t len)
{
    FwCfgEntry *e = &f->entries[key];
    g_free(e->data);
    e->data = len ? g_memdup2(data, len) : NULL;
    e->len = len;
}

static void set_u16(FwCfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { v & 0xff, v >> 8 };            /* little-endian */
    set_entry(f, key, b, 2);
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const FileEntry *)a)->name, ((const FileEntry *)b)->name);
}

/* The file directory: be32 count, then {be32 size, be16 key, be16 0,
 * char name[56]} per file, sorted by name as QEMU sorts them. */
static void build_files(FwCfg *f, const TsFwCfgInfo *info)
{
    unsigned n = 3 + info->n_items;
    FileEntry *files = g_new0(FileEntry, n);
    uint8_t wait[4];
    uint32_t t = (uint32_t)info->reboot_timeout;    /* -1: 0xffffffff */
    for (unsigned i = 0; i < 4; i++) {
        wait[i] = (uint8_t)(t >> (8 * i));
    }
    g_strlcpy(files[0].name, "bios-geometry", FILE_NAME_LEN);
    g_strlcpy(files[1].name, "bootorder", FILE_NAME_LEN);
    g_strlcpy(files[2].name, "etc/boot-fail-wait", FILE_NAME_LEN);
    files[2].data = wait;
    files[2].len = 4;
    for (unsigned i = 0; i < info->n_items; i++) {
        g_strlcpy(files[3 + i].name, info->items[i].name, FILE_NAME_LEN);
        files[3 + i].data = info->items[i].data;
        files[3 + i].len = (uint32_t)info->items[i].len;
    }
    qsort(files, n, sizeof(*files), file_cmp);
    g_autofree uint8_t *dir = g_malloc0(4 + (size_t)n * 64);
    dir[0] = (uint8_t)(n >> 24);
    dir[1] = (uint8_t)(n >> 16);
    dir[2] = (uint8_t)(n >> 8);
    dir[3] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *d = dir + 4 + (size_t)i * 64;
        uint16_t key = (uint16_t)(KEY_FILE_FIRST + i);
        uint32_t len = files[i].len;
        d[0] = (uint8_t)(len >> 24);
        d[1] = (uint8_t)(len >> 16);
        d[2] = (uint8_t)(len >> 8);
        d[3] = (uint8_t)len;
        d[4] = (uint8_t)(key >> 8);
        d[5] = (uint8_t)key;
        memcpy(d + 8, files[i].name, FILE_NAME_LEN);
        set_entry(f, key, files[i].data, len);
    }
    set_entry(f, KEY_FILE_DIR, dir, 4 + n * 64);
    g_free(files);
}

/* ---- the traditional interface ------------------------------------------ */

static void select_key(FwCfg *f, uint16_t key)
{
    f->cur = key & (KEY_MAX - 1);       /* the write bit is not honoured */
    f->offset = 0;
}

static uint8_t next_byte(FwCfg *f)
{
    FwCfgEntry *e = &f->entries[f->cur];
    return f->offset < e->len ? e->data[f->offset++] : 0;
}

static uint64_t fw_cfg_read(void *opaque, uint64_t offset, unsigned size)
{
    FwCfg *f = opaque;
    if (offset != 0) {
        return 0;               /* selector and DMA read as zero */
    }
    /* The stream's bytes land in memory order: the first at the lowest
     * address of the access (the guest's little-endian load). */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)next_byte(f) << (8 * i);
    }
    return v;
}

/* ---- DMA ------------------------------------------------------------------ */

static bool dma_write_zeroes(TsAddressSpace *as, uint64_t addr, uint32_t len)
{
    static const uint8_t zero[4096];
    while (len) {
        uint32_t n = MIN(len, (uint32_t)sizeof(zero));
        if (ts_address_space_write(as, addr, zero, n) != TS_MEM_OK) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* Run the descriptor at `addr`.  A descriptor that cannot be read is
 * dropped: there is no control word to report on. */
static void run_dma(FwCfg *f, uint64_t addr)
{
    TsAddressSpace *as = ts_mmio_device_dma(&f->parent);
    uint8_t d[16];
    if (ts_address_space_read(as, addr, d, sizeof(d)) != TS_MEM_OK) {
        ts_log(TS_LOG_GUEST_ERROR, "fw_cfg: DMA descriptor at 0x%" PRIx64
               " is not in memory\n", addr);
        return;
    }
    uint32_t control = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
    uint32_t length = (uint32_t)d[4] << 24 | d[5] << 16 | d[6] << 8 | d[7];
    uint64_t dst = 0;
    for (unsigned i = 8; i < 16; i++) {
        dst = dst << 8 | d[i];
    }
    if (control & DMA_SELECT) {
        select_key(f, (uint16_t)(control >> 16));
    }
    bool error = false;
    FwCfgEntry *e = &f->entries[f->cur];
    if (control & DMA_READ) {
        uint32_t avail = f->offset < e->len ? e->len - f->offset : 0;
        uint32_t n = MIN(avail, length);
        if (n && ts_address_space_write(as, dst, e->data + f->offset, n)
                     != TS_MEM_OK) {
            error = true;
        } else if (length > n && !dma_write_zeroes(as, dst + n, length - n)) {
            error = true;
        }
        f->offset += n;
    } else if (control & DMA_WRITE) {
        error = true;           /* no item here is writable */
    } else if (control & DMA_SKIP) {
        uint64_t to = (uint64_t)f->offset + length;
        f->offset = (uint32_t)MIN(to, (uint64_t)e->len);
    }
    uint8_t back[4] = { 0, 0, 0, error ? DMA_ERROR : 0 };
    ts_address_space_write(as, addr, back, sizeof(back));
}

static uint64_t be_value(uint64_t v, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

static void fw_cfg_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    FwCfg *f = opaque;
    uint64_t v = be_value(value, size);         /* registers are BE */
    if (offset == 8 && size == 2) {
        select_key(f, (uint16_t)v);
    } else if (offset == 16 && size == 8) {
        f->dma_addr = 0;
        run_dma(f, v);
    } else if (offset == 16 && size == 4) {
        f->dma_addr = v << 32;
    } else if (offset == 20 && size == 4) {
        uint64_t addr = f->dma_addr | v;
        f->dma_addr = 0;
        run_dma(f, addr);
    }
    /* Writes to the data register are ignored (QEMU 2.4 on). */
}

static const TsMemoryOps fw_cfg_ops = {
    .read = fw_cfg_read,
    .write = fw_cfg_write,
    .valid_min = 1,
    .valid_max = 8,
    .endian = TS_ENDIAN_LITTLE,
};

/* ---- the device ------------------------------------------------------------ */

static bool fw_cfg_realize(TsMmioDevice *dev, GError **errp)
{
    FwCfg *f = (FwCfg *)dev;
    const TsFwCfgInfo *info = ts_machine_fw_cfg_info();
    uint8_t id[4] = { ID_TRADITIONAL | ID_DMA, 0, 0, 0 };
    set_entry(f, KEY_SIGNATURE, "QEMU", 4);
    set_entry(f, KEY_ID, id, 4);
    set_entry(f, KEY_UUID, info->uuid, 16);
    set_u16(f, KEY_NOGRAPHIC, info->nographic);
    set_u16(f, KEY_BOOT_MENU, info->boot_menu);
    build_files(f, info);
    return ts_mmio_device_init_mmio(dev, &fw_cfg_ops, f, FW_CFG_WINDOW, errp);
}

static void fw_cfg_unrealize(TsMmioDevice *dev)
{
    FwCfg *f = (FwCfg *)dev;
    for (unsigned k = 0; k < KEY_MAX; k++) {
        g_free(f->entries[k].data);
        f->entries[k].data = NULL;
    }
}

static void fw_cfg_reset(TsDevice *dev)
{
    FwCfg *f = (FwCfg *)dev;
    select_key(f, KEY_SIGNATURE);
    f->dma_addr = 0;
}

static bool fw_cfg_fdt_extra(TsMmioDevice *dev, const TsFdtContext *ctx,
                             int node, GError **errp)
{
    return ts_fdt_check(ctx->fdt, node,
                        fdt_setprop(ctx->fdt, node, "dma-coherent", NULL, 0),
                        "dma-coherent", errp);
}

static const char *const fw_cfg_compatible[] = { "qemu,fw-cfg-mmio", NULL };

static void fw_cfg_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = fw_cfg_realize;
    mc->unrealize = fw_cfg_unrealize;
    mc->fdt_name = "fw-cfg";
    mc->fdt_compatible = fw_cfg_compatible;
    mc->fdt_extra = fw_cfg_fdt_extra;
    ((TsDeviceClass *)klass)->reset = fw_cfg_reset;
    /* The board places it (one per machine). */
    ((TsDeviceClass *)klass)->user_creatable = false;
}

static const TsTypeInfo fw_cfg_type = {
    .name = "fw-cfg-mmio",
    .parent = TS_TYPE_MMIO_DEVICE,
    .instance_size = sizeof(FwCfg),
    .description = "QEMU's firmware configuration device (MMIO, with DMA)",
    .class_init = fw_cfg_class_init,
};

bool fw_cfg_register(GError **errp)
{
    return ts_type_register(&fw_cfg_type, errp);
}
