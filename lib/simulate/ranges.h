/*
 * ranges.h - real source address ranges for the simulator's planted scanners, so that the
 * country and known-scanner enrichment of a simulated run show real answers.
 *
 * Documented scanning organisations take their hosts from the lists shipped in data/scanners/
 * (MISP warning lists, CC0; maltrail, MIT). Blocks standing for the paper's undisclosed
 * scanners are /16s of hosting providers whose first host /24 lies in the right country of
 * data/iptoasn-country-ipv4.mmdb (PDDL); they are chosen for their country only and nothing is
 * implied about their real owners. tests/unit/test_sim_ranges.c checks every entry against the
 * country database, the AS table and the scanner lists. scripts/sim-pick-ranges.py is how the
 * undisclosed ones were picked.
 */
#ifndef DS_SIMULATE_RANGES_H
#define DS_SIMULATE_RANGES_H

#include <stddef.h>

typedef struct ds_sim_range {
    const char *name;    /* key used by the scenarios: "censys", "paper-a", ... */
    const char *hosts;   /* comma-separated CIDRs in one /16; the first one's /24 is the top /24 */
    const char *country; /* ISO 3166 code of the first host CIDR in iptoasn-country */
    const char *asn;     /* "AS398324 Censys, Inc.": AS of the first host CIDR in asn-ipv4.csv */
    const char *owner;   /* the organisation, or "undisclosed" */
    const char *source;  /* where the hosts come from: "misp:censys-scanning", "maltrail",
                            "hosting" (a hosting provider's block in the right country) */
} ds_sim_range;

/* The table, and lookup by name (NULL when absent). */
extern const ds_sim_range ds_sim_ranges[];
extern const size_t ds_sim_ranges_count;
const ds_sim_range *ds_sim_range_find(const char *name);

#endif
