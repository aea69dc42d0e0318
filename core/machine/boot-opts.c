/*
 * core/machine/boot-opts.c - -boot.
 */
#include "boot-opts.h"
#include "cli/opts.h"
#include "util/parse.h"

#include <tessera/types.h>
#include <stdio.h>

#define BOOT_MS_MAX 0xffff      /* firmware takes these as 16 bits */

bool boot_opts_check_drives(const char *drives, GError **errp)
{
    unsigned seen = 0;
    for (const char *p = drives; *p; p++) {
        if (*p < 'a' || *p > 'p') {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid boot device '%c'", *p);
            return false;
        }
        unsigned bit = 1u << (*p - 'a');
        if (seen & bit) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Boot device '%c' was given twice", *p);
            return false;
        }
        seen |= bit;
    }
    return true;
}

/* Firmware shows a JPEG or a true-colour BMP; anything else would only
 * fail later, inside the guest, without a word. */
static bool check_splash(const char *path, GError **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "failed to find file '%s'", path);
        return false;
    }
    unsigned char head[30];
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    bool jpeg = n >= 2 && head[0] == 0xff && head[1] == 0xd8;
    bool bmp24 = n >= 30 && head[0] == 'B' && head[1] == 'M' &&
                 (head[28] | head[29] << 8) == 24;
    if (!jpeg && !bmp24) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "splash file '%s' format not recognized; must be JPEG "
                    "or 24 bit BMP", path);
        return false;
    }
    return true;
}

static bool get_ms(const TsOpts *o, const char *key, int64_t min,
                   int64_t *out, GError **errp)
{
    const char *v = opts_get(o, key);
    *out = -1;
    if (!v) {
        return true;
    }
    if (!ts_parse_int(key, v, out, errp)) {
        return false;
    }
    if (*out < min || *out > BOOT_MS_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s is invalid, it should be a value between %" G_GINT64_FORMAT
                    " and %d", g_str_equal(key, "reboot-timeout")
                               ? "reboot timeout" : key, min, BOOT_MS_MAX);
        return false;
    }
    return true;
}

void boot_opts_print_help(FILE *out)
{
    /* Sorted, with the value types, as QEMU lists them. */
    fputs("boot-opts options:\n"
          "  menu=<bool (on/off)>\n"
          "  once=<str>\n"
          "  order=<str>\n"
          "  reboot-timeout=<num>\n"
          "  splash-time=<num>\n"
          "  splash=<str>\n"
          "  strict=<bool (on/off)>\n", out);
}

bool boot_opts_parse(const char *text, TsBootConfig *out, GError **errp)
{
    static const char *const keys[] = { "order", "once", "menu", "splash",
                                        "splash-time", "reboot-timeout",
                                        "strict", NULL };
    *out = (TsBootConfig) { .splash_time = -1, .reboot_timeout = -1 };
    if (!text) {
        return true;
    }
    /* "-boot dc" is the legacy spelling of order=dc. */
    g_autoptr(TsOpts) o = opts_parse(text, "order", errp);
    TsBootConfig c = { 0 };
    if (!o || !opts_check_keys(o, keys, errp) ||
        !opts_get_bool(o, "menu", false, &c.menu, errp) ||
        !opts_get_bool(o, "strict", false, &c.strict, errp) ||
        !get_ms(o, "splash-time", 0, &c.splash_time, errp) ||
        !get_ms(o, "reboot-timeout", -1, &c.reboot_timeout, errp)) {
        return false;
    }
    const char *order = opts_get(o, "order");
    const char *once = opts_get(o, "once");
    const char *splash = opts_get(o, "splash");
    if ((order && !boot_opts_check_drives(order, errp)) ||
        (once && !boot_opts_check_drives(once, errp)) ||
        (splash && !check_splash(splash, errp))) {
        return false;
    }
    c.order = g_strdup(order);
    c.once = g_strdup(once);
    c.splash = g_strdup(splash);
    *out = c;
    return true;
}

void boot_opts_clear(TsBootConfig *cfg)
{
    g_free((char *)cfg->order);
    g_free((char *)cfg->once);
    g_free((char *)cfg->splash);
    *cfg = (TsBootConfig) { .splash_time = -1, .reboot_timeout = -1 };
}
