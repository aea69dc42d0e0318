/*
 * nvme-pci.c - the NVMe controller as QEMU's `nvme` PCI Express device:
 * ids 1b36:0010, class 01 08 02, BAR0 a 64-bit memory BAR of 16 KiB
 * holding the registers and doorbells, then the MSI-X table (at 0x2000)
 * and PBA (at 0x3000) as QEMU lays them out, and INTA when the bus has
 * no MSI controller or the guest does not enable MSI-X.  Namespace 1 is
 * the block backend named by drive=.
 *
 * The controller itself (nvme-ctrl.c and friends) knows no bus: this file
 * gives it DMA through the function's bus master address space (nothing
 * reaches memory while the guest has bus mastering off), its interrupts,
 * and the block layer's asynchronous requests.
 */
#include "nvme-pci.h"

#define NVME_DEVICE_ID      0x0010
#define NVME_BAR_SIZE       0x4000
#define NVME_MSIX_TABLE     0x2000
#define NVME_MSIX_PBA       0x3000

/* One block request on its way back to the controller. */
typedef struct IoCall {
    NvmePci *s;
    NvmeIoDone done;
    void *opaque;
    int ret;
} IoCall;

static TsObject *obj_of(NvmePci *s)
{
    return TS_OBJECT(s);
}

/* ---- What the controller asks of the transport ----------------------- */

static bool pci_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
    NvmePci *s = opaque;
    return ts_pci_dma_read(&s->parent, addr, buf, len) == TS_MEM_OK;
}

static bool pci_dma_write(void *opaque, uint64_t addr, const void *buf,
                          size_t len)
{
    NvmePci *s = opaque;
    return ts_pci_dma_write(&s->parent, addr, buf, len) == TS_MEM_OK;
}

static void *pci_dma_map(void *opaque, uint64_t addr, size_t len,
                         bool for_write, void **token)
{
    NvmePci *s = opaque;
    TsMemoryRegion *mr = NULL;
    void *p = ts_dma_map(ts_pci_device_dma_as(&s->parent), addr, len,
                         for_write, &mr);
    *token = mr;
    return p;
}

static void pci_dma_unmap(void *opaque, void *token)
{
    (void)opaque;
    ts_dma_unmap(token);
}

static void pci_irq(void *opaque, unsigned vector, bool level)
{
    NvmePci *s = opaque;
    if (s->ctrl.msix) {
        ts_pci_msi_notify(&s->parent, vector);
    } else {
        ts_pci_set_irq(&s->parent, level);
    }
}

/* The guest switches MSI-X on and off in config space: the controller
 * hears of it before its next interrupt decision. */
static void sync_msix(NvmePci *s)
{
    nvme_ctrl_set_msix(&s->ctrl, s->has_msix &&
                       ts_pci_msix_enabled(&s->parent));
}

static void call_done(IoCall *c)
{
    sync_msix(c->s);
    c->done(c->opaque, c->ret);
    g_free(c);
}

/* A completion writes into guest memory: with the registers marked busy,
 * a guest that aimed the data at them gets nothing instead of making
 * the controller re-enter itself. */
static void io_complete(void *opaque, int ret)
{
    IoCall *c = opaque;
    NvmePci *s = c->s;
    c->ret = ret;
    if (!ts_memory_region_enter(s->regs)) {
        g_queue_push_tail(&s->deferred, c);
        ts_bh_schedule(s->deferred_bh);
        return;
    }
    call_done(c);
    ts_memory_region_leave(s->regs);
}

static void deferred_bh(void *opaque)
{
    NvmePci *s = opaque;
    if (!s->deferred.length) {
        return;
    }
    if (!ts_memory_region_enter(s->regs)) {
        ts_bh_schedule(s->deferred_bh);
        return;
    }
    IoCall *c;
    while ((c = g_queue_pop_head(&s->deferred))) {
        call_done(c);
    }
    ts_memory_region_leave(s->regs);
}

static void pci_io(void *opaque, void *disk, NvmeIoKind kind,
                   uint64_t offset, uint64_t bytes, const struct iovec *iov,
                   int niov, unsigned flags, NvmeIoDone done,
                   void *done_opaque)
{
    NvmePci *s = opaque;
    TsBlockBackend *blk = disk;
    IoCall *c = g_new0(IoCall, 1);
    c->s = s;
    c->done = done;
    c->opaque = done_opaque;
    switch (kind) {
    case NVME_IO_READ:
        ts_block_preadv(blk, offset, iov, niov, 0, io_complete, c);
        break;
    case NVME_IO_WRITE:
        ts_block_pwritev(blk, offset, iov, niov,
                         flags & NVME_IO_FLAG_FUA ? TS_BLOCK_REQ_FUA : 0,
                         io_complete, c);
        break;
    case NVME_IO_FLUSH:
        ts_block_flush(blk, io_complete, c);
        break;
    case NVME_IO_DISCARD:
        ts_block_discard(blk, offset, bytes, io_complete, c);
        break;
    case NVME_IO_WRITE_ZEROES:
        ts_block_write_zeroes(blk, offset, bytes,
                              flags & NVME_IO_FLAG_MAY_UNMAP
                                  ? TS_BLOCK_REQ_MAY_UNMAP : 0,
                              io_complete, c);
        break;
    }
}

static void pci_set_write_cache(void *opaque, void *disk, bool enabled)
{
    (void)opaque;
    ts_block_set_write_cache(disk, enabled);
}

static void pci_guest_error(void *opaque, const char *msg)
{
    NvmePci *s = opaque;
    if (ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        ts_log(TS_LOG_GUEST_ERROR, "nvme %s: %s\n",
               s->serial ? s->serial : "", msg);
    }
}

static const NvmeHostOps nvme_pci_host_ops = {
    .dma_read = pci_dma_read,
    .dma_write = pci_dma_write,
    .dma_map = pci_dma_map,
    .dma_unmap = pci_dma_unmap,
    .irq = pci_irq,
    .io = pci_io,
    .set_write_cache = pci_set_write_cache,
    .guest_error = pci_guest_error,
};

/* ---- BAR0 ------------------------------------------------------------ */

static uint64_t regs_read(void *opaque, uint64_t addr, unsigned size)
{
    NvmePci *s = opaque;
    sync_msix(s);
    return nvme_ctrl_read(&s->ctrl, addr, size);
}

static void regs_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    NvmePci *s = opaque;
    sync_msix(s);
    nvme_ctrl_write(&s->ctrl, addr, val, size);
}

static const TsMemoryOps nvme_regs_ops = {
    .read = regs_read,
    .write = regs_write,
    /* 32-bit registers; 64-bit accesses (CAP, ASQ, ACQ) arrive as two
     * halves, which the controller takes in either order. */
    .valid_min = 4,
    .valid_max = 8,
    .impl_min = 4,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* ---- Life cycle ------------------------------------------------------ */

static void resized(void *opaque)
{
    NvmePci *s = opaque;
    uint64_t size = ts_block_length(s->blk) & ~(uint64_t)(s->ns.lbs - 1);
    nvme_ctrl_ns_resized(&s->ctrl, 1, size);
}

static const TsBlockDevOps nvme_blk_ops = {
    .resize = resized,
};

bool nvme_check_block_size(const char *type, const char *name, uint64_t v,
                           GError **errp)
{
    if (v == 0) {
        return true;
    }
    if (v < 512 || v > 32768 || (v & (v - 1))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property %s.%s doesn't take value %" PRIu64
                    " (a power of two from 512 to 32768)", type, name, v);
        return false;
    }
    return true;
}

void nvme_namespace_setup(NvmeNamespace *ns, TsBlockBackend *blk,
                          uint64_t logical_block_size)
{
    uint32_t logical = 512, physical = 4096;
    ts_block_block_sizes(blk, &logical, &physical);
    ns->disk = blk;
    ns->lbs = logical_block_size ? (uint32_t)logical_block_size
                                 : MAX(logical, 512u);
    ns->size = ts_block_length(blk) & ~(uint64_t)(ns->lbs - 1);
    ns->read_only = ts_block_is_read_only(blk);
    ns->write_cache = ts_block_write_cache_enabled(blk);
}

static bool attach_namespace(NvmePci *s, GError **errp)
{
    s->blk = ts_block_attach(s->drive, obj_of(s), &nvme_blk_ops, s, true,
                             errp);
    if (!s->blk) {
        return false;
    }
    nvme_namespace_setup(&s->ns, s->blk, s->logical_block_size);
    nvme_ctrl_attach_ns(&s->ctrl, 1, &s->ns);
    return true;
}

static bool nvme_realize(TsPciDevice *dev, GError **errp)
{
    NvmePci *s = (NvmePci *)dev;
    g_autoptr(GError) err = NULL;
    if (!s->serial || !*s->serial) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "serial property not set");
        return false;
    }
    if (!nvme_check_block_size(NVME_TYPE, "logical_block_size",
                               s->logical_block_size, errp) ||
        !nvme_check_block_size(NVME_TYPE, "physical_block_size",
                               s->physical_block_size, errp)) {
        return false;
    }
    memset(&s->ctrl, 0, sizeof(s->ctrl));
    g_strlcpy(s->ctrl.serial, s->serial, sizeof(s->ctrl.serial));
    /* QEMU's model string and subsystem NQN: guests and tools that key on
     * them (udev's by-id names) see the same disk under both. */
    g_strlcpy(s->ctrl.model, "QEMU NVMe Ctrl", sizeof(s->ctrl.model));
    g_strlcpy(s->ctrl.firmware, "1.0", sizeof(s->ctrl.firmware));
    g_snprintf(s->ctrl.subnqn, sizeof(s->ctrl.subnqn),
               "nqn.2019-08.org.qemu:%s", s->serial);
    s->ctrl.vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    s->ctrl.subsys_vendor_id = TS_PCI_VENDOR_ID_REDHAT_QUMRANET;
    s->ctrl.msix_vectors = NVME_QUEUES;
    nvme_ctrl_init(&s->ctrl, &nvme_pci_host_ops, s);
    g_queue_init(&s->deferred);

    if (s->drive && *s->drive && !attach_namespace(s, errp)) {
        return false;
    }

    s->bar = ts_memory_region_new_container("nvme-bar0", NVME_BAR_SIZE);
    s->regs = ts_memory_region_new_mmio("nvme", NVME_MSIX_TABLE,
                                        &nvme_regs_ops, s);
    ts_memory_region_add_subregion(s->bar, 0, s->regs, 0);
    if (!ts_pci_register_bar(dev, 0, TS_PCI_BAR_MEM64, s->bar, errp) ||
        !ts_pcie_add_express_capability(dev, TS_PCIE_TYPE_ENDPOINT, 0,
                                        errp)) {
        goto fail;
    }
    s->has_msix = ts_pci_add_msix(dev, NVME_QUEUES, 0, NVME_MSIX_TABLE, 0,
                                  NVME_MSIX_PBA, 0, &err) != 0;
    if (!s->has_msix) {
        if (!g_error_matches(err, TS_ERROR, TS_ERROR_UNSUPPORTED)) {
            g_propagate_error(errp, g_steal_pointer(&err));
            goto fail;
        }
        /* No MSI controller on this bus (aia=none): INTA only. */
    }
    s->deferred_bh = ts_bh_new("nvme completions", deferred_bh, s);
    return true;

fail:
    if (s->blk) {
        ts_block_detach(s->blk);
        s->blk = NULL;
    }
    ts_memory_region_unref(s->regs);
    ts_memory_region_unref(s->bar);
    s->regs = s->bar = NULL;
    return false;
}

static void nvme_unrealize(TsPciDevice *dev)
{
    NvmePci *s = (NvmePci *)dev;
    /* Requests in flight become orphans; draining every namespace's
     * disk (nvme-ns ones too) runs their completions, which only free
     * memory, while this device still exists. */
    TsBlockBackend *disks[NVME_NS_MAX + 1];
    unsigned n_disks = 0;
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (s->ctrl.ns[i]) {
            disks[n_disks++] = s->ctrl.ns[i]->disk;
        }
    }
    nvme_ctrl_cleanup(&s->ctrl);
    for (unsigned i = 0; i < n_disks; i++) {
        ts_block_drain(disks[i]);
    }
    if (s->blk) {
        ts_block_detach(s->blk);
        s->blk = NULL;
    }
    IoCall *c;
    while ((c = g_queue_pop_head(&s->deferred))) {
        call_done(c);
    }
    ts_bh_free(s->deferred_bh);
    s->deferred_bh = NULL;
    ts_memory_region_unref(s->regs);
    ts_memory_region_unref(s->bar);
    s->regs = s->bar = NULL;
}

static void nvme_reset(TsPciDevice *dev)
{
    NvmePci *s = (NvmePci *)dev;
    nvme_ctrl_reset(&s->ctrl);
    nvme_ctrl_set_msix(&s->ctrl, false);
}

static void nvme_config_write(TsPciDevice *dev, uint32_t addr, uint32_t val,
                              unsigned len)
{
    ts_pci_default_config_write(dev, addr, val, len);
    sync_msix((NvmePci *)dev);
}

static const TsProperty nvme_props[] = {
    TS_PROP_STRING("serial", NvmePci, serial, NULL,
                   "serial number (required), up to 20 characters"),
    TS_PROP_STRING("drive", NvmePci, drive, NULL,
                   "Node name or ID of a block device to use as a backend "
                   "(namespace 1; none: a controller without namespaces)"),
    TS_PROP_SIZE("logical_block_size", NvmePci, logical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_SIZE("physical_block_size", NvmePci, physical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_END,
};

static void nvme_class_init(TsObjectClass *klass, const void *data)
{
    (void)data;
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = NVME_DEVICE_ID;
    pc->revision = 2;
    pc->class_id = TS_PCI_CLASS_STORAGE_EXPRESS;
    pc->prog_if = 0x02;
    pc->interrupt_pin = 1;
    pc->express = true;
    pc->realize = nvme_realize;
    pc->unrealize = nvme_unrealize;
    pc->reset = nvme_reset;
    pc->config_write = nvme_config_write;
    ((TsDeviceClass *)klass)->categories = TS_DEVICE_CATEGORY_STORAGE;
    ts_class_add_properties(klass, nvme_props);
}

static const TsTypeInfo nvme_type = {
    .name = NVME_TYPE,
    .parent = TS_TYPE_PCI_DEVICE,
    .description = "Non-Volatile Memory Express",
    .instance_size = sizeof(NvmePci),
    .class_init = nvme_class_init,
};

static bool dev_nvme_init(GError **errp)
{
    return ts_type_register(&nvme_type, errp) &&
           ts_type_register(&nvme_ns_type, errp);
}

TS_PLUGIN("dev-nvme", "NVMe controller (nvme)", dev_nvme_init);
