/*
 * enrich.h - what darkscan adds to each constant scanner block so that a user can act on it
 * (report it, allow-list it, attribute it): its country (the paper's rule), its autonomous
 * system, the known scanning organisations whose published ranges meet it, and - through the
 * opt-in `darkscan probe` - whether its hosts publish a scanning disclosure page.
 *
 * Lookups use one address per block: the busiest source host of the block's top /24
 * (ds_network.top24_host), i.e. the /24 that sent the most SYN packets to D over the whole
 * input, as the paper takes the country of that /24.
 */
#ifndef DARKSCAN_ENRICH_H
#define DARKSCAN_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "darkscan/detect.h"
#include "darkscan/error.h"
#include "darkscan/json_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room for an ISO 3166-1 country code ("US", at most 3 letters) and its NUL. */
#define DS_COUNTRY_LEN 4

/* ---- Country: a MaxMind DB file read with libmaxminddb ---- */

typedef struct ds_geoip ds_geoip;

/*
 * ds_geoip_open - open a MaxMind DB country (or city) database. Accepts both record layouts
 * found in the wild: MaxMind's {"country": {"iso_code": "US"}} (GeoIP2, GeoLite2) and the flat
 * {"country_code": "US"} of the ip-location-db files. A missing or damaged file is DS_ERR_IO
 * or DS_ERR_FORMAT "PATH: libmaxminddb: <reason>". *out is freed with ds_geoip_free().
 */
ds_status ds_geoip_open(ds_geoip **out, const char *path, ds_error *err);
void ds_geoip_free(ds_geoip *g);

/*
 * ds_geoip_country - the country of addr into country ("" when the database has no record or
 * no country for it). A record that cannot be decoded (a damaged database) is DS_ERR_FORMAT
 * "PATH: libmaxminddb: <reason>".
 */
ds_status ds_geoip_country(const ds_geoip *g, uint32_t addr, char country[DS_COUNTRY_LEN],
                           ds_error *err);

/* ds_geoip_database_type - the database's metadata type ("GeoLite2-Country"); borrowed. */
const char *ds_geoip_database_type(const ds_geoip *g);

/* ---- Autonomous system: a MaxMind DB ASN database, or a start,end,asn,org CSV ---- */

typedef struct ds_asn_db ds_asn_db;

/* Organisation names are cut to this many bytes minus one. */
#define DS_ASN_ORG_MAX 256

typedef struct ds_asn_info {
    uint32_t number;          /* the AS number */
    char org[DS_ASN_ORG_MAX]; /* its organisation, "" when the database gives none */
} ds_asn_info;

/*
 * ds_asn_open - open an AS database, told apart by content: a MaxMind DB (records with
 * autonomous_system_number and autonomous_system_organization, as GeoLite2-ASN), or a CSV of
 * `start,end,asn,org` lines (ip-location-db's asn-ipv4.csv: inclusive dotted or numeric
 * addresses, RFC 4180 quoting), plain or gzip-compressed. IPv6 lines are skipped. Errors name
 * the file (and line). Free with ds_asn_free().
 */
ds_status ds_asn_open(ds_asn_db **out, const char *path, ds_error *err);
void ds_asn_free(ds_asn_db *db);

/*
 * ds_asn_lookup - the AS of addr: *found false when the database has none (out unchanged).
 * Of overlapping CSV ranges the narrowest wins. A damaged MaxMind DB record is DS_ERR_FORMAT.
 */
ds_status ds_asn_lookup(const ds_asn_db *db, uint32_t addr, bool *found, ds_asn_info *out,
                        ds_error *err);

/* ds_asn_range_count - CSV ranges loaded (0 for a MaxMind DB). */
size_t ds_asn_range_count(const ds_asn_db *db);

/* ---- Known scanners: published ranges of scanning organisations ---- */

typedef struct ds_known ds_known;

/* What loading skipped. */
typedef struct ds_known_stats {
    uint64_t ranges;        /* IPv4 ranges kept */
    uint64_t ipv6;          /* IPv6 entries skipped */
    uint64_t skipped;       /* entries that are not addresses, skipped (with a warning) */
    uint64_t organisations; /* distinct names */
} ds_known_stats;

/* ds_known_new - an empty set of lists; NULL when out of memory. Free with ds_known_free(). */
ds_known *ds_known_new(void);
void ds_known_free(ds_known *k);

/*
 * ds_known_load_file - add one list. Formats, told apart by content:
 *  - a MISP warning list: a JSON object whose "list" array holds CIDRs or addresses;
 *  - `ADDR[/LEN] # owner` lines (maltrail's mass_scanner.txt); lines may be bare addresses;
 *  - `CIDR [name]` lines.
 * '#' starts a comment line; blank lines are skipped; IPv6 entries are counted and skipped.
 * On an entry line, the text after '#' is the owner (maltrail's convention).
 * The organisation of an entry: its owner text (a host name is cut to its registered domain
 * without suffix: "scan-12.shadowserver.org" -> "shadowserver"), else the list's own name from
 * the file name ("censys-scanning.json" -> "censys"; see docs/FORMATS.md).
 * An entry that is not an address or CIDR (real lists have typos) is skipped and counted, with
 * a warning "PATH:LINE: reason (skipped)" to diag for the first few; a list without any usable
 * entry is DS_ERR_FORMAT with the first such reason, and so is bad JSON or a MISP list that is
 * not of type "cidr". A failed load adds nothing.
 */
ds_status ds_known_load_file(ds_known *k, const char *path, const ds_diag *diag, ds_error *err);

/* ds_known_load_mem - the same from len bytes of text; `path` names it (messages, fallback). */
ds_status ds_known_load_mem(ds_known *k, const char *text, size_t len, const char *path,
                            const ds_diag *diag, ds_error *err);

/* ds_known_finish - index what was loaded; call once before ds_known_match. */
ds_status ds_known_finish(ds_known *k, ds_error *err);

ds_known_stats ds_known_get_stats(const ds_known *k);

/* One organisation whose ranges meet a block. */
typedef struct ds_known_hit {
    const char *name; /* borrowed from the ds_known: lives as long as it */
    uint64_t hosts;   /* of the given source hosts, how many lie in its ranges */
} ds_known_hit;

/*
 * ds_known_match - the organisations whose ranges meet [first, last], with how many of the
 * hosts (sorted ascending, distinct) lie inside their ranges; sorted by hosts descending, then
 * name. *hits is malloc'd (free it), NULL when *n_hits is 0.
 */
ds_status ds_known_match(const ds_known *k, uint32_t first, uint32_t last, const uint32_t *hosts,
                         size_t n_hosts, ds_known_hit **hits, size_t *n_hits, ds_error *err);

/* ---- Enriching results ---- */

/* What one constant scanner block got (parallel to ds_results.networks). */
typedef struct ds_network_enrichment {
    char country[DS_COUNTRY_LEN]; /* "" unknown (or no --geoip) */
    bool has_asn;                 /* the AS database knows top24_host */
    ds_asn_info asn;
    ds_known_hit *known; /* names borrowed from the ds_known given to ds_enrich_results */
    size_t n_known;
} ds_network_enrichment;

/* The paper's Figure 1: constant scanner blocks per country. */
typedef struct ds_country_count {
    char country[DS_COUNTRY_LEN]; /* "" for blocks of unknown country */
    uint32_t networks;
} ds_country_count;

typedef struct ds_enrichment {
    bool geoip, asn, known; /* which sources were used */
    char *geoip_source;     /* their paths (copies), NULL when not used */
    char *asn_source;
    char **known_sources;
    size_t n_known_sources;
    ds_network_enrichment *networks; /* n_networks == ds_results.n_networks */
    size_t n_networks;
    ds_country_count *countries; /* descending networks, then ascending code, unknown last */
    size_t n_countries;
} ds_enrichment;

/* Sources for ds_enrich_results; every pointer may be NULL (that enrichment is skipped). */
typedef struct ds_enrich_sources {
    const ds_geoip *geoip;
    const char *geoip_path;
    const ds_asn_db *asn;
    const char *asn_path;
    const ds_known *known; /* finished; must outlive the results (names are borrowed) */
    const char *const *known_paths;
    size_t n_known_paths;
} ds_enrich_sources;

/*
 * ds_enrich_results - look every network of r up in the given sources and attach the answers
 * as r->enrichment (replacing any earlier one; freed with the results). Fails on a damaged
 * database record (the message names the file) or out of memory; r is then unchanged.
 */
ds_status ds_enrich_results(ds_results *r, const ds_enrich_sources *src, ds_error *err);

/* ds_enrichment_free - free an enrichment (ds_results_free calls it). NULL is a no-op. */
void ds_enrichment_free(ds_enrichment *e);

/* ---- Disclosure pages: `darkscan probe` (opt-in; it contacts the scanning hosts) ---- */

/* Response headers longer than this are an error. */
#define DS_HTTP_MAX_HEADER (32 * 1024)

/* One HTTP/1.x response as the probe received it. */
typedef struct ds_http_response {
    int status;             /* 200..999 (interim 1xx responses are skipped) */
    char location[512];     /* the Location header, "" when none (control bytes dropped) */
    char content_type[128]; /* the Content-Type header, "" when none */
    uint8_t *body;          /* the body, de-chunked, NUL-terminated; malloc'd */
    size_t body_len;
    bool truncated; /* the body is incomplete: cut at max_body, or the data ended early */
} ds_http_response;

/*
 * ds_http_parse_response - parse the len bytes a server sent for one GET (up to the end of
 * the connection, the size cap or the timeout). Bodies follow Content-Length, chunked
 * transfer coding, or the end of the data; at most max_body bytes are kept. DS_ERR_FORMAT
 * when the bytes are not an HTTP/1.x response (status line, header syntax, chunk sizes,
 * headers over DS_HTTP_MAX_HEADER). On success free out with ds_http_response_free().
 */
ds_status ds_http_parse_response(const uint8_t *data, size_t len, size_t max_body,
                                 ds_http_response *out, ds_error *err);
void ds_http_response_free(ds_http_response *r);

/* Keywords recorded per page, at most. */
#define DS_DISCLOSURE_MAX_WORDS 16

/* Whether a page discloses scanning, and why. */
typedef struct ds_disclosure {
    bool documented; /* it speaks of scanning and of a purpose or an opt-out */
    /* the words of the page that matched a keyword, lower case, each once, page order of
       the keyword list ("scanning", "opt-out", "スキャン"); a word is cut at 47 bytes */
    char matched[DS_DISCLOSURE_MAX_WORDS][48];
    size_t n_matched;
    char title[256]; /* the page's <title>, blanks collapsed; "" when none */
} ds_disclosure;

/*
 * ds_disclosure_check - read a page (HTML or text, UTF-8 or ASCII) for scanning-disclosure
 * keywords in several languages (lib/enrich/disclosure.c lists them and the rule).
 */
void ds_disclosure_check(const uint8_t *body, size_t len, ds_disclosure *out);

/* How the probe behaves. ds_probe_config_default gives the values in brackets. */
typedef struct ds_probe_config {
    uint16_t port;               /* TCP port of the web server [80] */
    unsigned connect_timeout_ms; /* to establish the connection [3000] */
    unsigned timeout_ms;         /* for one whole request, connection included [10000] */
    size_t max_bytes;            /* response bytes read per request, at most [262144] */
    unsigned max_redirects;      /* same-host redirects followed [3] */
    double rate;                 /* requests per second over all hosts, at most [2] */
    unsigned hosts_per_network;  /* top source hosts checked per block [3] */
    bool rdns;                   /* look up reverse DNS names [true] */
    unsigned rdns_timeout_ms;    /* per lookup [3000] */
    bool allow_special;          /* also probe special-purpose addresses (loopback, private,
                                    documentation...: for tests) [false] */
    const char *user_agent;      /* NULL: the darkscan-probe User-Agent below */
    const char *contact;         /* appended to that User-Agent when not NULL */
} ds_probe_config;

/*
 * The User-Agent: "darkscan-probe/<version> (research scanner disclosure check)", or with a
 * contact: "darkscan-probe/<version> (research scanner disclosure check; contact: <contact>)",
 * so that whoever reads the server's log can see who asks, why, and whom to write to. Name
 * your own contact (an address or a page) with contact, as the scanning guidelines ask of
 * anyone who sends unsolicited requests.
 */

void ds_probe_config_default(ds_probe_config *c);

/* What the probe found at one host. */
typedef struct ds_probe_result {
    uint32_t addr;
    char rdns[256];             /* reverse DNS name, "" when none */
    char url[320];              /* the last URL requested, "" when none */
    int status;                 /* HTTP status of the last response, 0 when none */
    char error[320];            /* why there is no page ("timeout", ...), "" when none */
    size_t bytes;               /* response bytes read (last request) */
    bool truncated;             /* the last body was cut (size cap, early end) */
    unsigned redirects;         /* same-host redirects followed */
    char redirect_refused[512]; /* a Location not followed (another host), "" when none */
    ds_disclosure disclosure;   /* of the last page */
} ds_probe_result;

typedef struct ds_prober ds_prober;

/* ds_prober_new - a prober (its rate limit spans every request it makes). */
ds_status ds_prober_new(ds_prober **out, const ds_probe_config *cfg, ds_error *err);
void ds_prober_free(ds_prober *p);

/*
 * ds_probe_host - reverse DNS of addr, then GET / over HTTP/1.1 on the configured port with
 * the probe's User-Agent, following redirects only to the same address and port, reading at
 * most max_bytes; the page is checked with ds_disclosure_check. Never fails: what went wrong
 * is in out->error. Special-purpose addresses are refused unless allow_special.
 */
void ds_probe_host(ds_prober *p, uint32_t addr, ds_probe_result *out);

/* What ds_probe_results reports as it goes (may be NULL; called from the calling thread). */
typedef struct ds_probe_events {
    void (*host_done)(void *ctx, const char *block, const ds_probe_result *res);
    void *ctx;
} ds_probe_events;

/*
 * ds_probe_results - probe the top hosts (the "hosts" array, by packets) of every network of
 * a results JSON tree and write the tree again to out with, per network, "documented",
 * "evidence" (the disclosing page or null) and "probed_hosts" (every host checked), and a
 * top-level "probe" object (when, port, User-Agent). Every other key is kept in order; keys
 * of an earlier probe are replaced. DS_ERR_FORMAT when root is not a results JSON.
 */
ds_status ds_probe_results(const ds_jval *root, ds_prober *p, const ds_probe_events *events,
                           FILE *out, ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
