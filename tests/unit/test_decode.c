/*
 * test_decode.c - ds_decode_record() on frames built here for every link type and
 * encapsulation the decoder knows, IPv4 corner cases (options, fragments, bad lengths), TCP
 * flag combinations, and every truncation point of each frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "capture/decode.h"
#include "testutil.h"

#define SRC 0xc6336407u /* 198.51.100.7 */
#define DST 0xcb00710au /* 203.0.113.10 */

/* What an IPv4 packet built by put_ipv4 looks like. */
typedef struct ip_spec {
    uint8_t version;    /* 4 unless testing a bad version */
    uint8_t ihl;        /* header length in 32-bit words (5 = no options) */
    uint8_t proto;      /* DS_PROTO_* or any other */
    uint16_t frag;      /* flags (MF = 0x2000) and fragment offset */
    int total_adjust;   /* added to the real total length */
    int total_override; /* when >= 0, the total length field */
    uint8_t tcp_flags;  /* for TCP */
    uint32_t l4_bytes;  /* transport bytes written (default: 20 TCP, 8 UDP, 8 ICMP) */
} ip_spec;

static ip_spec spec_tcp(uint8_t flags)
{
    ip_spec s = {4, 5, DS_PROTO_TCP, 0, 0, -1, flags, 0};
    return s;
}

/* put_ipv4 - an IPv4 packet from SRC:40000 to DST:443 (seq 0x01020304, window 1024). */
static void put_ipv4(tu_buf *b, const ip_spec *s)
{
    uint32_t l4 = s->l4_bytes;
    if (l4 == 0)
        l4 = s->proto == DS_PROTO_TCP ? 20 : 8;
    uint32_t hl = s->ihl * 4u;
    uint32_t total = (hl < 20 ? 20 : hl) + l4; /* 20 bytes are written even for a bad IHL */
    size_t start = b->len;
    tu_buf_u8(b, (uint8_t)(s->version << 4 | s->ihl));
    tu_buf_u8(b, 0);
    tu_buf_u16be(
        b, (uint16_t)(s->total_override >= 0 ? s->total_override : (int)total + s->total_adjust));
    tu_buf_u16be(b, 0x1234);
    tu_buf_u16be(b, s->frag);
    tu_buf_u8(b, 57);
    tu_buf_u8(b, s->proto);
    tu_buf_u16be(b, 0);
    tu_buf_u32be(b, SRC);
    tu_buf_u32be(b, DST);
    for (uint32_t i = 20; i < hl; i++)
        tu_buf_u8(b, i == 20 ? 0x01 : 0x00); /* NOP, then EOL padding */
    if (s->proto == DS_PROTO_TCP) {
        uint8_t tcp[20] = {0x9c, 0x40, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0, 0,
                           0,    0,    0x50, 0,    0x04, 0x00, 0,    0,    0, 0};
        tcp[13] = s->tcp_flags;
        tu_buf_put(b, tcp, l4 < 20 ? l4 : 20);
        for (uint32_t i = 20; i < l4; i++)
            tu_buf_u8(b, 0);
    } else {
        uint8_t udp[8] = {0x9c, 0x40, 0x00, 0x35, 0x00, 0x08, 0, 0};
        tu_buf_put(b, udp, l4 < 8 ? l4 : 8);
        for (uint32_t i = 8; i < l4; i++)
            tu_buf_u8(b, 0);
    }
    assert_int_equal(b->len - start, total);
}

static void put_ipv4_syn(tu_buf *b)
{
    ip_spec s = spec_tcp(DS_TCP_SYN);
    put_ipv4(b, &s);
}

/* put_ipv6 - a minimal IPv6 header with no payload. */
static void put_ipv6(tu_buf *b)
{
    tu_buf_u32be(b, 0x60000000);
    tu_buf_u16be(b, 0);
    tu_buf_u8(b, 59); /* no next header */
    tu_buf_u8(b, 64);
    for (int i = 0; i < 32; i++)
        tu_buf_u8(b, (uint8_t)i);
}

static void put_eth_addrs(tu_buf *b)
{
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
    tu_buf_put(b, macs, sizeof(macs));
}

/* Sum of the classification counters: every record lands in exactly one. */
static uint64_t classified(const ds_capture_stats *st)
{
    return st->ipv4 + st->ipv6 + st->non_ip + st->unknown_linktype + st->short_records + st->bad_ip;
}

/* The protocol counters of IPv4 records: each IPv4 record lands in exactly one. */
static uint64_t ipv4_classified(const ds_capture_stats *st)
{
    return st->tcp + st->udp + st->icmp + st->other_proto + st->fragments;
}

/* decode - one record into fresh stats; checks the one-counter invariants. */
static int decode(uint32_t linktype, const uint8_t *data, size_t len, ds_packet *p,
                  ds_capture_stats *st)
{
    memset(st, 0, sizeof(*st));
    memset(p, 0xa5, sizeof(*p));
    int r = ds_decode_record(linktype, data, (uint32_t)len, p, st);
    assert_int_equal(classified(st), 1);
    assert_int_equal(ipv4_classified(st), st->ipv4);
    assert_int_equal(r, st->ipv4 == 1);
    assert_true(st->syn <= st->tcp);
    assert_int_equal(st->records, 0); /* the reader's counters stay untouched */
    assert_int_equal(st->bytes, 0);
    return r;
}

/* expect_syn - the frame decodes to the SYN put_ipv4_syn built, with every field right. */
static void expect_syn(uint32_t linktype, const tu_buf *b, const char *what)
{
    ds_packet p;
    ds_capture_stats st;
    int r = decode(linktype, b->data, b->len, &p, &st);
    if (r != 1 || st.syn != 1)
        fail_msg("%s: not decoded as an IPv4 SYN (ipv4 %lu ipv6 %lu non_ip %lu short %lu bad "
                 "%lu unknown %lu)",
                 what, (unsigned long)st.ipv4, (unsigned long)st.ipv6, (unsigned long)st.non_ip,
                 (unsigned long)st.short_records, (unsigned long)st.bad_ip,
                 (unsigned long)st.unknown_linktype);
    assert_int_equal(st.tcp, 1);
    assert_int_equal(p.src, SRC);
    assert_int_equal(p.dst, DST);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.seq, 0x01020304);
    assert_int_equal(p.tcp_window, 1024);
    assert_int_equal(p.tcp_flags, DS_TCP_SYN);
    assert_int_equal(p.ip_id, 0x1234);
    assert_int_equal(p.ttl, 57);
    assert_int_equal(p.proto, DS_PROTO_TCP);
    assert_int_equal(p.pkt_flags, DS_PKT_PORTS);
    assert_true(ds_packet_is_syn(&p));
    /* ts_ns and file_index belong to the reader. */
    ds_packet untouched;
    memset(&untouched, 0xa5, sizeof(untouched));
    assert_memory_equal(&p.ts_ns, &untouched.ts_ns, sizeof(p.ts_ns));
    assert_memory_equal(&p.file_index, &untouched.file_index, sizeof(p.file_index));
}

/*
 * expect_cuts - every strict prefix of a frame that ends with a whole IPv4 SYN (no padding):
 * no crash, no packet, counted as short (the frame is cut inside a header the decoder needs).
 */
static void expect_cuts(uint32_t linktype, const tu_buf *b, const char *what)
{
    for (size_t len = 0; len < b->len; len++) {
        /* An exact-size copy, so that ASan sees any read past the cut. */
        uint8_t *copy = test_malloc(len ? len : 1);
        memcpy(copy, b->data, len);
        ds_packet p;
        ds_capture_stats st;
        int r = decode(linktype, copy, len, &p, &st);
        if (r != 0 || st.short_records != 1)
            fail_msg("%s cut at %zu of %zu: not counted as short", what, len, b->len);
        test_free(copy);
    }
}

/* A link type and the bytes before the IPv4 header. */
typedef struct encap {
    const char *name;
    uint32_t linktype;
    void (*put_link)(tu_buf *b);
} encap;

static void link_none(tu_buf *b)
{
    (void)b;
}

static void link_eth(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x0800);
}

static void link_vlan(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 0x2064); /* PCP 1, VLAN 100 */
    tu_buf_u16be(b, 0x0800);
}

static void link_vlan3(tu_buf *b)
{
    put_eth_addrs(b);
    for (int i = 0; i < 3; i++) {
        tu_buf_u16be(b, 0x8100);
        tu_buf_u16be(b, (uint16_t)(10 + i));
    }
    tu_buf_u16be(b, 0x0800);
}

static void link_qinq(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x88a8);
    tu_buf_u16be(b, 200);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 100);
    tu_buf_u16be(b, 0x0800);
}

static void link_qinq_9100(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x9100);
    tu_buf_u16be(b, 200);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 100);
    tu_buf_u16be(b, 0x0800);
}

static void link_qinq_9200(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x9200);
    tu_buf_u16be(b, 200);
    tu_buf_u16be(b, 0x0800);
}

static void link_vntag(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8926);
    tu_buf_u32be(b, 0x00000000);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 11);
    tu_buf_u16be(b, 0x0800);
}

static void link_mpls(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8847);
    tu_buf_u32be(b, (100u << 12) | 64);          /* label 100, not bottom */
    tu_buf_u32be(b, (200u << 12) | 64);          /* label 200, not bottom */
    tu_buf_u32be(b, (300u << 12) | 0x100u | 64); /* label 300, bottom of stack */
}

static void link_vlan_mpls_mc(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 7);
    tu_buf_u16be(b, 0x8848);
    tu_buf_u32be(b, (16u << 12) | 0x100u | 255);
}

static void link_pppoe(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8864);
    tu_buf_u8(b, 0x11);      /* version 1, type 1 */
    tu_buf_u8(b, 0x00);      /* code: session data */
    tu_buf_u16be(b, 0x1234); /* session id */
    tu_buf_u16be(b, 40 + 2); /* length */
    tu_buf_u16be(b, 0x0021); /* PPP: IPv4 */
}

static void link_vlan_pppoe(tu_buf *b)
{
    put_eth_addrs(b);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 5);
    tu_buf_u16be(b, 0x8864);
    tu_buf_u8(b, 0x11);
    tu_buf_u8(b, 0x00);
    tu_buf_u16be(b, 1);
    tu_buf_u16be(b, 41);
    tu_buf_u8(b, 0x21); /* PPP protocol field compression */
}

static void link_snap(tu_buf *b)
{
    static const uint8_t llc[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    put_eth_addrs(b);
    tu_buf_u16be(b, 8 + 40); /* an 802.3 length */
    tu_buf_put(b, llc, sizeof(llc));
}

static void put_sll(tu_buf *b, uint16_t hatype, uint16_t proto)
{
    tu_buf_u16be(b, 0);      /* packet type: to us */
    tu_buf_u16be(b, hatype); /* ARPHRD_ETHER */
    tu_buf_u16be(b, 6);
    put_eth_addrs(b); /* 8 bytes of address field (only 6 used) + 4 more bytes below */
    b->len -= 4;
    tu_buf_u16be(b, proto);
}

static void link_sll(tu_buf *b)
{
    put_sll(b, 1, 0x0800);
}

static void link_sll_vlan(tu_buf *b)
{
    put_sll(b, 1, 0x8100);
    tu_buf_u16be(b, 42);
    tu_buf_u16be(b, 0x0800);
}

static void link_sll_llc(tu_buf *b)
{
    static const uint8_t llc[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    put_sll(b, 1, 0x0004);
    tu_buf_put(b, llc, sizeof(llc));
}

static void put_sll2(tu_buf *b, uint16_t hatype, uint16_t proto)
{
    tu_buf_u16be(b, proto);
    tu_buf_u16be(b, 0);      /* reserved */
    tu_buf_u32be(b, 3);      /* interface index */
    tu_buf_u16be(b, hatype); /* ARPHRD_ETHER */
    tu_buf_u8(b, 4);         /* packet type: outgoing */
    tu_buf_u8(b, 6);
    put_eth_addrs(b);
    b->len -= 4;
}

static void link_sll2(tu_buf *b)
{
    put_sll2(b, 1, 0x0800);
}

static void link_sll2_qinq(tu_buf *b)
{
    put_sll2(b, 1, 0x88a8);
    tu_buf_u16be(b, 1);
    tu_buf_u16be(b, 0x8100);
    tu_buf_u16be(b, 2);
    tu_buf_u16be(b, 0x0800);
}

static void link_null_le(tu_buf *b)
{
    tu_buf_u32le(b, 2);
}

static void link_null_be(tu_buf *b)
{
    tu_buf_u32be(b, 2);
}

static void link_loop(tu_buf *b)
{
    tu_buf_u32be(b, 2);
}

/* NFLOG with a packet-header TLV, a 5-byte prefix (padded to 8), a 0-length-payload mark TLV. */
static void link_nflog(tu_buf *b)
{
    tu_buf_u8(b, 2); /* AF_INET */
    tu_buf_u8(b, 0); /* version */
    tu_buf_u16be(b, 7);
    tu_buf_u16le(b, 8); /* NFULA_PACKET_HDR: hw protocol, hook, pad */
    tu_buf_u16le(b, 1);
    tu_buf_u16be(b, 0x0800);
    tu_buf_u8(b, 3);
    tu_buf_u8(b, 0);
    tu_buf_u16le(b, 4 + 5); /* NFULA_PREFIX "dark\0", padded */
    tu_buf_u16le(b, 10);
    tu_buf_put(b, "dark\0\0\0", 8);
    tu_buf_u16le(b, 8); /* NFULA_MARK */
    tu_buf_u16le(b, 3);
    tu_buf_u32be(b, 0xdeadbeef);
    tu_buf_u16le(b, 4 + 40); /* NFULA_PAYLOAD */
    tu_buf_u16le(b, 9);
}

static void link_ppp_hdlc(tu_buf *b)
{
    tu_buf_u8(b, 0xff);
    tu_buf_u8(b, 0x03);
    tu_buf_u16be(b, 0x0021);
}

static void link_ppp_bare(tu_buf *b)
{
    tu_buf_u16be(b, 0x0021);
}

static void link_ppp_pfc(tu_buf *b)
{
    tu_buf_u8(b, 0x21);
}

static void link_cisco_hdlc(tu_buf *b)
{
    tu_buf_u8(b, 0x0f);
    tu_buf_u8(b, 0x00);
    tu_buf_u16be(b, 0x0800);
}

static const encap encaps[] = {
    {"ethernet", 1, link_eth},
    {"802.1Q", 1, link_vlan},
    {"three stacked 802.1Q tags", 1, link_vlan3},
    {"802.1ad QinQ", 1, link_qinq},
    {"QinQ 0x9100", 1, link_qinq_9100},
    {"QinQ 0x9200", 1, link_qinq_9200},
    {"VN-Tag + 802.1Q", 1, link_vntag},
    {"MPLS stack of 3", 1, link_mpls},
    {"802.1Q + MPLS multicast", 1, link_vlan_mpls_mc},
    {"PPPoE session", 1, link_pppoe},
    {"802.1Q + PPPoE, compressed PPP protocol", 1, link_vlan_pppoe},
    {"802.3 + LLC/SNAP", 1, link_snap},
    {"raw (101)", 101, link_none},
    {"raw (DLT 12)", 12, link_none},
    {"raw (DLT 14)", 14, link_none},
    {"ipv4 (228)", 228, link_none},
    {"linux_sll", 113, link_sll},
    {"linux_sll + 802.1Q", 113, link_sll_vlan},
    {"linux_sll + LLC/SNAP", 113, link_sll_llc},
    {"linux_sll2", 276, link_sll2},
    {"linux_sll2 + QinQ", 276, link_sll2_qinq},
    {"null, little-endian family", 0, link_null_le},
    {"null, big-endian family", 0, link_null_be},
    {"loop", 108, link_loop},
    {"nflog with padding and extra TLVs", 239, link_nflog},
    {"ppp in HDLC-like framing", 9, link_ppp_hdlc},
    {"ppp without framing", 9, link_ppp_bare},
    {"ppp with protocol field compression", 9, link_ppp_pfc},
    {"ppp_hdlc", 50, link_ppp_hdlc},
    {"ppp_hdlc, Cisco framing", 50, link_cisco_hdlc},
    {"c_hdlc", 104, link_cisco_hdlc},
};

static void test_every_encapsulation(void **state)
{
    for (size_t i = 0; i < sizeof(encaps) / sizeof(encaps[0]); i++) {
        tu_buf b = {0};
        encaps[i].put_link(&b);
        put_ipv4_syn(&b);
        expect_syn(encaps[i].linktype, &b, encaps[i].name);
        expect_cuts(encaps[i].linktype, &b, encaps[i].name);
        tu_buf_free(&b);
    }
}

/* A frame of an encapsulation where the network layer is something else than IPv4. */
static void expect_kind(uint32_t linktype, const tu_buf *b, const char *what, size_t counter_offset)
{
    ds_packet p;
    ds_capture_stats st;
    decode(linktype, b->data, b->len, &p, &st);
    uint64_t v;
    memcpy(&v, (const char *)&st + counter_offset, sizeof(v));
    if (v != 1)
        fail_msg("%s: counted in the wrong counter", what);
}

#define KIND(field) offsetof(ds_capture_stats, field)

static void test_ipv6_everywhere(void **state)
{
    tu_buf b = {0};

    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x86dd);
    put_ipv6(&b);
    expect_kind(1, &b, "ethernet ipv6", KIND(ipv6));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x8847);
    tu_buf_u32be(&b, (5u << 12) | 0x100u | 1);
    put_ipv6(&b);
    expect_kind(1, &b, "mpls ipv6", KIND(ipv6));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x8864);
    tu_buf_u8(&b, 0x11);
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 1);
    tu_buf_u16be(&b, 42);
    tu_buf_u16be(&b, 0x0057);
    put_ipv6(&b);
    expect_kind(1, &b, "pppoe ipv6", KIND(ipv6));

    b.len = 0;
    put_ipv6(&b);
    expect_kind(101, &b, "raw ipv6", KIND(ipv6));
    expect_kind(12, &b, "dlt 12 ipv6", KIND(ipv6));
    expect_kind(229, &b, "ipv6 (229)", KIND(ipv6));
    expect_kind(228, &b, "ipv6 on the ipv4 link type", KIND(bad_ip));

    uint32_t families[] = {10, 24, 28, 30};
    for (size_t i = 0; i < 4; i++) {
        b.len = 0;
        tu_buf_u32le(&b, families[i]);
        put_ipv6(&b);
        expect_kind(0, &b, "null ipv6 (le)", KIND(ipv6));
        b.len = 0;
        tu_buf_u32be(&b, families[i]);
        put_ipv6(&b);
        expect_kind(0, &b, "null ipv6 (be)", KIND(ipv6));
        expect_kind(108, &b, "loop ipv6", KIND(ipv6));
    }

    b.len = 0;
    put_sll(&b, 1, 0x86dd);
    put_ipv6(&b);
    expect_kind(113, &b, "sll ipv6", KIND(ipv6));
    b.len = 0;
    put_sll2(&b, 1, 0x86dd);
    put_ipv6(&b);
    expect_kind(276, &b, "sll2 ipv6", KIND(ipv6));

    b.len = 0;
    tu_buf_u8(&b, 10); /* AF_INET6 */
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 0);
    tu_buf_u16le(&b, 4 + 40);
    tu_buf_u16le(&b, 9);
    put_ipv6(&b);
    expect_kind(239, &b, "nflog ipv6", KIND(ipv6));

    b.len = 0;
    tu_buf_u8(&b, 0xff);
    tu_buf_u8(&b, 0x03);
    tu_buf_u16be(&b, 0x0057);
    put_ipv6(&b);
    expect_kind(9, &b, "ppp ipv6", KIND(ipv6));
    tu_buf_free(&b);
}

static void test_non_ip(void **state)
{
    tu_buf b = {0};
    static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};

    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x0806);
    tu_buf_put(&b, arp, sizeof(arp));
    expect_kind(1, &b, "ethernet arp", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x88a8);
    tu_buf_u16be(&b, 1);
    tu_buf_u16be(&b, 0x8100);
    tu_buf_u16be(&b, 2);
    tu_buf_u16be(&b, 0x0806);
    tu_buf_put(&b, arp, sizeof(arp));
    expect_kind(1, &b, "qinq arp", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x88cc); /* LLDP */
    tu_buf_u16be(&b, 0);
    expect_kind(1, &b, "lldp", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 38);
    tu_buf_u8(&b, 0x42); /* LLC for spanning tree */
    tu_buf_u8(&b, 0x42);
    tu_buf_u8(&b, 0x03);
    tu_buf_u32be(&b, 0);
    expect_kind(1, &b, "stp", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 48);
    tu_buf_u8(&b, 0xaa);
    tu_buf_u8(&b, 0xaa);
    tu_buf_u8(&b, 0x03);
    tu_buf_u8(&b, 0x00); /* Cisco OUI: not an EtherType */
    tu_buf_u8(&b, 0x00);
    tu_buf_u8(&b, 0x0c);
    tu_buf_u16be(&b, 0x2000);
    expect_kind(1, &b, "snap cisco oui", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x8863); /* PPPoE discovery */
    tu_buf_u8(&b, 0x11);
    tu_buf_u8(&b, 0x09);
    tu_buf_u16be(&b, 0);
    tu_buf_u16be(&b, 0);
    expect_kind(1, &b, "pppoe discovery", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x8864);
    tu_buf_u8(&b, 0x11);
    tu_buf_u8(&b, 0x00);
    tu_buf_u16be(&b, 1);
    tu_buf_u16be(&b, 6);
    tu_buf_u16be(&b, 0xc021); /* LCP */
    tu_buf_u32be(&b, 0x01010004);
    expect_kind(1, &b, "pppoe lcp", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x8847);
    tu_buf_u32be(&b, (5u << 12) | 0x100u | 1);
    tu_buf_u32be(&b, 0); /* pseudowire control word */
    put_eth_addrs(&b);
    expect_kind(1, &b, "mpls pseudowire", KIND(non_ip));

    b.len = 0;
    put_eth_addrs(&b);
    tu_buf_u16be(&b, 0x9000); /* loopback test frame */
    tu_buf_u32be(&b, 0);
    expect_kind(1, &b, "ethernet loopback", KIND(non_ip));

    b.len = 0;
    put_sll(&b, 1, 0x0806);
    tu_buf_put(&b, arp, sizeof(arp));
    expect_kind(113, &b, "sll arp", KIND(non_ip));
    b.len = 0;
    put_sll(&b, 824, 0x0800); /* a netlink capture: the protocol is a netlink family */
    put_ipv4_syn(&b);
    expect_kind(113, &b, "sll netlink", KIND(non_ip));
    b.len = 0;
    put_sll2(&b, 1, 0x0806);
    tu_buf_put(&b, arp, sizeof(arp));
    expect_kind(276, &b, "sll2 arp", KIND(non_ip));
    b.len = 0;
    put_sll2(&b, 1, 0x0001); /* ETH_P_802_3: Novell raw */
    tu_buf_u32be(&b, 0xffffffff);
    expect_kind(276, &b, "sll2 novell", KIND(non_ip));

    b.len = 0;
    tu_buf_u32le(&b, 7); /* an unknown family */
    put_ipv4_syn(&b);
    expect_kind(0, &b, "null unknown family", KIND(non_ip));
    b.len = 0;
    tu_buf_u32le(&b, 2); /* LOOP is big-endian: 0x02000000 is not AF_INET */
    put_ipv4_syn(&b);
    expect_kind(108, &b, "loop little-endian family", KIND(non_ip));

    b.len = 0;
    tu_buf_u8(&b, 7); /* NFLOG family AF_BRIDGE */
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 0);
    tu_buf_u16le(&b, 4 + 40);
    tu_buf_u16le(&b, 9);
    put_ipv4_syn(&b);
    expect_kind(239, &b, "nflog bridge family", KIND(non_ip));

    b.len = 0;
    tu_buf_u16be(&b, 0xc021);
    tu_buf_u32be(&b, 0x01010004);
    expect_kind(9, &b, "ppp lcp", KIND(non_ip));
    b.len = 0;
    tu_buf_u8(&b, 0xff);
    tu_buf_u8(&b, 0x05);
    tu_buf_u16be(&b, 0x0021);
    expect_kind(9, &b, "ppp bad control", KIND(non_ip));
    b.len = 0;
    tu_buf_u8(&b, 0x8f);
    tu_buf_u8(&b, 0x00);
    tu_buf_u16be(&b, 0x8035); /* Cisco SLARP */
    expect_kind(104, &b, "c_hdlc slarp", KIND(non_ip));
    expect_kind(50, &b, "ppp_hdlc cisco slarp", KIND(non_ip));
    b.len = 0;
    tu_buf_u8(&b, 0x01);
    tu_buf_u8(&b, 0x00);
    expect_kind(50, &b, "ppp_hdlc unknown framing", KIND(non_ip));
    tu_buf_free(&b);
}

static void test_unknown_linktype(void **state)
{
    tu_buf b = {0};
    link_eth(&b);
    put_ipv4_syn(&b);
    uint32_t unknown[] = {105, 127, 147, 160, 197, 0xffffffffu};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        expect_kind(unknown[i], &b, "unknown link type", KIND(unknown_linktype));
        ds_packet p;
        ds_capture_stats st;
        decode(unknown[i], b.data, 0, &p, &st);
        assert_int_equal(st.unknown_linktype, 1);
    }
    tu_buf_free(&b);
}

static void test_linktype_names(void **state)
{
    assert_string_equal(ds_linktype_name(0), "null");
    assert_string_equal(ds_linktype_name(1), "ethernet");
    assert_string_equal(ds_linktype_name(9), "ppp");
    assert_string_equal(ds_linktype_name(12), "raw");
    assert_string_equal(ds_linktype_name(14), "raw");
    assert_string_equal(ds_linktype_name(50), "ppp_hdlc");
    assert_string_equal(ds_linktype_name(101), "raw");
    assert_string_equal(ds_linktype_name(104), "c_hdlc");
    assert_string_equal(ds_linktype_name(108), "loop");
    assert_string_equal(ds_linktype_name(113), "linux_sll");
    assert_string_equal(ds_linktype_name(228), "ipv4");
    assert_string_equal(ds_linktype_name(229), "ipv6");
    assert_string_equal(ds_linktype_name(239), "nflog");
    assert_string_equal(ds_linktype_name(276), "linux_sll2");
    assert_null(ds_linktype_name(105));
    assert_null(ds_linktype_name(160));
    assert_null(ds_linktype_name(0xffffffffu));
}

/* decode_spec - raw IPv4 (link type 228) from a spec. */
static int decode_spec(const ip_spec *s, ds_packet *p, ds_capture_stats *st)
{
    tu_buf b = {0};
    put_ipv4(&b, s);
    int r = decode(228, b.data, b.len, p, st);
    tu_buf_free(&b);
    return r;
}

static void test_ipv4_options(void **state)
{
    for (uint8_t ihl = 5; ihl <= 15; ihl++) {
        ip_spec s = spec_tcp(DS_TCP_SYN);
        s.ihl = ihl;
        tu_buf b = {0};
        link_eth(&b);
        put_ipv4(&b, &s);
        expect_syn(1, &b, "ipv4 with options");
        expect_cuts(1, &b, "ipv4 with options");
        tu_buf_free(&b);
    }
}

static void test_ipv4_bad_headers(void **state)
{
    ds_packet p;
    ds_capture_stats st;
    ip_spec s = spec_tcp(DS_TCP_SYN);

    s.version = 5;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);

    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        s = spec_tcp(DS_TCP_SYN);
        s.ihl = ihl;
        s.l4_bytes = 40; /* keep at least 20 bytes on the wire */
        assert_int_equal(decode_spec(&s, &p, &st), 0);
        assert_int_equal(st.bad_ip, 1);
    }

    /* A total length below the header length. */
    s = spec_tcp(DS_TCP_SYN);
    s.total_override = 19;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);
    s.ihl = 6;
    s.total_override = 20;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);

    /* A total length too small for the TCP (or UDP) header. */
    s = spec_tcp(DS_TCP_SYN);
    s.total_override = 39;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);
    s = spec_tcp(0);
    s.proto = DS_PROTO_UDP;
    s.total_override = 27;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);

    /* Raw IP of an unknown version. */
    uint8_t v7[20] = {0x75};
    decode(101, v7, sizeof(v7), &p, &st);
    assert_int_equal(st.bad_ip, 1);
    /* IPv4 on the IPv6 link type. */
    s = spec_tcp(DS_TCP_SYN);
    tu_buf b = {0};
    put_ipv4(&b, &s);
    decode(229, b.data, b.len, &p, &st);
    assert_int_equal(st.bad_ip, 1);
    tu_buf_free(&b);
}

static void test_ipv4_lengths(void **state)
{
    ds_packet p;
    ds_capture_stats st;

    /* Snapped: the total length says more than was captured; the TCP header is there. */
    ip_spec s = spec_tcp(DS_TCP_SYN);
    s.total_adjust = 1400;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.syn, 1);

    /* Snapped inside the TCP header: short, no packet. */
    s.l4_bytes = 16;
    s.total_override = 1500;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.short_records, 1);

    /* Ethernet padding after a short packet is ignored. */
    tu_buf b = {0};
    link_eth(&b);
    s = spec_tcp(DS_TCP_SYN);
    put_ipv4(&b, &s);
    for (int i = 0; i < 6; i++)
        tu_buf_u8(&b, 0);
    expect_syn(1, &b, "padded frame");

    /* Total length 0: captured before TCP segmentation offload filled it in. */
    s.total_override = 0;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.tcp, 1);
    assert_int_equal(st.syn, 1);
    tu_buf_free(&b);
}

static void test_fragments(void **state)
{
    ds_packet p;
    ds_capture_stats st;

    /* First fragment (MF set, offset 0) with the whole TCP header: ports and a SYN. */
    ip_spec s = spec_tcp(DS_TCP_SYN);
    s.frag = 0x2000;
    s.l4_bytes = 24;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.tcp, 1);
    assert_int_equal(st.syn, 1);
    assert_int_equal(st.fragments, 0);
    assert_int_equal(p.dport, 443);
    assert_true(ds_packet_is_syn(&p));

    /* DF set is not a fragment. */
    s = spec_tcp(DS_TCP_SYN);
    s.frag = 0x4000;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.syn, 1);

    /* A first fragment too small for the TCP header (RFC 1858 tiny fragment). */
    s = spec_tcp(DS_TCP_SYN);
    s.frag = 0x2000;
    s.l4_bytes = 8;
    assert_int_equal(decode_spec(&s, &p, &st), 0);
    assert_int_equal(st.bad_ip, 1);

    /* Later fragments, with and without MF: an IPv4 packet without ports. */
    uint16_t later[] = {0x2001, 0x0003, 0x1fff, 0x4000 | 0x0010};
    for (size_t i = 0; i < 4; i++) {
        s = spec_tcp(DS_TCP_SYN); /* bytes that look like a SYN must not count */
        s.frag = later[i];
        assert_int_equal(decode_spec(&s, &p, &st), 1);
        assert_int_equal(st.ipv4, 1);
        assert_int_equal(st.fragments, 1);
        assert_int_equal(st.tcp, 0);
        assert_int_equal(st.syn, 0);
        assert_int_equal(p.pkt_flags & DS_PKT_PORTS, 0);
        assert_int_equal(p.sport, 0);
        assert_int_equal(p.dport, 0);
        assert_int_equal(p.tcp_flags, 0);
        assert_int_equal(p.proto, DS_PROTO_TCP);
        assert_int_equal(p.src, SRC);
        assert_false(ds_packet_is_syn(&p));
    }
    /* A later fragment needs only the IP header. */
    s = spec_tcp(0);
    s.proto = DS_PROTO_UDP;
    s.frag = 0x0100;
    s.l4_bytes = 0;
    tu_buf b = {0};
    put_ipv4(&b, &s);
    decode(228, b.data, 20, &p, &st);
    assert_int_equal(st.fragments, 1);
    tu_buf_free(&b);
}

static void test_tcp_flags(void **state)
{
    struct {
        uint8_t flags;
        int syn;
    } cases[] = {
        {DS_TCP_SYN, 1},
        {DS_TCP_SYN | DS_TCP_ECE | DS_TCP_CWR, 1},
        {DS_TCP_SYN | DS_TCP_PSH | DS_TCP_URG | DS_TCP_FIN, 1},
        {DS_TCP_SYN | DS_TCP_ACK, 0},
        {DS_TCP_SYN | DS_TCP_ACK | DS_TCP_ECE, 0},
        {DS_TCP_RST, 0},
        {DS_TCP_RST | DS_TCP_ACK, 0},
        {DS_TCP_ACK, 0},
        {DS_TCP_FIN | DS_TCP_ACK, 0},
        {0, 0},
        {0xff, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ds_packet p;
        ds_capture_stats st;
        ip_spec s = spec_tcp(cases[i].flags);
        assert_int_equal(decode_spec(&s, &p, &st), 1);
        assert_int_equal(st.tcp, 1);
        assert_int_equal(st.syn, (uint64_t)cases[i].syn);
        assert_int_equal(p.tcp_flags, cases[i].flags);
        assert_int_equal(ds_packet_is_syn(&p), cases[i].syn);
    }
}

static void test_udp_icmp_other(void **state)
{
    ds_packet p;
    ds_capture_stats st;

    ip_spec s = spec_tcp(0);
    s.proto = DS_PROTO_UDP;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.udp, 1);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.seq, 0);
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.tcp_window, 0);
    assert_int_equal(p.pkt_flags, DS_PKT_PORTS);
    assert_false(ds_packet_is_syn(&p));

    s.proto = DS_PROTO_ICMP;
    assert_int_equal(decode_spec(&s, &p, &st), 1);
    assert_int_equal(st.icmp, 1);
    assert_int_equal(p.proto, DS_PROTO_ICMP);
    assert_int_equal(p.pkt_flags, 0);
    assert_int_equal(p.sport, 0);

    /* ICMP needs no transport bytes at all. */
    s.l4_bytes = 0;
    tu_buf b = {0};
    put_ipv4(&b, &s);
    decode(228, b.data, 20, &p, &st);
    assert_int_equal(st.icmp, 1);
    tu_buf_free(&b);

    uint8_t others[] = {4, 41, 47, 50, 132, 253};
    for (size_t i = 0; i < sizeof(others); i++) {
        s.proto = others[i]; /* tunnels (IP-in-IP, 6in4, GRE) are not looked into */
        assert_int_equal(decode_spec(&s, &p, &st), 1);
        assert_int_equal(st.other_proto, 1);
        assert_int_equal(p.proto, others[i]);
        assert_int_equal(p.pkt_flags, 0);
    }

    /* A UDP packet cut inside its header. */
    s = spec_tcp(0);
    s.proto = DS_PROTO_UDP;
    b = (tu_buf){0};
    put_ipv4(&b, &s);
    decode(228, b.data, 27, &p, &st);
    assert_int_equal(st.short_records, 1);
    tu_buf_free(&b);
}

/* VXLAN (UDP 4789) is decoded as its outer packet: a UDP packet, whatever it carries. */
static void test_vxlan_outer_only(void **state)
{
    tu_buf inner = {0};
    link_eth(&inner);
    put_ipv4_syn(&inner);
    tu_buf b = {0};
    link_eth(&b);
    ip_spec s = spec_tcp(0);
    s.proto = DS_PROTO_UDP;
    s.l4_bytes = (uint32_t)(8 + 8 + inner.len);
    put_ipv4(&b, &s);
    b.data[14 + 20 + 2] = 0x12; /* destination port 4789 */
    b.data[14 + 20 + 3] = 0xb5;
    b.data[14 + 28] = 0x08; /* VXLAN flags: VNI present */
    memcpy(b.data + 14 + 36, inner.data, inner.len);
    ds_packet p;
    ds_capture_stats st;
    assert_int_equal(decode(1, b.data, b.len, &p, &st), 1);
    assert_int_equal(st.udp, 1);
    assert_int_equal(st.syn, 0);
    assert_int_equal(p.dport, 4789);
    assert_int_equal(p.proto, DS_PROTO_UDP);
    tu_buf_free(&inner);
    tu_buf_free(&b);
}

/* NFLOG corner cases: TLVs in the way, a payload TLV cut short, a zero TLV length. */
static void test_nflog_tlvs(void **state)
{
    ds_packet p;
    ds_capture_stats st;
    tu_buf b = {0};

    /* TLVs with netlink flag bits in the type, and lengths that need padding. */
    tu_buf_u8(&b, 2);
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 0);
    tu_buf_u16le(&b, 5); /* 1 byte of value, padded to 8 */
    tu_buf_u16le(&b, 0x8000 | 11);
    tu_buf_u32be(&b, 0);
    tu_buf_u16le(&b, 6); /* 2 bytes of value, padded to 8 */
    tu_buf_u16le(&b, 0x4000 | 12);
    tu_buf_u32be(&b, 0);
    tu_buf_u16le(&b, 4 + 40);
    tu_buf_u16le(&b, 0x4000 | 9);
    put_ipv4_syn(&b);
    expect_syn(239, &b, "nflog with flagged TLV types");
    expect_cuts(239, &b, "nflog with flagged TLV types");

    /* A TLV length below 4 stops the walk. */
    b.len = 0;
    tu_buf_u8(&b, 2);
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 0);
    tu_buf_u16le(&b, 2);
    tu_buf_u16le(&b, 1);
    tu_buf_u16le(&b, 4 + 40);
    tu_buf_u16le(&b, 9);
    put_ipv4_syn(&b);
    decode(239, b.data, b.len, &p, &st);
    assert_int_equal(st.short_records, 1);

    /* No payload TLV at all. */
    b.len = 0;
    tu_buf_u8(&b, 2);
    tu_buf_u8(&b, 0);
    tu_buf_u16be(&b, 0);
    tu_buf_u16le(&b, 8);
    tu_buf_u16le(&b, 1);
    tu_buf_u32be(&b, 0x08000300);
    decode(239, b.data, b.len, &p, &st);
    assert_int_equal(st.short_records, 1);
    tu_buf_free(&b);
}

/* Frames cut inside the link header of non-IP and IPv6 frames also count as short. */
static void test_short_link_headers(void **state)
{
    ds_packet p;
    ds_capture_stats st;
    static const uint8_t zeros[64];
    struct {
        uint32_t linktype;
        uint32_t need; /* bytes of link header needed before anything is known */
    } cases[] = {{1, 14},  {0, 4},   {108, 4},  {113, 16}, {276, 20}, {239, 4},
                 {101, 1}, {229, 1}, {228, 20}, {50, 2},   {104, 4}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (uint32_t len = 0; len < cases[i].need; len++) {
            uint8_t *copy = test_malloc(len ? len : 1);
            memcpy(copy, zeros, len);
            decode(cases[i].linktype, copy, len, &p, &st);
            if (st.short_records != 1)
                fail_msg("link type %u cut at %u: not short", cases[i].linktype, len);
            test_free(copy);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_encapsulation),
        cmocka_unit_test(test_ipv6_everywhere),
        cmocka_unit_test(test_non_ip),
        cmocka_unit_test(test_unknown_linktype),
        cmocka_unit_test(test_linktype_names),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_bad_headers),
        cmocka_unit_test(test_ipv4_lengths),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_tcp_flags),
        cmocka_unit_test(test_udp_icmp_other),
        cmocka_unit_test(test_vxlan_outer_only),
        cmocka_unit_test(test_nflog_tlvs),
        cmocka_unit_test(test_short_link_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
