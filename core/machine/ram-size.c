/*
 * core/machine/ram-size.c - -m parsing.
 */
#include "ram-size.h"
#include "cli/opts.h"
#include "util/parse.h"

#include <tessera/object.h>

#define RAM_PAGE 4096u

/* A plain number means MiB, unlike sizes elsewhere (QEMU's rule for -m). */
static bool parse_megs(const char *what, const char *text, uint64_t *out,
                       GError **errp)
{
    size_t n = strlen(text);
    bool unitless = n && g_ascii_isdigit(text[n - 1]) &&
                    !g_str_has_prefix(text, "0x") &&
                    !g_str_has_prefix(text, "0X");
    g_autofree char *with_unit = unitless ? g_strconcat(text, "M", NULL)
                                          : g_strdup(text);
    return ts_parse_size(what, with_unit, out, errp);
}

bool ram_size_parse(const char *text, uint64_t default_size, RamSize *out,
                    GError **errp)
{
    static const char *const keys[] = { "size", "slots", "maxmem", NULL };
    g_autoptr(TsOpts) o = opts_parse(text, "size", errp);
    if (!o || !opts_check_keys(o, keys, errp)) {
        return false;
    }
    RamSize r = { .size = default_size };
    const char *size = opts_get(o, "size");
    if (opts_wants_help(o)) {
        /* -m has no help of its own; QEMU reads "help" as a bad size. */
        size = "help";
    }
    if (size && !parse_megs("size", size, &r.size, errp)) {
        return false;
    }
    if (r.size == 0) {
        r.size = default_size;      /* -m 0: the machine's default (QEMU) */
    }
    const char *maxmem = opts_get(o, "maxmem");
    if (!opts_get_uint(o, "slots", 0, &r.slots, errp) ||
        (maxmem && !ts_parse_size("maxmem", maxmem, &r.max_size, errp))) {
        return false;
    }
    if (!maxmem) {
        if (opts_has(o, "slots")) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "'slots' needs 'maxmem' too");
            return false;
        }
        r.max_size = r.size;
    } else {
        if (r.max_size < r.size) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "maxmem (%" PRIu64 ") must be at least the memory "
                        "size (%" PRIu64 ")", r.max_size, r.size);
            return false;
        }
        if (r.max_size % RAM_PAGE) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "maxmem (%" PRIu64 ") must be a multiple of the "
                        "page size (%u)", r.max_size, RAM_PAGE);
            return false;
        }
        if (r.max_size > r.size && r.slots == 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "maxmem larger than the memory size needs 'slots'");
            return false;
        }
    }
    *out = r;
    return true;
}
