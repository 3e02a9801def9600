/*
 * packet.h - the one decoded packet record that every stage after the capture reader consumes.
 *
 * Addresses, ports and numbers are in host byte order: the decoder converts network order once.
 */
#ifndef DARKSCAN_PACKET_H
#define DARKSCAN_PACKET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP flag bits as they appear in the TCP header's flags byte. */
#define DS_TCP_FIN 0x01
#define DS_TCP_SYN 0x02
#define DS_TCP_RST 0x04
#define DS_TCP_PSH 0x08
#define DS_TCP_ACK 0x10
#define DS_TCP_URG 0x20
#define DS_TCP_ECE 0x40
#define DS_TCP_CWR 0x80

/* IP protocol numbers used by the method. */
#define DS_PROTO_ICMP 1
#define DS_PROTO_TCP  6
#define DS_PROTO_UDP  17

/* ds_packet.pkt_flags */
#define DS_PKT_PORTS 0x01 /* sport/dport (and for TCP seq, flags, window) are valid */

/*
 * One IPv4 packet as decoded from a capture record. Only IPv4 packets become records; every
 * other record is counted by reason in ds_capture_stats.
 */
typedef struct ds_packet {
    int64_t ts_ns;       /* capture time, nanoseconds since 1970-01-01T00:00:00Z */
    uint32_t src;        /* IPv4 source address */
    uint32_t dst;        /* IPv4 destination address */
    uint32_t seq;        /* TCP sequence number (0 when not TCP) */
    uint32_t file_index; /* which input file, as given to ds_reader_open() */
    uint16_t sport;      /* source port (TCP/UDP first fragment, else 0) */
    uint16_t dport;      /* destination port (TCP/UDP first fragment, else 0) */
    uint16_t ip_id;      /* IPv4 identification field */
    uint16_t tcp_window; /* TCP window field, unscaled (0 when not TCP) */
    uint8_t proto;       /* IP protocol number */
    uint8_t tcp_flags;   /* TCP flags byte, DS_TCP_* (0 when not TCP) */
    uint8_t ttl;         /* IPv4 time to live */
    uint8_t pkt_flags;   /* DS_PKT_* */
} ds_packet;

/* ds_packet_is_syn - TCP with SYN set and ACK clear (so SYN+ECE+CWR counts). */
static inline int ds_packet_is_syn(const ds_packet *p)
{
    return p->proto == DS_PROTO_TCP && (p->pkt_flags & DS_PKT_PORTS) &&
           (p->tcp_flags & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN;
}

#ifdef __cplusplus
}
#endif
#endif
