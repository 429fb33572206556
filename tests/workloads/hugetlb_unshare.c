// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb_unshare — N hugetlb PMD-table unsharings.
 *
 * Two processes map the same hugetlb memfd (MAP_SHARED, 1 GiB, PUD-aligned,
 * MAP_NORESERVE so only touched pages need huge pages). The second one to
 * fault shares the first one's PMD table (mm/hugetlb.c: huge_pmd_share()).
 * When it unmaps, __unmap_hugepage_range() -> huge_pmd_unshare() leaves the
 * table exclusively owned, and huge_pmd_unshare_flush() ->
 * tlb_flush_unshared_tables() calls tlb_remove_table_sync_one(): one
 * table-sync IPI broadcast per iteration on a stock kernel.
 *
 * Needs /proc/sys/vm/nr_hugepages >= 1 (2 MiB pages).
 * Usage: hugetlb_unshare [-c CPU] [-n COUNT]
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "wl.h"

#define PUD (1UL << 30)

/* A PUD-aligned address with 1 GiB free, found once per process. */
static char *aligned_hole(void)
{
	char *raw = mmap(NULL, 2 * PUD, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	munmap(raw, 2 * PUD);
	return (char *)(((uintptr_t)raw + PUD - 1) & ~(PUD - 1));
}

static char *map_at(char *at, int fd)
{
	char *p = mmap(at, PUD, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_NORESERVE, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
	long cpu = -1, count = 200;
	int fd, status;
	int go[2], done[2];
	char *a;
	pid_t pid;
	int r = wl_cpu_count_args(argc, argv, "hugetlb_unshare [-c CPU] [-n COUNT]", &cpu, &count);

	if (r)
		return r;
	fd = memfd_create("tlbisol-hugetlb", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, PUD) < 0) {
		perror("memfd_create/ftruncate (need hugetlbfs)");
		return 77;
	}
	if (pipe(go) < 0 || pipe(done) < 0)
		return 1;

	pid = fork();
	if (pid == 0) {		/* owner: maps, touches, keeps the table */
		char x;

		a = map_at(aligned_hole(), fd);
		if (!a)
			_exit(1);
		a[0] = 1;
		if (write(done[1], "r", 1) != 1 || read(go[0], &x, 1) != 1)
			_exit(1);
		_exit(0);
	}
	{
		char x;

		if (read(done[0], &x, 1) != 1) {
			fprintf(stderr, "owner failed (nr_hugepages?)\n");
			return 1;
		}
	}
	char *hole = aligned_hole();

	for (long i = 0; i < count; i++) {
		char *b = map_at(hole, fd);

		if (!b) {
			perror("mmap");
			return 1;
		}
		(void)*(volatile char *)b;	/* fault: shares the owner's PMD table */
		munmap(b, PUD);		/* unshare: table-sync broadcast */
	}
	if (write(go[1], "g", 1) != 1)
		return 1;
	waitpid(pid, &status, 0);
	printf("unshared=%ld\n", count);
	return 0;
}
