/*
 * gdb-packet.h - the GDB remote protocol's framing: "$data#cs" packets,
 * '+'/'-' acknowledgements and the 0x03 interrupt byte, read one byte at
 * a time from a peer that may send anything.  No state outside the
 * GdbFramer, so the fuzz target and the unit test drive it alone.
 */
#ifndef GDB_PACKET_H
#define GDB_PACKET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The largest packet body we take (announced as PacketSize in qSupported);
 * a longer one is dropped whole and answered with '-'. */
#define GDB_MAX_PACKET 0x4000

typedef enum GdbInput {
    GDB_IN_NONE,        /* byte consumed, nothing complete yet */
    GDB_IN_PACKET,      /* a packet with a good checksum: gdb_framer_body */
    GDB_IN_BAD,         /* a packet with a bad checksum or too long */
    GDB_IN_INTERRUPT,   /* 0x03 outside a packet: Ctrl-C */
    GDB_IN_ACK,         /* '+' */
    GDB_IN_NAK,         /* '-' */
} GdbInput;

typedef struct GdbFramer {
    int state;
    GString *body;
    uint8_t sum;        /* running checksum of the body */
    uint8_t given;      /* checksum the peer sent, as it arrives */
    bool too_long;
} GdbFramer;

void gdb_framer_init(GdbFramer *f);
void gdb_framer_clear(GdbFramer *f);        /* frees the buffer */
void gdb_framer_reset(GdbFramer *f);        /* forget a half packet */
GdbInput gdb_framer_feed(GdbFramer *f, uint8_t byte);
/* The body of the packet last reported as GDB_IN_PACKET (NUL-terminated;
 * binary data may hold NULs: use the length). */
const char *gdb_framer_body(const GdbFramer *f, size_t *len);

/* Frame `body` as "$body#cs" into out (appending). */
void gdb_packet_frame(GString *out, const char *body, size_t len);
/* Append bytes escaped for binary replies (qXfer): '#', '$', '}' and '*'
 * become '}' followed by the byte xor 0x20. */
void gdb_append_escaped(GString *out, const uint8_t *data, size_t len);
/* Undo the escaping of binary data (X packets) in place; returns the new
 * length, or -1 on a '}' with nothing after it. */
ssize_t gdb_unescape(uint8_t *data, size_t len);

/* Hex helpers: parse digits into *out (false on none, a non-hex digit
 * or overflow), and decode/encode hex byte strings. */
bool gdb_parse_hex(const char *s, const char **end, uint64_t *out);
bool gdb_hex_to_bytes(const char *hex, size_t nbytes, uint8_t *out);
void gdb_append_hex(GString *out, const uint8_t *data, size_t len);

#endif
