/*
 * core/cli/drive.c - -drive without a block layer.
 *
 * QEMU's -drive names an image and the interface a board attaches it to.
 * Until Tessera has block nodes, the one interface that works is
 * if=pflash: a board's CFI flash banks read and write a raw image file
 * themselves (plugins/dev-pflash).  Everything else -drive can say is
 * refused here with what is missing, so that a command line copied from
 * QEMU never half-works.
 */
#include "drive.h"
#include "opts.h"

#include <tessera/machine.h>
#include <tessera/unstable/pflash-drive.h>
#include <tessera/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Units beyond this are surely a typo; boards have a few banks. */
#define PFLASH_UNITS_MAX 64

typedef struct Drive {
    unsigned unit;
    char *file;
    bool readonly;
    bool claimed;               /* a board asked for it */
} Drive;

static GPtrArray *drives;       /* of Drive, -drive if=pflash in order */

static void drive_free(void *p)
{
    Drive *d = p;
    g_free(d->file);
    g_free(d);
}

void drive_reset(void)
{
    g_clear_pointer(&drives, g_ptr_array_unref);
}

static Drive *find_unit(unsigned unit)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        Drive *d = g_ptr_array_index(drives, i);
        if (d->unit == unit) {
            return d;
        }
    }
    return NULL;
}

/* if= values QEMU knows; only pflash works without a block layer. */
static bool check_interface(const char *iface, GError **errp)
{
    static const char *const known[] = {
        "ide", "scsi", "sd", "floppy", "mtd", "virtio", "none", "xen", NULL
    };
    if (!iface) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "a drive on the machine's default interface (no if=) "
                    "is not supported yet: that needs the block layer; "
                    "if=pflash is the one interface there is");
        return false;
    }
    if (g_str_equal(iface, "pflash")) {
        return true;
    }
    if (g_strv_contains(known, iface)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "if=%s is not supported yet: that needs the block "
                    "layer; if=pflash is the one interface there is", iface);
        return false;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "unsupported bus type '%s'", iface);
    return false;
}

/* Image formats recognisable by their first bytes, so that a qcow2 file
 * given without format= is refused instead of shown to the guest as
 * raw bytes. */
static const char *sniff_format(const char *path, GError **errp)
{
    static const struct {
        const char *name;
        const char *magic;
        size_t len;
    } formats[] = {
        { "qcow2", "QFI\xfb", 4 },
        { "qed", "QED\0", 4 },
        { "vmdk", "KDMV", 4 },
        { "vhdx", "vhdxfile", 8 },
        { "vdi", "<<< ", 4 },
    };
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Could not open '%s': %s", path, g_strerror(errno));
        return NULL;
    }
    char head[8] = { 0 };
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (n >= formats[i].len &&
            memcmp(head, formats[i].magic, formats[i].len) == 0) {
            return formats[i].name;
        }
    }
    return "raw";
}

static bool check_format(const char *format, const char *file,
                         GError **errp)
{
    if (format && g_str_equal(format, "raw")) {
        return true;
    }
    if (format) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "format '%s' is not supported yet: that needs the "
                    "block layer; raw is the one format there is", format);
        return false;
    }
    const char *guessed = sniff_format(file, errp);
    if (!guessed) {
        return false;
    }
    if (!g_str_equal(guessed, "raw")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "'%s' looks like a %s image: format '%s' is not "
                    "supported yet (raw is the one format there is)", file,
                    guessed, guessed);
        return false;
    }
    /* QEMU warns the same way when it has to guess. */
    fprintf(stderr, "warning: -drive file=%s: no format given, taking it "
            "as raw; add format=raw to say so\n", file);
    return true;
}

/* unit= or index= (the same thing for pflash: one bus), or the first
 * unit no earlier -drive took. */
static bool pick_unit(const TsOpts *o, unsigned *unit, GError **errp)
{
    uint64_t bus, value;
    if (!opts_get_uint(o, "bus", 0, &bus, errp)) {
        return false;
    }
    if (bus != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "bus=%" G_GUINT64_FORMAT " is out of range: flash "
                    "banks are all on bus 0", bus);
        return false;
    }
    const char *key = opts_has(o, "index") ? "index" : "unit";
    if (opts_has(o, "index") && (opts_has(o, "unit") || opts_has(o, "bus"))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "index cannot be used with bus and unit");
        return false;
    }
    if (opts_has(o, key)) {
        if (!opts_get_uint(o, key, 0, &value, errp)) {
            return false;
        }
        if (value >= PFLASH_UNITS_MAX) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "%s=%" G_GUINT64_FORMAT " is out of range "
                        "(0..%d)", key, value, PFLASH_UNITS_MAX - 1);
            return false;
        }
        if (find_unit((unsigned)value)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "drive with bus=0, unit=%" G_GUINT64_FORMAT
                        " exists", value);
            return false;
        }
        *unit = (unsigned)value;
        return true;
    }
    for (unsigned u = 0; u < PFLASH_UNITS_MAX; u++) {
        if (!find_unit(u)) {
            *unit = u;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "too many if=pflash drives");
    return false;
}

typedef struct FirstOther {
    const char *const *handled;
    char *key;                  /* the first key not in `handled` */
} FirstOther;

static void find_other_key(const char *key, const char *value, void *opaque)
{
    FirstOther *f = opaque;
    if (!f->key && !g_strv_contains(f->handled, key)) {
        f->key = g_strdup(key);
    }
}

bool drive_add_option(const char *arg, GError **errp)
{
    static const char *const handled[] = {
        "if", "file", "format", "unit", "index", "bus", "readonly", "id",
        NULL
    };
    g_autoptr(TsOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    if (!check_interface(opts_get(o, "if"), errp)) {
        return false;
    }
    FirstOther other = { handled, NULL };
    opts_foreach(o, find_other_key, &other);
    g_autofree char *other_key = other.key;
    if (other_key) {
        /* QEMU's other keys (cache=, snapshot=, media=, aio=, ...) all
         * describe the block layer's work. */
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "parameter '%s' is not supported yet: if=pflash takes "
                    "file, format=raw, unit, index, bus=0, readonly and id",
                    other_key);
        return false;
    }
    const char *file = opts_get(o, "file");
    if (!file || !*file) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "if=pflash needs file= (an empty flash bank needs no "
                    "-drive)");
        return false;
    }
    Drive d = { .file = NULL };
    if (!check_format(opts_get(o, "format"), file, errp) ||
        !opts_get_bool(o, "readonly", false, &d.readonly, errp) ||
        !pick_unit(o, &d.unit, errp)) {
        return false;
    }
    if (!drives) {
        drives = g_ptr_array_new_with_free_func(drive_free);
    }
    d.file = g_strdup(file);
    g_ptr_array_add(drives, g_memdup2(&d, sizeof(d)));
    return true;
}

bool drive_check_claimed(GError **errp)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        Drive *d = g_ptr_array_index(drives, i);
        if (!d->claimed) {
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "-drive if=pflash,unit=%u,file=%s: machine type "
                        "does not support if=pflash,bus=0,unit=%u", d->unit,
                        d->file, d->unit);
            return false;
        }
    }
    return true;
}

TS_EXPORT const char *ts_machine_pflash_file(unsigned unit, bool *readonly)
{
    Drive *d = find_unit(unit);
    if (readonly) {
        *readonly = d && d->readonly;
    }
    if (!d) {
        return NULL;
    }
    d->claimed = true;
    return d->file;
}
