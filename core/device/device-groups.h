/*
 * core/device/device-groups.h - how `-device help` groups and labels
 * devices (QEMU 7.2's categories and bus names), for the help code and
 * the plugin sidecars that carry the same facts without loading plugins.
 */
#ifndef TESSERA_CORE_DEVICE_GROUPS_H
#define TESSERA_CORE_DEVICE_GROUPS_H

#include <tessera/device.h>

/* Categories in help order: how many, and the one at index i. */
#define DEVICE_CATEGORY_COUNT 10
uint32_t device_category_at(unsigned i);
/* "storage": the sidecar's word; "Storage": help's title. */
const char *device_category_key(uint32_t category);
const char *device_category_title(uint32_t category);

/* The sidecar's "categories" list and back (unknown words ignored, so
 * an older core reads a newer sidecar). */
uint32_t device_categories_parse(char **keys);
GStrv device_categories_keys(uint32_t categories);

/* The bus a device type plugs into as QEMU names it ("PCI"), or NULL. */
const char *device_bus_name(TsObjectClass *klass);

#endif
