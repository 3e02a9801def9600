/*
 * config.c - the honeypot's option values: addresses, port lists, banners, rotation, defaults
 * (see include/darkscan/honeypot.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/honeypot.h"

void ds_honeypot_config_init(ds_honeypot_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = DS_HONEYPOT_SOCKETS;
    cfg->backlog = 128;
    cfg->capture_bytes = 256;
    cfg->idle_timeout_ms = 30000;
    cfg->max_duration_ms = 300000;
    cfg->max_sessions = 1024;
    cfg->max_per_source = 64;
    cfg->rotate = DS_ROTATE_NONE;
}

uint32_t ds_honeypot_addr_v4(const ds_honeypot_addr *a)
{
    if (a->family != 4)
        return 0;
    return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 | (uint32_t)a->bytes[2] << 8 |
           a->bytes[3];
}

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

ds_status ds_honeypot_addr_parse(const char *text, ds_honeypot_addr *out, ds_error *err)
{
    memset(out, 0, sizeof(*out));
    if (strchr(text, ':') == NULL) {
        if (inet_pton(AF_INET, text, out->bytes) == 1) {
            out->family = 4;
            return DS_OK;
        }
        return ds_error_set(err, DS_ERR_FORMAT, "'%s' is not an IPv4 address", text);
    }
    uint8_t b[16];
    if (inet_pton(AF_INET6, text, b) != 1)
        return ds_error_set(err, DS_ERR_FORMAT, "'%s' is not an IPv6 address", text);
    if (memcmp(b, v4_mapped_prefix, 12) == 0) {
        out->family = 4;
        memcpy(out->bytes, b + 12, 4);
    } else {
        out->family = 6;
        memcpy(out->bytes, b, 16);
    }
    return DS_OK;
}

char *ds_honeypot_addr_format(const ds_honeypot_addr *a, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, (socklen_t)size) == NULL)
        buf[0] = '\0';
    return buf;
}

static void ports_add(ds_honeypot_ports *set, uint32_t port)
{
    uint64_t bit = (uint64_t)1 << (port & 63);
    if ((set->bits[port >> 6] & bit) == 0) {
        set->bits[port >> 6] |= bit;
        set->count++;
    }
}

void ds_honeypot_ports_all(ds_honeypot_ports *set)
{
    memset(set, 0xff, sizeof(set->bits));
    set->bits[0] &= ~(uint64_t)1; /* port 0 */
    set->count = 65535;
}

/* A port number at *p: digits only, 1-65535. Advances *p. */
static bool parse_port(const char **p, uint32_t *port)
{
    const char *s = *p;
    uint32_t v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (uint32_t)(s[n] - '0');
        if (v > 65535)
            return false;
        n++;
    }
    if (n == 0 || v == 0)
        return false;
    *p = s + n;
    *port = v;
    return true;
}

ds_status ds_honeypot_ports_parse(const char *text, ds_honeypot_ports *set, ds_error *err)
{
    memset(set, 0, sizeof(*set));
    const char *p = text;
    for (;;) {
        const char *item = p;
        uint32_t lo, hi;
        if (!parse_port(&p, &lo))
            goto bad;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!parse_port(&p, &hi) || hi < lo)
                goto bad;
        }
        for (uint32_t port = lo; port <= hi; port++)
            ports_add(set, port);
        if (*p == '\0')
            return DS_OK;
        if (*p != ',')
            goto bad;
        p++;
        continue;
    bad : {
        size_t len = strcspn(item, ",");
        return ds_error_set(err, DS_ERR_INVALID,
                            "'%.*s' is not a port (1-65535) or a range of ports (LOW-HIGH)",
                            (int)(len > 64 ? 64 : len), item);
    }
    }
}

ds_status ds_honeypot_rotate_parse(const char *text, ds_honeypot_rotate_kind *kind, uint64_t *size,
                                   ds_error *err)
{
    *size = 0;
    if (strcmp(text, "hourly") == 0) {
        *kind = DS_ROTATE_HOURLY;
        return DS_OK;
    }
    if (strcmp(text, "daily") == 0) {
        *kind = DS_ROTATE_DAILY;
        return DS_OK;
    }
    if (!isdigit((unsigned char)text[0]))
        goto bad;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0)
        goto bad;
    unsigned shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        goto bad;
    }
    if (*end != '\0' && end[1] != '\0')
        goto bad;
    if (v > (UINT64_MAX >> 31))
        goto bad;
    v <<= shift;
    if (v < 1024)
        return ds_error_set(err, DS_ERR_INVALID, "rotation size '%s' is under 1024 bytes", text);
    *kind = DS_ROTATE_SIZE;
    *size = v;
    return DS_OK;
bad:
    return ds_error_set(err, DS_ERR_INVALID,
                        "'%s' is not hourly, daily or a size (N, NK, NM or NG)", text);
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

ds_status ds_honeypot_banner_parse(const char *text, ds_honeypot_banner *out, ds_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *p = text;
    uint32_t port;
    if (!parse_port(&p, &port) || *p != ':')
        return ds_error_set(err, DS_ERR_INVALID, "'%s' is not PORT:TEXT (port 1-65535)", text);
    out->port = (uint16_t)port;
    p++;
    size_t len = 0;
    while (*p != '\0') {
        int c = (unsigned char)*p++;
        if (c == '\\') {
            int e = (unsigned char)*p;
            if (e == '\0')
                return ds_error_set(err, DS_ERR_INVALID, "banner for port %u ends in a lone \\",
                                    port);
            p++;
            switch (e) {
            case 'r':
                c = '\r';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case '\\':
                c = '\\';
                break;
            case 'x': {
                int hi = hex_value((unsigned char)p[0]);
                int lo = hi < 0 ? -1 : hex_value((unsigned char)p[1]);
                if (lo < 0)
                    return ds_error_set(err, DS_ERR_INVALID,
                                        "banner for port %u: \\x needs two hex digits", port);
                c = hi * 16 + lo;
                p += 2;
                break;
            }
            default:
                return ds_error_set(err, DS_ERR_INVALID,
                                    "banner for port %u: unknown escape (use \\r \\n \\t \\\\ "
                                    "or \\xHH)",
                                    port);
            }
        }
        if (len == DS_HONEYPOT_BANNER_MAX)
            return ds_error_set(err, DS_ERR_INVALID, "banner for port %u is over %u bytes", port,
                                DS_HONEYPOT_BANNER_MAX);
        out->data[len++] = (uint8_t)c;
    }
    out->len = (uint16_t)len;
    return DS_OK;
}

const char *ds_honeypot_end_name(ds_honeypot_end e)
{
    switch (e) {
    case DS_HP_END_CLOSE:
        return "close";
    case DS_HP_END_RESET:
        return "reset";
    case DS_HP_END_IDLE:
        return "idle";
    case DS_HP_END_MAX_DURATION:
        return "max-duration";
    case DS_HP_END_MAX_SESSIONS:
        return "max-sessions";
    case DS_HP_END_MAX_PER_SOURCE:
        return "max-per-source";
    case DS_HP_END_NO_FD:
        return "no-fd";
    case DS_HP_END_SHUTDOWN:
        return "shutdown";
    }
    return "unknown";
}
