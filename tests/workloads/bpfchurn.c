// SPDX-License-Identifier: GPL-2.0
/*
 * bpfchurn — ordinary BPF activity, a noise source of the benchmark mix:
 * each round creates and closes a 1 MiB BPF array map (the kernel
 * vmalloc()s it: bpf_map_area_alloc(), freed with vfree(); the lazy vmap
 * purge then flushes kernel TLBs) and, every fourth round, attaches a
 * classic BPF socket filter (JIT-compiled into executable memory, freed
 * when the socket closes). Needs CAP_BPF for the map (root in the guest).
 *
 * Usage: bpfchurn [-n ROUNDS] [-p PAUSE_US]     (default 1000 rounds, 1000 us)
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wl.h"

static int map_create(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4096;
	a.max_entries = 256;
	return (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static int filter_attach(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	int s = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (s < 0)
		return -1;
	r = setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	close(s);
	return r;
}

int main(int argc, char **argv)
{
	long rounds = 1000, pause_us = 1000, maps = 0, filters = 0;
	int c;

	while ((c = getopt(argc, argv, "n:p:")) >= 0)
		switch (c) {
		case 'n':
			if (wl_parse_long(optarg, 1, 100000000, &rounds) < 0)
				return 2;
			break;
		case 'p':
			if (wl_parse_long(optarg, 0, 10000000, &pause_us) < 0)
				return 2;
			break;
		default:
			return wl_usage("bpfchurn [-n ROUNDS] [-p PAUSE_US]");
		}
	for (long i = 0; i < rounds; i++) {
		int fd = map_create();

		if (fd >= 0) {
			close(fd);
			maps++;
		}
		if (i % 4 == 0 && filter_attach() == 0)
			filters++;
		if (pause_us)
			usleep((useconds_t)pause_us);
	}
	printf("maps %ld filters %ld\n", maps, filters);
	return maps || filters ? 0 : 1;
}
