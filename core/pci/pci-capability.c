/*
 * core/pci/pci-capability.c - the capability list (0x40..0xff), the
 * PCI Express extended capabilities (0x100..0xfff) and the PCI Express
 * capability itself.
 */
#include "pci-internal.h"

static const char *dev_name(TsPciDevice *dev)
{
    return pci_state(dev) ? pci_state(dev)->name
                          : ts_object_type_name(TS_OBJECT(dev));
}

static bool range_free(PciState *s, uint32_t off, uint32_t size)
{
    for (uint32_t i = 0; i < size; i++) {
        if (s->used[off + i]) {
            return false;
        }
    }
    return true;
}

/* The first dword-aligned free range of `size` bytes in [lo, hi). */
static uint32_t find_space(PciState *s, uint32_t lo, uint32_t hi,
                           uint32_t size)
{
    for (uint32_t off = lo; off + size <= hi; off += 4) {
        if (range_free(s, off, size)) {
            return off;
        }
    }
    return 0;
}

TS_EXPORT uint8_t ts_pci_add_capability(TsPciDevice *dev, uint8_t cap_id,
                                        uint8_t offset, uint8_t size,
                                        GError **errp)
{
    PciState *s = pci_state(dev);
    if (!s || size < 2) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: capability 0x%02x: bad size %u", dev_name(dev),
                    cap_id, size);
        return 0;
    }
    if (offset == 0) {
        offset = (uint8_t)find_space(s, 0x40, TS_PCI_CONFIG_SPACE_SIZE, size);
    } else if ((offset & 3) || offset < 0x40 ||
               (uint32_t)offset + size > TS_PCI_CONFIG_SPACE_SIZE ||
               !range_free(s, offset, size)) {
        offset = 0;
    }
    if (!offset) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: no room for capability 0x%02x (%u bytes) in config "
                    "space", dev_name(dev), cap_id, size);
        return 0;
    }
    /* Appended at the end of the list, so lspci shows them in the order
     * the device added them. */
    uint8_t *link = &s->config[TS_PCI_CAPABILITY_LIST];
    for (unsigned n = 0; *link && n < 48; n++) {
        link = &s->config[*link + 1];
    }
    *link = offset;
    s->config[offset] = cap_id;
    s->config[offset + 1] = 0;
    memset(s->used + offset, 1, size);
    ts_pci_set_word(s->config + TS_PCI_STATUS,
                    ts_pci_get_word(s->config + TS_PCI_STATUS) |
                    TS_PCI_STATUS_CAP_LIST);
    return offset;
}

TS_EXPORT uint8_t ts_pci_find_capability(TsPciDevice *dev, uint8_t cap_id)
{
    PciState *s = pci_state(dev);
    if (!s) {
        return 0;
    }
    uint8_t off = s->config[TS_PCI_CAPABILITY_LIST];
    for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
        if (s->config[off] == cap_id) {
            return off;
        }
        off = s->config[off + 1];
    }
    return 0;
}

TS_EXPORT uint16_t ts_pcie_add_ext_capability(TsPciDevice *dev,
                                              uint16_t cap_id,
                                              uint8_t version,
                                              uint16_t offset, uint16_t size,
                                              GError **errp)
{
    PciState *s = pci_state(dev);
    if (!s || s->size < TS_PCIE_CONFIG_SPACE_SIZE || size < 4) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: extended capability 0x%04x needs a PCI Express "
                    "function and at least 4 bytes", dev_name(dev), cap_id);
        return 0;
    }
    if (offset == 0) {
        offset = (uint16_t)find_space(s, TS_PCI_CONFIG_SPACE_SIZE,
                                      TS_PCIE_CONFIG_SPACE_SIZE, size);
    } else if ((offset & 3) || offset < TS_PCI_CONFIG_SPACE_SIZE ||
               (uint32_t)offset + size > TS_PCIE_CONFIG_SPACE_SIZE ||
               !range_free(s, offset, size)) {
        offset = 0;
    }
    if (!offset) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: no room for extended capability 0x%04x (%u bytes)",
                    dev_name(dev), cap_id, size);
        return 0;
    }
    /* The list starts at 0x100 (a header of zero there means "none");
     * each header is id[15:0] version[19:16] next[31:20].  Appended at
     * the tail, so the list is in the order of the calls. */
    uint32_t header = cap_id | (uint32_t)(version & 0xf) << 16;
    uint16_t first = TS_PCI_CONFIG_SPACE_SIZE;
    if (offset != first) {
        if (!s->used[first]) {
            /* nothing at 0x100 yet: a null capability there points on */
            memset(s->used + first, 1, 4);
        }
        uint16_t at = first;
        for (unsigned n = 0; n < 1024; n++) {
            uint32_t h = ts_pci_get_long(s->config + at);
            if (!(h >> 20)) {
                ts_pci_set_long(s->config + at,
                                (h & 0xfffff) | (uint32_t)offset << 20);
                break;
            }
            at = (uint16_t)(h >> 20);
        }
    }
    ts_pci_set_long(s->config + offset, header);
    memset(s->used + offset, 1, size);
    return offset;
}

TS_EXPORT uint16_t ts_pcie_find_ext_capability(TsPciDevice *dev,
                                               uint16_t cap_id)
{
    PciState *s = pci_state(dev);
    if (!s || s->size < TS_PCIE_CONFIG_SPACE_SIZE) {
        return 0;
    }
    uint16_t at = TS_PCI_CONFIG_SPACE_SIZE;
    for (unsigned n = 0; at >= TS_PCI_CONFIG_SPACE_SIZE && n < 1024; n++) {
        uint32_t h = ts_pci_get_long(s->config + at);
        if ((h & 0xffff) == cap_id && h) {
            return at;
        }
        at = (uint16_t)(h >> 20);
    }
    return 0;
}

/* PCI Express capability registers (offsets in the capability) */
enum {
    EXP_FLAGS = 0x02, EXP_DEVCAP = 0x04, EXP_DEVCTL = 0x08,
    EXP_DEVSTA = 0x0a, EXP_LNKCAP = 0x0c, EXP_LNKCTL = 0x10,
    EXP_LNKSTA = 0x12, EXP_SLTCAP = 0x14, EXP_SLTCTL = 0x18,
    EXP_SLTSTA = 0x1a, EXP_RTCTL = 0x1c, EXP_RTSTA = 0x20,
    EXP_DEVCAP2 = 0x24, EXP_DEVCTL2 = 0x28, EXP_LNKCAP2 = 0x2c,
    EXP_LNKCTL2 = 0x30, EXP_LNKSTA2 = 0x32,
    EXP_SIZE = 0x3c,
};

TS_EXPORT uint8_t ts_pcie_add_express_capability(TsPciDevice *dev,
                                                 TsPcieType type,
                                                 uint8_t offset,
                                                 GError **errp)
{
    PciState *s = pci_state(dev);
    if (s && type == TS_PCIE_TYPE_ENDPOINT && dev->bus && !dev->bus->bridge &&
        dev->bus->express) {
        type = TS_PCIE_TYPE_RC_END;
    }
    uint8_t at = ts_pci_add_capability(dev, TS_PCI_CAP_ID_EXP, offset,
                                       EXP_SIZE, errp);
    if (!at) {
        return 0;
    }
    uint8_t *c = s->config + at;
    bool port = type == TS_PCIE_TYPE_ROOT_PORT ||
                type == TS_PCIE_TYPE_DOWNSTREAM;
    /* version 2, the type; a port says it has a slot */
    ts_pci_set_word(c + EXP_FLAGS, 0x2 | (uint16_t)type << 4 |
                    (port ? 0x100 : 0));
    /* device: max payload 128 bytes, role-based error reporting */
    ts_pci_set_long(c + EXP_DEVCAP, 1u << 15);
    ts_pci_set_config_mask(dev, at + EXP_DEVCTL, 2, 0x7cff, 0);
    ts_pci_set_config_mask(dev, at + EXP_DEVSTA, 2, 0, 0x000f);
    if (type != TS_PCIE_TYPE_RC_END) {
        /* link: x1 at 2.5 GT/s (port number 0), trained */
        ts_pci_set_long(c + EXP_LNKCAP, 0x1 | 1u << 4 |
                        (port ? 1u << 20 : 0));
        ts_pci_set_word(c + EXP_LNKSTA, 0x1 | 1u << 4 |
                        (port ? 1u << 13 : 0));
        ts_pci_set_config_mask(dev, at + EXP_LNKCTL, 2, 0x01c3, 0);
        ts_pci_set_long(c + EXP_LNKCAP2, 1u << 1);
        ts_pci_set_word(c + EXP_LNKCTL2, 0x1);
    }
    /* device 2: completion timeout ranges not supported, ARI forwarding
     * for ports */
    ts_pci_set_long(c + EXP_DEVCAP2, port ? 1u << 5 : 0);
    ts_pci_set_config_mask(dev, at + EXP_DEVCTL2, 2, port ? 0x0020 : 0, 0);
    return at;
}
