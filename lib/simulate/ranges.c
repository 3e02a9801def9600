/*
 * ranges.c - the simulator's real source ranges (see ranges.h).
 *
 * Documented organisations: hosts from data/scanners/ (MISP warning lists, maltrail).
 * Undisclosed scanners and distractors: hosting providers' /16s picked by
 * `scripts/sim-ranges.py pick NAME=CC ...` for their country in iptoasn-country (PDDL); the AS
 * column comes from asn-ipv4.csv (CC-BY-4.0, RouteViews, DB-IP, NRO). Planting a simulated
 * scanner in a block says nothing about its real owner.
 */
#include <string.h>

#include "simulate/ranges.h"

const ds_sim_range ds_sim_ranges[] = {
    /* ---- documented scanning organisations ---- */
    {"censys", "162.142.125.0/24", "US", "AS398324 Censys, Inc.", "Censys", "misp:censys-scanning"},
    {"censys-2025", "167.94.138.0/24,167.94.145.0/24,167.94.146.0/24", "US",
     "AS398324 Censys, Inc.", "Censys", "misp:censys-scanning"},
    {"shodan",
     "71.6.146.185/32,71.6.146.186/32,71.6.146.130/32,71.6.135.131/32,71.6.158.166/32,"
     "71.6.165.200/32,71.6.167.142/32,71.6.199.23/32",
     "US", "AS10439 CariNet, Inc.", "Shodan", "misp:shodan-scanning"},
    {"shadowserver-he", "184.105.139.96/28,184.105.247.208/28", "US",
     "AS6939 Hurricane Electric LLC", "Shadowserver", "maltrail:mass_scanner"},
    {"shadowserver", "162.249.64.0/24,162.249.66.0/24", "US",
     "AS22168 The Shadowserver Foundation, Inc.", "Shadowserver", "misp:shadowserver"},
    {"modat", "85.217.140.32/28,85.217.149.48/28", "NL", "AS209334 Modat B.V.", "Modat",
     "misp:modat-scanner"},
    {"stretchoid",
     "13.86.104.14/32,13.86.104.42/32,13.86.104.46/32,13.86.105.19/32,13.86.105.235/32,"
     "13.86.106.3/32,13.86.112.154/32",
     "US", "AS8075 Microsoft Corporation", "Stretchoid", "misp:stretchoid-nt-scanning"},
    {"rapid7", "88.202.190.136/29,88.202.190.144/29", "GB", "AS13213 UK-2 Limited",
     "Rapid7 Project Sonar", "misp:rapid7-nt-scanning"},

    /* ---- undisclosed scanners of the paper's Table 3, in the table's countries ---- */
    {"paper-a", "34.3.128.0/24,34.3.129.0/24", "IE", "AS214611 Google Cloud EMEA Ltd",
     "undisclosed", "hosting"},
    {"paper-b", "213.219.216.0/24,213.219.217.0/24", "RU",
     "AS216365 LIMITED LIABILITY COMPANY CLOUD SOLUTIONS", "undisclosed", "hosting"},
    {"paper-d", "185.123.188.0/24,185.123.189.0/24", "BG", "AS201200 SuperHosting.BG Ltd.",
     "undisclosed", "hosting"},
    {"paper-e", "91.230.192.0/24,91.230.193.0/24", "BG", "AS49699 SuperHosting.BG Ltd.",
     "undisclosed", "hosting"},
    {"paper-g", "185.254.220.0/24,185.254.221.0/24", "PL", "AS200999 CloudFerro S.A", "undisclosed",
     "hosting"},
    {"paper-h", "94.126.64.0/24,94.126.65.0/24", "NL", "AS31673 Uniserver Internet B.V.",
     "undisclosed", "hosting"},
    {"paper-i", "87.242.80.0/24,87.242.81.0/24", "RU", "AS25532 LLC \"MASTERHOST\"", "undisclosed",
     "hosting"},
    {"paper-j", "45.150.36.0/24,45.150.37.0/24", "RU", "AS48282 Hosting technology LTD",
     "undisclosed", "hosting"},
    {"paper-l", "96.44.141.0/24,96.44.142.0/24", "US", "AS36352 HostPapa", "undisclosed",
     "hosting"},
    {"paper-m", "82.148.0.0/24,82.148.1.0/24", "UZ", "AS43647 SERVERCORE CIS LLC", "undisclosed",
     "hosting"},
    {"paper-n", "113.137.32.0/24,113.137.33.0/24", "CN",
     "AS134768 CHINANET SHAANXI province Cloud Base network", "undisclosed", "hosting"},
    {"paper-o", "118.121.56.0/24,118.121.57.0/24", "CN",
     "AS38283 CHINANET SiChuan Telecom Internet Data Center", "undisclosed", "hosting"},
    {"paper-p", "43.240.220.0/24,43.240.221.0/24", "CN", "AS58519 Cloud Computing Corporation",
     "undisclosed", "hosting"},
    {"paper-q", "210.131.208.0/24,210.131.209.0/24", "JP", "AS131965 Xserver Inc.", "undisclosed",
     "hosting"},
    {"paper-r", "152.160.192.0/24,152.160.193.0/24", "US", "AS54163 AHOSTING", "undisclosed",
     "hosting"},
    {"paper-s", "202.61.164.0/24,202.61.165.0/24", "HK", "AS152194 CTG Server Limited",
     "undisclosed", "hosting"},
    {"paper-t", "91.222.136.0/24,91.222.137.0/24", "UA", "AS200000 Hosting Ukraine LTD",
     "undisclosed", "hosting"},
    {"paper-u", "176.125.240.0/24,176.125.241.0/24", "MD", "AS200019 ALEXHOST SRL", "undisclosed",
     "hosting"},
    {"paper-v", "185.156.176.0/24,185.156.177.0/24", "RU", "AS59504 LLC Vpsville", "undisclosed",
     "hosting"},
    {"paper-w", "31.25.96.0/24,31.25.97.0/24", "NL", "AS48635 Your Hosting B.V.", "undisclosed",
     "hosting"},
    {"paper-x", "46.183.216.0/24,46.183.217.0/24", "LV", "AS52048 SIA RixHost", "undisclosed",
     "hosting"},
    {"paper-y", "51.250.0.0/24,51.250.1.0/24", "RU", "AS200350 Yandex.Cloud LLC", "undisclosed",
     "hosting"},
    {"paper-z", "212.162.156.0/24,212.162.157.0/24", "GB", "AS57907 CloudConnX Limited",
     "undisclosed", "hosting"},
    {"paper-aa", "77.232.36.0/24,77.232.37.0/24", "RU", "AS212441 Cloud assets LLC", "undisclosed",
     "hosting"},
    {"paper-ab", "5.35.124.0/24,5.35.125.0/24", "RU", "AS211183 AdminVPS LLC", "undisclosed",
     "hosting"},
    {"paper-ac", "89.36.24.0/24,89.36.25.0/24", "RO", "AS39756 EASYHOST SRL", "undisclosed",
     "hosting"},
    {"paper-ad", "174.140.208.0/24,174.140.209.0/24", "RO",
     "AS17252 Colocation America Corporation", "undisclosed", "hosting"},
    {"paper-ae", "141.138.172.0/24,141.138.173.0/24", "NL", "AS197902 Hostnet B.V.", "undisclosed",
     "hosting"},
    {"paper-af", "208.72.0.0/24,208.72.1.0/24", "US", "AS36536 Enterhost", "undisclosed",
     "hosting"},
    {"paper-ah", "199.68.188.0/24,199.68.189.0/24", "US", "AS22319 Fogo Data Centers",
     "undisclosed", "hosting"},

    /* ---- distractors: blocks that must not be detected ---- */
    {"under-alpha", "5.230.0.0/24,5.230.1.0/24", "DE", "AS12586 GHOSTnet GmbH", "undisclosed",
     "hosting"},
    {"under-ports", "193.168.144.0/24,193.168.145.0/24", "FR", "AS62000 SERVERD SAS", "undisclosed",
     "hosting"},
    {"under-months", "8.215.164.0/24,8.215.165.0/24", "SG",
     "AS134963 Alibaba Cloud (Singapore) Private Limited", "undisclosed", "hosting"},
    {"split-1", "199.38.216.0/24,199.38.217.0/24", "US", "AS53914 Genesis Hosting Solutions, LLC",
     "undisclosed", "hosting"},
    {"split-2", "162.223.160.0/24,162.223.161.0/24", "US", "AS12025 Iron Mountain Data Center",
     "undisclosed", "hosting"},
    {"backscatter", "189.39.160.0/24,189.39.161.0/24", "BR",
     "AS52925 Ascenty Data Centers e Telecomunicacoes S/A", "undisclosed", "hosting"},
    {"udp", "155.94.176.0/24,155.94.177.0/24", "IN", "AS203020 HostRoyale Technologies Pvt Ltd",
     "undisclosed", "hosting"},
    {"outside", "211.43.176.0/24,211.43.177.0/24", "KR", "AS9952 Hostway IDC", "undisclosed",
     "hosting"},

    /* ---- the small scenario's undisclosed scanners ---- */
    {"small-adhoc", "84.201.128.0/24,84.201.129.0/24", "RU", "AS200350 Yandex.Cloud LLC",
     "undisclosed", "hosting"},
    {"small-edge", "103.216.112.0/24,103.216.113.0/24", "VN",
     "AS63765 HOSTVN Technology Solutions Joint Stock Company", "undisclosed", "hosting"},
};

const size_t ds_sim_ranges_count = sizeof(ds_sim_ranges) / sizeof(ds_sim_ranges[0]);

const ds_sim_range *ds_sim_range_find(const char *name)
{
    for (size_t i = 0; i < ds_sim_ranges_count; i++) {
        if (strcmp(ds_sim_ranges[i].name, name) == 0)
            return &ds_sim_ranges[i];
    }
    return NULL;
}
