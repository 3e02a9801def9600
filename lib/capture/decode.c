/*
 * decode.c - temporary: replaced by the decode branch.
 *
 * A minimal ds_decode_record() (Ethernet and raw IPv4 only, no VLAN/MPLS/PPPoE) and
 * ds_linktype_name() for the link types it decodes, so that the capture reader can be built
 * and tested before the real decoder lands. It follows the decode.h contract and nothing else
 * in lib/capture/ depends on its internals.
 */
#include <string.h>

#include "capture/decode.h"

#define LT_ETHERNET 1
#define LT_RAW      101
#define LT_IPV4     228

static inline uint16_t be16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}

static inline uint32_t be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

/* ipv4 - decode an IPv4 packet of len bytes. */
static inline int ipv4(const uint8_t *ip, uint32_t len, ds_packet *out, ds_capture_stats *st)
{
    if (len < 20) {
        st->short_records++;
        return 0;
    }
    uint32_t ihl = (ip[0] & 0x0fu) * 4u;
    uint32_t total = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl) {
        st->bad_ip++;
        return 0;
    }
    if (len < ihl) {
        st->short_records++;
        return 0;
    }
    st->ipv4++;
    out->src = be32(ip + 12);
    out->dst = be32(ip + 16);
    out->ip_id = be16(ip + 4);
    out->ttl = ip[8];
    out->proto = ip[9];
    out->seq = 0;
    out->sport = out->dport = 0;
    out->tcp_window = 0;
    out->tcp_flags = 0;
    out->pkt_flags = 0;
    if ((be16(ip + 6) & 0x1fffu) != 0) {
        st->fragments++;
        return 1;
    }
    const uint8_t *l4 = ip + ihl;
    uint32_t l4_len = len - ihl;
    switch (out->proto) {
    case DS_PROTO_TCP:
        if (l4_len >= 16) {
            uint32_t ports = be32(l4);
            out->sport = (uint16_t)(ports >> 16);
            out->dport = (uint16_t)ports;
            out->seq = be32(l4 + 4);
            out->tcp_flags = l4[13];
            out->tcp_window = be16(l4 + 14);
            out->pkt_flags = DS_PKT_PORTS;
            st->tcp++;
            st->syn += (l4[13] & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN;
        }
        break;
    case DS_PROTO_UDP:
        if (l4_len >= 4) {
            out->sport = be16(l4);
            out->dport = be16(l4 + 2);
            out->pkt_flags = DS_PKT_PORTS;
            st->udp++;
        }
        break;
    case DS_PROTO_ICMP:
        st->icmp++;
        break;
    default:
        st->other_proto++;
        break;
    }
    return 1;
}

int ds_decode_record(uint32_t linktype, const uint8_t *data, uint32_t caplen, ds_packet *out,
                     ds_capture_stats *st)
{
    if (__builtin_expect(
            linktype == LT_ETHERNET && caplen >= 14 && data[12] == 0x08 && data[13] == 0x00, 1))
        return ipv4(data + 14, caplen - 14, out, st);
    switch (linktype) {
    case LT_ETHERNET: {
        if (caplen < 14) {
            st->short_records++;
            return 0;
        }
        uint16_t type = be16(data + 12);
        if (type == 0x0800)
            return ipv4(data + 14, caplen - 14, out, st);
        if (type == 0x86dd)
            st->ipv6++;
        else
            st->non_ip++;
        return 0;
    }
    case LT_RAW:
    case LT_IPV4:
        if (caplen < 1) {
            st->short_records++;
            return 0;
        }
        if ((data[0] >> 4) == 6) {
            st->ipv6++;
            return 0;
        }
        if (linktype == LT_RAW && (data[0] >> 4) != 4) {
            st->non_ip++;
            return 0;
        }
        return ipv4(data, caplen, out, st);
    default:
        st->unknown_linktype++;
        return 0;
    }
}

const char *ds_linktype_name(uint32_t linktype)
{
    switch (linktype) {
    case LT_ETHERNET:
        return "ethernet";
    case LT_RAW:
        return "raw";
    case LT_IPV4:
        return "ipv4";
    default:
        return NULL;
    }
}
