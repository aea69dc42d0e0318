/*
 * core/img/img-util.c - what every tessera-img subcommand needs: opening
 * an image through the block layer, sizes in qemu-img's notation, errors
 * on one line, JSON printed the way qemu-img prints it, the progress bar.
 */
#include "img.h"
#include "block/block-graph.h"
#include "util/parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- errors ----------------------------------------------------------- */

void img_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", IMG_PROGNAME, msg);
}

int img_fail(GError *err, int status)
{
    img_error("%s", err ? err->message : "unknown error");
    g_clear_error(&err);
    return status;
}

int img_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\nTry '%s --help' for more information\n",
            IMG_PROGNAME, msg, IMG_PROGNAME);
    return 1;
}

int img_bad_option(int c, char **argv)
{
    return img_usage_error(c == ':' ? "option '%s' requires an argument"
                                    : "unrecognized option '%s'",
                           argv[optind - 1]);
}

/* ---- opening images --------------------------------------------------- */

bool img_cache_mode(const char *mode, bool *direct, bool *no_flush,
                    GError **errp)
{
    static const struct { const char *name; bool direct, no_flush; } m[] = {
        { "writeback", false, false }, { "writethrough", false, false },
        { "none", true, false }, { "off", true, false },
        { "directsync", true, false }, { "unsafe", false, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(m); i++) {
        if (g_str_equal(mode, m[i].name)) {
            *direct = m[i].direct;
            *no_flush = m[i].no_flush;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Invalid cache option: %s",
                mode);
    return false;
}

TsBlockNode *img_open(const char *filename, const ImgOpen *how,
                      GError **errp)
{
    g_autoptr(GError) err = NULL;
    BlockOpts *o;
    if (how->image_opts) {
        if (!(o = block_opts_parse(filename, &err))) {
            g_propagate_error(errp, g_steal_pointer(&err));
            return NULL;
        }
    } else {
        o = block_opts_new();
    }
    if (!how->writable) {
        g_hash_table_replace(o, g_strdup("read-only"), g_strdup("on"));
    }
    if (how->force_share) {
        g_hash_table_replace(o, g_strdup("force-share"), g_strdup("on"));
    }
    if (how->no_backing) {
        g_hash_table_replace(o, g_strdup("backing"), g_strdup("null"));
    }
    if (how->for_check) {
        g_hash_table_replace(o, g_strdup("x-check"), g_strdup("on"));
    }
    if (how->cache) {
        bool direct, no_flush;
        if (!img_cache_mode(how->cache, &direct, &no_flush, errp)) {
            g_hash_table_unref(o);
            return NULL;
        }
        g_hash_table_replace(o, g_strdup("cache.direct"),
                             g_strdup(direct ? "on" : "off"));
        g_hash_table_replace(o, g_strdup("cache.no-flush"),
                             g_strdup(no_flush ? "on" : "off"));
    }
    TsBlockNode *n;
    if (how->image_opts) {
        n = block_node_open(o, false, &err);
    } else {
        n = block_node_open_image(filename, how->format, o, &err);
    }
    if (!n) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "Could not open '%s': %s",
                    filename, err->message);
    }
    return n;
}

void img_close(TsBlockNode *node)
{
    if (node) {
        block_node_unref(node);
    }
}

/* ---- sizes ------------------------------------------------------------ */

bool img_parse_size(const char *text, uint64_t *out, GError **errp)
{
    static const char suffixes[] = "bkmgtpe";
    char *end;
    errno = 0;
    if (!text || !g_ascii_isdigit(*text)) {
        goto bad;
    }
    double value = g_ascii_strtod(text, &end);
    if (errno || end == text || value < 0) {
        goto bad;
    }
    unsigned shift = 0;
    if (*end) {
        const char *p = strchr(suffixes, g_ascii_tolower(*end));
        if (!p || end[1]) {
            goto bad;
        }
        shift = (unsigned)(p - suffixes) * 10;
    } else if (strpbrk(text, ".eE")) {
        goto bad;               /* a fraction needs a unit */
    }
    double bytes = value * (double)(1ull << shift);
    if (bytes >= 18446744073709551616.0 || bytes != (double)(uint64_t)bytes) {
        goto bad;
    }
    *out = (uint64_t)bytes;
    return true;
bad:
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter 'size' expects a non-negative number below 2^64\n"
                "Optional suffix k, M, G, T, P or E means kilo-, mega-, "
                "giga-, tera-, peta-\nand exabytes, respectively.");
    return false;
}

char *img_human_size(uint64_t bytes)
{
    static const char *const units[] = {
        "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    unsigned i = 0;
    /* qemu-img moves to the next unit from 0.95 of it up. */
    while (i + 1 < G_N_ELEMENTS(units) && v >= 1024 * 0.95) {
        v /= 1024;
        i++;
    }
    return g_strdup_printf("%0.3g %s", v, units[i]);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_indent(GString *s, int level)
{
    for (int i = 0; i < level; i++) {
        g_string_append(s, "    ");
    }
}

static void json_string(GString *s, const char *str)
{
    g_string_append_c(s, '"');
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(s, "\\\""); break;
        case '\\': g_string_append(s, "\\\\"); break;
        case '\n': g_string_append(s, "\\n"); break;
        case '\r': g_string_append(s, "\\r"); break;
        case '\t': g_string_append(s, "\\t"); break;
        case '\b': g_string_append(s, "\\b"); break;
        case '\f': g_string_append(s, "\\f"); break;
        default:
            if (*p < 0x20) {
                g_string_append_printf(s, "\\u%04x", *p);
            } else {
                g_string_append_c(s, (char)*p);
            }
        }
    }
    g_string_append_c(s, '"');
}

static void json_format(GString *s, JsonNode *node, int level)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_NULL:
        g_string_append(s, "null");
        break;
    case JSON_NODE_VALUE: {
        GType t = json_node_get_value_type(node);
        if (t == G_TYPE_STRING) {
            json_string(s, json_node_get_string(node));
        } else if (t == G_TYPE_BOOLEAN) {
            g_string_append(s, json_node_get_boolean(node) ? "true" : "false");
        } else if (t == G_TYPE_DOUBLE) {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append(s, g_ascii_dtostr(buf, sizeof(buf),
                                              json_node_get_double(node)));
        } else {
            g_string_append_printf(s, "%" G_GINT64_FORMAT,
                                   json_node_get_int(node));
        }
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        guint n = json_array_get_length(a);
        if (!n) {
            g_string_append(s, "[\n");
            json_indent(s, level);
            g_string_append(s, "]");
            break;
        }
        g_string_append(s, "[\n");
        for (guint i = 0; i < n; i++) {
            json_indent(s, level + 1);
            json_format(s, json_array_get_element(a, i), level + 1);
            g_string_append(s, i + 1 < n ? ",\n" : "\n");
        }
        json_indent(s, level);
        g_string_append(s, "]");
        break;
    }
    case JSON_NODE_OBJECT: {
        JsonObject *o = json_node_get_object(node);
        GList *members = json_object_get_members(o);
        if (!members) {
            g_string_append(s, "{\n");
            json_indent(s, level);
            g_string_append(s, "}");
            break;
        }
        g_string_append(s, "{\n");
        for (GList *l = members; l; l = l->next) {
            json_indent(s, level + 1);
            json_string(s, l->data);
            g_string_append(s, ": ");
            json_format(s, json_object_get_member(o, l->data), level + 1);
            g_string_append(s, l->next ? ",\n" : "\n");
        }
        g_list_free(members);
        json_indent(s, level);
        g_string_append(s, "}");
        break;
    }
    }
}

void img_print_json(JsonNode *node)
{
    g_autoptr(GString) s = g_string_new(NULL);
    json_format(s, node, 0);
    g_string_append_c(s, '\n');
    fputs(s->str, stdout);
}

/* ---- progress ----------------------------------------------------------- */

void img_progress(double percent)
{
    printf("    (%.2f/100%%)\r", percent);
    fflush(stdout);
}

void img_progress_done(void)
{
    img_progress(100.0);
    printf("\n");
    fflush(stdout);
}
