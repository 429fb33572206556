/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny helpers shared by the static test workloads (header-only). */
#ifndef WL_H
#define WL_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * The "[-c CPU] [-n COUNT]" command line of the workloads that repeat one
 * operation COUNT times, pinned to CPU when given: 0 to go on, else the
 * exit code (2 bad usage, 1 cannot pin).
 */
static inline int wl_cpu_count_args(int argc, char **argv, const char *usage, long *cpu, long *count)
{
	int c;

	while ((c = getopt(argc, argv, "c:n:")) != -1) {
		switch (c) {
		case 'c':
			if (wl_parse_long(optarg, 0, 4095, cpu) < 0)
				return 2;
			break;
		case 'n':
			if (wl_parse_long(optarg, 1, 1000000, count) < 0)
				return 2;
			break;
		default:
			return wl_usage(usage);
		}
	}
	if (*cpu >= 0 && wl_pin(*cpu) < 0)
		return 1;
	return 0;
}

#endif
