/*
 * live.h - capturing packets from a network interface with libpcap, decoded into the same
 * ds_packet records as captures read from files (`darkscan ingest --interface`).
 *
 * The capture is non-blocking: ds_live_fd() gives a descriptor to poll, ds_live_next() returns
 * what has arrived. Records are decoded and counted by the same decoder as files, and the
 * kernel's drop counters are kept in 64 bits.
 */
#ifndef DARKSCAN_LIVE_H
#define DARKSCAN_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/capture.h"
#include "darkscan/error.h"
#include "darkscan/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_live ds_live;

typedef struct ds_live_options {
    const char *interface; /* required */
    const char *bpf;       /* capture filter (pcap-filter(7)); NULL or "": every packet */
    uint32_t snaplen;      /* bytes captured per packet; 0: 256 (headers are enough) */
    uint32_t buffer_bytes; /* kernel ring size; 0: 32 MiB */
    bool no_promisc;       /* do not put the interface in promiscuous mode */
} ds_live_options;

/*
 * ds_live_open - start capturing. DS_ERR_IO names the interface and libpcap's reason (no such
 * device, permission denied), DS_ERR_FORMAT a filter that does not compile. On success *out
 * owns the capture: ds_live_free().
 */
ds_status ds_live_open(ds_live **out, const ds_live_options *opt, ds_error *err);

/* ds_live_fd - a descriptor that polls readable when packets may be waiting. */
int ds_live_fd(const ds_live *l);

/*
 * ds_live_next - up to max decoded IPv4 packets of what has arrived (never waits); *n == 0
 * when nothing is waiting. Non-IPv4 records are counted in the stats only. DS_ERR_IO when the
 * capture fails (the interface went away).
 */
ds_status ds_live_next(ds_live *l, ds_packet *pkts, size_t max, size_t *n, ds_error *err);

/* ds_live_capture_stats - what the decoder counted so far (lives as long as l). */
const ds_capture_stats *ds_live_capture_stats(const ds_live *l);

/* The kernel's counters (pcap_stats), since the capture started. */
typedef struct ds_live_kernel_stats {
    uint64_t received;   /* packets that passed the filter */
    uint64_t dropped;    /* dropped for lack of buffer space */
    uint64_t if_dropped; /* dropped by the interface or its driver */
} ds_live_kernel_stats;

ds_status ds_live_kernel(ds_live *l, ds_live_kernel_stats *out, ds_error *err);

/* ds_live_linktype - the capture's link type (a LINKTYPE_/DLT_ value). */
uint32_t ds_live_linktype(const ds_live *l);

void ds_live_free(ds_live *l);

#ifdef __cplusplus
}
#endif
#endif
