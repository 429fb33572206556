/* parse.c — strict decimal and duration parsing; see parse.h. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse.h"
#include "util.h"

/* Parses the leading digits of s; *end is set past them. */
static int parse_digits(const char *s, uint64_t *ret, const char **end) {
        uint64_t v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        *end = p;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_uint(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        if (!ret)
                return -EINVAL;
        r = parse_u64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_duration(const char *s, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "",    USEC_PER_SEC },
                { "us",  1 },
                { "ms",  USEC_PER_MSEC },
                { "s",   USEC_PER_SEC },
                { "m",   60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "h",   3600 * USEC_PER_SEC },
        };
        const char *end;
        uint64_t v;
        int r;

        if (!s || !ret_usec)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (!streq(end, units[i].suffix))
                        continue;
                if (v > UINT64_MAX / units[i].usec)
                        return -ERANGE;
                *ret_usec = v * units[i].usec;
                return 0;
        }
        return -EINVAL;
}
