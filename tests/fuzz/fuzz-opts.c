/*
 * libFuzzer target: the command-line option grammar and the value parsers.
 * Any input must parse or fail with an error; never crash, leak or hang.
 */
#include "cli/opts.h"
#include "util/parse.h"

#include <tessera/object.h>

static void touch(const char *key, const char *value, void *opaque)
{
    (*(size_t *)opaque) += strlen(key) + strlen(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    GError *err = NULL;
    TsOpts *o = opts_parse(text, "type", &err);
    if (o) {
        size_t total = 0;
        opts_foreach(o, touch, &total);
        g_free(opts_to_string(o));
        uint64_t u;
        bool b;
        opts_get_size(o, "size", 0, &u, NULL);
        opts_get_bool(o, "on", false, &b, NULL);
        opts_free(o);
    }
    g_clear_error(&err);
    uint64_t v;
    int64_t i;
    ts_parse_size("x", text, &v, &err);
    g_clear_error(&err);
    ts_parse_int("x", text, &i, &err);
    g_clear_error(&err);
    return 0;
}
