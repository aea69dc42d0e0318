/*
 * libFuzzer target: the gdbstub's packet framing and the parsers a packet
 * body meets (hex numbers, hex bytes, binary unescaping), as a hostile
 * debugger peer would drive them.  Never crash, leak, hang or grow a
 * buffer past GDB_MAX_PACKET.
 */
#include "gdbstub/gdb-packet.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_body(const char *body, size_t len)
{
    uint64_t v;
    const char *end;
    if (gdb_parse_hex(body + (len ? 1 : 0), &end, &v) && *end == ',') {
        gdb_parse_hex(end + 1, NULL, &v);
    }
    uint8_t bytes[64];
    gdb_hex_to_bytes(body, sizeof(bytes) < len / 2 ? sizeof(bytes) : len / 2,
                     bytes);
    uint8_t *copy = g_memdup2(body, len ? len : 1);
    ssize_t n = gdb_unescape(copy, len);
    if (n > (ssize_t)len) {
        abort();
    }
    GString *out = g_string_new(NULL);
    gdb_append_escaped(out, copy, n > 0 ? (size_t)n : 0);
    gdb_append_hex(out, copy, n > 0 ? (size_t)n : 0);
    gdb_packet_frame(out, body, len);
    g_string_free(out, TRUE);
    g_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GdbFramer f;
    gdb_framer_init(&f);
    for (size_t i = 0; i < size; i++) {
        if (gdb_framer_feed(&f, data[i]) == GDB_IN_PACKET) {
            size_t len;
            const char *body = gdb_framer_body(&f, &len);
            if (len > GDB_MAX_PACKET) {
                abort();
            }
            parse_body(body, len);
        }
    }
    gdb_framer_clear(&f);
    return 0;
}
