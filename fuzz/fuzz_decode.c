/*
 * fuzz_decode.c - libFuzzer target for ds_decode_record().
 *
 * Input: a 4-byte little-endian link type, then the captured bytes of one record. Besides
 * memory safety (the frame is exactly as long as the input, so any read past caplen is caught
 * by ASan), it checks the counting contract of decode.h: every record lands in exactly one
 * classification counter, an IPv4 record in exactly one protocol counter, and a returned
 * packet has ports only for unfragmented or first-fragment TCP/UDP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size - 4 > DS_MAX_RECORD)
        return 0;
    uint32_t linktype = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                        (uint32_t)data[3] << 24;
    uint32_t caplen = (uint32_t)(size - 4);
    uint8_t *frame = malloc(caplen ? caplen : 1);
    if (frame == NULL)
        return 0;
    memcpy(frame, data + 4, caplen);

    ds_capture_stats st;
    memset(&st, 0, sizeof(st));
    ds_packet p;
    memset(&p, 0, sizeof(p));
    int r = ds_decode_record(linktype, frame, caplen, &p, &st);

    uint64_t classes =
        st.ipv4 + st.ipv6 + st.non_ip + st.unknown_linktype + st.short_records + st.bad_ip;
    uint64_t protos = st.tcp + st.udp + st.icmp + st.other_proto + st.fragments;
    if (classes != 1 || protos != st.ipv4 || (uint64_t)r != st.ipv4 || st.syn > st.tcp)
        abort();
    if (r == 1) {
        int ported = (p.pkt_flags & DS_PKT_PORTS) != 0;
        if (ported != (int)(st.tcp + st.udp))
            abort();
        if (ported && p.proto != DS_PROTO_TCP && p.proto != DS_PROTO_UDP)
            abort();
        if (ds_packet_is_syn(&p) != (int)st.syn)
            abort();
        if (!(p.pkt_flags & DS_PKT_PORTS) && (p.sport || p.dport || p.tcp_flags))
            abort();
    }
    free(frame);
    return 0;
}
