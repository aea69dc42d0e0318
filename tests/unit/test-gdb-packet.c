/*
 * Unit tests for core/gdbstub's packet framing (gdb-packet.c): what a
 * well-behaved gdb sends, and what a hostile peer may.
 */
#include "gdbstub/gdb-packet.h"

#include <string.h>

/* Feed `text`; return the last non-NONE outcome, the body in *body. */
static GdbInput feed(GdbFramer *f, const char *text, size_t len, char **body)
{
    GdbInput last = GDB_IN_NONE;
    for (size_t i = 0; i < len; i++) {
        GdbInput in = gdb_framer_feed(f, (uint8_t)text[i]);
        if (in != GDB_IN_NONE) {
            last = in;
        }
        if (in == GDB_IN_PACKET && body) {
            size_t n;
            g_free(*body);
            *body = g_strdup(gdb_framer_body(f, &n));
        }
    }
    return last;
}

static void test_good_packets(void)
{
    GdbFramer f;
    g_autofree char *body = NULL;
    gdb_framer_init(&f);
    g_assert_cmpint(feed(&f, "$?#3f", 5, &body), ==, GDB_IN_PACKET);
    g_assert_cmpstr(body, ==, "?");
    /* noise and acks between packets, upper-case checksum digits */
    g_assert_cmpint(feed(&f, "xx+", 3, NULL), ==, GDB_IN_ACK);
    g_assert_cmpint(feed(&f, "$g#67", 5, &body), ==, GDB_IN_PACKET);
    g_assert_cmpstr(body, ==, "g");
    g_assert_cmpint(feed(&f, "$qC#B4", 6, &body), ==, GDB_IN_PACKET);
    g_assert_cmpint(feed(&f, "\x03", 1, NULL), ==, GDB_IN_INTERRUPT);
    gdb_framer_clear(&f);
}

static void test_bad_packets(void)
{
    GdbFramer f;
    gdb_framer_init(&f);
    g_assert_cmpint(feed(&f, "$g#00", 5, NULL), ==, GDB_IN_BAD);
    g_assert_cmpint(feed(&f, "$g#zz", 5, NULL), ==, GDB_IN_BAD);
    g_assert_cmpint(feed(&f, "$g$?#3f", 7, NULL), ==, GDB_IN_PACKET);
    /* too long: dropped whole even with the right checksum */
    GString *big = g_string_new("$");
    uint8_t sum = 0;
    for (int i = 0; i < GDB_MAX_PACKET + 10; i++) {
        g_string_append_c(big, 'a');
        sum += 'a';
    }
    g_string_append_printf(big, "#%02x", sum);
    g_assert_cmpint(feed(&f, big->str, big->len, NULL), ==, GDB_IN_BAD);
    g_assert_cmpuint(f.body->len, <=, GDB_MAX_PACKET);
    g_string_free(big, TRUE);
    gdb_framer_clear(&f);
}

static void test_escapes_and_hex(void)
{
    uint8_t data[] = { '}', 0x5d, 'a', '}', 0x04 };
    g_assert_cmpint(gdb_unescape(data, sizeof(data)), ==, 3);
    g_assert_cmpint(data[0], ==, '}');
    g_assert_cmpint(data[1], ==, 'a');
    g_assert_cmpint(data[2], ==, '$');
    uint8_t tail[] = { 'a', '}' };
    g_assert_cmpint(gdb_unescape(tail, sizeof(tail)), ==, -1);

    GString *s = g_string_new(NULL);
    const uint8_t raw[] = { '#', '$', 'x' };
    gdb_append_escaped(s, raw, sizeof(raw));
    g_assert_cmpstr(s->str, ==, "}\x03}\x04x");
    g_string_truncate(s, 0);
    gdb_packet_frame(s, "OK", 2);
    g_assert_cmpstr(s->str, ==, "$OK#9a");
    g_string_free(s, TRUE);

    uint64_t v;
    const char *end;
    g_assert_true(gdb_parse_hex("80000050,4", &end, &v));
    g_assert_cmphex(v, ==, 0x80000050);
    g_assert_cmpint(*end, ==, ',');
    g_assert_false(gdb_parse_hex("1ffffffffffffffff", NULL, &v));
    g_assert_false(gdb_parse_hex("", NULL, &v));
    uint8_t b[2];
    g_assert_true(gdb_hex_to_bytes("a5F0", 2, b));
    g_assert_cmpint(b[1], ==, 0xf0);
    g_assert_false(gdb_hex_to_bytes("a", 1, b));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gdb-packet/good", test_good_packets);
    g_test_add_func("/gdb-packet/bad", test_bad_packets);
    g_test_add_func("/gdb-packet/escapes-hex", test_escapes_and_hex);
    return g_test_run();
}
