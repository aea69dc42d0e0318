/*
 * core/block/block-driver.c - block drivers as types: the abstract
 * "blockdriver" base and ts_block_driver_register(), which makes a
 * plugin's TsBlockDriver the type "<name>-blockdriver" whose instances
 * are the driver's nodes (so its options are properties, parsed and
 * listed by the object model).
 */
#include "block-internal.h"
#include "object/object-hooks.h"

static const TsTypeInfo block_driver_base = {
    .name = TS_TYPE_BLOCK_DRIVER,
    .parent = TS_TYPE_OBJECT,
    .description = "block driver",
    .instance_size = sizeof(TsBlockNode),
    .class_size = sizeof(BlockDriverClass),
    .abstract = true,
};

static void block_driver_types_init(void)
{
    object_core_type(&block_driver_base);
}
OBJECT_CORE_INIT(block_driver_types_init)

static void driver_class_init(TsObjectClass *klass, const void *data)
{
    const TsBlockDriver *drv = data;
    ((BlockDriverClass *)klass)->drv = drv;
    if (drv->options) {
        ts_class_add_properties(klass, drv->options);
    }
}

const TsBlockDriver *block_driver_of_class(TsObjectClass *klass)
{
    TsObjectClass *k = ts_class_dynamic_cast(klass, TS_TYPE_BLOCK_DRIVER);
    return k ? ((BlockDriverClass *)k)->drv : NULL;
}

TS_EXPORT bool ts_block_driver_register(const TsBlockDriver *drv,
                                        GError **errp)
{
    if (!drv->name || !*drv->name || !drv->open ||
        drv->instance_size < sizeof(TsBlockNode) ||
        (drv->kind != TS_BLOCK_PROTOCOL && !drv->preadv)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "block driver '%s': invalid TsBlockDriver (needs a "
                    "name, open, preadv and a node struct at least as "
                    "large as TsBlockNode)", drv->name ? drv->name : "");
        return false;
    }
    return object_register_driver_type(drv->name, TS_BLOCK_DRIVER_SUFFIX,
                                       TS_TYPE_BLOCK_DRIVER,
                                       drv->description, drv->instance_size,
                                       driver_class_init, drv, errp);
}
