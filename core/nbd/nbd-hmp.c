/*
 * core/nbd/nbd-hmp.c - the NBD server's HMP commands, QEMU's spellings:
 * nbd_server_start [-a] [-w] host:port, nbd_server_add [-w] device
 * [name], nbd_server_remove [-f] name, nbd_server_stop.
 */
#include "nbd-internal.h"
#include "monitor/hmp.h"

#include <string.h>

/* "unix:PATH" or "HOST:PORT" ("[v6]:PORT", ":PORT"), as QEMU's
 * socket address strings. */
static bool parse_addr(const char *text, NbdListenAddr *a, GError **errp)
{
    memset(a, 0, sizeof(*a));
    if (g_str_has_prefix(text, "unix:")) {
        a->is_unix = true;
        a->path = g_strdup(text + 5);
        return true;
    }
    const char *colon = strrchr(text, ':');
    if (!colon || !colon[1]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "error parsing address '%s'", text);
        return false;
    }
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    a->host = g_strndup(h, hlen);
    a->port = g_strdup(colon + 1);
    return true;
}

/* Leading "-x" flags of a command, and the words after them. */
static char **words(const char *args, const char *known, char *flags,
                    GError **errp)
{
    g_auto(GStrv) all = g_strsplit_set(args, " \t", -1);
    GPtrArray *out = g_ptr_array_new();
    for (char **w = all; *w; w++) {
        if (!**w) {
            continue;
        }
        if ((*w)[0] == '-' && (*w)[1] && !(*w)[2] && !out->len) {
            if (!strchr(known, (*w)[1])) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "unsupported option -%c", (*w)[1]);
                g_ptr_array_free(out, TRUE);
                return NULL;
            }
            size_t n = strlen(flags);
            flags[n] = (*w)[1];
            flags[n + 1] = 0;
            continue;
        }
        g_ptr_array_add(out, g_strdup(*w));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static void report(HmpCall *c, GError *err)
{
    hmp_print_error(c, err);
    g_error_free(err);
}

static void cmd_start(HmpCall *c, const char *args)
{
    GError *err = NULL;
    char flags[8] = "";
    g_auto(GStrv) w = words(args, "aw", flags, &err);
    if (!w) {
        report(c, err);
        return;
    }
    if (g_strv_length(w) != 1) {
        hmp_printf(c, "nbd_server_start: expects an address "
                      "(host:port or unix:path)\n");
        return;
    }
    NbdListenAddr a;
    if (!parse_addr(w[0], &a, &err) || !nbd_server_start(&a, 0, &err)) {
        nbd_listen_addr_clear(&a);
        report(c, err);
        return;
    }
    nbd_listen_addr_clear(&a);
    if (!strchr(flags, 'a')) {
        return;
    }
    /* -a: every drive, under its own name; -w: writable. */
    g_auto(GStrv) drives = block_export_drive_names();
    for (char **d = drives; *d; d++) {
        if (!nbd_export_add(*d, *d, *d, NULL, strchr(flags, 'w'), &err)) {
            report(c, err);
            err = NULL;
            nbd_server_stop();
            return;
        }
    }
}

static void cmd_add(HmpCall *c, const char *args)
{
    GError *err = NULL;
    char flags[8] = "";
    g_auto(GStrv) w = words(args, "w", flags, &err);
    if (!w) {
        report(c, err);
        return;
    }
    guint n = g_strv_length(w);
    if (n < 1 || n > 2) {
        hmp_printf(c, "nbd_server_add: expects a device and an optional "
                      "name\n");
        return;
    }
    if (!nbd_server_running()) {
        hmp_printf(c, "Error: NBD server not running\n");
        return;
    }
    const char *name = n == 2 ? w[1] : w[0];
    if (!nbd_export_add(name, w[0], name, NULL, strchr(flags, 'w'), &err)) {
        report(c, err);
    }
}

static void cmd_remove(HmpCall *c, const char *args)
{
    GError *err = NULL;
    char flags[8] = "";
    g_auto(GStrv) w = words(args, "f", flags, &err);
    if (!w) {
        report(c, err);
        return;
    }
    if (g_strv_length(w) != 1) {
        hmp_printf(c, "nbd_server_remove: expects an export name\n");
        return;
    }
    NbdExport *exp = nbd_export_find_id(w[0]);
    if (!exp) {
        hmp_printf(c, "Error: Export '%s' is not found\n", w[0]);
        return;
    }
    if (!nbd_export_remove(exp, strchr(flags, 'f'), &err)) {
        report(c, err);
    }
}

static void cmd_stop(HmpCall *c, const char *args)
{
    if (!nbd_server_running()) {
        hmp_printf(c, "Error: NBD server not running\n");
        return;
    }
    nbd_server_stop();
}

static const HmpCommand nbd_hmp_commands[] = {
    { "nbd_server_start", "[-a] [-w] host:port",
      "serve block devices on the given host and port", cmd_start },
    { "nbd_server_add", "[-w] device [name]",
      "export a block device via NBD", cmd_add },
    { "nbd_server_remove", "[-f] name",
      "remove an export previously exposed via NBD", cmd_remove },
    { "nbd_server_stop", "", "stop serving block devices using the NBD "
      "protocol", cmd_stop },
    { NULL }
};
HMP_COMMANDS(nbd_hmp_commands)
