/*
 * core/device/device-groups.c - the categories `-device help` groups
 * devices by, in QEMU 7.2's order and words, and the bus it names.
 */
#include "device-groups.h"

#include <tessera/pci.h>

static const struct {
    uint32_t bit;
    const char *key, *title;
} categories[DEVICE_CATEGORY_COUNT] = {
    { TS_DEVICE_CATEGORY_BRIDGE, "bridge", "Controller/Bridge/Hub" },
    { TS_DEVICE_CATEGORY_USB, "usb", "USB" },
    { TS_DEVICE_CATEGORY_STORAGE, "storage", "Storage" },
    { TS_DEVICE_CATEGORY_NETWORK, "network", "Network" },
    { TS_DEVICE_CATEGORY_INPUT, "input", "Input" },
    { TS_DEVICE_CATEGORY_DISPLAY, "display", "Display" },
    { TS_DEVICE_CATEGORY_SOUND, "sound", "Sound" },
    { TS_DEVICE_CATEGORY_MISC, "misc", "Misc" },
    { TS_DEVICE_CATEGORY_CPU, "cpu", "CPU" },
    { TS_DEVICE_CATEGORY_WATCHDOG, "watchdog", "Watchdog" },
};

uint32_t device_category_at(unsigned i)
{
    return i < DEVICE_CATEGORY_COUNT ? categories[i].bit : 0;
}

const char *device_category_key(uint32_t category)
{
    for (unsigned i = 0; i < DEVICE_CATEGORY_COUNT; i++) {
        if (categories[i].bit == category) {
            return categories[i].key;
        }
    }
    return NULL;
}

const char *device_category_title(uint32_t category)
{
    for (unsigned i = 0; i < DEVICE_CATEGORY_COUNT; i++) {
        if (categories[i].bit == category) {
            return categories[i].title;
        }
    }
    return NULL;
}

uint32_t device_categories_parse(char **keys)
{
    uint32_t bits = 0;
    for (unsigned k = 0; keys && keys[k]; k++) {
        for (unsigned i = 0; i < DEVICE_CATEGORY_COUNT; i++) {
            if (g_str_equal(keys[k], categories[i].key)) {
                bits |= categories[i].bit;
            }
        }
    }
    return bits;
}

GStrv device_categories_keys(uint32_t bits)
{
    GPtrArray *keys = g_ptr_array_new();
    for (unsigned i = 0; i < DEVICE_CATEGORY_COUNT; i++) {
        if (bits & categories[i].bit) {
            g_ptr_array_add(keys, g_strdup(categories[i].key));
        }
    }
    g_ptr_array_add(keys, NULL);
    return (GStrv)g_ptr_array_free(keys, false);
}

const char *device_bus_name(TsObjectClass *klass)
{
    if (ts_class_dynamic_cast(klass, TS_TYPE_PCI_DEVICE)) {
        return "PCI";
    }
    /* A virtio-mmio device is QEMU's virtio device on its virtio-mmio
     * transport's bus: the same -device name, the same help line. */
    if (ts_class_dynamic_cast(klass, "virtio-mmio-device")) {
        return "virtio-bus";
    }
    /* The rest sit in system memory or on no bus (QEMU's help names
     * neither for the devices Tessera has). */
    return NULL;
}
