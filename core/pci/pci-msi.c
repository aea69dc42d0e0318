/*
 * core/pci/pci-msi.c - message signalled interrupts: the MSI and MSI-X
 * capabilities, the MSI-X table and pending bit array in BARs, masking,
 * and the message writes that go out through the device's bus master
 * address space (so they stop with bus mastering, like any DMA).
 */
#include "pci-internal.h"

/* MSI capability registers (offsets in the capability) */
enum {
    MSI_FLAGS = 0x02,
    MSI_FLAGS_ENABLE = 0x0001,
    MSI_FLAGS_QMASK = 0x000e,   /* log2 of the vectors offered */
    MSI_FLAGS_QSIZE = 0x0070,   /* log2 of the vectors enabled */
    MSI_FLAGS_64BIT = 0x0080,
    MSI_FLAGS_MASKBIT = 0x0100,
    MSI_ADDRESS_LO = 0x04,
    MSI_ADDRESS_HI = 0x08,
};

/* MSI-X capability registers and table entries */
enum {
    MSIX_FLAGS = 0x02,
    MSIX_FLAGS_QSIZE = 0x07ff,
    MSIX_FLAGS_MASKALL = 0x4000,
    MSIX_FLAGS_ENABLE = 0x8000,
    MSIX_TABLE = 0x04,
    MSIX_PBA = 0x08,
    MSIX_CAP_SIZE = 12,
    MSIX_ENTRY_SIZE = 16,
    MSIX_ENTRY_DATA = 8,
    MSIX_ENTRY_CTRL = 12,
    MSIX_ENTRY_MASKED = 1,
    MSIX_MAX_VECTORS = 2048,
};

static bool msi_allowed(TsPciDevice *dev, const char *what, GError **errp)
{
    if (!pci_state(dev) || !dev->bus || !dev->bus->root->msi) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "%s is not supported by interrupt controller", what);
        return false;
    }
    return true;
}

/* Where the MSI data register and mask bits are. */
static uint8_t msi_data_off(PciState *s)
{
    return s->msi_cap + (s->msi_64 ? 0x0c : 0x08);
}

static uint8_t msi_mask_off(PciState *s)
{
    return s->msi_cap + (s->msi_64 ? 0x10 : 0x0c);
}

static uint16_t msi_flags(PciState *s)
{
    return ts_pci_get_word(s->config + s->msi_cap + MSI_FLAGS);
}

static uint16_t msix_flags(PciState *s)
{
    return ts_pci_get_word(s->config + s->msix.cap + MSIX_FLAGS);
}

TS_EXPORT bool ts_pci_msi_enabled(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    return s && s->msi_cap && (msi_flags(s) & MSI_FLAGS_ENABLE);
}

TS_EXPORT bool ts_pci_msix_enabled(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    return s && s->msix.cap && (msix_flags(s) & MSIX_FLAGS_ENABLE);
}

TS_EXPORT unsigned ts_pci_msi_vectors(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (ts_pci_msix_enabled(dev)) {
        return s->msix.vectors;
    }
    if (ts_pci_msi_enabled(dev)) {
        unsigned mme = (msi_flags(s) & MSI_FLAGS_QSIZE) >> 4;
        unsigned mmc = (msi_flags(s) & MSI_FLAGS_QMASK) >> 1;
        return 1u << MIN(mme, mmc);
    }
    return 0;
}

/* The message itself: one 32-bit write, as a device's DMA.  A write to
 * nowhere (bus mastering off, a wild address) is dropped. */
static void send_message(TsPciDevice *dev, uint64_t addr, uint32_t data)
{
    PciState *s = pci_state(dev);
    TsMemResult r = ts_address_space_store(s->master_as, addr, 4, data);
    if (r != TS_MEM_OK) {
        ts_log(TS_LOG_GUEST_ERROR, "%s: MSI write of 0x%x to 0x%" PRIx64
               " went nowhere\n", s->name, data, addr);
    }
}

/* ---- MSI ------------------------------------------------------------ */

TS_EXPORT uint8_t ts_pci_add_msi(TsPciDevice *dev, unsigned vectors,
                                 bool addr64, bool per_vector_mask,
                                 uint8_t offset, GError **errp)
{
    PciState *s = pci_state(dev);
    if (!msi_allowed(dev, "MSI", errp)) {
        return 0;
    }
    if (vectors == 0 || vectors > 32 || (vectors & (vectors - 1)) ||
        s->msi_cap) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: MSI with %u vectors (a power of two up to 32, "
                    "once)", s->name, vectors);
        return 0;
    }
    uint8_t size = per_vector_mask ? (addr64 ? 0x18 : 0x14)
                                   : (addr64 ? 0x0e : 0x0a);
    uint8_t at = ts_pci_add_capability(dev, TS_PCI_CAP_ID_MSI, offset, size,
                                       errp);
    if (!at) {
        return 0;
    }
    s->msi_cap = at;
    s->msi_64 = addr64;
    s->msi_maskable = per_vector_mask;
    uint16_t flags = (uint16_t)(__builtin_ctz(vectors) << 1) |
                     (addr64 ? MSI_FLAGS_64BIT : 0) |
                     (per_vector_mask ? MSI_FLAGS_MASKBIT : 0);
    ts_pci_set_word(s->config + at + MSI_FLAGS, flags);
    ts_pci_set_config_mask(dev, at + MSI_FLAGS, 2,
                           MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE, 0);
    ts_pci_set_config_mask(dev, at + MSI_ADDRESS_LO, 4, 0xfffffffc, 0);
    if (addr64) {
        ts_pci_set_config_mask(dev, at + MSI_ADDRESS_HI, 4, 0xffffffff, 0);
    }
    ts_pci_set_config_mask(dev, msi_data_off(s), 2, 0xffff, 0);
    if (per_vector_mask) {
        uint32_t bits = vectors == 32 ? UINT32_MAX : (1u << vectors) - 1;
        ts_pci_set_config_mask(dev, msi_mask_off(s), 4, bits, 0);
    }
    return at;
}

static void msi_send(TsPciDevice *dev, unsigned vector)
{
    PciState *s = pci_state(dev);
    uint64_t addr = ts_pci_get_long(s->config + s->msi_cap + MSI_ADDRESS_LO);
    if (s->msi_64) {
        addr |= (uint64_t)ts_pci_get_long(s->config + s->msi_cap +
                                          MSI_ADDRESS_HI) << 32;
    }
    unsigned n = ts_pci_msi_vectors(dev);
    uint32_t data = ts_pci_get_word(s->config + msi_data_off(s));
    data = (data & ~(n - 1)) | vector;
    send_message(dev, addr, data);
}

static void msi_notify(TsPciDevice *dev, unsigned vector)
{
    PciState *s = pci_state(dev);
    if (s->msi_maskable) {
        uint8_t *mask = s->config + msi_mask_off(s);
        if (ts_pci_get_long(mask) & (1u << vector)) {
            uint8_t *pend = mask + 4;
            ts_pci_set_long(pend, ts_pci_get_long(pend) | 1u << vector);
            return;
        }
    }
    msi_send(dev, vector);
}

/* Unmasked vectors with a pending message send it now. */
static void msi_flush_pending(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (!s->msi_maskable || !ts_pci_msi_enabled(dev)) {
        return;
    }
    uint8_t *mask = s->config + msi_mask_off(s), *pend = mask + 4;
    uint32_t fire = ts_pci_get_long(pend) & ~ts_pci_get_long(mask);
    unsigned n = ts_pci_msi_vectors(dev);
    for (unsigned v = 0; v < n; v++) {
        if (fire & (1u << v)) {
            ts_pci_set_long(pend, ts_pci_get_long(pend) & ~(1u << v));
            msi_send(dev, v);
        }
    }
}

/* ---- MSI-X ---------------------------------------------------------- */

static bool msix_vector_masked(PciState *s, unsigned v)
{
    return (msix_flags(s) & MSIX_FLAGS_MASKALL) ||
           (ts_pci_get_long(s->msix.table + v * MSIX_ENTRY_SIZE +
                            MSIX_ENTRY_CTRL) & MSIX_ENTRY_MASKED);
}

TS_EXPORT bool ts_pci_msix_masked(TsPciDevice *dev, unsigned vector)
{
    PciState *s = pci_state(dev);
    return !s || !s->msix.cap || vector >= s->msix.vectors ||
           msix_vector_masked(s, vector);
}

static void msix_send(TsPciDevice *dev, unsigned v)
{
    PciState *s = pci_state(dev);
    const uint8_t *e = s->msix.table + v * MSIX_ENTRY_SIZE;
    uint64_t addr = ts_pci_get_long(e) |
                    (uint64_t)ts_pci_get_long(e + 4) << 32;
    send_message(dev, addr, ts_pci_get_long(e + MSIX_ENTRY_DATA));
}

static void msix_notify(TsPciDevice *dev, unsigned v)
{
    PciState *s = pci_state(dev);
    if (msix_vector_masked(s, v)) {
        s->msix.pba[v / 64] |= 1ull << (v % 64);
        return;
    }
    msix_send(dev, v);
}

static void msix_flush_pending(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (!ts_pci_msix_enabled(dev)) {
        return;
    }
    for (unsigned v = 0; v < s->msix.vectors; v++) {
        uint64_t bit = 1ull << (v % 64);
        if ((s->msix.pba[v / 64] & bit) && !msix_vector_masked(s, v)) {
            s->msix.pba[v / 64] &= ~bit;
            msix_send(dev, v);
        }
    }
}

static uint64_t msix_table_read(void *opaque, uint64_t addr, unsigned size)
{
    TsPciDevice *dev = opaque;
    PciState *s = pci_state(dev);
    uint64_t len = (uint64_t)s->msix.vectors * MSIX_ENTRY_SIZE;
    return addr + size <= len ? ts_pci_get_long(s->msix.table + addr) : 0;
}

static void msix_table_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    TsPciDevice *dev = opaque;
    PciState *s = pci_state(dev);
    uint64_t len = (uint64_t)s->msix.vectors * MSIX_ENTRY_SIZE;
    if (addr + size > len) {
        return;
    }
    ts_pci_set_long(s->msix.table + addr, (uint32_t)val);
    if ((addr % MSIX_ENTRY_SIZE) == MSIX_ENTRY_CTRL) {
        msix_flush_pending(dev);
    }
}

static const TsMemoryOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .valid_min = 4, .valid_max = 8,
    .impl_min = 4, .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static uint64_t msix_pba_read(void *opaque, uint64_t addr, unsigned size)
{
    PciState *s = pci_state(opaque);
    uint64_t words = (s->msix.vectors + 63) / 64;
    if (addr / 8 >= words) {
        return 0;
    }
    return (uint32_t)(s->msix.pba[addr / 8] >> (8 * (addr % 8)));
}

static const TsMemoryOps msix_pba_ops = {
    .read = msix_pba_read,      /* writes are ignored (read-only) */
    .valid_min = 4, .valid_max = 8,
    .impl_min = 4, .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool msix_bar_ok(PciState *s, unsigned bar, uint32_t off,
                        uint64_t len)
{
    if (bar >= PCI_NUM_BARS || !s->bars[bar].mr || (off & 7) ||
        (s->bars[bar].type & TS_PCI_BAR_IO) ||
        ts_memory_region_kind(s->bars[bar].mr) != TS_MEMORY_CONTAINER) {
        return false;
    }
    return off + len <= s->bars[bar].size;
}

TS_EXPORT uint8_t ts_pci_add_msix(TsPciDevice *dev, unsigned vectors,
                                  unsigned table_bar, uint32_t table_offset,
                                  unsigned pba_bar, uint32_t pba_offset,
                                  uint8_t offset, GError **errp)
{
    PciState *s = pci_state(dev);
    if (!msi_allowed(dev, "MSI-X", errp)) {
        return 0;
    }
    uint64_t table_len = (uint64_t)vectors * MSIX_ENTRY_SIZE;
    uint64_t pba_len = (vectors + 63) / 64 * 8;
    if (vectors == 0 || vectors > MSIX_MAX_VECTORS || s->msix.cap ||
        !msix_bar_ok(s, table_bar, table_offset, table_len) ||
        !msix_bar_ok(s, pba_bar, pba_offset, pba_len) ||
        (table_bar == pba_bar && table_offset < pba_offset + pba_len &&
         pba_offset < table_offset + table_len)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: MSI-X with %u vectors does not fit: the table and "
                    "PBA need registered container BARs with room for them",
                    s->name, vectors);
        return 0;
    }
    uint8_t at = ts_pci_add_capability(dev, TS_PCI_CAP_ID_MSIX, offset,
                                       MSIX_CAP_SIZE, errp);
    if (!at) {
        return 0;
    }
    PciMsix *m = &s->msix;
    m->cap = at;
    m->vectors = vectors;
    m->table_bar = table_bar;
    m->table_offset = table_offset;
    m->pba_bar = pba_bar;
    m->pba_offset = pba_offset;
    m->table = g_malloc0(table_len);
    m->pba = g_new0(uint64_t, (vectors + 63) / 64);
    for (unsigned v = 0; v < vectors; v++) {
        ts_pci_set_long(m->table + v * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL,
                        MSIX_ENTRY_MASKED);
    }
    ts_pci_set_word(s->config + at + MSIX_FLAGS, (uint16_t)(vectors - 1));
    ts_pci_set_long(s->config + at + MSIX_TABLE, table_offset | table_bar);
    ts_pci_set_long(s->config + at + MSIX_PBA, pba_offset | pba_bar);
    ts_pci_set_config_mask(dev, at + MSIX_FLAGS, 2,
                           MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL, 0);
    g_autofree char *tname = g_strdup_printf("msix-table");
    m->table_mr = ts_memory_region_new_mmio(tname, table_len,
                                            &msix_table_ops, dev);
    m->pba_mr = ts_memory_region_new_mmio("msix-pba", pba_len,
                                          &msix_pba_ops, dev);
    ts_memory_region_add_subregion(s->bars[table_bar].mr, table_offset,
                                   m->table_mr, 1);
    ts_memory_region_add_subregion(s->bars[pba_bar].mr, pba_offset,
                                   m->pba_mr, 1);
    return at;
}

TS_EXPORT uint8_t ts_pci_add_msix_bar(TsPciDevice *dev, unsigned vectors,
                                      unsigned bar, uint8_t offset,
                                      GError **errp)
{
    PciState *s = pci_state(dev);
    if (!msi_allowed(dev, "MSI-X", errp)) {
        return 0;
    }
    if (vectors == 0 || vectors > MSIX_MAX_VECTORS) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: MSI-X with %u vectors (1 to %u)", s->name, vectors,
                    MSIX_MAX_VECTORS);
        return 0;
    }
    /* The table in the first half, the PBA in the second: each half is
     * a power of two holding the table, at least 2 KiB. */
    uint64_t half = 2048;
    while (half < (uint64_t)vectors * MSIX_ENTRY_SIZE) {
        half *= 2;
    }
    g_autofree char *name = g_strdup_printf("%s-msix", s->name);
    TsMemoryRegion *mr = ts_memory_region_new_container(name, 2 * half);
    bool ok = ts_pci_register_bar(dev, bar, TS_PCI_BAR_MEM32, mr, errp);
    ts_memory_region_unref(mr);
    if (!ok) {
        return 0;
    }
    uint8_t at = ts_pci_add_msix(dev, vectors, bar, 0, bar, (uint32_t)half,
                                 offset, errp);
    if (!at) {
        /* Give the BAR back: the device goes on without MSI-X. */
        ts_memory_region_unref(s->bars[bar].mr);
        memset(&s->bars[bar], 0, sizeof(s->bars[bar]));
        ts_pci_set_long(s->config + TS_PCI_BASE_ADDRESS_0 + 4 * bar, 0);
        ts_pci_set_config_mask(dev, TS_PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0,
                               0);
    }
    return at;
}

/* ---- both ----------------------------------------------------------- */

TS_EXPORT void ts_pci_msi_notify(TsPciDevice *dev, unsigned vector)
{
    PciState *s = pci_state(dev);
    if (!s) {
        return;
    }
    if (ts_pci_msix_enabled(dev)) {
        if (vector < s->msix.vectors) {
            msix_notify(dev, vector);
            return;
        }
    } else if (ts_pci_msi_enabled(dev)) {
        if (vector < ts_pci_msi_vectors(dev)) {
            msi_notify(dev, vector);
            return;
        }
    } else {
        return;
    }
    ts_log(TS_LOG_GUEST_ERROR, "%s: vector %u is beyond the %u enabled\n",
           s->name, vector, ts_pci_msi_vectors(dev));
}

static bool overlaps(uint32_t off, unsigned len, uint32_t start,
                     uint32_t size)
{
    return off < start + size && start < off + len;
}

void pci_msi_config_written(TsPciDevice *dev, uint32_t off, unsigned len)
{
    PciState *s = pci_state(dev);
    bool touched = false;
    if (s->msi_cap && overlaps(off, len, s->msi_cap, 0x18)) {
        msi_flush_pending(dev);
        touched = true;
    }
    if (s->msix.cap && overlaps(off, len, s->msix.cap, MSIX_CAP_SIZE)) {
        msix_flush_pending(dev);
        touched = true;
    }
    if (touched) {
        pci_intx_update(dev);   /* no INTx while messages are enabled */
    }
}

void pci_msi_reset(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (s->msi_cap) {
        uint8_t *c = s->config + s->msi_cap;
        ts_pci_set_word(c + MSI_FLAGS, ts_pci_get_word(c + MSI_FLAGS) &
                        ~(MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE));
        memset(c + MSI_ADDRESS_LO, 0, (s->msi_64 ? 0x0e : 0x0a) - 4);
        if (s->msi_maskable) {
            memset(s->config + msi_mask_off(s), 0, 8);
        }
    }
    if (s->msix.cap) {
        uint8_t *c = s->config + s->msix.cap;
        ts_pci_set_word(c + MSIX_FLAGS, ts_pci_get_word(c + MSIX_FLAGS) &
                        ~(MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL));
        memset(s->msix.table, 0, s->msix.vectors * MSIX_ENTRY_SIZE);
        for (unsigned v = 0; v < s->msix.vectors; v++) {
            ts_pci_set_long(s->msix.table + v * MSIX_ENTRY_SIZE +
                            MSIX_ENTRY_CTRL, MSIX_ENTRY_MASKED);
        }
        memset(s->msix.pba, 0, (s->msix.vectors + 63) / 64 * 8);
    }
}

void pci_msi_release(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    PciMsix *m = &s->msix;
    if (m->table_mr) {
        ts_memory_region_remove_subregion(s->bars[m->table_bar].mr,
                                          m->table_mr);
        ts_memory_region_remove_subregion(s->bars[m->pba_bar].mr, m->pba_mr);
        ts_memory_region_unref(m->table_mr);
        ts_memory_region_unref(m->pba_mr);
    }
    g_free(m->table);
    g_free(m->pba);
    memset(m, 0, sizeof(*m));
    s->msi_cap = 0;
}
