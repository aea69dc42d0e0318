/*
 * tessera/loader.h - putting firmware, kernels and other images into guest
 * memory.
 *
 * Loaders write through an address space into RAM and ROM (ROM is filled
 * from the host side, as a board does); bytes that would land in MMIO or
 * in a hole make the load fail with a message naming the file and the
 * address, before anything runs.  Every header field read from a file is
 * checked against the file's size: a truncated or hostile image gives an
 * error, never a crash.
 */
#ifndef TESSERA_LOADER_H
#define TESSERA_LOADER_H

#include <tessera/memory.h>

TS_BEGIN_DECLS

typedef enum TsImageFormat {
    TS_IMAGE_RAW   = 1u << 0,   /* bytes copied as they are */
    TS_IMAGE_ELF   = 1u << 1,   /* ELF32/ELF64 little-endian, PT_LOAD
                                 * segments at their physical addresses */
    TS_IMAGE_UIMAGE = 1u << 2,  /* U-Boot legacy image (uncompressed or
                                 * gzip), loaded at its load address */
    TS_IMAGE_IHEX  = 1u << 3,   /* Intel HEX records */
} TsImageFormat;

/* What a load put where. */
typedef struct TsLoadedImage {
    TsImageFormat format;
    uint64_t low, high;         /* lowest and one-past-highest byte written */
    uint64_t entry;             /* entry point (raw: the load address) */
    bool has_entry;             /* raw images and IHEX without a start
                                 * record have none of their own */
    void *reserved[4];
} TsLoadedImage;

/*
 * Load `path` into `as`.  `formats` is an OR of the formats to try: ELF,
 * uImage and Intel HEX are recognised by their contents in that order;
 * if none matches and TS_IMAGE_RAW is allowed, the file is copied raw to
 * `raw_addr`.  `max_size` bounds a raw image (0: no bound beyond the
 * memory there).  Returns false + errp on an unreadable, malformed or
 * misplaced image.
 */
bool ts_load_image(TsAddressSpace *as, const char *path, unsigned formats,
                   uint64_t raw_addr, uint64_t max_size, TsLoadedImage *out,
                   GError **errp);

/*
 * Copy `len` bytes from the host into guest RAM or ROM at `addr` (the
 * loaders' last step; also for boards writing a device tree or a boot
 * ROM).  false + errp if any byte would not land in RAM or ROM.
 */
bool ts_load_bytes(TsAddressSpace *as, uint64_t addr, const void *buf,
                   size_t len, GError **errp);

TS_END_DECLS

#endif
