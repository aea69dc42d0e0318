/*
 * test-chardev.c - character device backends, the mux and flow control,
 * driven through the real main loop with sockets, FIFOs and ptys made by
 * the test (no terminal needed).
 */
#define _GNU_SOURCE
#include "chardev/chardev-internal.h"
#include "loop/loop-internal.h"
#include "loop/main-loop.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* ---- A frontend that records what it gets */

typedef struct TestFe {
    GByteArray *rx;
    size_t limit;       /* can_receive answers limit - rx->len */
    int opened, closed, breaks, mux_in, mux_out;
    /* Like a monitor: take no input while more than `backlog` bytes of
     * output_of's output wait for the peer. */
    TsChardev *output_of;
    size_t backlog;
} TestFe;

static size_t fe_can_receive(void *opaque)
{
    TestFe *fe = opaque;
    if (fe->output_of && chardev_output_pending(fe->output_of) > fe->backlog) {
        return 0;
    }
    return fe->limit > fe->rx->len ? fe->limit - fe->rx->len : 0;
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
    TestFe *fe = opaque;
    g_assert_cmpuint(len, <=, fe_can_receive(fe));
    g_byte_array_append(fe->rx, buf, len);
}

static void fe_event(void *opaque, TsChardevEvent ev)
{
    TestFe *fe = opaque;
    switch (ev) {
    case TS_CHARDEV_EVENT_OPENED: fe->opened++; break;
    case TS_CHARDEV_EVENT_CLOSED: fe->closed++; break;
    case TS_CHARDEV_EVENT_BREAK: fe->breaks++; break;
    case TS_CHARDEV_EVENT_MUX_IN: fe->mux_in++; break;
    case TS_CHARDEV_EVENT_MUX_OUT: fe->mux_out++; break;
    }
}

static const TsChardevHandlers fe_handlers = {
    .can_receive = fe_can_receive,
    .receive = fe_receive,
    .event = fe_event,
};

static TestFe *fe_new(void)
{
    TestFe *fe = g_new0(TestFe, 1);
    fe->rx = g_byte_array_new();
    fe->limit = SIZE_MAX;
    return fe;
}

static void fe_free(TestFe *fe)
{
    g_byte_array_unref(fe->rx);
    g_free(fe);
}

static bool fe_got(TestFe *fe, const char *text)
{
    size_t n = strlen(text);
    return fe->rx->len == n && memcmp(fe->rx->data, text, n) == 0;
}

/* ---- Running the main loop until something happened */

typedef struct Waiter {
    bool (*cond)(void *);
    void *opaque;
    int64_t deadline;
    TsTimer *timer;
    bool met;
} Waiter;

static void waiter_tick(void *opaque)
{
    Waiter *w = opaque;
    int64_t now = ts_clock_get_ns(TS_CLOCK_HOST);
    if ((w->cond && w->cond(w->opaque)) || now >= w->deadline) {
        w->met = w->cond && w->cond(w->opaque);
        ts_loop_quit(0);
        return;
    }
    ts_timer_mod(w->timer, now + 1000000);
}

/* Run the loop until cond holds (true) or timeout_ms passed (false).
 * cond NULL: just run for timeout_ms. */
static bool run_until(bool (*cond)(void *), void *opaque, int timeout_ms)
{
    Waiter w = { .cond = cond, .opaque = opaque };
    w.deadline = ts_clock_get_ns(TS_CLOCK_HOST) + (int64_t)timeout_ms * 1000000;
    w.timer = ts_timer_new(TS_CLOCK_HOST, waiter_tick, &w);
    ts_timer_mod(w.timer, ts_clock_get_ns(TS_CLOCK_HOST));
    ts_loop_run();
    loop_quit_reset();
    ts_timer_del(w.timer);
    ts_timer_free(w.timer);
    return w.met;
}

typedef struct Expect {
    TestFe *fe;
    const char *text;
} Expect;

static bool expect_text(void *opaque)
{
    Expect *e = opaque;
    return fe_got(e->fe, e->text);
}

static bool wait_rx(TestFe *fe, const char *text)
{
    Expect e = { fe, text };
    return run_until(expect_text, &e, 5000);
}

/* Run the loop until an event counter reaches at_least (5 s at most). */
static bool wait_count(int *counter, int at_least)
{
    for (int i = 0; i < 5000 && *counter < at_least; i++) {
        run_until(NULL, NULL, 1);
    }
    return *counter >= at_least;
}

static TsChardev *must_create(const char *text)
{
    g_autoptr(GError) err = NULL;
    TsChardev *chr = chardev_new_from_opts(text, &err);
    if (!chr) {
        g_test_message("creating '%s': %s", text, err->message);
    }
    g_assert_no_error(err);
    g_assert_nonnull(chr);
    return chr;
}

static char *create_error(const char *text)
{
    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts(text, &err);
    g_assert_null(chr);
    g_assert_nonnull(err);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

/* Read from a blocking-safe fd everything that arrives within ms. */
static GByteArray *read_for(int fd, size_t want, int ms)
{
    GByteArray *out = g_byte_array_new();
    int64_t end = g_get_monotonic_time() + ms * 1000;
    while (out->len < want && g_get_monotonic_time() < end) {
        run_until(NULL, NULL, 1);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
            uint8_t buf[65536];
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0) {
                return out;
            }
            g_byte_array_append(out, buf, n);
        }
    }
    return out;
}

static void write_all_fd(int fd, const void *buf, size_t len)
{
    g_assert_cmpint(write(fd, buf, len), ==, (ssize_t)len);
}

/* ---- Tests */

static void test_backend_names(void)
{
    const char *const *names = chardev_backend_names();
    bool saw_socket = false;
    for (int i = 0; names[i]; i++) {
        if (names[i + 1]) {
            g_assert_cmpstr(names[i], <, names[i + 1]);
        }
        saw_socket |= g_str_equal(names[i], "socket");
        g_assert_nonnull(chardev_backend_description(names[i]));
    }
    g_assert_true(saw_socket);
    g_assert_null(chardev_backend_description("nosuch"));
}

static void test_bad_options(void)
{
    struct { const char *text, *needle; } cases[] = {
        { "foo,id=x", "'foo' is not a valid char driver name" },
        { "null", "'id'" },
        { "", "backend" },
        { "file,id=f", "'path'" },
        { "pipe,id=p", "'path'" },
        { "serial,id=s", "'path'" },
        { "udp,id=u", "'port'" },
        { "socket,id=s", "'path'" },
        { "mux,id=m", "'chardev'" },
        { "mux,id=m,chardev=nosuch", "'nosuch' not found" },
        { "null,id=a,bogus=1", "Invalid parameter 'bogus'" },
        { "null,id=9bad", "identifier" },
        { "null,id=a,mux=maybe", "'on' or 'off'" },
        { "ringbuf,id=r,size=3", "power of two" },
        { "ringbuf,id=r,size=12Q", "size" },
        { "file,id=f,path=/nonexistent-dir/x", "No such file or directory" },
        { "serial,id=s,path=/dev/null", "not a terminal" },
        { "socket,id=s,port=1,path=/tmp/x", "not both" },
        { "socket,id=s,path=/tmp/x,server=on,reconnect=1", "reconnect" },
        { "socket,id=s,host=127.0.0.1,port=1,websocket=on",
          "not supported yet" },
        { "null,id=l,logfile=/tmp/x", "not supported yet" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = create_error(cases[i].text);
        g_test_message("%s -> %s", cases[i].text, msg);
        g_assert_nonnull(strstr(msg, cases[i].needle));
    }
    /* A failed create leaves nothing behind. */
    g_assert_null(ts_chardev_find("x"));
    g_assert_null(ts_chardev_find("a"));

    TsChardev *chr = must_create("null,id=dup");
    g_autofree char *msg = create_error("null,id=dup");
    g_assert_nonnull(strstr(msg, "already exists"));
    g_autofree char *msg2 = create_error("null,id=dup,mux=on");
    g_assert_nonnull(strstr(msg2, "already exists"));
    chardev_free(chr);
}

static void test_null(void)
{
    TsChardev *chr = must_create("null,id=n0");
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_find("n0") == chr);
    g_assert_cmpstr(ts_chardev_id(chr), ==, "n0");
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_cmpint(fe->opened, ==, 1);
    g_assert_cmpuint(ts_chardev_write(chr, "hello", 5), ==, 5);
    run_until(NULL, NULL, 10);
    g_assert_cmpuint(fe->rx->len, ==, 0);
    g_assert_cmpuint(ts_chardev_dropped_bytes(chr), ==, 0);

    /* Not a mux: a second frontend is refused with a reason. */
    g_autoptr(GError) err = NULL;
    TestFe *fe2 = fe_new();
    g_assert_false(ts_chardev_attach(chr, &fe_handlers, fe2, &err));
    g_assert_nonnull(strstr(err->message, "mux=on"));
    ts_chardev_detach(chr, fe);
    g_assert_false(chardev_has_frontend(chr));
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe2, NULL));
    ts_chardev_detach(chr, fe2);
    chardev_free(chr);
    g_assert_null(ts_chardev_find("n0"));
    fe_free(fe);
    fe_free(fe2);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void test_file(void)
{
    g_autofree char *path = tmp_path("out.txt");
    g_autofree char *opts = g_strdup_printf("file,id=f0,path=%s", path);
    g_autofree char *opts_append = g_strdup_printf("%s,append=on", opts);

    TsChardev *chr = must_create(opts);
    g_assert_cmpuint(ts_chardev_write(chr, "first\n", 6), ==, 6);
    run_until(NULL, NULL, 10);
    chardev_free(chr);
    g_autofree char *t1 = slurp(path);
    g_assert_cmpstr(t1, ==, "first\n");

    chr = must_create(opts_append);
    ts_chardev_write(chr, "second\n", 7);
    chardev_free(chr);
    g_autofree char *t2 = slurp(path);
    g_assert_cmpstr(t2, ==, "first\nsecond\n");

    /* Without append the file starts over. */
    chr = must_create(opts);
    ts_chardev_write(chr, "third\n", 6);
    chardev_free(chr);
    g_autofree char *t3 = slurp(path);
    g_assert_cmpstr(t3, ==, "third\n");

    /* in= feeds the frontend; the end of the file is not an error. */
    g_autofree char *in = tmp_path("in.txt");
    g_assert_true(g_file_set_contents(in, "typed", -1, NULL));
    g_autofree char *opts_in = g_strdup_printf("%s,in=%s", opts, in);
    chr = must_create(opts_in);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_true(wait_rx(fe, "typed"));
    g_assert_cmpint(fe->closed, ==, 0);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_pipe(void)
{
    g_autofree char *base = tmp_path("fifo");
    g_autofree char *in = g_strdup_printf("%s.in", base);
    g_autofree char *out = g_strdup_printf("%s.out", base);
    g_assert_cmpint(mkfifo(in, 0600), ==, 0);
    g_assert_cmpint(mkfifo(out, 0600), ==, 0);
    g_autofree char *opts = g_strdup_printf("pipe,id=p0,path=%s", base);

    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int reader = open(out, O_RDONLY | O_NONBLOCK);
    int writer = open(in, O_WRONLY | O_NONBLOCK);
    g_assert_cmpint(reader, >=, 0);
    g_assert_cmpint(writer, >=, 0);

    ts_chardev_write(chr, "to-host", 7);
    g_autoptr(GByteArray) got = read_for(reader, 7, 5000);
    g_assert_cmpmem(got->data, got->len, "to-host", 7);

    write_all_fd(writer, "to-guest", 8);
    g_assert_true(wait_rx(fe, "to-guest"));

    close(reader);
    close(writer);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_ringbuf(void)
{
    TsChardev *chr = must_create("ringbuf,id=rb,size=8");
    g_autoptr(GError) err = NULL;

    ts_chardev_write(chr, "0123456789AB", 12);
    g_autoptr(GBytes) all = chardev_ringbuf_read(chr, 100, &err);
    g_assert_no_error(err);
    g_assert_cmpmem(g_bytes_get_data(all, NULL), g_bytes_get_size(all),
                    "456789AB", 8);

    /* Partial reads, then writes that wrap around the end of the ring. */
    ts_chardev_write(chr, "abcde", 5);
    g_autoptr(GBytes) two = chardev_ringbuf_read(chr, 2, NULL);
    g_assert_cmpmem(g_bytes_get_data(two, NULL), 2, "ab", 2);
    ts_chardev_write(chr, "fghijk", 6);  /* 9 bytes held: 'c' is lost */
    g_autoptr(GBytes) rest = chardev_ringbuf_read(chr, 100, NULL);
    g_assert_cmpmem(g_bytes_get_data(rest, NULL), g_bytes_get_size(rest),
                    "defghijk", 8);
    g_autoptr(GBytes) none = chardev_ringbuf_read(chr, 100, NULL);
    g_assert_cmpuint(g_bytes_get_size(none), ==, 0);

    /* ringbuf-write feeds the frontend, respecting its space. */
    TestFe *fe = fe_new();
    fe->limit = 3;
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_true(chardev_ringbuf_write(chr, "input", 5, NULL));
    g_assert_true(fe_got(fe, "inp"));
    fe->limit = 100;
    ts_chardev_accept_input(chr);
    g_assert_true(fe_got(fe, "input"));
    ts_chardev_detach(chr, fe);

    TsChardev *n = must_create("null,id=notring");
    g_autoptr(GError) err2 = NULL;
    g_assert_null(chardev_ringbuf_read(n, 1, &err2));
    g_assert_nonnull(strstr(err2->message, "not a ringbuf"));
    chardev_free(n);

    /* "memory" is the old name. */
    TsChardev *mem = must_create("memory,id=mem,size=1K");
    chardev_free(mem);
    chardev_free(chr);
    fe_free(fe);
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    return fd;
}

/* Both directions over an accepted connection. */
static void check_exchange(TsChardev *chr, TestFe *fe, int peer)
{
    g_byte_array_set_size(fe->rx, 0);
    write_all_fd(peer, "hello", 5);
    g_assert_true(wait_rx(fe, "hello"));
    g_assert_cmpuint(ts_chardev_write(chr, "world", 5), ==, 5);
    g_autoptr(GByteArray) got = read_for(peer, 5, 5000);
    g_assert_cmpmem(got->data, got->len, "world", 5);
}

static void test_socket_unix_server(void)
{
    g_autofree char *path = tmp_path("sock");
    g_autofree char *opts =
        g_strdup_printf("socket,id=us,path=%s,server=on,wait=off", path);
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_false(ts_chardev_is_open(chr));
    g_assert_cmpint(fe->opened, ==, 0);
    g_assert_nonnull(strstr(chardev_filename(chr), "disconnected:unix:"));

    /* Output with nobody connected is discarded, not queued. */
    g_assert_cmpuint(ts_chardev_write(chr, "lost", 4), ==, 4);

    int c = unix_connect(path);
    g_assert_true(wait_count(&fe->opened, 1));
    g_assert_true(ts_chardev_is_open(chr));
    check_exchange(chr, fe, c);

    close(c);
    g_assert_true(wait_count(&fe->closed, 1));
    g_assert_false(ts_chardev_is_open(chr));

    /* The server takes the next client. */
    c = unix_connect(path);
    g_assert_true(wait_count(&fe->opened, 2));
    check_exchange(chr, fe, c);
    close(c);
    g_assert_true(wait_count(&fe->closed, 2));

    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    /* The socket file we made is gone with the chardev. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    fe_free(fe);
}

static void test_socket_tcp(void)
{
    TsChardev *chr =
        must_create("socket,id=ts,host=127.0.0.1,port=0,server=on,wait=off,"
                    "nodelay=on");
    int port = chardev_socket_local_port(chr);
    g_assert_cmpint(port, >, 0);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int c = tcp_connect(port);
    g_assert_true(wait_count(&fe->opened, 1));
    g_assert_nonnull(strstr(chardev_filename(chr), "<-> 127.0.0.1:"));
    check_exchange(chr, fe, c);

    /* A second server on the same port fails with the errno text. */
    g_autofree char *opts = g_strdup_printf(
        "socket,id=ts2,host=127.0.0.1,port=%d,server=on,wait=off", port);
    g_autofree char *msg = create_error(opts);
    g_assert_nonnull(strstr(msg, "Address already in use"));

    close(c);
    g_assert_true(wait_count(&fe->closed, 1));
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static int tcp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    *port = ntohs(sin.sin_port);
    return fd;
}

static int accept_within(int lfd, int ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        run_until(NULL, NULL, 5);
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 0) == 1) {
            return accept(lfd, NULL, NULL);
        }
    }
    return -1;
}

static void test_socket_client_reconnect(void)
{
    int port;
    int lfd = tcp_listener(&port);
    g_autofree char *opts = g_strdup_printf(
        "socket,id=tc,host=127.0.0.1,port=%d,reconnect=1", port);
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_cmpint(fe->opened, ==, 1);
    int c = accept_within(lfd, 2000);
    g_assert_cmpint(c, >=, 0);
    check_exchange(chr, fe, c);

    close(c);
    g_assert_true(wait_count(&fe->closed, 1));
    c = accept_within(lfd, 3000);
    g_assert_cmpint(c, >=, 0);
    g_assert_true(wait_count(&fe->opened, 2));
    check_exchange(chr, fe, c);
    close(c);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    close(lfd);

    /* Without reconnect, nobody listening is an error that says so. */
    g_autofree char *opts2 = g_strdup_printf(
        "socket,id=tc2,host=127.0.0.1,port=%d", port);
    g_autofree char *msg = create_error(opts2);
    g_assert_nonnull(strstr(msg, "Connection refused"));
    fe_free(fe);
}

static void test_socket_telnet(void)
{
    TsChardev *chr = must_create(
        "socket,id=tn,host=127.0.0.1,port=0,server=on,wait=off,telnet=on");
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int c = tcp_connect(chardev_socket_local_port(chr));
    g_assert_true(wait_count(&fe->opened, 1));

    static const uint8_t hello[] = { 255, 251, 1, 255, 251, 3 };
    g_autoptr(GByteArray) nego = read_for(c, sizeof(hello), 5000);
    g_assert_cmpmem(nego->data, nego->len, hello, sizeof(hello));

    static const uint8_t in[] = {
        'a', 255, 253, 1, 'b', 255, 255, 'c',
        255, 250, 24, 1, 'x', 255, 240,     /* subnegotiation */
        'd', '\r', 0, 'e', 255, 241,         /* CR NUL, NOP */
        255, 243,                            /* BREAK */
    };
    write_all_fd(c, in, sizeof(in));
    g_assert_true(wait_rx(fe, "ab\xff" "cd\re"));
    g_assert_true(wait_count(&fe->breaks, 1));

    /* Output: a data byte 255 is doubled. */
    ts_chardev_write(chr, "\xffz", 2);
    g_autoptr(GByteArray) out = read_for(c, 3, 5000);
    g_assert_cmpmem(out->data, out->len, "\xff\xffz", 3);

    /* A command split across reads is still stripped. */
    g_byte_array_set_size(fe->rx, 0);
    write_all_fd(c, "f\xff", 2);
    run_until(NULL, NULL, 20);
    write_all_fd(c, "\xfb\x01g", 3);
    g_assert_true(wait_rx(fe, "fg"));

    close(c);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_udp(void)
{
    int port_remote;
    int rfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(rfd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    getsockname(rfd, (struct sockaddr *)&sin, &len);
    port_remote = ntohs(sin.sin_port);

    g_autofree char *opts = g_strdup_printf(
        "udp,id=ud,host=127.0.0.1,port=%d,localaddr=127.0.0.1", port_remote);
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    ts_chardev_write(chr, "ping", 4);
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    char buf[16];
    struct pollfd p = { .fd = rfd, .events = POLLIN };
    g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
    g_assert_cmpint(recvfrom(rfd, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &flen), ==, 4);
    g_assert_cmpmem(buf, 4, "ping", 4);
    g_assert_cmpint(sendto(rfd, "pong", 4, 0, (struct sockaddr *)&from,
                           flen), ==, 4);
    g_assert_true(wait_rx(fe, "pong"));
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    close(rfd);
    fe_free(fe);
}

static void test_pty(void)
{
    TsChardev *chr = must_create("pty,id=pt");
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    g_assert_true(g_str_has_prefix(chardev_filename(chr), "pty:/dev/pts/"));
    const char *slave_path = chardev_filename(chr) + 4;
    int slave = open(slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    g_assert_cmpint(slave, >=, 0);

    /* The line is raw: no echo, no CR/LF translation. */
    struct termios t;
    g_assert_cmpint(tcgetattr(slave, &t), ==, 0);
    g_assert_false(t.c_lflag & (ECHO | ICANON));

    ts_chardev_write(chr, "out\n", 4);
    g_autoptr(GByteArray) got = read_for(slave, 4, 5000);
    g_assert_cmpmem(got->data, got->len, "out\n", 4);
    write_all_fd(slave, "in\r", 3);
    g_assert_true(wait_rx(fe, "in\r"));

    /* Closing the slave is a hangup; reopening it opens the line again. */
    close(slave);
    g_assert_true(wait_count(&fe->closed, 1));
    slave = open(slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    g_assert_true(wait_count(&fe->opened, 2));
    g_byte_array_set_size(fe->rx, 0);
    write_all_fd(slave, "again", 5);
    g_assert_true(wait_rx(fe, "again"));
    close(slave);

    /* The serial backend takes any terminal; a pty slave is one. */
    slave = open(slave_path, O_RDWR | O_NOCTTY);
    g_autofree char *opts = g_strdup_printf("tty,id=sr,path=%s", slave_path);
    TsChardev *ser = must_create(opts);
    ts_chardev_write(ser, "via-serial", 10);
    run_until(NULL, NULL, 20);
    chardev_free(ser);
    close(slave);

    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_flow_control(void)
{
    g_autofree char *path = tmp_path("flow");
    g_autofree char *opts =
        g_strdup_printf("socket,id=fl,path=%s,server=on,wait=off", path);
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    fe->limit = 0;
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int c = unix_connect(path);
    g_assert_true(wait_count(&fe->opened, 1));

    write_all_fd(c, "abcdef", 6);
    run_until(NULL, NULL, 50);
    g_assert_cmpuint(fe->rx->len, ==, 0);

    /* Room for two: exactly two arrive, then delivery stops again. */
    fe->limit = 2;
    ts_chardev_accept_input(chr);
    g_assert_true(wait_rx(fe, "ab"));
    run_until(NULL, NULL, 50);
    g_assert_true(fe_got(fe, "ab"));

    fe->limit = 100;
    ts_chardev_accept_input(chr);
    g_assert_true(wait_rx(fe, "abcdef"));

    close(c);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_write_buffering(void)
{
    g_autofree char *path = tmp_path("slow");
    g_autofree char *opts =
        g_strdup_printf("socket,id=sl,path=%s,server=on,wait=off", path);
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int c = unix_connect(path);
    g_assert_true(wait_count(&fe->opened, 1));

    /* 512 KiB to a peer that does not read yet: nothing blocks, nothing
     * is lost, and it all arrives in order once the peer reads. */
    const size_t total = 512 * 1024;
    g_autofree uint8_t *data = g_malloc(total);
    for (size_t i = 0; i < total; i++) {
        data[i] = (uint8_t)(i * 7 + i / 251);
    }
    int64_t t0 = g_get_monotonic_time();
    for (size_t off = 0; off < total; off += 4096) {
        g_assert_cmpuint(ts_chardev_write(chr, data + off, 4096), ==, 4096);
    }
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 1000000);
    g_assert_cmpuint(ts_chardev_dropped_bytes(chr), ==, 0);
    g_autoptr(GByteArray) got = read_for(c, total, 10000);
    g_assert_cmpuint(got->len, ==, total);
    g_assert_cmpmem(got->data, got->len, data, total);

    /* 4 MiB without a reader overflows the 1 MiB buffer: the excess is
     * dropped and counted, and what was accepted arrives intact. */
    size_t accepted = 0;
    for (int i = 0; i < 8; i++) {
        accepted += ts_chardev_write(chr, data, total);
    }
    g_assert_cmpuint(accepted, <, 8 * total);
    g_assert_cmpuint(accepted, >=, CHARDEV_OUTBUF_LIMIT);
    g_assert_cmpuint(ts_chardev_dropped_bytes(chr), ==, 8 * total - accepted);
    g_autoptr(GByteArray) got2 = read_for(c, accepted, 10000);
    g_assert_cmpuint(got2->len, ==, accepted);
    g_assert_cmpmem(got2->data, MIN(total, got2->len), data,
                    MIN(total, got2->len));

    close(c);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static uint8_t *pattern(size_t len)
{
    uint8_t *data = g_malloc(len);
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 13 + i / 509);
    }
    return data;
}

/*
 * A monitor's path: output written with chardev_write_all() is never
 * dropped, however much the peer leaves unread; a frontend that takes no
 * input while that output backs up gets the input once the peer has read
 * it all (the drained bottom half), also through a mux, which holds the
 * input for its frontend.
 */
static void check_write_all_backpressure(bool mux)
{
    g_autofree char *path = tmp_path(mux ? "kept-mux" : "kept");
    g_autofree char *opts =
        g_strdup_printf("socket,id=kp,path=%s,server=on,wait=off%s", path,
                        mux ? ",mux=on" : "");
    TsChardev *chr = must_create(opts);
    TestFe *fe = fe_new();
    fe->output_of = chr;
    fe->backlog = 64 * 1024;
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    int c = unix_connect(path);
    g_assert_true(wait_count(&fe->opened, 1));

    const size_t total = 4 * CHARDEV_OUTBUF_LIMIT;
    g_autofree uint8_t *data = pattern(total);
    for (size_t off = 0; off < total; off += 65536) {
        g_assert_cmpuint(chardev_write_all(chr, data + off, 65536), ==,
                         65536);
    }
    g_assert_cmpuint(ts_chardev_dropped_bytes(mux ? ts_chardev_find("kp-base")
                                                  : chr), ==, 0);
    g_assert_cmpuint(chardev_output_pending(chr), >, fe->backlog);

    /* Input while the output backs up waits in the host's buffers. */
    write_all_fd(c, "ping", 4);
    run_until(NULL, NULL, 100);
    g_assert_cmpuint(fe->rx->len, ==, 0);

    /* The peer reads: all of it, in order; then the input comes. */
    g_autoptr(GByteArray) got = read_for(c, total, 20000);
    g_assert_cmpuint(got->len, ==, total);
    g_assert_cmpmem(got->data, got->len, data, total);
    g_assert_true(wait_rx(fe, "ping"));
    g_assert_cmpuint(chardev_output_pending(chr), ==, 0);

    close(c);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);
    fe_free(fe);
}

static void test_write_all_backpressure(void)
{
    check_write_all_backpressure(false);
}

static void test_write_all_backpressure_mux(void)
{
    check_write_all_backpressure(true);
}

typedef struct SlowReader {
    int fd;
    GByteArray *got;
} SlowReader;

/* A peer that starts reading a moment late and reads to the end. */
static void *slow_reader(void *opaque)
{
    SlowReader *r = opaque;
    g_usleep(200 * 1000);
    uint8_t buf[65536];
    ssize_t n;
    while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
        g_byte_array_append(r->got, buf, n);
    }
    return NULL;
}

/* Closing a chardev delivers output that must not be lost (a monitor's
 * reply to "quit") to a peer that reads it, and waits a bounded time for
 * one that does not; ordinary output is not waited for. */
static void test_close_flushes_kept_output(void)
{
    g_autofree char *path = tmp_path("flush");
    g_autofree char *opts =
        g_strdup_printf("socket,id=fl2,path=%s,server=on,wait=off", path);
    const size_t total = 2 * CHARDEV_OUTBUF_LIMIT;
    g_autofree uint8_t *data = pattern(total);

    TsChardev *chr = must_create(opts);
    int c = unix_connect(path);
    g_assert_true(run_until((bool (*)(void *))ts_chardev_is_open, chr, 5000));
    chardev_write_all(chr, data, total);
    g_assert_cmpuint(chardev_output_pending(chr), >, 0);
    SlowReader r = { .fd = c, .got = g_byte_array_new() };
    GThread *th = g_thread_new("slow-reader", slow_reader, &r);
    chardev_free(chr);
    g_thread_join(th);
    g_assert_cmpuint(r.got->len, ==, total);
    g_assert_cmpmem(r.got->data, r.got->len, data, total);
    g_byte_array_unref(r.got);
    close(c);

    /* A peer that never reads: closing gives up after the bound. */
    chr = must_create(opts);
    c = unix_connect(path);
    g_assert_true(run_until((bool (*)(void *))ts_chardev_is_open, chr, 5000));
    chardev_write_all(chr, data, total);
    int64_t t0 = g_get_monotonic_time();
    chardev_free(chr);
    int64_t took_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_cmpint(took_ms, >=, CHARDEV_CLOSE_FLUSH_MS - 10);
    g_assert_cmpint(took_ms, <, 10 * CHARDEV_CLOSE_FLUSH_MS);
    close(c);

    /* Ordinary output (a guest's serial port) is not waited for. */
    chr = must_create(opts);
    c = unix_connect(path);
    g_assert_true(run_until((bool (*)(void *))ts_chardev_is_open, chr, 5000));
    ts_chardev_write(chr, data, total);
    g_assert_cmpuint(chardev_output_pending(chr), >, 0);
    t0 = g_get_monotonic_time();
    chardev_free(chr);
    took_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_cmpint(took_ms, <, CHARDEV_CLOSE_FLUSH_MS / 2);
    close(c);
}

static int quit_requests;

static void count_quit(void *opaque)
{
    quit_requests++;
}

static void feed(TsChardev *base, const char *bytes)
{
    g_assert_true(chardev_ringbuf_write(base, bytes, strlen(bytes), NULL));
}

static char *ring_text(TsChardev *base)
{
    g_autoptr(GBytes) b = chardev_ringbuf_read(base, 1 << 20, NULL);
    return g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
}

static void test_mux(void)
{
    TsChardev *mux = must_create("ringbuf,id=mx,mux=on,size=64K");
    TsChardev *base = ts_chardev_find("mx-base");
    g_assert_nonnull(base);
    g_assert_cmpint(chardev_mux_focus(mux), ==, 0);
    g_assert_cmpint(chardev_mux_focus(base), ==, -1);
    chardev_set_quit_handler(count_quit, NULL);

    TestFe *serial = fe_new(), *monitor = fe_new();
    g_assert_true(ts_chardev_attach(mux, &fe_handlers, monitor, NULL));
    g_assert_true(ts_chardev_attach(mux, &fe_handlers, serial, NULL));
    /* The last attached gets the input. */
    g_assert_cmpint(chardev_mux_focus(mux), ==, 1);
    g_assert_cmpint(monitor->mux_in, ==, 1);
    g_assert_cmpint(monitor->mux_out, ==, 1);
    g_assert_cmpint(serial->mux_in, ==, 1);
    g_assert_cmpint(serial->opened, ==, 1);

    feed(base, "ls\r");
    g_assert_true(fe_got(serial, "ls\r"));
    g_assert_cmpuint(monitor->rx->len, ==, 0);

    /* Ctrl-a Ctrl-a is one literal Ctrl-a. */
    feed(base, "\x01\x01" "a");
    g_assert_true(fe_got(serial, "ls\r\x01" "a"));

    /* Ctrl-a c rotates: bytes before it go to the old frontend. */
    feed(base, "1\x01" "c2");
    g_assert_true(fe_got(serial, "ls\r\x01" "a1"));
    g_assert_true(fe_got(monitor, "2"));
    g_assert_cmpint(serial->mux_out, ==, 1);
    g_assert_cmpint(monitor->mux_in, ==, 2);
    feed(base, "\x01" "c3");
    g_assert_true(fe_got(serial, "ls\r\x01" "a13"));

    /* Escape split across two reads. */
    feed(base, "\x01");
    feed(base, "c4");
    g_assert_true(fe_got(monitor, "24"));

    /* Ctrl-a h prints the help on the backend, not to a frontend. */
    g_free(ring_text(base));
    feed(base, "\x01h");
    g_autofree char *help = ring_text(base);
    g_assert_nonnull(strstr(help, "Ctrl-a x"));
    g_assert_nonnull(strstr(help, "Ctrl-a c"));
    g_assert_true(fe_got(monitor, "24"));

    feed(base, "\x01s");
    g_autofree char *commit = ring_text(base);
    g_assert_nonnull(strstr(commit, "not supported yet"));

    /* Ctrl-a b: break to the focused frontend only. */
    feed(base, "\x01" "b");
    g_assert_cmpint(monitor->breaks, ==, 1);
    g_assert_cmpint(serial->breaks, ==, 0);

    /* Unknown keys after Ctrl-a are swallowed. */
    feed(base, "\x01q5");
    g_assert_true(fe_got(monitor, "245"));

    /* Output of both frontends is merged; Ctrl-a t stamps lines. */
    ts_chardev_write(mux, "from-serial\n", 12);
    g_autofree char *plain = ring_text(base);
    g_assert_cmpstr(plain, ==, "from-serial\n");
    feed(base, "\x01t");
    ts_chardev_write(mux, "one\ntwo\n", 8);
    g_autofree char *stamped = ring_text(base);
    g_assert_true(g_regex_match_simple(
        "^\\[00:00:\\d\\d\\.\\d{3}\\] one\n\\[00:00:\\d\\d\\.\\d{3}\\] two\n$",
        stamped, 0, 0));
    feed(base, "\x01t");
    ts_chardev_write(mux, "x\n", 2);
    g_autofree char *unstamped = ring_text(base);
    g_assert_cmpstr(unstamped, ==, "x\n");

    /* Flow control through the mux. */
    monitor->limit = monitor->rx->len;
    feed(base, "67");
    g_assert_true(fe_got(monitor, "245"));
    monitor->limit = 100;
    ts_chardev_accept_input(mux);
    g_assert_true(fe_got(monitor, "24567"));

    /* Ctrl-a x asks to quit. */
    feed(base, "\x01x");
    g_assert_cmpint(quit_requests, ==, 1);
    chardev_set_quit_handler(NULL, NULL);

    g_assert_true(chardev_mux_set_focus(mux, 1, NULL));
    g_assert_false(chardev_mux_set_focus(mux, 5, NULL));

    ts_chardev_detach(mux, serial);
    ts_chardev_detach(mux, monitor);
    chardev_free(mux);
    /* The base made by mux=on goes with the mux. */
    g_assert_null(ts_chardev_find("mx-base"));
    fe_free(serial);
    fe_free(monitor);
}

/* Input that arrives before any frontend attached waits for one. */
static void test_mux_early_input(void)
{
    TsChardev *mux = must_create("ringbuf,id=early,mux=on");
    TsChardev *base = ts_chardev_find("early-base");
    feed(base, "typed-ahead");
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(mux, &fe_handlers, fe, NULL));
    g_assert_true(fe_got(fe, "typed-ahead"));
    ts_chardev_detach(mux, fe);
    chardev_free(mux);
    fe_free(fe);
}

static void test_legacy(void)
{
    struct { const char *spec, *opts; bool mux; } ok[] = {
        { "stdio", "stdio,id=s0", false },
        { "mon:stdio", "stdio,id=s0,signal=off,mux=on", true },
        { "null", "null,id=s0", false },
        { "pty", "pty,id=s0", false },
        { "file:/tmp/a,b", "file,path=/tmp/a,,b,id=s0", false },
        { "pipe:/tmp/p", "pipe,path=/tmp/p,id=s0", false },
        { "/dev/ttyS0", "serial,path=/dev/ttyS0,id=s0", false },
        { "tcp::4444,server=on,wait=off",
          "socket,host=,port=4444,server=on,wait=off,id=s0", false },
        { "telnet:localhost:4445,server,nowait",
          "socket,host=localhost,port=4445,server,nowait,telnet=on,id=s0",
          false },
        { "tcp:[::1]:5,server", "socket,host=::1,port=5,server,id=s0", false },
        { "unix:/tmp/s,server=on", "socket,path=/tmp/s,server=on,id=s0",
          false },
        { "udp:1.2.3.4:5@:6", "udp,host=1.2.3.4,port=5,localport=6,id=s0",
          false },
        { "udp::5", "udp,port=5,id=s0", false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        bool mux = !ok[i].mux;
        g_autoptr(GError) err = NULL;
        g_autofree char *o = chardev_legacy_to_opts("s0", ok[i].spec, &mux,
                                                    &err);
        g_assert_no_error(err);
        g_assert_cmpstr(o, ==, ok[i].opts);
        g_assert_cmpint(mux, ==, ok[i].mux);
    }
    const char *bad[] = { "foo", "tcp:nohostport", "udp:1.2.3.4:5@x", "vc",
                          "none", "chardev:x" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_assert_null(chardev_legacy_to_opts("s0", bad[i], NULL, &err));
        g_assert_nonnull(err);
    }
    /* What it produces is accepted by the option parser. */
    g_autofree char *o = chardev_legacy_to_opts("lg", "mon:null", NULL, NULL);
    TsChardev *chr = must_create(o);
    g_assert_true(chr->is_mux);
    chardev_free(chr);
}

/* stdio on socketpairs standing in for fds 0 and 1 (no terminal, so no
 * raw mode): data both ways, EOF on stdin is CLOSED, only one stdio. */
static void test_stdio(void)
{
    int in_pair[2], out_pair[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, in_pair), ==, 0);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, out_pair), ==, 0);
    fflush(stdout);
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    dup2(in_pair[0], STDIN_FILENO);
    dup2(out_pair[0], STDOUT_FILENO);

    TsChardev *chr = must_create("stdio,id=so,signal=off");
    g_autofree char *again = create_error("stdio,id=so2");
    TestFe *fe = fe_new();
    g_assert_true(ts_chardev_attach(chr, &fe_handlers, fe, NULL));
    write_all_fd(in_pair[1], "key", 3);
    bool got_input = wait_rx(fe, "key");
    ts_chardev_write(chr, "screen", 6);
    g_autoptr(GByteArray) out = read_for(out_pair[1], 6, 5000);
    close(in_pair[1]);
    bool got_eof = wait_count(&fe->closed, 1);
    ts_chardev_detach(chr, fe);
    chardev_free(chr);

    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    close(in_pair[0]);
    close(out_pair[0]);
    close(out_pair[1]);

    g_assert_nonnull(strstr(again, "more than one"));
    g_assert_true(got_input);
    g_assert_cmpmem(out->data, out->len, "screen", 6);
    g_assert_true(got_eof);
    fe_free(fe);
}

static void test_term_raw(void)
{
    /* The raw mode helper on a pty slave, standing in for a terminal. */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    g_assert_cmpint(master, >=, 0);
    g_assert_cmpint(grantpt(master), ==, 0);
    g_assert_cmpint(unlockpt(master), ==, 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    struct termios before, raw, after;
    tcgetattr(slave, &before);
    g_assert_true(before.c_lflag & ICANON);

    chardev_term_make_raw(slave, false);
    tcgetattr(slave, &raw);
    g_assert_false(raw.c_lflag & (ICANON | ECHO | ISIG));
    g_assert_false(raw.c_iflag & ICRNL);
    g_assert_true(raw.c_oflag & OPOST);

    chardev_term_restore();
    tcgetattr(slave, &after);
    g_assert_cmpuint(after.c_lflag, ==, before.c_lflag);
    g_assert_cmpuint(after.c_iflag, ==, before.c_iflag);

    /* signal=on keeps Ctrl-c working. */
    chardev_term_make_raw(slave, true);
    tcgetattr(slave, &raw);
    g_assert_true(raw.c_lflag & ISIG);
    chardev_term_restore();
    close(slave);
    close(master);
}

static void test_free_all(void)
{
    must_create("null,id=fa1");
    must_create("ringbuf,id=fa2,mux=on");
    chardev_free_all();
    g_assert_null(ts_chardev_find("fa1"));
    g_assert_null(ts_chardev_find("fa2"));
    g_assert_null(ts_chardev_find("fa2-base"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ts_loop_init();
    tmp_dir = g_dir_make_tmp("test-chardev-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/chardev/backend-names", test_backend_names);
    g_test_add_func("/chardev/bad-options", test_bad_options);
    g_test_add_func("/chardev/null", test_null);
    g_test_add_func("/chardev/file", test_file);
    g_test_add_func("/chardev/pipe", test_pipe);
    g_test_add_func("/chardev/ringbuf", test_ringbuf);
    g_test_add_func("/chardev/socket-unix-server", test_socket_unix_server);
    g_test_add_func("/chardev/socket-tcp", test_socket_tcp);
    g_test_add_func("/chardev/socket-client-reconnect",
                    test_socket_client_reconnect);
    g_test_add_func("/chardev/socket-telnet", test_socket_telnet);
    g_test_add_func("/chardev/udp", test_udp);
    g_test_add_func("/chardev/pty", test_pty);
    g_test_add_func("/chardev/flow-control", test_flow_control);
    g_test_add_func("/chardev/write-buffering", test_write_buffering);
    g_test_add_func("/chardev/write-all-backpressure",
                    test_write_all_backpressure);
    g_test_add_func("/chardev/write-all-backpressure-mux",
                    test_write_all_backpressure_mux);
    g_test_add_func("/chardev/close-flushes-kept-output",
                    test_close_flushes_kept_output);
    g_test_add_func("/chardev/mux", test_mux);
    g_test_add_func("/chardev/mux-early-input", test_mux_early_input);
    g_test_add_func("/chardev/legacy", test_legacy);
    g_test_add_func("/chardev/stdio", test_stdio);
    g_test_add_func("/chardev/term-raw", test_term_raw);
    g_test_add_func("/chardev/free-all", test_free_all);

    int ret = g_test_run();
    chardev_free_all();
    GDir *dir = g_dir_open(tmp_dir, 0, NULL);
    for (const char *name; dir && (name = g_dir_read_name(dir)); ) {
        g_autofree char *path = tmp_path(name);
        unlink(path);
    }
    if (dir) {
        g_dir_close(dir);
    }
    rmdir(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
