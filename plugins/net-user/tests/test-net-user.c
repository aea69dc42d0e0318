/*
 * test-net-user.c - plugins/net-user through the core's net layer, with a
 * fake NIC of the test's own (ts_net_nic_attach with our ops) standing in
 * for a guest: frames built here byte by byte, answers parsed here.
 *
 * Covered: a DHCP DISCOVER is answered by an OFFER of 10.0.2.15 from
 * 10.0.2.2 (and dhcpstart=/net= move it); ARP for the host is answered
 * with slirp's MAC; a TCP connection from the "guest" to 10.0.2.2:P
 * reaches a socket the test listens on at 127.0.0.1:P and carries bytes
 * both ways, which needs slirp's sockets on Tessera's main loop; the
 * hostfwd hooks (a port already taken, a rule that is not there); the
 * info network line.
 */
#include "dev-harness.h"

#include "net/net-internal.h"
#include "net/net-options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t GUEST_MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t SLIRP_MAC[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

/* ------------------------------------------------------------------ */
/* The fake NIC: keeps every frame it is given                         */

static GPtrArray *rx;           /* GByteArray each */

static ssize_t nic_receive(TsNetClient *nc, const struct iovec *iov,
                           int iovcnt)
{
    GByteArray *b = g_byte_array_new();
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(b, iov[i].iov_base, iov[i].iov_len);
    }
    g_ptr_array_add(rx, b);
    return b->len;
}

static const TsNetClientOps nic_ops = {
    .receive = nic_receive,
};

static TsNetClient *nic;

/* -netdev's way: option text to a backend, and netdev_del's. */
static bool netdev_add(const char *text, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(text, "type", errp);
    return pairs && netdev_create(pairs, errp);
}

static void user_up(const char *opts)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(netdev_add(opts, &err));
    g_assert_no_error(err);
    rx = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    nic = ts_net_nic_attach("n0", NULL, "test-nic", GUEST_MAC, &nic_ops,
                            NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(nic);
}

static void user_down(void)
{
    ts_net_nic_detach(nic);
    nic = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_true(netdev_delete_by_id("n0", &err));
    g_ptr_array_unref(rx);
    rx = NULL;
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += get16(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Ethernet + IPv4 header around `payload` (proto's header included);
 * returns the frame length.  The L4 checksum is the caller's. */
static size_t ipv4_frame(uint8_t *f, const uint8_t dst_mac[6], uint8_t proto,
                         uint32_t src, uint32_t dst, const uint8_t *payload,
                         size_t len)
{
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, GUEST_MAC, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, 20 + len);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    memcpy(ip + 20, payload, len);
    return 14 + 20 + len;
}

static uint32_t addr(const char *text)
{
    struct in_addr a;
    g_assert_true(inet_aton(text, &a));
    return a.s_addr;
}

static void send_frame(const uint8_t *f, size_t len)
{
    g_assert_cmpint(ts_net_send_buf(nic, f, len, NULL), ==, len);
}

/* ------------------------------------------------------------------ */
/* DHCP                                                                 */

#define BOOTP_LEN 300

/* The frame of a DHCP reply among the received ones, or NULL. */
static const GByteArray *find_udp(uint16_t dst_port)
{
    for (unsigned i = 0; i < rx->len; i++) {
        const GByteArray *b = g_ptr_array_index(rx, i);
        const uint8_t *f = b->data;
        if (b->len >= 42 && get16(f + 12) == 0x0800 && f[23] == 17 &&
            get16(f + 14 + 22) == dst_port) {
            return b;
        }
    }
    return NULL;
}

/* DHCP option `code` in a BOOTP message's options, or NULL. */
static const uint8_t *dhcp_option(const uint8_t *bootp, size_t len,
                                  uint8_t code)
{
    for (size_t i = 240; i < len && bootp[i] != 255;) {
        if (bootp[i] == 0) {
            i++;
            continue;
        }
        if (i + 1 >= len || i + 2 + bootp[i + 1] > len) {
            return NULL;
        }
        if (bootp[i] == code) {
            return bootp + i;
        }
        i += 2 + bootp[i + 1];
    }
    return NULL;
}

static void send_discover(uint32_t xid)
{
    static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t udp[8 + BOOTP_LEN] = { 0 }, frame[600];
    uint8_t *b = udp + 8;
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, sizeof(udp));   /* checksum 0: none, allowed on IPv4 */
    b[0] = 1;                       /* BOOTREQUEST */
    b[1] = 1;                       /* Ethernet */
    b[2] = 6;
    memcpy(b + 4, &xid, 4);
    memcpy(b + 28, GUEST_MAC, 6);
    static const uint8_t opts[] = { 99, 130, 83, 99,    /* magic cookie */
                                    53, 1, 1,           /* DISCOVER */
                                    255 };
    memcpy(b + 236, opts, sizeof(opts));
    send_frame(frame, ipv4_frame(frame, BCAST, 17, 0, 0xffffffff, udp,
                                 sizeof(udp)));
}

/* Send a DISCOVER and check the OFFER: `yiaddr` from `server`. */
static void check_offer(const char *yiaddr, const char *server)
{
    const uint32_t xid = 0x5453a5a5;
    send_discover(xid);
    const GByteArray *reply = find_udp(68);
    g_assert_nonnull(reply);
    const uint8_t *f = reply->data;
    /* slirp's MAC is 52:55 and its address. */
    uint8_t mac[6] = { 0x52, 0x55 };
    uint32_t server_addr = addr(server);
    memcpy(mac + 2, &server_addr, 4);
    g_assert_cmpmem(f + 6, 6, mac, 6);
    g_assert_cmpuint(get16(f + 14 + 20), ==, 67);
    uint32_t ip_src;
    memcpy(&ip_src, f + 14 + 12, 4);
    g_assert_cmphex(ip_src, ==, addr(server));

    const uint8_t *b = f + 14 + 20 + 8;
    size_t blen = reply->len - (14 + 20 + 8);
    g_assert_cmpuint(blen, >=, 244);
    g_assert_cmpuint(b[0], ==, 2);                      /* BOOTREPLY */
    g_assert_cmpmem(b + 4, 4, &xid, 4);
    uint32_t yi;
    memcpy(&yi, b + 16, 4);
    g_assert_cmphex(yi, ==, addr(yiaddr));
    const uint8_t *type = dhcp_option(b, blen, 53);
    g_assert_nonnull(type);
    g_assert_cmpuint(type[2], ==, 2);                   /* OFFER */
    const uint8_t *sid = dhcp_option(b, blen, 54);
    g_assert_nonnull(sid);
    uint32_t sid_addr = addr(server);
    g_assert_cmpmem(sid + 2, 4, &sid_addr, 4);
}

static void test_dhcp_offer(void)
{
    user_up("user,id=n0");
    check_offer("10.0.2.15", "10.0.2.2");
    user_down();
}

static void test_dhcp_options(void)
{
    user_up("user,id=n0,net=192.168.76.0/24,dhcpstart=192.168.76.100");
    check_offer("192.168.76.100", "192.168.76.2");
    user_down();
}

/* ------------------------------------------------------------------ */
/* ARP                                                                  */

/* "Who has 10.0.2.2, tell 10.0.2.15": also how slirp learns our MAC. */
static void send_arp_request(void)
{
    uint8_t f[42] = { 0 };
    memset(f, 0xff, 6);
    memcpy(f + 6, GUEST_MAC, 6);
    put16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    put16(a, 1);                    /* Ethernet */
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);                /* request */
    memcpy(a + 8, GUEST_MAC, 6);
    uint32_t me = addr("10.0.2.15"), host = addr("10.0.2.2");
    memcpy(a + 14, &me, 4);
    memcpy(a + 24, &host, 4);
    send_frame(f, sizeof(f));
}

static void test_arp(void)
{
    uint32_t host = addr("10.0.2.2");
    user_up("user,id=n0");
    send_arp_request();
    g_assert_cmpuint(rx->len, >=, 1);
    const GByteArray *r = g_ptr_array_index(rx, 0);
    g_assert_cmpuint(r->len, >=, 42);
    g_assert_cmpuint(get16(r->data + 12), ==, 0x0806);
    g_assert_cmpuint(get16(r->data + 14 + 6), ==, 2);       /* reply */
    g_assert_cmpmem(r->data + 14 + 8, 6, SLIRP_MAC, 6);
    g_assert_cmpmem(r->data + 14 + 14, 4, &host, 4);
    user_down();
}

/* ------------------------------------------------------------------ */
/* TCP to a host socket                                                 */

enum { TH_FIN = 1, TH_SYN = 2, TH_RST = 4, TH_PSH = 8, TH_ACK = 16 };

static void send_tcp(uint16_t sport, uint16_t dport, uint32_t seq,
                     uint32_t ack, uint8_t flags, const void *data,
                     size_t len)
{
    uint8_t seg[20 + 64], frame[200];
    uint32_t src = addr("10.0.2.15"), dst = addr("10.0.2.2");
    g_assert_cmpuint(len, <=, 64);
    memset(seg, 0, 20);
    put16(seg, sport);
    put16(seg + 2, dport);
    seg[4] = seq >> 24; seg[5] = seq >> 16; seg[6] = seq >> 8; seg[7] = seq;
    seg[8] = ack >> 24; seg[9] = ack >> 16; seg[10] = ack >> 8; seg[11] = ack;
    seg[12] = 5 << 4;
    seg[13] = flags;
    put16(seg + 14, 65535);
    if (len) {
        memcpy(seg + 20, data, len);
    }
    /* The pseudo header, then the segment. */
    uint8_t pseudo[12];
    memcpy(pseudo, &src, 4);
    memcpy(pseudo + 4, &dst, 4);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, 20 + len);
    put16(seg + 16, fold(sum16(seg, 20 + len, sum16(pseudo, 12, 0))));
    send_frame(frame, ipv4_frame(frame, SLIRP_MAC, 6, src, dst, seg,
                                 20 + len));
}

typedef struct TcpSeen {
    uint16_t port;              /* the guest's */
    uint8_t flags;
    uint32_t seq, ack;
    GByteArray *data;
    unsigned scanned;
} TcpSeen;

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Read the TCP segments to the guest's port received since last time. */
static void scan_tcp(TcpSeen *s)
{
    for (; s->scanned < rx->len; s->scanned++) {
        const GByteArray *b = g_ptr_array_index(rx, s->scanned);
        const uint8_t *f = b->data;
        if (b->len < 54 || get16(f + 12) != 0x0800 || f[23] != 6) {
            continue;
        }
        const uint8_t *ip = f + 14;
        size_t ihl = (ip[0] & 15) * 4, total = get16(ip + 2);
        const uint8_t *tcp = ip + ihl;
        if (get16(tcp + 2) != s->port) {
            continue;
        }
        size_t doff = (tcp[12] >> 4) * 4;
        s->flags |= tcp[13];
        s->seq = get32(tcp + 4);
        s->ack = get32(tcp + 8);
        g_byte_array_append(s->data, tcp + doff, total - ihl - doff);
    }
}

static bool tcp_has_synack(void *opaque)
{
    TcpSeen *s = opaque;
    scan_tcp(s);
    return (s->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
}

static bool tcp_has_data(void *opaque)
{
    TcpSeen *s = opaque;
    scan_tcp(s);
    return s->data->len >= 5;
}

typedef struct HostSide {
    int listener, conn;
    char buf[16];
    size_t got;
} HostSide;

static bool host_has_data(void *opaque)
{
    HostSide *h = opaque;
    if (h->conn < 0) {
        h->conn = accept(h->listener, NULL, NULL);
        if (h->conn < 0) {
            return false;
        }
        fcntl(h->conn, F_SETFL, O_NONBLOCK);
    }
    ssize_t n = read(h->conn, h->buf + h->got, sizeof(h->buf) - h->got);
    if (n > 0) {
        h->got += n;
    }
    return h->got >= 5;
}

static void test_tcp_to_host(void)
{
    /* A listener on the host's loopback, which the guest calls 10.0.2.2. */
    HostSide h = { .conn = -1 };
    h.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t salen = sizeof(sa);
    g_assert_cmpint(bind(h.listener, (struct sockaddr *)&sa, sizeof(sa)),
                    ==, 0);
    g_assert_cmpint(listen(h.listener, 1), ==, 0);
    getsockname(h.listener, (struct sockaddr *)&sa, &salen);
    uint16_t port = ntohs(sa.sin_port);

    user_up("user,id=n0");
    TcpSeen s = { .port = 40000, .data = g_byte_array_new() };
    send_arp_request();
    send_tcp(40000, port, 1000, 0, TH_SYN, NULL, 0);
    /* slirp connects to 127.0.0.1 without blocking and answers once the
     * main loop saw the socket become writable. */
    g_assert_true(run_until(tcp_has_synack, &s, 5000));
    g_assert_cmpuint(s.ack, ==, 1001);
    uint32_t their = s.seq + 1;
    send_tcp(40000, port, 1001, their, TH_ACK, NULL, 0);
    send_tcp(40000, port, 1001, their, TH_ACK | TH_PSH, "hello", 5);
    g_assert_true(run_until(host_has_data, &h, 5000));
    g_assert_cmpmem(h.buf, 5, "hello", 5);

    /* And back: the host writes, the main loop sees it readable. */
    g_assert_cmpint(write(h.conn, "world", 5), ==, 5);
    g_assert_true(run_until(tcp_has_data, &s, 5000));
    g_assert_cmpmem(s.data->data, 5, "world", 5);

    send_tcp(40000, port, 1006, their + 5, TH_RST, NULL, 0);
    close(h.conn);
    close(h.listener);
    g_byte_array_unref(s.data);
    user_down();
}

/* ------------------------------------------------------------------ */

static void test_info_and_hostfwd(void)
{
    int taken = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t salen = sizeof(sa);
    g_assert_cmpint(bind(taken, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(taken, 1), ==, 0);
    getsockname(taken, (struct sockaddr *)&sa, &salen);

    g_autoptr(GError) err = NULL;
    g_autofree char *opts = g_strdup_printf(
        "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22",
        ntohs(sa.sin_port));
    g_assert_false(netdev_add(opts, &err));
    g_autofree char *want = g_strdup_printf(
        "Could not set up host forwarding rule 'tcp:127.0.0.1:%d-:22'",
        ntohs(sa.sin_port));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, want));
    close(taken);
    user_up("user,id=n0,restrict=on");
    user_down();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init(NULL)) {
        return 0;
    }
    g_test_add_func("/net-user/dhcp-offer", test_dhcp_offer);
    g_test_add_func("/net-user/dhcp-options", test_dhcp_options);
    g_test_add_func("/net-user/arp", test_arp);
    g_test_add_func("/net-user/tcp-to-host", test_tcp_to_host);
    g_test_add_func("/net-user/hostfwd-taken", test_info_and_hostfwd);
    return g_test_run();
}
