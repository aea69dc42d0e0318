/*
 * nvme-ns.c - `nvme-ns`: one more namespace on an nvme controller, as in
 * QEMU 7.2:
 *
 *     -device nvme,id=nvme0,serial=S
 *     -device nvme-ns,bus=nvme0,drive=d1[,nsid=N]
 *
 * The namespace is the block backend named by drive=; nsid= picks its id
 * (1..256; 0 or absent: the lowest free one).  It must come after its
 * controller on the command line, so the guest finds it when it first
 * scans the controller.
 */
#include "nvme-pci.h"

typedef struct NvmeNsDev {
    TsDevice parent;
    char *drive;
    uint64_t nsid;
    TsObject *bus;              /* the nvme controller */
    uint64_t logical_block_size;
    uint64_t physical_block_size;

    NvmePci *ctrl;
    uint32_t id;                /* the nsid in use */
    NvmeNamespace ns;
    TsBlockBackend *blk;
} NvmeNsDev;

static void ns_resized(void *opaque)
{
    NvmeNsDev *d = opaque;
    if (d->ns.ctrl) {
        uint64_t size = ts_block_length(d->blk) &
                        ~(uint64_t)(d->ns.lbs - 1);
        nvme_ctrl_ns_resized(d->ns.ctrl, d->id, size);
    }
}

static const TsBlockDevOps ns_blk_ops = {
    .resize = ns_resized,
};

static bool ns_realize(TsDevice *dev, GError **errp)
{
    NvmeNsDev *d = (NvmeNsDev *)dev;
    if (!d->drive || !*d->drive) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "drive property not set");
        return false;
    }
    if (!d->bus) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "bus property not set: give the id of the nvme "
                            "controller (bus=ID)");
        return false;
    }
    NvmePci *ctrl = (NvmePci *)d->bus;
    if (!TS_DEVICE(ctrl)->realized) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "the nvme controller named by bus= must come "
                            "first on the command line");
        return false;
    }
    if (!nvme_check_block_size(NVME_NS_TYPE, "logical_block_size",
                               d->logical_block_size, errp) ||
        !nvme_check_block_size(NVME_NS_TYPE, "physical_block_size",
                               d->physical_block_size, errp)) {
        return false;
    }
    uint32_t id = (uint32_t)d->nsid;
    if (id == 0) {
        for (id = 1; id <= NVME_NS_MAX && ctrl->ctrl.ns[id]; id++) {
        }
        if (id > NVME_NS_MAX) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "no free namespace id left (at most %d namespaces)",
                        NVME_NS_MAX);
            return false;
        }
    } else if (ctrl->ctrl.ns[id]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "namespace id '%u' already allocated", id);
        return false;
    }
    d->blk = ts_block_attach(d->drive, TS_OBJECT(dev), &ns_blk_ops, d, true,
                             errp);
    if (!d->blk) {
        return false;
    }
    nvme_namespace_setup(&d->ns, d->blk, d->logical_block_size);
    nvme_ctrl_attach_ns(&ctrl->ctrl, id, &d->ns);
    d->ctrl = ctrl;
    d->id = id;
    return true;
}

static void ns_unrealize(TsDevice *dev)
{
    NvmeNsDev *d = (NvmeNsDev *)dev;
    if (d->blk) {
        /* Drains: commands on this namespace complete first. */
        ts_block_detach(d->blk);
        d->blk = NULL;
    }
    /* The controller may have gone first (it then detached us). */
    if (d->ns.ctrl) {
        d->ns.ctrl->ns[d->id] = NULL;
        d->ns.ctrl = NULL;
    }
    d->ctrl = NULL;
}

static const TsProperty ns_props[] = {
    TS_PROP_STRING("drive", NvmeNsDev, drive, NULL,
                   "Node name or ID of a block device to use as a backend"),
    { .name = "nsid", .kind = TS_PROP_UINT,
      .offset = offsetof(NvmeNsDev, nsid), .def.u = 0, .min = 0,
      .max = NVME_NS_MAX,
      .description = "namespace id, 1-256 (0: the lowest free one)" },
    TS_PROP_LINK("bus", NvmeNsDev, bus, NVME_TYPE,
                 "the nvme controller (its id)"),
    TS_PROP_SIZE("logical_block_size", NvmeNsDev, logical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_SIZE("physical_block_size", NvmeNsDev, physical_block_size, 0,
                 "A power of two between 512 B and 32 KiB (0: the "
                 "backend's)"),
    TS_PROP_END,
};

static void ns_class_init(TsObjectClass *klass, const void *data)
{
    (void)data;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = ns_realize;
    dc->unrealize = ns_unrealize;
    dc->categories = TS_DEVICE_CATEGORY_STORAGE;
    ts_class_add_properties(klass, ns_props);
}

const TsTypeInfo nvme_ns_type = {
    .name = NVME_NS_TYPE,
    .parent = TS_TYPE_DEVICE,
    .description = "Virtual NVMe namespace",
    .instance_size = sizeof(NvmeNsDev),
    .class_init = ns_class_init,
};
