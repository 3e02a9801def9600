/*
 * encode.c - ds_packet_encode: a ds_packet as a frame of a given link type, with valid IPv4
 * and TCP/UDP/ICMP checksums, so that the simulator's captures look right in tshark and decode
 * back to the same ds_packet.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "darkscan/capture.h"

/* Addresses of the made-up link layer: locally administered MACs. */
static const uint8_t mac_dst[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t mac_src[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x02};

static inline void st16be(uint8_t *p, uint32_t v)
{
    uint16_t x = htobe16((uint16_t)v);
    memcpy(p, &x, sizeof(x));
}

static inline void st32be(uint8_t *p, uint32_t v)
{
    uint32_t x = htobe32(v);
    memcpy(p, &x, sizeof(x));
}

/* sum16 - the one's complement sum of len bytes (big-endian 16-bit words), not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (; len >= 2; p += 2, len -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* link_header - the link layer of an IPv4 frame; returns its length or 0 if unknown. */
static size_t link_header(uint32_t linktype, uint8_t *b)
{
    switch (linktype) {
    case 1: /* Ethernet */
        memcpy(b, mac_dst, 6);
        memcpy(b + 6, mac_src, 6);
        st16be(b + 12, 0x0800);
        return 14;
    case 101: /* raw IP */
    case 228: /* IPv4 */
        return 0;
    case 0: { /* NULL: AF_INET in the writing host's byte order */
        uint32_t af = 2;
        memcpy(b, &af, sizeof(af));
        return 4;
    }
    case 113: /* Linux SLL: received for us, Ethernet, 6-byte address */
        st16be(b, 0);
        st16be(b + 2, 1);
        st16be(b + 4, 6);
        memcpy(b + 6, mac_src, 6);
        st16be(b + 12, 0);
        st16be(b + 14, 0x0800);
        return 16;
    case 276: /* Linux SLL2 */
        st16be(b, 0x0800);
        st16be(b + 2, 0);
        st32be(b + 4, 1); /* interface index */
        st16be(b + 8, 1); /* ARPHRD_ETHER */
        b[10] = 0;        /* PACKET_HOST */
        b[11] = 6;
        memcpy(b + 12, mac_src, 6);
        st16be(b + 18, 0);
        return 20;
    default:
        return 0;
    }
}

size_t ds_packet_encode(const ds_packet *p, uint32_t linktype, uint8_t *buf, size_t cap)
{
    if (linktype != 0 && linktype != 1 && linktype != 101 && linktype != 113 && linktype != 228 &&
        linktype != 276)
        return 0;
    uint8_t frame[128];
    size_t link = link_header(linktype, frame);
    uint8_t *ip = frame + link;
    uint8_t *t = ip + 20;
    size_t l4;
    switch (p->proto) {
    case DS_PROTO_TCP:
        l4 = 20;
        break;
    case DS_PROTO_UDP:
    case DS_PROTO_ICMP:
        l4 = 8;
        break;
    default:
        l4 = 0;
        break;
    }
    size_t total = 20 + l4;
    if (link + total > cap)
        return 0;

    ip[0] = 0x45;
    ip[1] = 0;
    st16be(ip + 2, (uint32_t)total);
    st16be(ip + 4, p->ip_id);
    st16be(ip + 6, 0);
    ip[8] = p->ttl;
    ip[9] = p->proto;
    st16be(ip + 10, 0);
    st32be(ip + 12, p->src);
    st32be(ip + 16, p->dst);
    st16be(ip + 10, fold(sum16(ip, 20, 0)));

    /* The pseudo-header of TCP and UDP checksums (RFC 793, RFC 768). */
    uint32_t pseudo = sum16(ip + 12, 8, 0) + p->proto + (uint32_t)l4;
    switch (p->proto) {
    case DS_PROTO_TCP:
        st16be(t, p->sport);
        st16be(t + 2, p->dport);
        st32be(t + 4, p->seq);
        st32be(t + 8, 0); /* acknowledgement number */
        t[12] = 0x50;     /* data offset: 5 words, no options */
        t[13] = p->tcp_flags;
        st16be(t + 14, p->tcp_window);
        st16be(t + 16, 0);
        st16be(t + 18, 0);
        st16be(t + 16, fold(sum16(t, 20, pseudo)));
        break;
    case DS_PROTO_UDP: {
        st16be(t, p->sport);
        st16be(t + 2, p->dport);
        st16be(t + 4, 8);
        st16be(t + 6, 0);
        uint16_t c = fold(sum16(t, 8, pseudo));
        st16be(t + 6, c ? c : 0xffff); /* 0 means "no checksum" in UDP */
        break;
    }
    case DS_PROTO_ICMP:
        /* An echo request: identifier and sequence number from the ports. */
        t[0] = 8;
        t[1] = 0;
        st16be(t + 2, 0);
        st16be(t + 4, p->sport);
        st16be(t + 6, p->dport);
        st16be(t + 2, fold(sum16(t, 8, 0)));
        break;
    default:
        break;
    }
    memcpy(buf, frame, link + total);
    return link + total;
}
