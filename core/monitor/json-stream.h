/*
 * core/monitor/json-stream.h - JSON text on a byte stream, for the QMP monitor.
 *
 * A QMP peer sends a stream of JSON values with no framing: several may
 * arrive in one read, one may be spread over many, and newlines mean
 * nothing.  JsonSplitter cuts the stream into complete top-level values
 * without parsing them (it only tracks strings and nesting), and enforces
 * size and depth limits so that hostile input costs bounded memory and
 * never reaches the recursive parser too deep.  json_message_parse() then
 * parses one value with json-glib after the checks json-glib does not make;
 * json_node_to_qmp_text() writes values back in the same layout as QEMU.
 */
#ifndef TESSERA_CORE_JSON_STREAM_H
#define TESSERA_CORE_JSON_STREAM_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#define JSON_SPLITTER_DEFAULT_MAX_SIZE  (64u * 1024 * 1024)
#define JSON_SPLITTER_DEFAULT_MAX_DEPTH 1024u

typedef struct JsonSplitter JsonSplitter;

/* One complete top-level value: len bytes at text, NUL-terminated. */
typedef void (*JsonSplitterMessageFn)(const char *text, size_t len,
                                      void *opaque);
/* Input that cannot become a message (over a limit); the splitter already
 * skipped or is skipping the offending value. */
typedef void (*JsonSplitterErrorFn)(const char *message, void *opaque);

/*
 * A splitter that hands each value to on_message and limit violations to
 * on_error (once per offending value).  max_size bounds the bytes of one
 * value, max_depth its nesting of objects and arrays; 0 picks the defaults.
 */
JsonSplitter *json_splitter_new(size_t max_size, unsigned max_depth,
                                JsonSplitterMessageFn on_message,
                                JsonSplitterErrorFn on_error, void *opaque);
void json_splitter_free(JsonSplitter *sp);

/*
 * Feed bytes.  Callbacks run synchronously, in stream order.  A callback may
 * not free the splitter; to stop early it calls json_splitter_stop(), and
 * the rest of the current buffer is dropped.
 */
void json_splitter_feed(JsonSplitter *sp, const char *buf, size_t len);
void json_splitter_stop(JsonSplitter *sp);

/* Forget a partial value (e.g. the peer reconnected). */
void json_splitter_reset(JsonSplitter *sp);

/* Bytes of the value being collected (for tests and diagnostics). */
size_t json_splitter_pending(const JsonSplitter *sp);

/*
 * Parse one complete value.  Beyond json-glib's own errors, refuses what it
 * would silently corrupt: invalid UTF-8, NUL bytes, "\u0000" escapes,
 * integers outside int64 and numbers outside double's range.  The message
 * in errp is meant to follow "JSON parse error, ".  Returns a new node.
 */
JsonNode *json_message_parse(JsonParser *parser, const char *text, size_t len,
                             GError **errp);

/*
 * Serialize a node as compact single-line JSON with QEMU's spacing
 * ({"a": 1, "b": [true, null]}), members in insertion order, appended
 * to out.  Invalid UTF-8 in strings is replaced, never passed through.
 */
void json_node_to_qmp_text(JsonNode *node, GString *out);

#endif
