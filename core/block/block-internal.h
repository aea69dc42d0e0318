/*
 * core/block/block-internal.h - what the files of core/block share.
 */
#ifndef TESSERA_CORE_BLOCK_INTERNAL_H
#define TESSERA_CORE_BLOCK_INTERNAL_H

#include <tessera/block.h>

/* The class of every "<name>-blockdriver" type. */
typedef struct BlockDriverClass {
    TsObjectClass parent;
    const TsBlockDriver *drv;
} BlockDriverClass;

/* The driver behind a class (NULL if it is no block driver). */
const TsBlockDriver *block_driver_of_class(TsObjectClass *klass);

#endif
