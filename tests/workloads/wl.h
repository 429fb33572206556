/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny helpers shared by the static test workloads (header-only). */
#ifndef WL_H
#define WL_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int wl_usage(const char *u)
{
	fprintf(stderr, "usage: %s\n", u);
	return 2;
}

/* Strict number parsing: the whole string, in [min, max]. */
static inline int wl_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "invalid number '%s' (want %ld..%ld)\n", s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static inline int wl_pin(long cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "cannot pin to CPU %ld: %s\n", cpu, strerror(errno));
		return -errno;
	}
	return 0;
}

#endif
