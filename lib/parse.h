/* parse.h — strict number and duration parsing (the replacement for atoi).
 *
 * Usage: unsigned irq; r = parse_uint(arg, &irq); if (r < 0) ...;
 * All parsers accept plain decimal digits only: no sign, no leading or
 * trailing whitespace, no trailing garbage, no empty string (-EINVAL);
 * values that do not fit give -ERANGE. *ret is untouched on failure. */
#pragma once
#include <stdint.h>

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)

int parse_u64(const char *s, uint64_t *ret);
int parse_uint(const char *s, unsigned *ret);

/* "10s", "500ms", "250us", "2m" (or "2min"), "1h"; a bare number means
 * seconds. One number and one unit: no fractions, no "1m30s". */
int parse_duration(const char *s, uint64_t *ret_usec);
