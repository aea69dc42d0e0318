/*
 * core/loader/loader-internal.h - image loading in two steps: parse, then write.
 *
 * ts_load_image() writes an image once, but the generic loader device
 * (-device loader) must write it again at every system reset, since the
 * guest may have overwritten it.  So each format's parser turns the file
 * into a LoadPlan, a list of (address, bytes) pieces that stays valid as
 * long as the plan, and writing is a separate step that can be repeated.
 */
#ifndef TESSERA_CORE_LOADER_INTERNAL_H
#define TESSERA_CORE_LOADER_INTERNAL_H

#include <tessera/loader.h>

/* One piece of an image: len bytes at addr, from data (NULL: zeros). */
typedef struct LoadChunk {
    uint64_t addr;
    uint64_t len;
    const uint8_t *data;
    char what[32];              /* "segment 2", "line 7": for messages */
} LoadChunk;

typedef struct LoadPlan {
    char *path;                 /* named in every message */
    GArray *chunks;             /* of LoadChunk, in file order */
    GPtrArray *buffers;         /* GBytes the chunks point into */
    TsLoadedImage info;         /* format, entry; low/high by the plan */
} LoadPlan;

LoadPlan *load_plan_new(const char *path);
void load_plan_free(LoadPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoadPlan, load_plan_free)

/* Keep a reference on bytes that chunks point into. */
void load_plan_keep(LoadPlan *plan, GBytes *bytes);
/* Append a chunk (data NULL: zero-filled); len 0 adds nothing. */
void load_plan_add(LoadPlan *plan, uint64_t addr, const uint8_t *data,
                   uint64_t len, const char *what);
/* Set info.low/high from the chunks (both `fallback` when there are
 * none). */
void load_plan_set_bounds(LoadPlan *plan, uint64_t fallback);

/*
 * Write every chunk through ts_load_bytes().  All chunks are checked
 * first, so an image that does not fit leaves memory untouched.  Errors
 * read "PATH: segment 2 (0x1000 bytes at 0x80000000): address 0x80000000
 * is not RAM or ROM".
 */
bool load_plan_write(TsAddressSpace *as, const LoadPlan *plan,
                     GError **errp);

/* Set errp to "PATH: <message>" and return false. */
bool load_refuse(GError **errp, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Check [addr, addr+len) lands in RAM/ROM without writing (loader-bytes.c) */
bool load_bytes_check(TsAddressSpace *as, uint64_t addr, uint64_t len,
                      GError **errp);

/*
 * Format parsers.  *_recognise looks at the first bytes only (a match
 * commits to the format: a damaged ELF is an error, never a raw image).
 * *_parse checks every field against the file size and fills plan->info
 * (format, entry, has_entry) and its chunks; false + errp naming the file.
 */
bool elf_recognise(const uint8_t *buf, size_t len);
bool elf_parse(LoadPlan *plan, GBytes *file, GError **errp);
bool uimage_recognise(const uint8_t *buf, size_t len);
bool uimage_parse(LoadPlan *plan, GBytes *file, GError **errp);
bool ihex_recognise(const uint8_t *buf, size_t len);
bool ihex_parse(LoadPlan *plan, GBytes *file, GError **errp);

/*
 * Read `path` and parse it as the first of `formats` it matches (ELF,
 * uImage, Intel HEX, else raw at raw_addr, at most max_size bytes when
 * max_size is not 0).  NULL + errp naming the file.
 */
LoadPlan *load_plan_from_file(const char *path, unsigned formats,
                              uint64_t raw_addr, uint64_t max_size,
                              GError **errp);

#endif
