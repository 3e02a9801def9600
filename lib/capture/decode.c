/*
 * decode.c - link layer, IPv4 and TCP/UDP decoding of one capture record.
 *
 * This is the innermost loop of every reader: it runs once per captured packet, tens of
 * millions of times a second. The common case (Ethernet, IPv4, TCP) is a straight line with
 * no calls through pointers; every other encapsulation goes through a small loop over
 * EtherType-like values. Every load is bounds-checked against caplen and done with memcpy, so
 * unaligned frames are fine. docs/FORMATS.md ("Decoding") describes what is decoded and which
 * counter each record lands in.
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/decode.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* LINKTYPE_ values (https://www.tcpdump.org/linktypes.html) and the raw-IP DLTs of some BSDs. */
enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_PPP = 9,
    LT_DLT_RAW_12 = 12,
    LT_DLT_RAW_14 = 14,
    LT_PPP_HDLC = 50,
    LT_RAW = 101,
    LT_C_HDLC = 104,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_LINUX_SLL2 = 276,
};

/* EtherType values the Ethernet walker knows. */
enum {
    ET_IPV4 = 0x0800,
    ET_IPV6 = 0x86dd,
    ET_VLAN = 0x8100,      /* 802.1Q */
    ET_QINQ = 0x88a8,      /* 802.1ad service tag */
    ET_QINQ_OLD1 = 0x9100, /* pre-standard QinQ */
    ET_QINQ_OLD2 = 0x9200,
    ET_QINQ_OLD3 = 0x9300,
    ET_MPLS_UC = 0x8847,
    ET_MPLS_MC = 0x8848,
    ET_PPPOE_SESS = 0x8864,
    ET_VNTAG = 0x8926, /* Cisco VN-Tag: 4 bytes of tag, then an EtherType */
    ET_MIN = 0x0600,   /* below: an 802.3 length field, an LLC header follows */
};

/* PPP protocol numbers. */
enum {
    PPP_IPV4 = 0x0021,
    PPP_IPV6 = 0x0057,
};

/* Where the link layer led: the classification before the IP layer. */
typedef enum net_kind {
    NET_IPV4,
    NET_IPV6,
    NET_NON_IP,
    NET_SHORT,
    NET_BAD_IP,
} net_kind;

/* NFLOG TLV type of the packet payload (linux/netfilter/nfnetlink_log.h). */
#define NFULA_PAYLOAD 9

/* ARPHRD_NETLINK: a Linux cooked capture of netlink messages, never IP. */
#define ARPHRD_NETLINK 824

static inline uint16_t ld16be(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16toh(v);
}

static inline uint32_t ld32be(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static inline uint16_t ld16le(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return le16toh(v);
}

static inline uint32_t ld32le(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

/*
 * decode_ipv4 - the IPv4 packet at ip[0..len) (len: captured bytes from the IP header on).
 * Classifies the record (ipv4, short_records or bad_ip) and fills *out for IPv4.
 */
static inline int decode_ipv4(const uint8_t *ip, uint32_t len, ds_packet *out, ds_capture_stats *st)
{
    if (unlikely(len < 20)) {
        st->short_records++;
        return 0;
    }
    uint32_t vihl = ip[0];
    uint32_t hl = (vihl & 0x0f) * 4u;
    uint32_t total = ld16be(ip + 2);
    if (unlikely((vihl >> 4) != 4 || hl < 20)) {
        st->bad_ip++;
        return 0;
    }
    if (unlikely(total < hl)) {
        /*
         * A total length of 0 is what a capture taken before TCP segmentation offload shows
         * (the NIC fills it in later): take the captured length instead, as Wireshark does.
         */
        if (total != 0) {
            st->bad_ip++;
            return 0;
        }
        total = len;
        if (total < hl) {
            st->short_records++;
            return 0;
        }
    }
    if (unlikely(hl > len)) {
        st->short_records++;
        return 0;
    }

    uint32_t proto = ip[9];
    uint32_t frag = ld16be(ip + 6);
    out->src = ld32be(ip + 12);
    out->dst = ld32be(ip + 16);
    out->ip_id = ld16be(ip + 4);
    out->ttl = ip[8];
    out->proto = (uint8_t)proto;
    out->seq = 0;
    out->sport = 0;
    out->dport = 0;
    out->tcp_window = 0;
    out->tcp_flags = 0;
    out->pkt_flags = 0;

    if (unlikely((frag & 0x1fff) != 0)) {
        /* A later fragment: no transport header. Still an IPv4 packet to the darknet. */
        st->ipv4++;
        st->fragments++;
        return 1;
    }

    /* The transport header must lie inside the packet and inside the captured bytes. */
    const uint8_t *t = ip + hl;
    if (likely(proto == DS_PROTO_TCP)) {
        if (unlikely(hl + 20 > total)) {
            st->bad_ip++;
            return 0;
        }
        if (unlikely(hl + 20 > len)) {
            st->short_records++;
            return 0;
        }
        uint32_t flags = t[13];
        out->sport = ld16be(t);
        out->dport = ld16be(t + 2);
        out->seq = ld32be(t + 4);
        out->tcp_flags = (uint8_t)flags;
        out->tcp_window = ld16be(t + 14);
        out->pkt_flags = DS_PKT_PORTS;
        st->ipv4++;
        st->tcp++;
        st->syn += (flags & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN;
        return 1;
    }
    if (proto == DS_PROTO_UDP) {
        if (unlikely(hl + 8 > total)) {
            st->bad_ip++;
            return 0;
        }
        if (unlikely(hl + 8 > len)) {
            st->short_records++;
            return 0;
        }
        out->sport = ld16be(t);
        out->dport = ld16be(t + 2);
        out->pkt_flags = DS_PKT_PORTS;
        st->ipv4++;
        st->udp++;
        return 1;
    }
    st->ipv4++;
    if (proto == DS_PROTO_ICMP)
        st->icmp++;
    else
        st->other_proto++;
    return 1;
}

/* ip_by_version - raw IP of either version: the first nibble says which. */
static net_kind ip_by_version(const uint8_t *p, uint32_t len, uint32_t off)
{
    if (off >= len)
        return NET_SHORT;
    switch (p[off] >> 4) {
    case 4:
        return NET_IPV4;
    case 6:
        return NET_IPV6;
    default:
        return NET_BAD_IP;
    }
}

/* ppp_proto - the PPP protocol field at off (1 byte when compressed, RFC 1661 6.5). */
static net_kind ppp_proto(const uint8_t *p, uint32_t len, uint32_t *off)
{
    if (*off >= len)
        return NET_SHORT;
    uint32_t proto;
    if (p[*off] & 1) {
        proto = p[*off];
        *off += 1;
    } else {
        if (*off + 2 > len)
            return NET_SHORT;
        proto = ld16be(p + *off);
        *off += 2;
    }
    if (proto == PPP_IPV4)
        return NET_IPV4;
    if (proto == PPP_IPV6)
        return NET_IPV6;
    return NET_NON_IP;
}

/* mpls_stack - skip MPLS label entries up to the bottom of stack, then guess IPv4/IPv6. */
static net_kind mpls_stack(const uint8_t *p, uint32_t len, uint32_t *off)
{
    for (;;) {
        if (*off + 4 > len)
            return NET_SHORT;
        uint32_t bos = p[*off + 2] & 1;
        *off += 4;
        if (bos)
            break;
    }
    if (*off >= len)
        return NET_SHORT;
    switch (p[*off] >> 4) {
    case 4:
        return NET_IPV4;
    case 6:
        return NET_IPV6;
    default:
        /* A pseudowire (control word, Ethernet) or something else: not decoded. */
        return NET_NON_IP;
    }
}

/*
 * ether_from - follow a chain of EtherType values, the first of which (`type`) has been read
 * and whose payload starts at *off, through VLAN/QinQ tags, VN-Tag, MPLS, PPPoE session and
 * LLC/SNAP, to the network layer. On NET_IPV4/NET_IPV6 *off is the offset of the IP header.
 */
static net_kind ether_from(const uint8_t *p, uint32_t len, uint32_t type, uint32_t *off)
{
    uint32_t o = *off;
    for (;;) {
        switch (type) {
        case ET_IPV4:
            *off = o;
            return NET_IPV4;
        case ET_IPV6:
            *off = o;
            return NET_IPV6;
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD1:
        case ET_QINQ_OLD2:
        case ET_QINQ_OLD3:
            o += 2; /* TCI; the next EtherType follows */
            break;
        case ET_VNTAG:
            o += 4;
            break;
        case ET_MPLS_UC:
        case ET_MPLS_MC: {
            net_kind k = mpls_stack(p, len, &o);
            *off = o;
            return k;
        }
        case ET_PPPOE_SESS: {
            /* version/type, code, session id, length; then the PPP protocol */
            if (o + 6 > len)
                return NET_SHORT;
            o += 6;
            net_kind k = ppp_proto(p, len, &o);
            *off = o;
            return k;
        }
        default:
            if (type >= ET_MIN)
                return NET_NON_IP;
            /* An 802.3 length: an LLC header. Only SNAP with OUI 0 carries an EtherType. */
            if (o + 3 > len)
                return NET_SHORT;
            if (p[o] != 0xaa || p[o + 1] != 0xaa || p[o + 2] != 0x03)
                return NET_NON_IP;
            if (o + 6 > len)
                return NET_SHORT;
            if (p[o + 3] != 0 || p[o + 4] != 0 || p[o + 5] != 0)
                return NET_NON_IP;
            o += 6; /* LLC (3) + OUI (3); the EtherType is next */
            if (o + 2 <= len && ld16be(p + o) < ET_MIN)
                return NET_NON_IP; /* SNAP never nests another 802.3 length */
            break;
        }
        if (o + 2 > len)
            return NET_SHORT;
        type = ld16be(p + o);
        o += 2;
    }
}

/* ether_walk - ether_from with the first EtherType at p[*off]. */
static net_kind ether_walk(const uint8_t *p, uint32_t len, uint32_t *off)
{
    if (*off + 2 > len)
        return NET_SHORT;
    uint32_t type = ld16be(p + *off);
    *off += 2;
    return ether_from(p, len, type, off);
}

/* llc_walk - an LLC header at *off (Linux cooked captures with protocol ETH_P_802_2). */
static net_kind llc_walk(const uint8_t *p, uint32_t len, uint32_t *off)
{
    return ether_from(p, len, 0, off); /* as after an 802.3 length field */
}

/* af_kind - an address family value (NULL/LOOP headers) as a network-layer kind. */
static net_kind af_kind(uint32_t af)
{
    switch (af) {
    case 2: /* AF_INET everywhere */
        return NET_IPV4;
    case 10: /* AF_INET6: Linux */
    case 24: /* OpenBSD, NetBSD, BSD/OS */
    case 28: /* FreeBSD, DragonFly */
    case 30: /* macOS, iOS */
        return NET_IPV6;
    default:
        return NET_NON_IP;
    }
}

/*
 * sll_proto - the protocol field of a Linux cooked header (SLL, SLL2) whose payload starts at
 * *off; hatype is the ARPHRD_ type of the interface.
 */
static net_kind sll_proto(const uint8_t *p, uint32_t len, uint32_t proto, uint32_t hatype,
                          uint32_t *off)
{
    if (hatype == ARPHRD_NETLINK)
        return NET_NON_IP;
    if (proto >= ET_MIN)
        return ether_from(p, len, proto, off);
    if (proto == 0x0004) /* ETH_P_802_2: an LLC header follows */
        return llc_walk(p, len, off);
    return NET_NON_IP;
}

/*
 * nflog_payload - find the NFULA_PAYLOAD TLV of a Linux NFLOG record. The TLVs follow a
 * 4-byte header (family, version, resource id); their length and type are in the capturing
 * host's byte order (little-endian in practice) and each is padded to 4 bytes.
 */
static net_kind nflog_payload(const uint8_t *p, uint32_t len, uint32_t *off)
{
    if (len < 4)
        return NET_SHORT;
    net_kind k;
    if (p[0] == 2)
        k = NET_IPV4;
    else if (p[0] == 10)
        k = NET_IPV6;
    else
        return NET_NON_IP;
    uint32_t o = 4;
    for (;;) {
        if (o + 4 > len)
            return NET_SHORT;
        uint32_t tlv_len = ld16le(p + o);
        uint32_t tlv_type = ld16le(p + o + 2) & 0x3fff; /* without the netlink flag bits */
        if (tlv_len < 4)
            return NET_SHORT; /* an impossible length: nothing further can be found */
        if (tlv_type == NFULA_PAYLOAD) {
            *off = o + 4;
            return k;
        }
        o += (tlv_len + 3u) & ~3u;
    }
}

/*
 * link_walk - from the start of a record of any known link type other than the Ethernet
 * fast path, find the network layer. Returns -1 for an unknown link type.
 */
static int link_walk(uint32_t linktype, const uint8_t *p, uint32_t len, uint32_t *off)
{
    *off = 0;
    switch (linktype) {
    case LT_ETHERNET:
        *off = 12;
        return ether_walk(p, len, off);
    case LT_RAW:
    case LT_DLT_RAW_12:
    case LT_DLT_RAW_14:
        return ip_by_version(p, len, 0);
    case LT_IPV4:
        return NET_IPV4; /* decode_ipv4 checks the version */
    case LT_IPV6:
        if (len < 1)
            return NET_SHORT;
        return (p[0] >> 4) == 6 ? NET_IPV6 : NET_BAD_IP;
    case LT_NULL: {
        if (len < 4)
            return NET_SHORT;
        /* The family in the capturing host's byte order: a small value in one of the two. */
        uint32_t af = ld32le(p);
        if (af > 0xffff)
            af = ld32be(p);
        *off = 4;
        return af_kind(af);
    }
    case LT_LOOP:
        if (len < 4)
            return NET_SHORT;
        *off = 4;
        return af_kind(ld32be(p));
    case LT_LINUX_SLL:
        /* packet type, ARPHRD type, address length, address (8), protocol */
        if (len < 16)
            return NET_SHORT;
        *off = 16;
        return sll_proto(p, len, ld16be(p + 14), ld16be(p + 2), off);
    case LT_LINUX_SLL2:
        /* protocol, reserved, interface index, ARPHRD type, packet type, address len, address */
        if (len < 20)
            return NET_SHORT;
        *off = 20;
        return sll_proto(p, len, ld16be(p), ld16be(p + 8), off);
    case LT_NFLOG:
        return nflog_payload(p, len, off);
    case LT_PPP:
        /* With or without the HDLC-like address and control bytes (0xff 0x03). */
        if (len >= 1 && p[0] == 0xff) {
            if (len < 2)
                return NET_SHORT;
            if (p[1] != 0x03)
                return NET_NON_IP;
            *off = 2;
        }
        return ppp_proto(p, len, off);
    case LT_PPP_HDLC:
        if (len < 2)
            return NET_SHORT;
        if (p[0] == 0xff && p[1] == 0x03) {
            *off = 2;
            return ppp_proto(p, len, off);
        }
        if (p[0] == 0x0f || p[0] == 0x8f) { /* Cisco HDLC framing */
            *off = 2;
            return ether_walk(p, len, off);
        }
        return NET_NON_IP;
    case LT_C_HDLC:
        /* address, control, then an EtherType */
        *off = 2;
        return ether_walk(p, len, off);
    default:
        return -1;
    }
}

int ds_decode_record(uint32_t linktype, const uint8_t *data, uint32_t caplen, ds_packet *out,
                     ds_capture_stats *st)
{
    /* The common case: untagged Ethernet carrying IPv4. */
    if (likely(linktype == LT_ETHERNET && caplen >= 14 && ld16be(data + 12) == ET_IPV4))
        return decode_ipv4(data + 14, caplen - 14, out, st);

    uint32_t off;
    int k = link_walk(linktype, data, caplen, &off);
    switch (k) {
    case NET_IPV4:
        return decode_ipv4(data + off, caplen - off, out, st);
    case NET_IPV6:
        st->ipv6++;
        return 0;
    case NET_NON_IP:
        st->non_ip++;
        return 0;
    case NET_SHORT:
        st->short_records++;
        return 0;
    case NET_BAD_IP:
        st->bad_ip++;
        return 0;
    default:
        st->unknown_linktype++;
        return 0;
    }
}

const char *ds_linktype_name(uint32_t linktype)
{
    switch (linktype) {
    case LT_NULL:
        return "null";
    case LT_ETHERNET:
        return "ethernet";
    case LT_PPP:
        return "ppp";
    case LT_DLT_RAW_12:
    case LT_DLT_RAW_14:
    case LT_RAW:
        return "raw";
    case LT_PPP_HDLC:
        return "ppp_hdlc";
    case LT_C_HDLC:
        return "c_hdlc";
    case LT_LOOP:
        return "loop";
    case LT_LINUX_SLL:
        return "linux_sll";
    case LT_IPV4:
        return "ipv4";
    case LT_IPV6:
        return "ipv6";
    case LT_NFLOG:
        return "nflog";
    case LT_LINUX_SLL2:
        return "linux_sll2";
    default:
        return NULL;
    }
}
