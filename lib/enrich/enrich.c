/*
 * enrich.c - attach country, AS and known-scanner facts to every constant scanner block of a
 * result (ds_enrich_results), and count blocks per country (the paper's Figure 1).
 */
#include <stdlib.h>
#include <string.h>

#include "darkscan/enrich.h"

static char *dup_or_null(const char *s, bool *failed)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *failed = true;
    return d;
}

void ds_enrichment_free(ds_enrichment *e)
{
    if (e == NULL)
        return;
    free(e->geoip_source);
    free(e->asn_source);
    for (size_t i = 0; i < e->n_known_sources; i++)
        free(e->known_sources[i]);
    free(e->known_sources);
    for (size_t i = 0; i < e->n_networks; i++)
        free(e->networks[i].known);
    free(e->networks);
    free(e->countries);
    free(e);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* known_for - the known-scanner organisations meeting net, with its hosts they cover. */
static ds_status known_for(const ds_known *known, const ds_network *net, ds_network_enrichment *ne,
                           ds_error *err)
{
    uint32_t *hosts = malloc((net->n_host_list ? net->n_host_list : 1) * sizeof(*hosts));
    if (hosts == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < net->n_host_list; i++)
        hosts[i] = net->host_list[i].addr;
    if (net->n_host_list > 1)
        qsort(hosts, net->n_host_list, sizeof(*hosts), cmp_u32);
    uint32_t last = (uint32_t)((uint64_t)net->block + ((uint64_t)1 << (32 - net->prefix)) - 1);
    ds_status st = ds_known_match(known, net->block, last, hosts, net->n_host_list, &ne->known,
                                  &ne->n_known, err);
    free(hosts);
    return st;
}

static int cmp_country(const void *a, const void *b)
{
    const ds_country_count *x = a, *y = b;
    bool xu = x->country[0] == '\0', yu = y->country[0] == '\0';
    if (xu != yu)
        return xu ? 1 : -1;
    if (x->networks != y->networks)
        return x->networks > y->networks ? -1 : 1;
    return strcmp(x->country, y->country);
}

/* count_countries - Figure 1: networks per country (unknown as ""). */
static ds_status count_countries(ds_enrichment *e, ds_error *err)
{
    e->countries = calloc(e->n_networks ? e->n_networks : 1, sizeof(*e->countries));
    if (e->countries == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < e->n_networks; i++) {
        const char *cc = e->networks[i].country;
        size_t k = 0;
        while (k < e->n_countries && strcmp(e->countries[k].country, cc) != 0)
            k++;
        if (k == e->n_countries) {
            memcpy(e->countries[k].country, cc, DS_COUNTRY_LEN);
            e->n_countries++;
        }
        e->countries[k].networks++;
    }
    if (e->n_countries > 1)
        qsort(e->countries, e->n_countries, sizeof(*e->countries), cmp_country);
    return DS_OK;
}

ds_status ds_enrich_results(ds_results *r, const ds_enrich_sources *src, ds_error *err)
{
    bool failed = false;
    ds_enrichment *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status st = DS_OK;
    e->geoip = src->geoip != NULL;
    e->asn = src->asn != NULL;
    e->known = src->known != NULL;
    e->geoip_source = e->geoip ? dup_or_null(src->geoip_path, &failed) : NULL;
    e->asn_source = e->asn ? dup_or_null(src->asn_path, &failed) : NULL;
    if (e->known && src->n_known_paths > 0) {
        e->known_sources = calloc(src->n_known_paths, sizeof(*e->known_sources));
        failed |= e->known_sources == NULL;
        for (size_t i = 0; !failed && i < src->n_known_paths; i++) {
            e->known_sources[i] = dup_or_null(src->known_paths[i], &failed);
            e->n_known_sources++;
        }
    }
    e->networks = calloc(r->n_networks ? r->n_networks : 1, sizeof(*e->networks));
    if (failed || e->networks == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    e->n_networks = r->n_networks;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *net = &r->networks[i];
        ds_network_enrichment *ne = &e->networks[i];
        if (src->geoip != NULL) {
            st = ds_geoip_country(src->geoip, net->top24_host, ne->country, err);
            if (st != DS_OK)
                goto fail;
        }
        if (src->asn != NULL) {
            st = ds_asn_lookup(src->asn, net->top24_host, &ne->has_asn, &ne->asn, err);
            if (st != DS_OK)
                goto fail;
        }
        if (src->known != NULL) {
            st = known_for(src->known, net, ne, err);
            if (st != DS_OK)
                goto fail;
        }
    }
    if (e->geoip) {
        st = count_countries(e, err);
        if (st != DS_OK)
            goto fail;
    }
    ds_enrichment_free(r->enrichment);
    r->enrichment = e;
    return DS_OK;
fail:
    ds_enrichment_free(e);
    return st;
}
