/*
 * core/cli/config-file.c - -readconfig and -writeconfig, in QEMU's format:
 *
 *     # comment
 *     [machine]
 *       type = "virt"
 *
 *     [device "rng0"]
 *       driver = "virtio-rng-device"
 *
 * A section is one option: its group names the option, the quoted word
 * after the group is the id (for groups that have ids), and each
 * `key = "value"` line is one key=value of the option.  Reading turns
 * every section into that option's text and hands it to the command-line
 * code at the position of -readconfig, so a file behaves exactly like the
 * options it holds.  Values cannot contain '"' (the format has no escape).
 *
 * -writeconfig writes the options that have a group here (machine, accel,
 * memory, smp-opts, name, boot-opts, object, numa, global, chardev,
 * device) once the whole command line is read; -serial, -monitor, -qmp,
 * -kernel and the like have none and are not written.
 */
#include "cli.h"
#include "net/net-options.h"
#include "util/read-bounded.h"
#include "device/global-props.h"
#include "opts.h"

#include <tessera/types.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>

typedef struct ConfigGroup {
    const char *group;          /* section name */
    const char *option;         /* command-line option, without '-' */
    const char *implied_key;    /* of that option's first element */
    bool has_id;
} ConfigGroup;

/* The most -readconfig reads (QEMU configs are a few kilobytes). */
#define CONFIG_FILE_MAX (1024 * 1024)

static const ConfigGroup config_groups[] = {
    { "machine", "machine", "type", false },
    { "accel", "accel", "accel", false },
    { "memory", "m", "size", false },
    { "smp-opts", "smp", "cpus", false },
    { "name", "name", "guest", false },
    { "boot-opts", "boot", "order", false },
    { "object", "object", "qom-type", true },
    { "numa", "numa", "type", false },
    { "global", "global", NULL, false },
    { "chardev", "chardev", "backend", true },
    { "netdev", "netdev", "type", true },
    { "device", "device", "driver", true },
    { "mon", "mon", "chardev", true },
    { "add-fd", "add-fd", NULL, false },
};

/* QEMU groups whose options Tessera does not have yet. */
static const char *const unsupported_groups[] = {
    "drive", "net", "fsdev", "virtfs", "iscsi", "spice", "rtc",
    "icount", "sandbox", "option-rom", "msg", "overcommit", "action",
    "audiodev", "trace", "semihosting-config", "fw_cfg", NULL
};

static const ConfigGroup *find_group(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(config_groups); i++) {
        if (g_str_equal(config_groups[i].group, name)) {
            return &config_groups[i];
        }
    }
    return NULL;
}

/* ---- reading -------------------------------------------------------- */

typedef struct Section {
    const ConfigGroup *group;
    GString *text;              /* the option's argument being built */
    unsigned line;              /* where the section started */
} Section;

static bool flush(Cli *cli, Section *s, const char *path, GError **errp)
{
    if (!s->group) {
        return true;
    }
    bool ok = cli_handle_option(cli, s->group->option, s->text->str, errp);
    if (!ok) {
        g_prefix_error(errp, "%s:%u: ", path, s->line);
    }
    s->group = NULL;
    g_string_truncate(s->text, 0);
    return ok;
}

/* "[group]" or "[group "id"]" */
static bool parse_header(const char *line, Section *s, GError **errp)
{
    const char *end = strchr(line, ']');
    if (!end || end[1 + strspn(end + 1, " \t")] != '\0') {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Parse error");
        return false;
    }
    g_autofree char *inside = g_strndup(line + 1, end - line - 1);
    char *quote = strchr(inside, '"');
    g_autofree char *id = NULL;
    if (quote) {
        char *close = strchr(quote + 1, '"');
        if (!close || close[1] != '\0') {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Parse error");
            return false;
        }
        id = g_strndup(quote + 1, close - quote - 1);
        *quote = '\0';
    }
    g_strstrip(inside);
    const ConfigGroup *g = find_group(inside);
    if (!g && g_strv_contains(unsupported_groups, inside)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "'%s' is not supported yet", inside);
        return false;
    }
    if (!g) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "There is no option group '%s'", inside);
        return false;
    }
    if (id && !g->has_id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "group '%s' takes no id", inside);
        return false;
    }
    s->group = g;
    if (id) {
        opts_append_pair(s->text, "id", id);
    }
    return true;
}

/* `key = "value"` */
static bool parse_entry(const char *line, Section *s, GError **errp)
{
    size_t klen = strcspn(line, " \t=");
    const char *p = line + klen;
    p += strspn(p, " \t");
    if (klen == 0 || *p != '=') {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Parse error");
        return false;
    }
    p++;
    p += strspn(p, " \t");
    const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
    if (!close || close[1 + strspn(close + 1, " \t")] != '\0') {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Parse error");
        return false;
    }
    if (!s->group) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "no group defined");
        return false;
    }
    g_autofree char *key = g_strndup(line, klen);
    g_autofree char *value = g_strndup(p + 1, close - p - 1);
    opts_append_pair(s->text, key, value);
    return true;
}

bool config_file_read(Cli *cli, const char *path, GError **errp)
{
    g_autofree char *contents = NULL;
    GError *err = NULL;
    if (g_str_equal(path, "-")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "reading a config from standard input is not supported");
        return false;
    }
    /* A config file is a few kilobytes; -readconfig /dev/zero must not
     * read until memory runs out. */
    contents = read_bounded(path, CONFIG_FILE_MAX, NULL, &err);
    if (!contents) {
        g_propagate_prefixed_error(errp, err, "Cannot read config file: ");
        return false;
    }
    Section s = { .text = g_string_new(NULL) };
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    bool ok = true;
    for (unsigned n = 0; ok && lines[n]; n++) {
        char *line = g_strstrip(lines[n]);
        if (!*line || *line == '#') {
            continue;
        }
        if (*line == '[') {
            ok = flush(cli, &s, path, errp) && parse_header(line, &s, &err);
            s.line = n + 1;
        } else {
            ok = parse_entry(line, &s, &err);
        }
        if (err) {
            g_propagate_prefixed_error(errp, err, "%s:%u: ", path, n + 1);
            err = NULL;
        }
    }
    ok = ok && flush(cli, &s, path, errp);
    g_string_free(s.text, true);
    return ok;
}

/* ---- writing -------------------------------------------------------- */

typedef struct Writer {
    GString *out;
    const char *skip;           /* key carried by the section header */
    GError **errp;
    bool ok;
} Writer;

static void write_pair(const char *key, const char *value, void *opaque)
{
    Writer *w = opaque;
    if (!w->ok || (w->skip && g_str_equal(key, w->skip))) {
        return;
    }
    if (strchr(value, '"') || strchr(value, '\n')) {
        g_set_error(w->errp, TS_ERROR, TS_ERROR_INVALID,
                    "the value of '%s' (%s) holds a double quote or a "
                    "newline, which a config file cannot", key, value);
        w->ok = false;
        return;
    }
    g_string_append_printf(w->out, "  %s = \"%s\"\n", key, value);
}

static bool write_section(GString *out, const ConfigGroup *g,
                          const char *text, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(text, g->implied_key, errp);
    if (!o) {
        return false;
    }
    const char *id = g->has_id ? opts_get(o, "id") : NULL;
    if (id) {
        g_string_append_printf(out, "[%s \"%s\"]\n", g->group, id);
    } else {
        g_string_append_printf(out, "[%s]\n", g->group);
    }
    Writer w = { out, id ? "id" : NULL, errp, true };
    opts_foreach(o, write_pair, &w);
    g_string_append_c(out, '\n');
    return w.ok;
}

/* -global's short form becomes the long one: a section has only keys. */
static bool write_global(GString *out, const char *arg, GError **errp)
{
    g_autofree char *driver = NULL, *property = NULL, *value = NULL;
    if (!global_props_split(arg, &driver, &property, &value, errp)) {
        return false;
    }
    GString *text = g_string_new(NULL);
    opts_append_pair(text, "driver", driver);
    opts_append_pair(text, "property", property);
    opts_append_pair(text, "value", value);
    bool ok = write_section(out, find_group("global"), text->str, errp);
    g_string_free(text, true);
    return ok;
}

static bool write_one(GString *out, const char *group, const char *text,
                      GError **errp)
{
    return !text || write_section(out, find_group(group), text, errp);
}

static bool write_list(GString *out, const char *group, const GPtrArray *l,
                       GError **errp)
{
    for (guint i = 0; i < l->len; i++) {
        if (!write_one(out, group, g_ptr_array_index(l, i), errp)) {
            return false;
        }
    }
    return true;
}

bool config_file_write(const Cli *cli, const char *path, GError **errp)
{
    g_autoptr(GString) out = g_string_new("# qemu config file\n\n");
    bool ok = write_one(out, "machine", cli->machine_opts, errp) &&
              write_list(out, "accel", cli->accels, errp) &&
              write_one(out, "memory", cli->memory_opts, errp) &&
              write_one(out, "smp-opts", cli->smp_opts, errp) &&
              write_one(out, "name", cli->name_opts, errp) &&
              write_one(out, "boot-opts", cli->boot_opts, errp) &&
              write_list(out, "object", cli->objects, errp) &&
              write_list(out, "numa", cli->numa, errp);
    for (guint i = 0; ok && i < cli->globals->len; i++) {
        ok = write_global(out, g_ptr_array_index(cli->globals, i), errp);
    }
    const GPtrArray *netdevs = net_netdev_queued();
    ok = ok && write_list(out, "chardev", cli->chardevs, errp) &&
         (!netdevs || write_list(out, "netdev", netdevs, errp)) &&
         write_list(out, "device", cli->devices, errp);
    if (!ok) {
        return false;
    }
    if (g_str_equal(path, "-")) {
        fputs(out->str, stdout);
        fflush(stdout);
        return true;
    }
    /* A regular file (or a new one) is replaced whole, so a crash never
     * leaves half a config.  Anything else is written in place, following
     * a symlink as QEMU does: replacing it would turn /dev/null, a FIFO
     * or a link into a regular file. */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(path, "w");
        bool ok_write = f && fwrite(out->str, 1, out->len, f) == out->len;
        if (!f || fclose(f) != 0 || !ok_write) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not open '%s': %s", path, g_strerror(errno));
            return false;
        }
        return true;
    }
    GError *err = NULL;
    if (!g_file_set_contents(path, out->str, out->len, &err)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not open '%s': %s", path, err->message);
        g_error_free(err);
        return false;
    }
    return true;
}
