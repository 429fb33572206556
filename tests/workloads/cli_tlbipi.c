// SPDX-License-Identifier: GPL-2.0
/*
 * cli_tlbipi — a user TLB-shootdown source for 'tlbctl noise' tests.
 *
 * One thread spins in user space on TARGET (so this mm is live there); the
 * main thread, on SENDER, maps, touches and unmaps a page in a loop: every
 * munmap() flushes the TLB of all CPUs running this mm, i.e. one
 * flush_tlb_func IPI to TARGET per round. Prints the number of rounds.
 * -n ROUNDS stops after that many rounds (a fixed amount of work, for the
 * benchmark's mix), -d SECONDS (default 10) after that long, whichever
 * comes first.
 *
 * Usage: cli_tlbipi -t TARGET -s SENDER [-d SECONDS] [-n ROUNDS] [-p PAUSE_US]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "wl.h"

static volatile int stop;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *spin(void *arg)
{
	if (pin(*(int *)arg) < 0) {
		perror("cli_tlbipi: pin target");
		exit(1);
	}
	while (!stop)
		__asm__ volatile("" ::: "memory");
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long target = -1, sender = -1, secs = 10, pause_us = 2000, rounds = 0, max_rounds = 0;
	int c, tcpu;
	double t0;
	pthread_t th;

	while ((c = getopt(argc, argv, "t:s:d:n:p:")) != -1) {
		switch (c) {
		case 't': if (wl_parse_long(optarg, 0, 8191, &target)) return 2; break;
		case 's': if (wl_parse_long(optarg, 0, 8191, &sender)) return 2; break;
		case 'd': if (wl_parse_long(optarg, 1, 3600, &secs)) return 2; break;
		case 'n': if (wl_parse_long(optarg, 1, 1000000000, &max_rounds)) return 2; break;
		case 'p': if (wl_parse_long(optarg, 0, 1000000, &pause_us)) return 2; break;
		default:
			return wl_usage("cli_tlbipi -t TARGET -s SENDER [-d SECONDS] [-n ROUNDS] [-p PAUSE_US]");
		}
	}
	if (target < 0 || sender < 0) {
		fprintf(stderr, "cli_tlbipi: -t and -s are required\n");
		return 2;
	}
	if (pin((int)sender) < 0) {
		perror("cli_tlbipi: pin sender");
		return 1;
	}
	tcpu = (int)target;
	if (pthread_create(&th, NULL, spin, &tcpu) != 0)
		return 1;
	usleep(100000);			/* let the spinner reach TARGET */
	t0 = now();
	while (now() - t0 < secs && (!max_rounds || rounds < max_rounds)) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("cli_tlbipi: mmap");
			break;
		}
		p[0] = 1;
		munmap(p, 4096);	/* flush_tlb_mm_range -> IPI to TARGET */
		rounds++;
		if (pause_us)
			usleep(pause_us);
	}
	stop = 1;
	pthread_join(th, NULL);
	printf("%ld\n", rounds);
	return 0;
}
