/*
 * core/object/object-hooks.h - object model hooks for the loader and the CLI.
 */
#ifndef TESSERA_CORE_OBJECT_HOOKS_H
#define TESSERA_CORE_OBJECT_HOOKS_H

#include <tessera/object.h>

/*
 * Start the object model: register its own types, then run every core
 * subsystem's type registration (OBJECT_CORE_INIT).  Idempotent, and run
 * by the first ts_type_register/ts_type_exists, so a plugin always finds
 * the base types it derives from.
 */
void object_core_init(void);

/*
 * Each subsystem registers its base types (device, machine, cpu, ...) and
 * built-in types where it defines them, so the object model names none of
 * them: `OBJECT_CORE_INIT(device_types_init);` in the subsystem's file
 * queues the function when the core library is loaded (the core may use
 * constructors; plugins never do), and object_core_init() runs the queue.
 * The order does not matter: parents are resolved when first used.
 */
void object_core_init_add(void (*fn)(void));
#define OBJECT_CORE_INIT(fn)                                               \
    __attribute__((constructor)) static void object_core_init_##fn(void)   \
    {                                                                      \
        object_core_init_add(fn);                                          \
    }

/* Register a core type; aborts on a clash, which is a core bug. */
void object_core_type(const TsTypeInfo *info);

/*
 * Register the type a plugin's driver model becomes (block drivers as
 * "<name>-blockdriver", netdev backends as "<name>-netdev", ...): name
 * and suffix joined, under `parent`, the driver struct handed to
 * class_init as its data.  The type info is never freed, as a registered
 * type lives as long as the process.  false + errp as ts_type_register.
 */
bool object_register_driver_type(const char *name, const char *suffix,
                                 const char *parent, const char *description,
                                 size_t instance_size,
                                 void (*class_init)(TsObjectClass *klass,
                                                    const void *data),
                                 const void *driver, GError **errp);

/* Called when an object is finalized, before its children and its types'
 * finalize (devices: unrealize first).  One hook, set by device/. */
void object_registry_set_pre_finalize(void (*fn)(TsObject *obj));

/* Called after every successful ts_type_register (plugin bookkeeping). */
void object_registry_set_observer(void (*fn)(const TsTypeInfo *info,
                                             void *opaque),
                                  void *opaque);

/* Called when a lookup by name finds no type; returns true if it made the
 * type appear (by loading a plugin), and the lookup is retried once. */
void object_registry_set_resolver(bool (*fn)(const char *type_name,
                                             void *opaque),
                                  void *opaque);

/* Called by ts_object_new() on every new object after its instance_init
 * (-global defaults, for devices a board creates as well as -device ones);
 * false + errp makes ts_object_new() fail with that error. */
void object_registry_set_post_init(bool (*fn)(TsObject *obj, GError **errp));

/* `-device NAME,help`: one line per property, sorted (g_free it). */
char *object_class_property_help(TsObjectClass *klass);

#endif
