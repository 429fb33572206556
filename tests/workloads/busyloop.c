// SPDX-License-Identifier: GPL-2.0
/*
 * busyloop — spin in user space forever (or for -s seconds), never entering
 * the kernel, so a nohz_full CPU stays in an RCU extended quiescent state.
 *
 * With -y ITER it also enters the kernel every ITER iterations (getppid(),
 * and every 16th time a page fault on a fresh page), and counts SIGUSR1s:
 * the deferral stress test's "user code with syscalls, faults and signals".
 *
 * Usage: busyloop [-c CPU] [-s SECONDS] [-y ITER]
 */
#include <errno.h>
#include <getopt.h>
#include <sys/syscall.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "wl.h"

static volatile sig_atomic_t nsig;

static void on_usr1(int sig)
{
	(void)sig;
	nsig++;
}

static void kernel_visit(unsigned long k)
{
	syscall(SYS_getppid);
	if (k % 16 == 0) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED) {
			p[0] = 1;	/* page fault */
			munmap(p, 4096);
		}
	}
}

int main(int argc, char **argv)
{
	long cpu = -1, secs = 0, every = 0;
	int c;

	while ((c = getopt(argc, argv, "c:s:y:")) != -1) {
		switch (c) {
		case 'c':
			if (wl_parse_long(optarg, 0, 4095, &cpu) < 0)
				return wl_usage("busyloop [-c CPU] [-s SECONDS]");
			break;
		case 's':
			if (wl_parse_long(optarg, 1, 86400, &secs) < 0)
				return wl_usage("busyloop [-c CPU] [-s SECONDS]");
			break;
		case 'y':
			if (wl_parse_long(optarg, 1, 1L << 40, &every) < 0)
				return 2;
			break;
		default:
			return wl_usage("busyloop [-c CPU] [-s SECONDS] [-y ITER]");
		}
	}
	if (cpu >= 0 && wl_pin(cpu) < 0)
		return 1;
	signal(SIGUSR1, on_usr1);
	if (every) {
		unsigned long k = 0;

		for (volatile unsigned long n = 0;; n++)
			if (n % every == 0)
				kernel_visit(k++);
	}
	if (secs) {
		/* rdtsc-free deadline check every 2^24 iterations via vDSO clock */
		struct timespec t0, t;
		volatile unsigned long n = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			if ((++n & 0xffffff) == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				if (t.tv_sec - t0.tv_sec >= secs)
					return 0;
			}
		}
	}
	for (volatile unsigned long n = 0;; n++)
		;
}
