/*
 * core/cli/opts.c - parsing "[key=]value,key=value" option text.
 */
#include "opts.h"
#include "util/parse.h"

#include <tessera/object.h>

typedef struct OptPair {
    char *key;
    char *value;
} OptPair;

struct TsOpts {
    GArray *pairs;          /* of OptPair, in command-line order */
    bool help;
};

void opts_free(TsOpts *opts)
{
    if (!opts) {
        return;
    }
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        g_free(p->key);
        g_free(p->value);
    }
    g_array_free(opts->pairs, true);
    g_free(opts);
}

/* Next element of text from *pos, with ",," unescaped; NULL at the end. */
static char *next_element(const char *text, size_t *pos, bool *more)
{
    GString *out = g_string_new(NULL);
    size_t i = *pos;
    *more = false;
    while (text[i]) {
        if (text[i] == ',') {
            if (text[i + 1] == ',') {
                g_string_append_c(out, ',');
                i += 2;
                continue;
            }
            *more = true;
            i++;
            break;
        }
        g_string_append_c(out, text[i++]);
    }
    *pos = i;
    return g_string_free(out, false);
}

static void add_pair(TsOpts *opts, char *key, char *value)
{
    OptPair p = { key, value };
    g_array_append_val(opts->pairs, p);
}

TsOpts *opts_parse(const char *text, const char *implied_key, GError **errp)
{
    TsOpts *opts = g_new0(TsOpts, 1);
    opts->pairs = g_array_new(false, false, sizeof(OptPair));
    size_t pos = 0;
    bool more = *text != '\0';
    for (bool first = true; more; first = false) {
        g_autofree char *elem = next_element(text, &pos, &more);
        char *eq = strchr(elem, '=');
        if (g_str_equal(elem, "help") || g_str_equal(elem, "?")) {
            opts->help = true;
            continue;
        }
        if (!eq) {
            if (!*elem) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Parameter name must not be empty");
                goto fail;
            }
            if (first && implied_key) {
                add_pair(opts, g_strdup(implied_key), g_strdup(elem));
            } else {
                add_pair(opts, g_strdup(elem), g_strdup("on"));
            }
            continue;
        }
        if (eq == elem) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter name must not be empty");
            goto fail;
        }
        g_autofree char *key = g_strndup(elem, eq - elem);
        if (g_str_equal(key, "help") && g_str_equal(eq + 1, "on")) {
            opts->help = true;
            continue;
        }
        if (implied_key && g_str_equal(key, implied_key) &&
            (g_str_equal(eq + 1, "help") || g_str_equal(eq + 1, "?"))) {
            opts->help = true;      /* driver=help */
            continue;
        }
        add_pair(opts, g_steal_pointer(&key), g_strdup(eq + 1));
    }
    return opts;
fail:
    opts_free(opts);
    return NULL;
}

const char *opts_get(const TsOpts *opts, const char *key)
{
    for (guint i = opts->pairs->len; i-- > 0;) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        if (g_str_equal(p->key, key)) {
            return p->value;
        }
    }
    return NULL;
}

bool opts_has(const TsOpts *opts, const char *key)
{
    return opts_get(opts, key) != NULL;
}

bool opts_wants_help(const TsOpts *opts)
{
    return opts->help;
}

void opts_foreach(const TsOpts *opts,
                  void (*fn)(const char *, const char *, void *),
                  void *opaque)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        fn(p->key, p->value, opaque);
    }
}

bool opts_check_keys(const TsOpts *opts, const char *const *allowed,
                     GError **errp)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        if (!g_strv_contains(allowed, p->key)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter '%s'", p->key);
            return false;
        }
    }
    return true;
}

bool opts_get_bool(const TsOpts *opts, const char *key, bool def, bool *out,
                   GError **errp)
{
    const char *v = opts_get(opts, key);
    *out = def;
    return !v || ts_parse_bool(key, v, out, errp);
}

bool opts_get_size(const TsOpts *opts, const char *key, uint64_t def,
                   uint64_t *out, GError **errp)
{
    const char *v = opts_get(opts, key);
    *out = def;
    return !v || ts_parse_size(key, v, out, errp);
}

bool opts_get_uint(const TsOpts *opts, const char *key, uint64_t def,
                   uint64_t *out, GError **errp)
{
    const char *v = opts_get(opts, key);
    *out = def;
    return !v || ts_parse_uint(key, v, out, errp);
}

void opts_append_pair(GString *text, const char *key, const char *value)
{
    if (text->len) {
        g_string_append_c(text, ',');
    }
    g_string_append_printf(text, "%s=", key);
    for (const char *c = value; *c; c++) {
        g_string_append(text, *c == ',' ? ",," : (char[]){ *c, 0 });
    }
}

char *opts_to_string(const TsOpts *opts)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        opts_append_pair(out, p->key, p->value);
    }
    return g_string_free(out, false);
}
