/*
 * decode.h - link-layer, IPv4 and TCP/UDP decoding of one capture record (private to
 * libdarkscan; the readers in this folder call it).
 */
#ifndef DS_CAPTURE_DECODE_H
#define DS_CAPTURE_DECODE_H

#include <stdint.h>

#include "darkscan/capture.h"

/*
 * ds_decode_record - decode one record of link type `linktype` (a LINKTYPE_ value, as in pcap
 * and pcapng headers) whose captured bytes are data[0..caplen).
 *
 * Returns 1 when the record holds an IPv4 packet: *out is filled except ts_ns and file_index,
 * which the caller sets. Returns 0 otherwise. Either way it adds the record to exactly one of
 * st's classification counters (ipv4, ipv6, non_ip, unknown_linktype, short_records, bad_ip)
 * and, for IPv4, to the protocol counters (tcp, udp, icmp, other_proto, fragments, syn). It
 * does not touch records, bytes, times, truncated or linktypes: the reader keeps those.
 */
int ds_decode_record(uint32_t linktype, const uint8_t *data, uint32_t caplen, ds_packet *out,
                     ds_capture_stats *st);

#endif
