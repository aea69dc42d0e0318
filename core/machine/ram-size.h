/*
 * core/machine/ram-size.h - the -m option.
 */
#ifndef TESSERA_CORE_RAM_SIZE_H
#define TESSERA_CORE_RAM_SIZE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct RamSize {
    uint64_t size;          /* bytes */
    uint64_t max_size;      /* maxmem, bytes (== size without hotplug) */
    uint64_t slots;         /* hotplug slots */
} RamSize;

/*
 * "-m [size=]megs[,slots=n,maxmem=size]": a number without suffix is MiB;
 * suffixes B/K/M/G/T are binary; out->size keeps `default_size` when the
 * text gives no size.  slots and maxmem go together; maxmem must be at
 * least size and a multiple of 4 KiB.
 */
bool ram_size_parse(const char *text, uint64_t default_size, RamSize *out,
                    GError **errp);

#endif
