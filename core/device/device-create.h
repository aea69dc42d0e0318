/*
 * core/device/device-create.h - creating objects from option text: -device,
 * device_add, -machine and -accel properties.
 */
#ifndef TESSERA_CORE_DEVICE_CREATE_H
#define TESSERA_CORE_DEVICE_CREATE_H

#include "cli/opts.h"

#include <tessera/object.h>

/* Set every key=value of opts as a property of obj, except the keys in the
 * NULL-terminated skip list.  Stops at the first error. */
bool object_apply_opts(TsObject *obj, const TsOpts *opts,
                       const char *const *skip, GError **errp);

/*
 * Create, configure and realize the device that opts describe ("driver"
 * and "id" keys, the rest are properties), loading its plugin if needed,
 * under /machine/peripheral/<id> or /machine/peripheral-anon.
 */
bool device_create(const TsOpts *opts, GError **errp);

/* Whether obj hangs where -device and device_add put devices
 * (/machine/peripheral or /machine/peripheral-anon). */
bool device_is_user_created(const TsObject *obj);

/* Unrealize and remove the device -device or device_add created with
 * `id` (or at the QOM path `id` when it starts with '/').  Anything else
 * (an empty id, a board's device, a container) is refused. */
bool device_delete(const char *id, GError **errp);

#endif
