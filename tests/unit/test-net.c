/*
 * test-net.c - core/net with fake clients: the flow-control rule (a
 * paused receiver keeps frames and pauses a sender with a callback until
 * it flushes; senders without one get a bounded queue, then drops),
 * ordering behind kept frames, purge, link state, hubs (every other port
 * receives, a port's peer flushing lets the hub go on), the hubport
 * backend's errors, netdev creation errors in QEMU's words, NIC
 * attachment errors and QEMU's default MAC addresses.
 */
#include "net/net-internal.h"
#include "net/net-options.h"
#include "monitor/qmp.h"

#include <string.h>

/* A fake client: takes frames while `open`, records what it got. */
typedef struct Fake {
    TsNetClient *nc;
    bool open;              /* can_receive */
    bool refuse;            /* receive returns 0 */
    GPtrArray *got;         /* GBytes */
    unsigned sent_calls;    /* its sent callback ran */
    unsigned link_changes;
} Fake;

static bool fake_can_receive(TsNetClient *nc)
{
    return ((Fake *)ts_net_client_opaque(nc))->open;
}

static ssize_t fake_receive(TsNetClient *nc, const struct iovec *iov,
                            int iovcnt)
{
    Fake *f = ts_net_client_opaque(nc);
    if (f->refuse) {
        return 0;
    }
    GByteArray *b = g_byte_array_new();
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(b, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    g_ptr_array_add(f->got, g_byte_array_free_to_bytes(b));
    return len;
}

static void fake_link(TsNetClient *nc)
{
    ((Fake *)ts_net_client_opaque(nc))->link_changes++;
}

static const TsNetClientOps fake_ops = {
    .can_receive = fake_can_receive,
    .receive = fake_receive,
    .link_status_changed = fake_link,
};

static void fake_sent(TsNetClient *sender, ssize_t len)
{
    ((Fake *)ts_net_client_opaque(sender))->sent_calls++;
}

static Fake *fake_new(const char *name, TsNetClientKind kind)
{
    Fake *f = g_new0(Fake, 1);
    f->open = true;
    f->got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    f->nc = net_client_new(kind, &fake_ops, f, name, "fake");
    return f;
}

static void fake_free(Fake *f)
{
    net_client_free(f->nc);
    g_ptr_array_unref(f->got);
    g_free(f);
}

static ssize_t send_byte(Fake *from, uint8_t v, bool with_cb)
{
    uint8_t frame[60];
    memset(frame, v, sizeof(frame));
    return ts_net_send_buf(from->nc, frame, sizeof(frame),
                           with_cb ? fake_sent : NULL);
}

static uint8_t got_byte(Fake *f, guint i)
{
    g_assert_cmpuint(i, <, f->got->len);
    return ((const uint8_t *)g_bytes_get_data(
        g_ptr_array_index(f->got, i), NULL))[0];
}

static void test_direct(void)
{
    Fake *a = fake_new("a", TS_NET_CLIENT_NETDEV);
    Fake *b = fake_new("b", TS_NET_CLIENT_NIC);
    net_client_set_peer(a->nc, b->nc);
    g_assert_cmpint(send_byte(a, 1, true), ==, 60);
    g_assert_cmpuint(b->got->len, ==, 1);
    g_assert_cmpuint(a->sent_calls, ==, 0);  /* not kept: no callback */
    TsNetStats s;
    ts_net_client_stats(b->nc, &s);
    g_assert_cmpuint(s.rx_frames, ==, 1);
    g_assert_cmpuint(s.rx_bytes, ==, 60);
    ts_net_client_stats(a->nc, &s);
    g_assert_cmpuint(s.tx_frames, ==, 1);
    g_assert_true(ts_net_client_peer(a->nc) == b->nc);
    fake_free(a);
    fake_free(b);
}

/* The rule: kept, sender paused until the receiver flushes; in order. */
static void test_flow_control(void)
{
    Fake *a = fake_new("a", TS_NET_CLIENT_NETDEV);
    Fake *b = fake_new("b", TS_NET_CLIENT_NIC);
    net_client_set_peer(a->nc, b->nc);
    b->open = false;
    g_assert_cmpint(send_byte(a, 1, true), ==, 0);
    g_assert_cmpuint(b->got->len, ==, 0);
    /* Opening without a flush delivers nothing: order is kept. */
    b->open = true;
    g_assert_cmpint(send_byte(a, 2, true), ==, 0);
    g_assert_cmpuint(b->got->len, ==, 0);
    ts_net_flush(b->nc);
    g_assert_cmpuint(b->got->len, ==, 2);
    g_assert_cmpuint(got_byte(b, 0), ==, 1);
    g_assert_cmpuint(got_byte(b, 1), ==, 2);
    g_assert_cmpuint(a->sent_calls, ==, 2);

    /* receive returning 0 keeps the frame and pauses until a flush,
     * even if can_receive says yes meanwhile. */
    b->refuse = true;
    g_assert_cmpint(send_byte(a, 3, true), ==, 0);
    b->refuse = false;
    g_assert_cmpint(send_byte(a, 4, true), ==, 0);
    g_assert_cmpuint(b->got->len, ==, 2);
    ts_net_flush(b->nc);
    g_assert_cmpuint(b->got->len, ==, 4);
    g_assert_cmpuint(got_byte(b, 2), ==, 3);
    g_assert_cmpuint(got_byte(b, 3), ==, 4);
    g_assert_cmpuint(a->sent_calls, ==, 4);
    /* A flush with nothing kept is harmless. */
    ts_net_flush(b->nc);
    g_assert_cmpuint(a->sent_calls, ==, 4);
    fake_free(a);
    fake_free(b);
}

/* A client whose receive makes its peer send back to it at once (an
 * echo): that frame is kept behind the one being delivered and must not
 * wait for a flush nobody will do. */
static Fake *echo_peer;

static ssize_t echo_receive(TsNetClient *nc, const struct iovec *iov,
                            int iovcnt)
{
    ssize_t len = fake_receive(nc, iov, iovcnt);
    Fake *f = ts_net_client_opaque(nc);
    if (f->got->len == 1) {
        send_byte(echo_peer, 0x42, true);   /* back to us, from inside */
    }
    return len;
}

static const TsNetClientOps echo_ops = {
    .can_receive = fake_can_receive,
    .receive = echo_receive,
};

static void test_reentrant_send(void)
{
    Fake *a = fake_new("a", TS_NET_CLIENT_NETDEV);
    Fake *b = g_new0(Fake, 1);
    b->open = true;
    b->got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    b->nc = net_client_new(TS_NET_CLIENT_NIC, &echo_ops, b, "b", "fake");
    net_client_set_peer(a->nc, b->nc);
    echo_peer = a;
    g_assert_cmpint(send_byte(a, 1, true), ==, 60);
    g_assert_cmpuint(b->got->len, ==, 2);
    g_assert_cmpuint(got_byte(b, 1), ==, 0x42);
    g_assert_cmpuint(a->sent_calls, ==, 1);   /* the kept echo went */
    fake_free(a);
    fake_free(b);
}

/* Senders without a callback: TS_NET_QUEUE_MAX kept, the rest dropped. */
static void test_queue_bound(void)
{
    Fake *a = fake_new("a", TS_NET_CLIENT_NETDEV);
    Fake *b = fake_new("b", TS_NET_CLIENT_NIC);
    net_client_set_peer(a->nc, b->nc);
    b->open = false;
    for (unsigned i = 0; i < TS_NET_QUEUE_MAX; i++) {
        g_assert_cmpint(send_byte(a, i, false), ==, 0);
    }
    g_assert_cmpint(send_byte(a, 9, false), ==, 60);   /* dropped */
    g_assert_cmpint(send_byte(a, 9, false), ==, 60);
    TsNetStats s;
    ts_net_client_stats(b->nc, &s);
    g_assert_cmpuint(s.dropped, ==, 2);
    /* A sender that stops is not refused by the bound. */
    g_assert_cmpint(send_byte(a, 7, true), ==, 0);
    b->open = true;
    ts_net_flush(b->nc);
    g_assert_cmpuint(b->got->len, ==, TS_NET_QUEUE_MAX + 1);
    g_assert_cmpuint(got_byte(b, TS_NET_QUEUE_MAX), ==, 7);
    g_assert_cmpuint(a->sent_calls, ==, 1);
    fake_free(a);
    fake_free(b);
}

static void test_purge_and_drops(void)
{
    Fake *a = fake_new("a", TS_NET_CLIENT_NETDEV);
    Fake *b = fake_new("b", TS_NET_CLIENT_NIC);
    /* No peer: "sent", nothing kept. */
    g_assert_cmpint(send_byte(a, 1, true), ==, 60);
    net_client_set_peer(a->nc, b->nc);
    b->open = false;
    g_assert_cmpint(send_byte(a, 1, true), ==, 0);
    ts_net_purge(b->nc);
    g_assert_cmpuint(a->sent_calls, ==, 1);   /* the sender goes on */
    b->open = true;
    ts_net_flush(b->nc);
    g_assert_cmpuint(b->got->len, ==, 0);

    /* Oversized frames are dropped. */
    g_autofree uint8_t *big = g_malloc0(TS_NET_FRAME_MAX + 1);
    g_assert_cmpint(ts_net_send_buf(a->nc, big, TS_NET_FRAME_MAX + 1, NULL),
                    ==, TS_NET_FRAME_MAX + 1);
    g_assert_cmpuint(b->got->len, ==, 0);
    g_assert_cmpint(ts_net_send_buf(a->nc, big, TS_NET_FRAME_MAX, NULL),
                    ==, TS_NET_FRAME_MAX);
    g_assert_cmpuint(b->got->len, ==, 1);

    /* Link down either side: dropped as if sent, and counted. */
    g_assert_true(net_set_link("b", false, NULL));
    g_assert_false(ts_net_link_up(b->nc));
    g_assert_cmpuint(b->link_changes, ==, 1);
    g_assert_cmpint(send_byte(a, 2, true), ==, 60);
    g_assert_cmpuint(b->got->len, ==, 1);
    TsNetStats s;
    ts_net_client_stats(b->nc, &s);
    g_assert_cmpuint(s.dropped, >=, 2);
    g_assert_true(net_set_link("b", true, NULL));
    g_assert_cmpint(send_byte(a, 3, true), ==, 60);
    g_assert_cmpuint(b->got->len, ==, 2);
    /* A backend's set_link takes its NIC along (QEMU). */
    g_assert_true(net_set_link("a", false, NULL));
    g_assert_false(ts_net_link_up(b->nc));
    g_assert_true(net_set_link("a", true, NULL));
    g_autoptr(GError) err = NULL;
    g_assert_false(net_set_link("nosuch", true, &err));
    g_assert_cmpstr(err->message, ==, "Device 'nosuch' not found");

    /* A sender freed while frames of its wait: they are forgotten. */
    b->open = false;
    g_assert_cmpint(send_byte(a, 4, true), ==, 0);
    fake_free(a);
    b->open = true;
    ts_net_flush(b->nc);
    g_assert_cmpuint(b->got->len, ==, 2);
    fake_free(b);
}

/* Hub 0 with three members: what one sends, the two others get. */
static void test_hub(void)
{
    Fake *m[3];
    for (int i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("m%d", i);
        m[i] = fake_new(name, TS_NET_CLIENT_NETDEV);
        TsNetClient *port = net_hub_add_port(0, NULL, NULL);
        g_autofree char *want = g_strdup_printf("hub0port%d", i);
        g_assert_cmpstr(ts_net_client_name(port), ==, want);
        net_client_set_peer(m[i]->nc, port);
    }
    g_assert_cmpint(send_byte(m[0], 5, true), ==, 60);
    g_assert_cmpuint(m[0]->got->len, ==, 0);
    g_assert_cmpuint(m[1]->got->len, ==, 1);
    g_assert_cmpuint(m[2]->got->len, ==, 1);

    /* One member slow: the other still gets frames; the slow one's are
     * kept (bounded) and arrive when it flushes. */
    m[1]->open = false;
    g_assert_cmpint(send_byte(m[0], 6, true), ==, 60);
    g_assert_cmpuint(m[2]->got->len, ==, 2);
    g_assert_cmpuint(m[1]->got->len, ==, 1);
    m[1]->open = true;
    ts_net_flush(m[1]->nc);
    g_assert_cmpuint(m[1]->got->len, ==, 2);
    g_assert_cmpuint(got_byte(m[1], 1), ==, 6);

    /* Every other member slow: the hub port stops taking, the sender is
     * paused, and a member's flush lets it go on. */
    m[1]->open = m[2]->open = false;
    g_assert_cmpint(send_byte(m[0], 7, true), ==, 0);
    g_assert_cmpuint(m[0]->sent_calls, ==, 0);
    m[2]->open = true;
    ts_net_flush(m[2]->nc);
    g_assert_cmpuint(m[0]->sent_calls, ==, 1);
    g_assert_cmpuint(m[2]->got->len, ==, 3);
    g_assert_cmpuint(got_byte(m[2], 2), ==, 7);
    m[1]->open = true;
    ts_net_flush(m[1]->nc);
    g_assert_cmpuint(m[1]->got->len, ==, 3);

    for (int i = 0; i < 3; i++) {
        fake_free(m[i]);
    }
    net_close_all();
    g_assert_cmpuint(net_clients()->len, ==, 0);
}

static void test_mac(void)
{
    net_mac_reset();
    uint8_t a[6], b[6], c[6];
    ts_net_default_mac(a);
    g_autofree char *sa = net_mac_to_string(a);
    g_assert_cmpstr(sa, ==, "52:54:00:12:34:56");
    /* Claimed by the NIC it was handed to: not counted twice. */
    net_mac_claim(a);
    ts_net_default_mac(b);
    g_assert_cmpuint(b[5], ==, 0x57);
    net_mac_claim(b);
    /* A NIC with an explicit address in the range is skipped. */
    uint8_t given[6];
    g_assert_true(ts_net_parse_mac("52-54-00-12-34-58", "x.mac", given,
                                   NULL));
    net_mac_claim(given);
    ts_net_default_mac(c);
    g_assert_cmpuint(c[5], ==, 0x59);
    /* An address given back is the next one handed out. */
    net_mac_release(a);
    ts_net_default_mac(a);
    g_assert_cmpuint(a[5], ==, 0x56);

    uint8_t m[6];
    g_assert_true(ts_net_parse_mac("0A:bc:00:00:00:ff", "p", m, NULL));
    g_assert_cmpuint(m[0], ==, 0x0a);
    g_assert_cmpuint(m[1], ==, 0xbc);
    g_assert_cmpuint(m[5], ==, 0xff);
    const char *bad[] = { "x", "52:54:00:12:34", "52:54:00:12:34:5g",
                          "52:54-00:12:34:56", "52:54:00:12:34:567",
                          "525400123456" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_assert_false(ts_net_parse_mac(bad[i], "virtio-net-pci.mac", m,
                                        &err));
        g_autofree char *want = g_strdup_printf(
            "Property 'virtio-net-pci.mac' doesn't take value '%s'", bad[i]);
        g_assert_cmpstr(err->message, ==, want);
    }
    net_mac_reset();
}

static TsNetdev *create(const char *text, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(text, "type", errp);
    return pairs ? netdev_create(pairs, errp) : NULL;
}

static void expect_refused(const char *text, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_assert_null(create(text, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, want);
}

static void test_netdev_options(void)
{
    expect_refused("hubport", "Parameter 'id' is missing");
    expect_refused("hubport,id=1x", "Parameter 'id' expects an identifier");
    expect_refused("id=x", "Parameter 'type' is missing");
    expect_refused("nosuch,id=x",
                   "Parameter 'type' does not accept value 'nosuch'");
    expect_refused("hubport,id=h", "Parameter 'hubid' is missing");
    expect_refused("hubport,id=h,hubid=x",
                   "Parameter 'hubid' expects an int64 value");
    expect_refused("hubport,id=h,hubid=0,foo=1", "Invalid parameter 'foo'");
    expect_refused("hubport,id=h,hubid=0,netdev=zz",
                   "netdev 'zz' not found");
    g_autoptr(GError) err = NULL;
    TsNetdev *h0 = create("hubport,id=h0,hubid=1", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(ts_netdev_id(h0), ==, "h0");
    g_assert_cmpint(ts_net_client_kind(h0->client), ==,
                    TS_NET_CLIENT_HUBPORT);
    expect_refused("hubport,id=h0,hubid=1", "Duplicate ID 'h0' for netdev");
    /* A port joined to another port's hub through netdev=: h2's peer is
     * backend h1 (a port of hub 2). */
    g_assert_nonnull(create("hubport,id=h1,hubid=2", NULL));
    TsNetdev *h2 = create("hubport,id=h2,hubid=1,netdev=h1", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(ts_net_client_name(ts_net_client_peer(h2->client)),
                    ==, "h1");
    expect_refused("hubport,id=h3,hubid=1,netdev=h1",
                   "netdev 'h1' is in use");

    /* A NIC attaches by id, once. */
    uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    Fake nicf = { .open = true };
    nicf.got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    TsNetClient *nic = ts_net_nic_attach("h0", NULL, "virtio-net-pci", mac,
                                         &fake_ops, &nicf, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(ts_net_client_name(nic), ==, "virtio-net-pci.0");
    g_assert_cmpstr(nic->info, ==, "index=0,type=nic,model=virtio-net-pci,"
                    "macaddr=52:54:00:12:34:56");
    g_assert_null(ts_net_nic_attach("h0", NULL, "virtio-net-pci", mac,
                                    &fake_ops, NULL, &err));
    g_assert_cmpstr(err->message, ==, "Property 'virtio-net-pci.netdev' "
                    "can't take value 'h0', it's in use");
    g_clear_error(&err);
    g_assert_null(ts_net_nic_attach("zz", NULL, "virtio-net-pci", mac,
                                    &fake_ops, NULL, &err));
    g_assert_cmpstr(err->message, ==, "Property 'virtio-net-pci.netdev' "
                    "can't find value 'zz'");
    g_clear_error(&err);

    /* netdev_del of the NIC's backend: the NIC sees its link go. */
    g_assert_true(netdev_delete_by_id("h0", NULL));
    g_assert_null(ts_net_client_peer(nic));
    g_assert_false(ts_net_link_up(nic));
    g_assert_cmpuint(nicf.link_changes, ==, 1);
    g_assert_false(netdev_delete_by_id("h0", &err));
    g_assert_cmpstr(err->message, ==, "Device 'h0' not found");
    ts_net_nic_detach(nic);
    g_ptr_array_unref(nicf.got);
    net_close_all();
    g_assert_cmpuint(net_clients()->len, ==, 0);
    g_assert_cmpuint(netdevs()->len, ==, 0);
}

/* A hubport's peer: frames from a fake NIC reach a fake backend through
 * two hubport backends on one hub. */
static void test_hubport_relay(void)
{
    Fake *nic = fake_new("nic", TS_NET_CLIENT_NIC);
    Fake *back = fake_new("back", TS_NET_CLIENT_NETDEV);
    TsNetdev *p0 = create("hubport,id=p0,hubid=3", NULL);
    TsNetdev *p1 = create("hubport,id=p1,hubid=3,netdev=back", NULL);
    g_assert_nonnull(p0);
    g_assert_nonnull(p1);
    net_client_set_peer(nic->nc, p0->client);
    g_assert_cmpint(send_byte(nic, 8, true), ==, 60);
    g_assert_cmpuint(back->got->len, ==, 1);
    g_assert_cmpint(send_byte(back, 9, true), ==, 60);
    g_assert_cmpuint(nic->got->len, ==, 1);
    g_assert_cmpuint(got_byte(nic, 0), ==, 9);
    net_close_all();
    fake_free(nic);
    fake_free(back);
}

/* ---- QMP: query-rx-filter and NIC_RX_FILTER_CHANGED ----------------- */

static void qmp_out(const char *data, size_t len, void *opaque)
{
    g_string_append_len(opaque, data, len);
}

static void fake_rx_filter(TsNetClient *nc, TsNetRxFilter *out)
{
    static const uint8_t uni[1][6] = { { 2, 0, 0, 0, 0, 1 } };
    static const uint16_t vlans[] = { 5, 7 };
    out->promiscuous = true;
    out->multicast = TS_NET_RX_ALL;
    out->unicast = TS_NET_RX_NORMAL;
    out->vlan = TS_NET_RX_NONE;
    out->broadcast_allowed = true;
    memcpy(out->main_mac, (uint8_t[]){ 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, 6);
    out->unicast_table = uni;
    out->n_unicast = 1;
    out->vlan_table = vlans;
    out->n_vlan = 2;
}

static const TsNetClientOps filter_ops = {
    .query_rx_filter = fake_rx_filter,
};

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

static void test_rx_filter(void)
{
    GString *out = g_string_new(NULL);
    QmpSession *s = qmp_session_new(qmp_out, out);
    const char *caps = "{\"execute\": \"qmp_capabilities\"}\n";
    qmp_session_feed(s, caps, strlen(caps));
    uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    TsNetClient *nic = ts_net_nic_attach(NULL, NULL, "virtio-net-pci", mac,
                                         &filter_ops, NULL, NULL);
    g_assert_nonnull(nic);
    Fake *other = fake_new("plain", TS_NET_CLIENT_NIC);

    /* Once until a query re-arms it. */
    g_string_truncate(out, 0);
    ts_net_rx_filter_changed(nic);
    ts_net_rx_filter_changed(nic);
    g_assert_cmpuint(count(out->str, "NIC_RX_FILTER_CHANGED"), ==, 1);

    g_string_truncate(out, 0);
    const char *q = "{\"execute\": \"query-rx-filter\", \"arguments\": "
                    "{\"name\": \"virtio-net-pci.0\"}}\n";
    qmp_session_feed(s, q, strlen(q));
    g_assert_nonnull(strstr(out->str, "main-mac"));
    g_assert_nonnull(strstr(out->str, "52:54:00:12:34:56"));
    g_assert_nonnull(strstr(out->str, "vlan-table"));
    g_assert_nonnull(strstr(out->str, "02:00:00:00:00:01"));
    g_assert_nonnull(strstr(out->str, "\"all\""));
    g_assert_nonnull(strstr(out->str, "\"none\""));
    g_assert_nonnull(strstr(out->str, "\"normal\""));

    g_string_truncate(out, 0);
    ts_net_rx_filter_changed(nic);
    g_assert_cmpuint(count(out->str, "NIC_RX_FILTER_CHANGED"), ==, 1);

    /* A NIC without the hook: named, an error; unnamed, left out. */
    g_string_truncate(out, 0);
    const char *q2 = "{\"execute\": \"query-rx-filter\", \"arguments\": "
                     "{\"name\": \"plain\"}}\n";
    qmp_session_feed(s, q2, strlen(q2));
    g_assert_nonnull(strstr(out->str, "net client(plain) doesn't support "
                            "rx-filter querying"));
    g_string_truncate(out, 0);
    const char *q3 = "{\"execute\": \"query-rx-filter\"}\n";
    qmp_session_feed(s, q3, strlen(q3));
    g_assert_cmpuint(count(out->str, "\"name\""), ==, 1);

    fake_free(other);
    ts_net_nic_detach(nic);
    qmp_session_free(s);
    g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net/direct", test_direct);
    g_test_add_func("/net/flow-control", test_flow_control);
    g_test_add_func("/net/queue-bound", test_queue_bound);
    g_test_add_func("/net/reentrant-send", test_reentrant_send);
    g_test_add_func("/net/purge-and-drops", test_purge_and_drops);
    g_test_add_func("/net/hub", test_hub);
    g_test_add_func("/net/mac", test_mac);
    g_test_add_func("/net/netdev-options", test_netdev_options);
    g_test_add_func("/net/hubport-relay", test_hubport_relay);
    g_test_add_func("/net/rx-filter", test_rx_filter);
    return g_test_run();
}
