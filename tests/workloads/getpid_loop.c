// SPDX-License-Identifier: GPL-2.0
/*
 * getpid_loop — the deferral's cost on kernel entry: getpid() in a tight
 * loop on one CPU for a while, then print the mean time per call.
 *
 * Every call is one user->kernel->user round trip, so on a deferral CPU it
 * runs tlbisol's entry catch-up check (vtime_user_exit() ftrace callback)
 * once; kmod-defer.sh compares the figure with and without the deferral in
 * one boot. Timing only, no verdict.
 *
 * Usage: getpid_loop -c CPU [-s SECONDS]
 * Prints: calls=N ns_per_call=X.XX
 */
#include <getopt.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "wl.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long cpu = -1, secs = 5;
	unsigned long calls = 0, i;
	double t0, t1;
	int o;

	while ((o = getopt(argc, argv, "c:s:")) != -1) {
		if (o == 'c' && !wl_parse_long(optarg, 0, 8191, &cpu))
			continue;
		if (o == 's' && !wl_parse_long(optarg, 1, 3600, &secs))
			continue;
		return wl_usage("getpid_loop -c CPU [-s SECONDS]");
	}
	if (cpu < 0)
		return wl_usage("getpid_loop -c CPU [-s SECONDS]");
	if (wl_pin(cpu))
		return 1;
	t0 = now();
	do {
		for (i = 0; i < 10000; i++)
			syscall(SYS_getpid);
		calls += 10000;
		t1 = now();
	} while (t1 - t0 < secs);
	printf("calls=%lu ns_per_call=%.2f\n", calls, (t1 - t0) * 1e9 / calls);
	return 0;
}
