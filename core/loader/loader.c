/*
 * core/loader/loader.c - ts_load_image(): read a file, tell its format from its
 * contents, parse it into a plan and write that into guest memory.
 *
 * The whole file is read into memory: images are small next to guest RAM,
 * and the parsers can then check every offset against one known length.
 * Files over 2 GiB are refused before reading, and so are devices and
 * pipes, which have no size to check and might never end.
 */
#include "loader-internal.h"

#include <errno.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#define MAX_IMAGE_FILE (UINT64_C(2) << 30)

static GBytes *read_image(const char *path, GError **errp)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        load_refuse(errp, path, "%s", g_strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        load_refuse(errp, path, "not a regular file");
        return NULL;
    }
    if ((uint64_t)st.st_size > MAX_IMAGE_FILE) {
        load_refuse(errp, path, "file is larger than 2 GiB");
        return NULL;
    }
    char *contents;
    gsize len;
    GError *err = NULL;
    if (!g_file_get_contents(path, &contents, &len, &err)) {
        load_refuse(errp, path, "%s", err->message);
        g_error_free(err);
        return NULL;
    }
    if (len > MAX_IMAGE_FILE) {         /* it grew while we looked */
        g_free(contents);
        load_refuse(errp, path, "file is larger than 2 GiB");
        return NULL;
    }
    return g_bytes_new_take(contents, len);
}

static bool parse_raw(LoadPlan *plan, GBytes *file, uint64_t raw_addr,
                      uint64_t max_size, GError **errp)
{
    size_t len;
    const uint8_t *buf = g_bytes_get_data(file, &len);
    if (max_size && len > max_size) {
        return load_refuse(errp, plan->path, "image is %zu bytes, more than "
                           "the %" PRIu64 " bytes allowed at 0x%" PRIx64,
                           len, max_size, raw_addr);
    }
    load_plan_keep(plan, file);
    load_plan_add(plan, raw_addr, buf, len, "raw image");
    plan->info.format = TS_IMAGE_RAW;
    plan->info.entry = raw_addr;
    plan->info.has_entry = false;
    return true;
}

static const char *allowed_names(unsigned formats)
{
    static const char *const names[] = {
        "", "ELF", "uImage", "ELF or uImage", "Intel HEX", "ELF or Intel HEX",
        "uImage or Intel HEX", "ELF, uImage or Intel HEX",
    };
    return names[(formats >> 1) & 7];
}

LoadPlan *load_plan_from_file(const char *path, unsigned formats,
                              uint64_t raw_addr, uint64_t max_size,
                              GError **errp)
{
    g_autoptr(GBytes) file = read_image(path, errp);
    if (!file) {
        return NULL;
    }
    size_t len;
    const uint8_t *buf = g_bytes_get_data(file, &len);
    g_autoptr(LoadPlan) plan = load_plan_new(path);
    bool ok;
    if ((formats & TS_IMAGE_ELF) && elf_recognise(buf, len)) {
        ok = elf_parse(plan, file, errp);
    } else if ((formats & TS_IMAGE_UIMAGE) && uimage_recognise(buf, len)) {
        ok = uimage_parse(plan, file, errp);
    } else if ((formats & TS_IMAGE_IHEX) && ihex_recognise(buf, len)) {
        ok = ihex_parse(plan, file, errp);
    } else if (formats & TS_IMAGE_RAW) {
        ok = parse_raw(plan, file, raw_addr, max_size, errp);
    } else if (!(formats & (TS_IMAGE_ELF | TS_IMAGE_UIMAGE |
                            TS_IMAGE_IHEX))) {
        ok = load_refuse(errp, path, "no image format was allowed");
    } else {
        ok = load_refuse(errp, path, "not a recognised image (expected "
                         "%s)", allowed_names(formats));
    }
    if (!ok) {
        return NULL;
    }
    /* An image that writes nothing (an empty file) is placed where it
     * would have gone. */
    load_plan_set_bounds(plan, plan->info.format == TS_IMAGE_RAW
                               ? raw_addr : plan->info.entry);
    return g_steal_pointer(&plan);
}

TS_EXPORT bool ts_load_image(TsAddressSpace *as, const char *path,
                             unsigned formats, uint64_t raw_addr,
                             uint64_t max_size, TsLoadedImage *out,
                             GError **errp)
{
    if (!path) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "no image file given");
        return false;
    }
    g_autoptr(LoadPlan) plan = load_plan_from_file(path, formats, raw_addr,
                                                   max_size, errp);
    if (!plan || !load_plan_write(as, plan, errp)) {
        return false;
    }
    if (out) {
        *out = plan->info;
    }
    return true;
}
