/*
 * live.c - live capture with libpcap (see include/darkscan/live.h).
 *
 * pcap_create + pcap_activate in immediate mode with nanosecond time stamps where the platform
 * has them, non-blocking; pcap_dispatch hands records to the decoder of lib/capture/decode.c.
 * pcap_stats counters are 32-bit on most platforms and wrap: they are accumulated as deltas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "darkscan/live.h"
#include "capture/decode.h"

#define DEFAULT_SNAPLEN 256u
#define DEFAULT_BUFFER  (32u << 20)

struct ds_live {
    pcap_t *pcap;
    uint32_t linktype;
    bool nano;
    int fd;
    ds_capture_stats stats;
    ds_live_kernel_stats kernel;
    struct pcap_stat last; /* the previous raw pcap_stats, for wrap-around */
    /* during one dispatch */
    ds_packet *out;
    size_t n, max;
};

static void note_linktype(ds_capture_stats *st, uint32_t lt)
{
    for (uint32_t i = 0; i < st->n_linktypes; i++) {
        if (st->linktypes[i] == lt)
            return;
    }
    if (st->n_linktypes < DS_MAX_LINKTYPES)
        st->linktypes[st->n_linktypes++] = lt;
}

ds_status ds_live_open(ds_live **out, const ds_live_options *opt, ds_error *err)
{
    *out = NULL;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    ds_live *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    l->stats.first_ts_ns = INT64_MAX;
    l->stats.last_ts_ns = INT64_MIN;
    ds_status s = DS_OK;
    l->pcap = pcap_create(opt->interface, errbuf);
    if (l->pcap == NULL) {
        s = ds_error_set(err, DS_ERR_IO, "%s: %s", opt->interface, errbuf);
        goto fail;
    }
    pcap_set_snaplen(l->pcap, (int)(opt->snaplen ? opt->snaplen : DEFAULT_SNAPLEN));
    pcap_set_promisc(l->pcap, !opt->no_promisc);
    pcap_set_immediate_mode(l->pcap, 1);
    pcap_set_buffer_size(l->pcap, (int)(opt->buffer_bytes ? opt->buffer_bytes : DEFAULT_BUFFER));
    l->nano = pcap_set_tstamp_precision(l->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int rc = pcap_activate(l->pcap);
    if (rc < 0) {
        const char *why = pcap_geterr(l->pcap);
        s = ds_error_set(err, DS_ERR_IO, "%s: %s%s%s", opt->interface, pcap_statustostr(rc),
                         why && why[0] ? ": " : "", why ? why : "");
        goto fail;
    }
    if (l->nano)
        l->nano = pcap_get_tstamp_precision(l->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    if (opt->bpf != NULL && opt->bpf[0] != '\0') {
        struct bpf_program prog;
        if (pcap_compile(l->pcap, &prog, opt->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            s = ds_error_set(err, DS_ERR_FORMAT, "--bpf '%s': %s", opt->bpf, pcap_geterr(l->pcap));
            goto fail;
        }
        rc = pcap_setfilter(l->pcap, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            s = ds_error_set(err, DS_ERR_IO, "%s: cannot set the filter: %s", opt->interface,
                             pcap_geterr(l->pcap));
            goto fail;
        }
    }
    if (pcap_setnonblock(l->pcap, 1, errbuf) != 0) {
        s = ds_error_set(err, DS_ERR_IO, "%s: %s", opt->interface, errbuf);
        goto fail;
    }
    l->fd = pcap_get_selectable_fd(l->pcap);
    if (l->fd < 0) {
        s = ds_error_set(err, DS_ERR_UNSUPPORTED, "%s: no descriptor to poll", opt->interface);
        goto fail;
    }
    l->linktype = (uint32_t)pcap_datalink(l->pcap);
    *out = l;
    return DS_OK;
fail:
    ds_live_free(l);
    return s;
}

int ds_live_fd(const ds_live *l)
{
    return l->fd;
}

uint32_t ds_live_linktype(const ds_live *l)
{
    return l->linktype;
}

static void on_record(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    ds_live *l = (ds_live *)user;
    int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * (l->nano ? 1 : 1000);
    ds_capture_stats *st = &l->stats;
    st->records++;
    st->bytes += h->caplen;
    if (ts < st->first_ts_ns)
        st->first_ts_ns = ts;
    if (ts > st->last_ts_ns)
        st->last_ts_ns = ts;
    note_linktype(st, l->linktype);
    ds_packet *p = &l->out[l->n];
    if (ds_decode_record(l->linktype, bytes, h->caplen, p, st)) {
        p->ts_ns = ts;
        p->file_index = 0;
        l->n++;
    }
}

ds_status ds_live_next(ds_live *l, ds_packet *pkts, size_t max, size_t *n, ds_error *err)
{
    *n = 0;
    l->out = pkts;
    l->n = 0;
    l->max = max;
    /* Each record gives at most one packet, so max records never overflow pkts. */
    int rc = pcap_dispatch(l->pcap, (int)(max > 1000000 ? 1000000 : max), on_record, (u_char *)l);
    *n = l->n;
    if (rc == PCAP_ERROR)
        return ds_error_set(err, DS_ERR_IO, "capture failed: %s", pcap_geterr(l->pcap));
    return DS_OK;
}

const ds_capture_stats *ds_live_capture_stats(const ds_live *l)
{
    return &l->stats;
}

ds_status ds_live_kernel(ds_live *l, ds_live_kernel_stats *out, ds_error *err)
{
    struct pcap_stat ps;
    if (pcap_stats(l->pcap, &ps) != 0)
        return ds_error_set(err, DS_ERR_IO, "pcap_stats: %s", pcap_geterr(l->pcap));
    /* Unsigned differences are right across one wrap of the 32-bit counters. */
    l->kernel.received += (u_int)(ps.ps_recv - l->last.ps_recv);
    l->kernel.dropped += (u_int)(ps.ps_drop - l->last.ps_drop);
    l->kernel.if_dropped += (u_int)(ps.ps_ifdrop - l->last.ps_ifdrop);
    l->last = ps;
    *out = l->kernel;
    return DS_OK;
}

void ds_live_free(ds_live *l)
{
    if (l == NULL)
        return;
    if (l->pcap != NULL)
        pcap_close(l->pcap);
    free(l);
}
