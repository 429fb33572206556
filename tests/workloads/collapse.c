// SPDX-License-Identifier: GPL-2.0
/*
 * collapse — N MADV_COLLAPSE collapses of a 2 MiB anonymous range. Each
 * collapse runs khugepaged's collapse_huge_page(), which calls
 * tlb_remove_table_sync_one() (mm/khugepaged.c, 6.12): one table-sync IPI
 * broadcast per collapse on a stock kernel.
 *
 * Usage: collapse [-c CPU] [-n COUNT]    prints "collapsed=N failed=M"
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "wl.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define HPAGE (2UL << 20)

int main(int argc, char **argv)
{
	long cpu = -1, count = 200, ok = 0, failed = 0;
	int r = wl_cpu_count_args(argc, argv, "collapse [-c CPU] [-n COUNT]", &cpu, &count);

	if (r)
		return r;

	for (long i = 0; i < count; i++) {
		char *raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *p;

		if (raw == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
		/* populate with small pages first, then ask for a collapse */
		madvise(p, HPAGE, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < HPAGE; off += 4096)
			p[off] = (char)off | 1;
		madvise(p, HPAGE, MADV_HUGEPAGE);
		if (madvise(p, HPAGE, MADV_COLLAPSE) == 0)
			ok++;
		else
			failed++;
		munmap(raw, 2 * HPAGE);
	}
	printf("collapsed=%ld failed=%ld\n", ok, failed);
	return failed ? 1 : 0;
}
