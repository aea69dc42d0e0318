/*
 * core/monitor/json-stream.c - cutting a byte stream into JSON values, checked
 * parsing with json-glib, and QEMU-style serialization.
 */
#include "json-stream.h"

#include <math.h>
#include <string.h>

struct JsonSplitter {
    size_t max_size;
    unsigned max_depth;
    JsonSplitterMessageFn on_message;
    JsonSplitterErrorFn on_error;
    void *opaque;

    GString *value;       /* bytes of the value being collected */
    size_t depth;         /* open objects and arrays */
    char quote;           /* '"' or '\'' inside a string, else 0 */
    bool escaped;         /* previous byte was a backslash in a string */
    bool in_bare;         /* inside a top-level number or literal */
    bool skipping;        /* over a limit: drop bytes until the value ends */
    bool stopped;
};

JsonSplitter *json_splitter_new(size_t max_size, unsigned max_depth,
                                JsonSplitterMessageFn on_message,
                                JsonSplitterErrorFn on_error, void *opaque)
{
    JsonSplitter *sp = g_new0(JsonSplitter, 1);
    sp->max_size = max_size ? max_size : JSON_SPLITTER_DEFAULT_MAX_SIZE;
    sp->max_depth = max_depth ? max_depth : JSON_SPLITTER_DEFAULT_MAX_DEPTH;
    sp->on_message = on_message;
    sp->on_error = on_error;
    sp->opaque = opaque;
    sp->value = g_string_new(NULL);
    return sp;
}

void json_splitter_free(JsonSplitter *sp)
{
    if (sp) {
        g_string_free(sp->value, TRUE);
        g_free(sp);
    }
}

void json_splitter_reset(JsonSplitter *sp)
{
    g_string_truncate(sp->value, 0);
    sp->depth = 0;
    sp->quote = 0;
    sp->escaped = false;
    sp->in_bare = false;
    sp->skipping = false;
}

void json_splitter_stop(JsonSplitter *sp)
{
    sp->stopped = true;
}

size_t json_splitter_pending(const JsonSplitter *sp)
{
    return sp->value->len;
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that end a bare top-level token such as 42 or true. */
static bool ends_bare_token(char c)
{
    return is_json_space(c) || strchr("{}[],:\"'", c) != NULL;
}

static void emit_value(JsonSplitter *sp)
{
    sp->on_message(sp->value->str, sp->value->len, sp->opaque);
    g_string_truncate(sp->value, 0);
}

/* Over a limit: report once, drop what we have, and keep tracking strings
 * and nesting (no memory) so that we resynchronise where the value ends. */
static void start_skipping(JsonSplitter *sp, const char *why)
{
    g_string_truncate(sp->value, 0);
    sp->skipping = true;
    sp->on_error(why, sp->opaque);
}

/*
 * Track one byte inside a value (depth > 0 or in a string).  Returns true
 * when this byte completes the top-level value.
 */
static bool track_byte(JsonSplitter *sp, char c, bool *too_deep)
{
    if (sp->quote) {
        if (sp->escaped) {
            sp->escaped = false;
        } else if (c == '\\') {
            sp->escaped = true;
        } else if (c == sp->quote) {
            sp->quote = 0;
            return sp->depth == 0;
        }
        return false;
    }
    switch (c) {
    case '"':
    case '\'':
        sp->quote = c;
        return false;
    case '{':
    case '[':
        sp->depth++;
        if (sp->depth > sp->max_depth && !sp->skipping) {
            *too_deep = true;
        }
        return false;
    case '}':
    case ']':
        sp->depth--;
        return sp->depth == 0;
    default:
        return false;
    }
}

static void feed_byte(JsonSplitter *sp, char c)
{
    if (sp->in_bare) {
        if (!ends_bare_token(c)) {
            if (sp->skipping) {
                return;
            }
            if (sp->value->len + 1 > sp->max_size) {
                start_skipping(sp, "message exceeds the size limit");
                return;
            }
            g_string_append_c(sp->value, c);
            return;
        }
        sp->in_bare = false;
        if (sp->skipping) {
            sp->skipping = false;
        } else {
            emit_value(sp);
            if (sp->stopped) {
                return;
            }
        }
        /* c itself starts whatever comes next: fall through to depth 0. */
    }

    if (sp->depth == 0 && !sp->quote) {
        if (is_json_space(c)) {
            return;
        }
        if (c == '}' || c == ']' || c == ',' || c == ':') {
            /* A stray closer or separator: let the parser report it as
             * the error it is, on its own. */
            g_string_append_c(sp->value, c);
            emit_value(sp);
            return;
        }
        if (c != '{' && c != '[' && c != '"' && c != '\'') {
            sp->in_bare = true;
            g_string_append_c(sp->value, c);
            return;
        }
    }

    bool too_deep = false;
    bool complete = track_byte(sp, c, &too_deep);
    if (sp->skipping) {
        if (complete) {
            sp->skipping = false;
        }
        return;
    }
    if (too_deep) {
        start_skipping(sp, "message exceeds the nesting depth limit");
        return;
    }
    if (sp->value->len + 1 > sp->max_size) {
        start_skipping(sp, "message exceeds the size limit");
        if (complete) {
            sp->skipping = false;   /* the offending byte closed it */
        }
        return;
    }
    g_string_append_c(sp->value, c);
    if (complete) {
        emit_value(sp);
    }
}

void json_splitter_feed(JsonSplitter *sp, const char *buf, size_t len)
{
    sp->stopped = false;
    for (size_t i = 0; i < len && !sp->stopped; i++) {
        feed_byte(sp, buf[i]);
    }
}

/* ------------------------------------------------------------------ */
/* Checked parsing                                                    */

/* A number literal json-glib would mangle: it wraps integers outside
 * int64 and turns huge exponents into infinity. */
static bool check_number(const char *tok, size_t len, GError **errp)
{
    g_autofree char *copy = g_strndup(tok, len);
    if (!strpbrk(copy, "0123456789")) {
        return true;            /* not a number: json-glib will say so */
    }
    if (!strpbrk(copy, ".eE")) {
        gint64 v;
        if (!g_ascii_string_to_signed(copy, 10, G_MININT64, G_MAXINT64, &v,
                                      NULL)) {
            g_set_error(errp, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                        "number '%s' is out of range", copy);
            return false;
        }
        return true;
    }
    double d = g_ascii_strtod(copy, NULL);
    if (isinf(d) || isnan(d)) {
        g_set_error(errp, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                    "number '%s' is out of range", copy);
        return false;
    }
    return true;
}

static bool is_number_byte(char c)
{
    return g_ascii_isdigit(c) || c == '-' || c == '+' || c == '.' ||
           c == 'e' || c == 'E';
}

/* The checks json-glib does not make, on a complete value. */
static bool check_message(const char *text, size_t len, GError **errp)
{
    if (!g_utf8_validate(text, len, NULL)) {
        g_set_error(errp, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                    "invalid UTF-8 sequence or NUL byte");
        return false;
    }
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (quote) {
            if (c == '\\' && i + 1 < len) {
                if (text[i + 1] == 'u' && i + 5 < len &&
                    memcmp(text + i + 2, "0000", 4) == 0) {
                    g_set_error(errp, JSON_PARSER_ERROR,
                                JSON_PARSER_ERROR_INVALID_DATA,
                                "\\u0000 is not supported");
                    return false;
                }
                i++;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if ((g_ascii_isdigit(c) || c == '-') &&
                   (i == 0 || !(g_ascii_isalnum(text[i - 1]) ||
                                text[i - 1] == '_'))) {
            size_t start = i;
            while (i + 1 < len && is_number_byte(text[i + 1])) {
                i++;
            }
            if (!check_number(text + start, i + 1 - start, errp)) {
                return false;
            }
        }
    }
    return true;
}

JsonNode *json_message_parse(JsonParser *parser, const char *text, size_t len,
                             GError **errp)
{
    if (!check_message(text, len, errp)) {
        return NULL;
    }
    GError *err = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
        /* json-glib says "<data>:1:7: Parse error: what"; keep "what". */
        const char *what = strstr(err->message, "Parse error: ");
        what = what ? what + strlen("Parse error: ") : err->message;
        g_set_error_literal(errp, JSON_PARSER_ERROR, err->code, what);
        g_error_free(err);
        return NULL;
    }
    JsonNode *root = json_parser_steal_root(parser);
    if (!root) {
        g_set_error(errp, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                    "expecting value");
    }
    return root;
}

/* ------------------------------------------------------------------ */
/* Serialization                                                      */

static void append_string(GString *out, const char *s)
{
    g_autofree char *valid = NULL;
    if (!g_utf8_validate(s, -1, NULL)) {
        valid = g_utf8_make_valid(s, -1);
        s = valid;
    }
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                g_string_append_printf(out, "\\u%04x", *p);
            } else {
                g_string_append_c(out, (char)*p);
            }
        }
    }
    g_string_append_c(out, '"');
}

static void append_double(GString *out, double d)
{
    if (!isfinite(d)) {
        g_string_append(out, "null");    /* JSON has no infinity */
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof(buf), "%.17g", d);
    g_string_append(out, buf);
    if (!strpbrk(buf, ".eE")) {
        g_string_append(out, ".0");      /* stay a float for the reader */
    }
}

static void append_value(GString *out, JsonNode *node)
{
    switch (json_node_get_value_type(node)) {
    case G_TYPE_INT64:
        g_string_append_printf(out, "%" G_GINT64_FORMAT,
                               json_node_get_int(node));
        break;
    case G_TYPE_DOUBLE:
        append_double(out, json_node_get_double(node));
        break;
    case G_TYPE_BOOLEAN:
        g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
        break;
    case G_TYPE_STRING:
        append_string(out, json_node_get_string(node));
        break;
    default:
        g_string_append(out, "null");
    }
}

void json_node_to_qmp_text(JsonNode *node, GString *out)
{
    if (!node) {
        g_string_append(out, "null");
        return;
    }
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObject *obj = json_node_get_object(node);
        GList *members = json_object_get_members(obj);
        g_string_append_c(out, '{');
        for (GList *l = members; l; l = l->next) {
            append_string(out, l->data);
            g_string_append(out, ": ");
            json_node_to_qmp_text(json_object_get_member(obj, l->data), out);
            if (l->next) {
                g_string_append(out, ", ");
            }
        }
        g_string_append_c(out, '}');
        g_list_free(members);
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *arr = json_node_get_array(node);
        guint n = json_array_get_length(arr);
        g_string_append_c(out, '[');
        for (guint i = 0; i < n; i++) {
            json_node_to_qmp_text(json_array_get_element(arr, i), out);
            if (i + 1 < n) {
                g_string_append(out, ", ");
            }
        }
        g_string_append_c(out, ']');
        break;
    }
    case JSON_NODE_VALUE:
        append_value(out, node);
        break;
    case JSON_NODE_NULL:
    default:
        g_string_append(out, "null");
        break;
    }
}
