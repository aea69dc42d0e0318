/*
 * dev-pflash - CFI parallel flash with the Intel/Sharp command set, the
 * "cfi.pflash01" of QEMU's boards (one bank per device).
 *
 * Memory: in read-array mode, where guests spend nearly all their time
 * (firmware executing in place, U-Boot's md, Linux reading its MTD),
 * reads must not cost a device call.  The contents therefore live in a
 * ROM device (reads straight from host memory, writes still reach the
 * command logic), mapped over an MMIO region of the same size.  A
 * command that changes what reads return (status, query, identifier,
 * program, erase) hides the ROM device, so reads fall through to the
 * MMIO region and the state machine; read-array shows it again.
 *
 * Device tree: banks that follow one another at the same bank width
 * share one "cfi-flash" node with one reg entry per bank, as QEMU's virt
 * describes its two banks; Linux's physmap and U-Boot treat each entry
 * as a bank of its own.
 */
#include "pflash.h"

#include <libfdt.h>
#include <stdarg.h>

/* Host memory is filled at realize: keep banks to what boards have. */
#define PFLASH_SIZE_MAX (UINT64_C(1) << 30)
/* The write buffer of one chip, in chip words: the count of a buffered
 * program then fits the one-byte field every firmware writes. */
#define BUFFER_WORDS 256

void pflash_update_mapping(Pflash *s)
{
    bool show = !s->blank && s->read_mode == READ_ARRAY &&
                s->pending == PENDING_NONE;
    if (s->array && show != s->array_shown) {
        s->array_shown = show;
        ts_memory_region_set_enabled(s->array, show);
    }
}

void pflash_materialize(Pflash *s)
{
    if (s->blank) {
        memset(s->data, 0xff, s->size);
        s->blank = false;
    }
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static bool G_GNUC_PRINTF(2, 3) fail(GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, PFLASH_TYPE ": %s", msg);
    return false;
}

static bool check_geometry(Pflash *s, GError **errp)
{
    if (s->bank_width != 1 && s->bank_width != 2 && s->bank_width != 4) {
        return fail(errp, "bank-width %" PRIu64 " is not 1, 2 or 4",
                    s->bank_width);
    }
    if (s->device_width == 0) {
        s->device_width = s->bank_width;
    }
    if (!is_pow2(s->device_width) || s->device_width > s->bank_width) {
        return fail(errp, "device-width %" PRIu64 " must be 1, 2 or 4 and "
                    "at most the bank width %" PRIu64, s->device_width,
                    s->bank_width);
    }
    s->devices = (unsigned)(s->bank_width / s->device_width);
    s->buf_bytes = BUFFER_WORDS * s->bank_width;
    if (!is_pow2(s->size) || s->size > PFLASH_SIZE_MAX) {
        return fail(errp, "size %" PRIu64 " must be a power of two up to "
                    "%" PRIu64 " bytes", s->size, (uint64_t)PFLASH_SIZE_MAX);
    }
    /* A chip's block is given in 256-byte units and holds its buffer. */
    if (!is_pow2(s->sector_len) || s->sector_len > s->size ||
        s->sector_len < s->buf_bytes ||
        s->sector_len / s->devices / 256 > 0xffff) {
        return fail(errp, "sector-length %" PRIu64 " must be a power of two "
                    "from the write buffer (%" PRIu64 " bytes) up to the "
                    "size", s->sector_len, s->buf_bytes);
    }
    s->blocks = s->size / s->sector_len;
    if (s->blocks > 0x10000) {
        return fail(errp, "%" PRIu64 " blocks are more than CFI can "
                    "describe (%u)", s->blocks, 0x10000u);
    }
    return true;
}

/* The window is a container (which mmio-device then owns) of the two. */
static bool create_regions(Pflash *s, GError **errp)
{
    g_autofree char *name = g_strdup_printf("pflash@%" PRIx64,
                                            s->parent.addr);
    g_autofree char *array_name = g_strconcat(name, ".array", NULL);
    g_autofree char *io_name = g_strconcat(name, ".cmd", NULL);
    /* The callbacks see one bus word at a time. */
    TsMemoryOps io_ops = pflash_io_ops, array_ops = pflash_array_ops;
    io_ops.impl_max = array_ops.impl_max = (unsigned)s->bank_width;

    s->array = ts_memory_region_new_rom_device(array_name, s->size,
                                               &array_ops, s, errp);
    if (!s->array) {
        g_prefix_error(errp, PFLASH_TYPE ": ");
        return false;
    }
    s->data = ts_memory_region_host_ptr(s->array);
    s->array_shown = true;
    s->io = ts_memory_region_new_mmio(io_name, s->size, &io_ops, s);
    TsMemoryRegion *container = ts_memory_region_new_container(name,
                                                               s->size);
    ts_memory_region_add_subregion(container, 0, s->io, 0);
    ts_memory_region_add_subregion(container, 0, s->array, 1);
    return ts_mmio_device_init_region(&s->parent, container, errp);
}

static void free_state(Pflash *s)
{
    ts_memory_region_unref(s->io);
    ts_memory_region_unref(s->array);
    s->io = s->array = NULL;
    s->data = NULL;
    g_clear_pointer(&s->locked, g_free);
    g_clear_pointer(&s->buf, g_free);
    g_clear_pointer(&s->buf_written, g_free);
}

static bool pflash_realize(TsMmioDevice *dev, GError **errp)
{
    Pflash *s = (Pflash *)dev;
    if (!check_geometry(s, errp) || !create_regions(s, errp)) {
        free_state(s);
        return false;
    }
    if (!pflash_file_open(s, errp)) {
        g_prefix_error(errp, PFLASH_TYPE ": ");
        free_state(s);
        return false;
    }
    pflash_update_mapping(s);       /* hides the array of a blank bank */
    s->locked = g_malloc0(s->blocks);
    s->buf = g_malloc0(s->buf_bytes);
    s->buf_written = g_malloc0(s->buf_bytes);
    pflash_query_build(s);
    pflash_cmd_reset(s);
    return true;
}

static void pflash_unrealize(TsMmioDevice *dev)
{
    Pflash *s = (Pflash *)dev;
    pflash_file_close(s);
    free_state(s);
}

/* A bank dropped without unrealize still saves what the guest wrote. */
static void pflash_finalize(TsObject *obj)
{
    pflash_file_close((Pflash *)obj);
}

static void pflash_reset(TsDevice *dev)
{
    pflash_cmd_reset((Pflash *)dev);
}

/* ------------------------------------------------------------------ */
/* Device tree                                                        */

static uint64_t get_cells(const fdt32_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 32 | fdt32_to_cpu(p[i]);
    }
    return v;
}

/* A "cfi-flash" node of the same bank width whose last bank ends where
 * this one starts, or -1. */
static int node_to_extend(const Pflash *s, const TsFdtContext *ctx)
{
    unsigned cells = ctx->addr_cells + ctx->size_cells;
    int node;
    fdt_for_each_subnode(node, ctx->fdt, ctx->parent) {
        int len;
        const fdt32_t *width = fdt_getprop(ctx->fdt, node, "bank-width",
                                           &len);
        if (fdt_node_check_compatible(ctx->fdt, node, "cfi-flash") != 0 ||
            !width || len != 4 || fdt32_to_cpu(*width) != s->bank_width) {
            continue;
        }
        const fdt32_t *reg = fdt_getprop(ctx->fdt, node, "reg", &len);
        if (!reg || len <= 0 || len % (cells * 4) != 0) {
            continue;
        }
        const fdt32_t *last = reg + len / 4 - cells;
        uint64_t start = get_cells(last, ctx->addr_cells);
        uint64_t size = get_cells(last + ctx->addr_cells, ctx->size_cells);
        if (start + size == s->parent.addr) {
            return node;
        }
    }
    return -1;
}

/* Not mmio-device's default node: a bank that follows another joins
 * its node. */
static bool pflash_fdt_add(TsDevice *dev, const TsFdtContext *ctx,
                           GError **errp)
{
    Pflash *s = (Pflash *)dev;
    uint64_t addr = s->parent.addr;
    int node = node_to_extend(s, ctx);
    if (node >= 0) {
        return ts_fdt_append_reg(ctx, node, addr, s->size, errp);
    }
    static const char *const compatible[] = { "cfi-flash", NULL };
    node = ts_fdt_add_node(ctx->fdt, ctx->parent, "flash", addr, errp);
    return node >= 0 &&
           ts_fdt_set_strings(ctx->fdt, node, "compatible", compatible,
                              errp) &&
           ts_fdt_set_reg(ctx, node, addr, s->size, errp) &&
           ts_fdt_set_u32(ctx->fdt, node, "bank-width",
                          (uint32_t)s->bank_width, errp);
}

/* ------------------------------------------------------------------ */
/* Type                                                               */

static const TsProperty pflash_props[] = {
    TS_PROP_SIZE("size", Pflash, size, 0,
                 "bytes in the bank (a power of two)"),
    TS_PROP_SIZE("sector-length", Pflash, sector_len, 256 * 1024,
                 "erase block of the bank (all chips together)"),
    TS_PROP_UINT("bank-width", Pflash, bank_width, 4,
                 "bus width in bytes: 1, 2 or 4"),
    TS_PROP_UINT("device-width", Pflash, device_width, 0,
                 "width of one chip in bytes (0: one chip as wide as the "
                 "bus)"),
    TS_PROP_STRING("drive", Pflash, drive, NULL,
                   "block backend (-drive id or node name): loaded at "
                   "start, written back on every program and erase; a "
                   "read-only drive fails them (none: a blank bank)"),
    TS_PROP_END,
};

static void pflash_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = pflash_realize;
    mc->unrealize = pflash_unrealize;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->reset = pflash_reset;
    dc->categories = TS_DEVICE_CATEGORY_STORAGE;
    /* Boards place their banks (-drive if=pflash fills them). */
    dc->user_creatable = false;
    ts_class_add_properties(klass, pflash_props);
    TsFdtNodeInterface *fi = ts_class_interface(klass, TS_TYPE_FDT_NODE);
    fi->add = pflash_fdt_add;
}

static const TsTypeInfo pflash_type = {
    .name = PFLASH_TYPE,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "CFI parallel flash, Intel/Sharp command set",
    .instance_size = sizeof(Pflash),
    .class_init = pflash_class_init,
    .instance_finalize = pflash_finalize,
};

static bool pflash_plugin_init(GError **errp)
{
    return ts_type_register(&pflash_type, errp);
}

TS_PLUGIN("dev-pflash", "CFI parallel flash (Intel/Sharp command set)",
          pflash_plugin_init);
