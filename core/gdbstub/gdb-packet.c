/*
 * gdb-packet.c - framing for the GDB remote protocol (see gdb-packet.h).
 * The peer is untrusted: every byte sequence ends in one of GdbInput's
 * outcomes, and the buffer never grows past GDB_MAX_PACKET.
 */
#include "gdb-packet.h"

#include <string.h>

enum { ST_IDLE, ST_BODY, ST_CS1, ST_CS2 };

void gdb_framer_init(GdbFramer *f)
{
    memset(f, 0, sizeof(*f));
    f->body = g_string_sized_new(256);
}

void gdb_framer_clear(GdbFramer *f)
{
    if (f->body) {
        g_string_free(f->body, TRUE);
    }
    memset(f, 0, sizeof(*f));
}

void gdb_framer_reset(GdbFramer *f)
{
    f->state = ST_IDLE;
    g_string_truncate(f->body, 0);
    f->sum = 0;
    f->too_long = false;
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

GdbInput gdb_framer_feed(GdbFramer *f, uint8_t byte)
{
    int d;

    switch (f->state) {
    case ST_IDLE:
        if (byte == '$') {
            gdb_framer_reset(f);
            f->state = ST_BODY;
            return GDB_IN_NONE;
        }
        if (byte == 0x03) {
            return GDB_IN_INTERRUPT;
        }
        if (byte == '+') {
            return GDB_IN_ACK;
        }
        if (byte == '-') {
            return GDB_IN_NAK;
        }
        return GDB_IN_NONE;         /* noise between packets */
    case ST_BODY:
        if (byte == '#') {
            f->state = ST_CS1;
            return GDB_IN_NONE;
        }
        if (byte == '$') {          /* a new packet: the old one is lost */
            gdb_framer_reset(f);
            f->state = ST_BODY;
            return GDB_IN_BAD;
        }
        f->sum += byte;
        if (f->body->len >= GDB_MAX_PACKET) {
            f->too_long = true;     /* keep counting, stop storing */
        } else {
            g_string_append_c(f->body, (char)byte);
        }
        return GDB_IN_NONE;
    case ST_CS1:
        d = hex_digit(byte);
        f->given = (uint8_t)((d < 0 ? 0 : d) << 4);
        f->state = d < 0 ? ST_IDLE : ST_CS2;
        return d < 0 ? GDB_IN_BAD : GDB_IN_NONE;
    case ST_CS2:
    default:
        f->state = ST_IDLE;
        d = hex_digit(byte);
        if (d < 0 || f->too_long || (uint8_t)(f->given | d) != f->sum) {
            return GDB_IN_BAD;
        }
        return GDB_IN_PACKET;
    }
}

const char *gdb_framer_body(const GdbFramer *f, size_t *len)
{
    *len = f->body->len;
    return f->body->str;
}

void gdb_packet_frame(GString *out, const char *body, size_t len)
{
    uint8_t sum = 0;
    g_string_append_c(out, '$');
    for (size_t i = 0; i < len; i++) {
        sum += (uint8_t)body[i];
    }
    g_string_append_len(out, body, (gssize)len);
    g_string_append_printf(out, "#%02x", sum);
}

void gdb_append_escaped(GString *out, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            g_string_append_c(out, '}');
            c ^= 0x20;
        }
        g_string_append_c(out, (char)c);
    }
}

ssize_t gdb_unescape(uint8_t *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '}') {
            if (++i == len) {
                return -1;
            }
            data[o++] = data[i] ^ 0x20;
        } else {
            data[o++] = data[i];
        }
    }
    return (ssize_t)o;
}

bool gdb_parse_hex(const char *s, const char **end, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    int d;
    while ((d = hex_digit((uint8_t)*p)) >= 0) {
        if (v >> 60) {
            return false;
        }
        v = (v << 4) | (uint64_t)d;
        p++;
    }
    if (p == s) {
        return false;
    }
    *out = v;
    if (end) {
        *end = p;
    }
    return true;
}

bool gdb_hex_to_bytes(const char *hex, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hex_digit((uint8_t)hex[2 * i]);
        int lo = hi < 0 ? -1 : hex_digit((uint8_t)hex[2 * i + 1]);
        if (lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void gdb_append_hex(GString *out, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, digits[data[i] >> 4]);
        g_string_append_c(out, digits[data[i] & 15]);
    }
}
