/*
 * geoip.c - the country of an address from a MaxMind DB file (see enrich.h).
 *
 * Two record layouts exist in the wild: MaxMind's GeoIP2/GeoLite2 Country and City databases
 * put the ISO code at country.iso_code; the ip-location-db databases (iptoasn-country,
 * geo-whois-asn-country) have a flat country_code. The first that is present wins. MaxMind's
 * registered_country (where the block is registered, not where it is) is not used: the paper
 * takes the country of the addresses themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "darkscan/enrich.h"
#include "enrich/mmdb.h"

struct ds_geoip {
    ds_mmdb mmdb;
};

ds_status ds_geoip_open(ds_geoip **out, const char *path, ds_error *err)
{
    *out = NULL;
    ds_geoip *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status st = ds_mmdb_open(&g->mmdb, path, err);
    if (st != DS_OK) {
        free(g);
        return st;
    }
    *out = g;
    return DS_OK;
}

void ds_geoip_free(ds_geoip *g)
{
    if (g == NULL)
        return;
    ds_mmdb_close(&g->mmdb);
    free(g);
}

const char *ds_geoip_database_type(const ds_geoip *g)
{
    const char *t = g->mmdb.db.metadata.database_type;
    return t != NULL ? t : "";
}

/* country_code - 2 or 3 ASCII letters, upper-cased into out; false for anything else. */
static bool country_code(const char *text, char out[DS_COUNTRY_LEN])
{
    size_t n = strlen(text);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        out[i] = c;
    }
    out[n] = '\0';
    return true;
}

ds_status ds_geoip_country(const ds_geoip *g, uint32_t addr, char country[DS_COUNTRY_LEN],
                           ds_error *err)
{
    static const char *const iso_code[] = {"country", "iso_code", NULL};
    static const char *const flat[] = {"country_code", NULL};
    static const char *const *const paths[] = {iso_code, flat};
    country[0] = '\0';
    MMDB_lookup_result_s res;
    bool found;
    ds_status st = ds_mmdb_lookup_v4(&g->mmdb, addr, &res, &found, err);
    if (st != DS_OK || !found)
        return st;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char text[16];
        st = ds_mmdb_string(&g->mmdb, &res.entry, paths[i], text, sizeof(text), &found, err);
        if (st != DS_OK)
            return st;
        if (found && country_code(text, country))
            return DS_OK;
    }
    return DS_OK;
}
